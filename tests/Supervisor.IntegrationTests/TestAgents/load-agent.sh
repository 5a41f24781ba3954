#!/bin/sh
# An agent for load tests: the prompt is "SECONDS FAILURES"; the agent sleeps SECONDS, and its first FAILURES attempts
# of the task then fail the way an overloaded API does (Retryable). Attempts are counted per task in $LOAD_STATE.
set -u
# Each attempt runs as an agent user of its own; the state it shares with the next attempts is writable by all.
umask 0
seconds=${1%% *}
failures=${1##* }
counter="$LOAD_STATE/$SUPERVISOR_TASK_ID"
n=$(($(cat "$counter" 2>/dev/null || echo 0) + 1))
echo "$n" >"$counter"
sleep "$seconds"
if [ "$n" -le "$failures" ]; then
    echo "API Error: 503 overloaded" >&2
    exit 1
fi
echo "done after $seconds s"
