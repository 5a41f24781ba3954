#!/usr/bin/env bash
# Brings up PostgreSQL and RabbitMQ, builds, starts the service and two shell workers, submits a few tasks
# with the supervisor CLI and shows them end to end. Idempotent: everything it starts it stops again
# (pass --keep to leave the service and workers running; their logs are in .data/demo/).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
cd "$REPO"
KEEP=false
[ "${1:-}" = "--keep" ] && KEEP=true

export ConnectionStrings__Postgres="$SUPERVISOR_PG_CONN"
export ConnectionStrings__RabbitMq="$SUPERVISOR_RABBIT_CONN"
export MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
API_PORT="${SUPERVISOR_DEMO_PORT:-5080}"
export SUPERVISOR_API="http://127.0.0.1:$API_PORT"
export Supervisor__Api__Urls="$SUPERVISOR_API"
# Quick retries so the failing task's story fits a demo (the defaults are 5 s, 15 s, 45 s).
export Supervisor__Agents__shell__Retry__Intervals__0=00:00:01 Supervisor__Agents__shell__Retry__Intervals__1=00:00:02
DEMO="$REPO/.data/demo"
mkdir -p "$DEMO"

"$REPO/scripts/services.sh" up

say "building (Release)"
dotnet build Supervisor.sln -c Release -v quiet -nologo >"$DEMO/build.log" 2>&1 || { tail -30 "$DEMO/build.log"; die "build failed"; }
BIN() { echo "$REPO/src/$1/bin/Release/net10.0/$2"; }
supervisor() { dotnet "$(BIN Supervisor.Cli supervisor.dll)" "$@"; }
state_of() { supervisor show "$1" --json | grep -o '"state": *"[A-Za-z]*"' | head -1 | grep -o '[A-Za-z]*"$' | tr -d '"'; }
wait_for() {
    for _ in $(seq 1 120); do
        case "$(state_of "$1")" in Succeeded | Failed | Cancelled | Rejected) return 0 ;; esac
        sleep 0.5
    done
}

# Stop what an earlier demo left running, so a re-run starts clean.
if [ -f "$DEMO/pids" ]; then
    xargs -r kill 2>/dev/null <"$DEMO/pids" || true
    sleep 1
    rm -f "$DEMO/pids"
fi
port_open 127.0.0.1 "$API_PORT" && die "port $API_PORT is in use; set SUPERVISOR_DEMO_PORT to another port"

cleanup() {
    if ! $KEEP && [ -f "$DEMO/pids" ]; then
        say "stopping the service and workers"
        xargs -r kill 2>/dev/null <"$DEMO/pids" || true
        rm -f "$DEMO/pids"
    fi
}
trap cleanup EXIT

say "starting the service on $SUPERVISOR_API and two workers of the 'shell' agent"
dotnet "$(BIN Supervisor.Service Supervisor.Service.dll)" >"$DEMO/service.log" 2>&1 &
echo $! >>"$DEMO/pids"
for i in 1 2; do
    Supervisor__Worker__Id="demo-shell-$i" dotnet "$(BIN Supervisor.Worker Supervisor.Worker.dll)" --agent shell >"$DEMO/worker-$i.log" 2>&1 &
    echo $! >>"$DEMO/pids"
done
for _ in $(seq 1 120); do
    curl -fsS "$SUPERVISOR_API/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$SUPERVISOR_API/health/ready" >/dev/null || { tail -30 "$DEMO/service.log"; die "the service did not become ready"; }
sleep 2 # let the workers attach to their queue

say "1. a shell task, followed to its end"
supervisor submit --wait 'echo "hello from $SUPERVISOR_AGENT on attempt $SUPERVISOR_ATTEMPT"; uname -sr'

say "2. a task in a git repository: its change lands on a branch"
REPO_DIR="$DEMO/sample-repo"
rm -rf "$REPO_DIR"
git init -q -b main "$REPO_DIR"
git -C "$REPO_DIR" -c user.name=demo -c user.email=demo@localhost commit -q --allow-empty -m "initial commit"
ID=$(supervisor submit --repo "$REPO_DIR" 'printf "# Notes\n\nWritten by an agent.\n" > NOTES.md')
wait_for "$ID"
supervisor show "$ID"
branch=$(git -C "$REPO_DIR" branch --list 'supervisor/*' --format='%(refname:short)' | head -1)
say "git -C $REPO_DIR log --stat $branch"
git -C "$REPO_DIR" log --stat -1 "$branch"

say "3. a task that fails: the record says why"
supervisor submit --wait 'echo "compiling..."; echo "error: missing semicolon" >&2; exit 2' || true

say "4. ten tasks at once over the two workers"
ids=()
for i in $(seq 1 10); do ids+=("$(supervisor submit "echo task $i; sleep 0.2")"); done
for id in "${ids[@]}"; do wait_for "$id"; done
supervisor list --limit 14

say "done. Output of a task: supervisor logs ID; its record: supervisor show ID (logs of this run: $DEMO)"
$KEEP && say "--keep: the service ($SUPERVISOR_API) and workers are still running; stop them with: xargs kill < $DEMO/pids"
