#!/bin/sh
# A flaky agent for tests: a real executable that fails a chosen number of times, then succeeds.
# The prompt says, per agent, how many attempts fail, with which exit code and which message on stderr:
#   "alpha=2:1:429 Too Many Requests;beta=0"   agent=failures:exit:message   (an agent not named succeeds at once)
# A message "sleep:N" makes a failing attempt sleep N seconds in a child process first (timeouts, kills);
# the child's pid is appended to $FLAKY_STATE/<task>.pids. "spawn:N" does the same and also starts a sleep in a session
# of its own (setsid), out of the agent's process group, and records its pid too.
# Attempts are counted per task and agent in $FLAKY_STATE.
set -u
# Each attempt runs as an agent user of its own; the state it shares with the next attempts is writable by all.
umask 0
spec=$(printf '%s\n' "$1" | tr ';' '\n' | grep "^$SUPERVISOR_AGENT=" | head -n 1 | cut -d= -f2-)
counter="$FLAKY_STATE/$SUPERVISOR_TASK_ID-$SUPERVISOR_AGENT"
n=$(cat "$counter" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$counter"
echo "$SUPERVISOR_AGENT attempt $n (task attempt $SUPERVISOR_ATTEMPT)"
if [ -n "$spec" ]; then
    failures=${spec%%:*}
    rest=${spec#*:}
    code=${rest%%:*}
    message=${rest#*:}
    if [ "$n" -le "$failures" ]; then
        case "$message" in
        sleep:*)
            sleep "${message#sleep:}" &
            echo $! >>"$FLAKY_STATE/$SUPERVISOR_TASK_ID.pids"
            wait
            ;;
        spawn:*)
            sleep "${message#spawn:}" &
            echo $! >>"$FLAKY_STATE/$SUPERVISOR_TASK_ID.pids"
            setsid sleep "${message#spawn:}" &
            echo $! >>"$FLAKY_STATE/$SUPERVISOR_TASK_ID.pids"
            wait
            ;;
        esac
        echo "$message" >&2
        exit "$code"
    fi
fi
echo "work done" >"$SUPERVISOR_WORKSPACE/result.txt"
echo "done"
