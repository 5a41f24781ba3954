#!/bin/sh
# The fault campaign's agent (Nemesis/). Its first act appends "start TASK ATTEMPT AGENT PID EPOCH" to
# $NEMESIS_STATE/runs.log and its last "end TASK ATTEMPT AGENT OUTCOME EPOCH" (one write each, O_APPEND), so the
# runs are known from the agent's side, whatever the record says. The clock is read without any LD_PRELOAD (a worker
# under libfaketime must not skew its agents' marks).
# The prompt is "KIND SECONDS": it sleeps SECONDS, then
#   run        succeeds;
#   failfirst  fails the task's first run with a Fatal error (no retry, no fallback: the task fails), later runs succeed;
#   flaky      fails the task's first run as an overloaded API does (Retryable), later runs succeed.
# The agent "doomed" always fails Fatal (the head of a fallback chain).
set -u
# Each attempt runs as an agent user of its own; the state it shares with the next attempts is writable by all.
umask 0
now() { env -u LD_PRELOAD -u FAKETIME date +%s.%N; }
runs="$NEMESIS_STATE/runs.log"
printf 'start %s %s %s %s %s\n' "$SUPERVISOR_TASK_ID" "$SUPERVISOR_ATTEMPT" "$SUPERVISOR_AGENT" "$$" "$(now)" >>"$runs"
kind=${1%% *}
seconds=${1##* }
finish() {
    printf 'end %s %s %s %s %s\n' "$SUPERVISOR_TASK_ID" "$SUPERVISOR_ATTEMPT" "$SUPERVISOR_AGENT" "$1" "$(now)" >>"$runs"
}
sleep "$seconds"
if [ "$SUPERVISOR_AGENT" = doomed ]; then
    finish fatal
    echo "nemesis: fatal (this agent never works)" >&2
    exit 3
fi
# mkdir is atomic: exactly one run of the task is its first
first=0
mkdir "$NEMESIS_STATE/$SUPERVISOR_TASK_ID.first" 2>/dev/null && first=1
if [ "$first" = 1 ] && [ "$kind" = failfirst ]; then
    finish fatal
    echo "nemesis: fatal (first run of a failfirst task)" >&2
    exit 3
fi
if [ "$first" = 1 ] && [ "$kind" = flaky ]; then
    finish retryable
    echo "API Error: 503 overloaded" >&2
    exit 1
fi
finish ok
echo "done after $seconds s"
