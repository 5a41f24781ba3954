#!/usr/bin/env bash
# Brings up PostgreSQL and RabbitMQ, installs the pinned agent CLIs, builds, starts the provider stub, the service,
# two shell workers and a worker of the real Claude Code and Codex CLIs, then shows with the supervisor CLI:
# Claude Code rate-limited by its provider, backing off and failing again, Codex taking over and succeeding; then a
# few shell tasks, one on a remote repository (a git daemon on loopback) whose result is pushed to it; then a usage window that the fleet waits out.
# It ends by printing the dashboard's address and serves it until Enter is pressed. Idempotent: everything it starts it
# stops again (pass --keep to leave the service and workers running; their logs are in .data/demo/).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
cd "$REPO"
KEEP=false
[ "${1:-}" = "--keep" ] && KEEP=true

export MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
API_PORT="${SUPERVISOR_DEMO_PORT:-5080}"
export SUPERVISOR_API="http://127.0.0.1:$API_PORT"
export Supervisor__Api__Urls="$SUPERVISOR_API"
# Quick retries so the failing task's story fits a demo (the defaults are 5 s, 15 s, 45 s).
export Supervisor__Agents__shell__Retry__Intervals__0=00:00:01 Supervisor__Agents__shell__Retry__Intervals__1=00:00:02
DEMO="$REPO/.data/demo"
mkdir -p "$DEMO"

"$REPO/scripts/services.sh" up
# The database's generated password, and each role its own broker user (scripts/services.sh made them): the
# service's, and the workers' narrower one.
export ConnectionStrings__Postgres="$("$REPO/scripts/services.sh" postgres-conn)"
export ConnectionStrings__RabbitMq="$("$REPO/scripts/services.sh" broker-uri service)"
WORKER_RABBIT="$("$REPO/scripts/services.sh" broker-uri worker)"
CLI_BIN="$("$REPO/scripts/install-agent-clis.sh" claude codex | tail -1)"
export PATH="$CLI_BIN:$PATH"

say "building (Release)"
dotnet build Supervisor.sln -c Release -v quiet -nologo >"$DEMO/build.log" 2>&1 || { tail -30 "$DEMO/build.log"; die "build failed"; }
BIN() { echo "$REPO/src/$1/bin/Release/net10.0/$2"; }
supervisor() { dotnet "$(BIN Supervisor.Cli supervisor.dll)" "$@"; }
# Every API call needs a token (loopback too): one admin token for this demo, its hash for the service, itself for the CLI.
TOKEN_JSON=$(supervisor tokens new demo --role admin --json)
json_field() { printf '%s' "$TOKEN_JSON" | grep -o "\"$1\": *\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
export Supervisor__Api__Tokens__demo__Hash="$(json_field hash)" Supervisor__Api__Tokens__demo__Role=admin
export SUPERVISOR_TOKEN="$(json_field token)"
state_of() { supervisor show "$1" --json 2>/dev/null | grep -o '"state": *"[A-Za-z]*"' | head -1 | grep -o '[A-Za-z]*"$' | tr -d '"'; }
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

say "starting the provider stub (tests/Supervisor.ProviderStub): a local stand-in for the Anthropic and OpenAI APIs"
dotnet "$REPO/tests/Supervisor.ProviderStub/bin/Release/net10.0/Supervisor.ProviderStub.dll" >"$DEMO/stub.log" 2>&1 &
echo $! >>"$DEMO/pids"
# A first start right after a build can take a while on a busy machine: wait up to a minute, then say so.
for _ in $(seq 1 600); do grep -q 'listening on' "$DEMO/stub.log" && break; sleep 0.1; done
STUB=$(grep -o 'http://[0-9.:]*' "$DEMO/stub.log" | head -1 || true)
[ -n "$STUB" ] || { cat "$DEMO/stub.log"; die "the provider stub did not say where it listens within 60 s (its log: $DEMO/stub.log)"; }
# The shipped claude and codex profiles, pointed at the stub by configuration only (with a real key and no Endpoint
# override they talk to the real providers); rate-limit backoff shortened from 60 s, 120 s, 300 s for the demo.
for agent in claude codex; do
    export "Supervisor__Agents__${agent}__Endpoint=$STUB"
    export "Supervisor__Agents__${agent}__Retry__RateLimitIntervals__0=00:00:02" "Supervisor__Agents__${agent}__Retry__RateLimitIntervals__1=00:00:04"
done
export Supervisor__Agents__claude__Env__ANTHROPIC_API_KEY=sk-ant-demo-0000000000000000 Supervisor__Agents__codex__Env__OPENAI_API_KEY=sk-demo-0000000000000000
# Step 3b's remote repository: a git daemon on this machine's loopback, the one host tasks may name by URL.
GIT_PORT="${SUPERVISOR_DEMO_GIT_PORT:-9418}"
port_open 127.0.0.1 "$GIT_PORT" && die "port $GIT_PORT is in use; set SUPERVISOR_DEMO_GIT_PORT to another port"
export Supervisor__Git__AllowedHosts__0=127.0.0.1
# Four claude attempts at once on the worker, and tasks released over 6 s (not 30 s) after a block, for step 6.
export Supervisor__Agents__claude__Concurrency=4 Supervisor__Agents__claude__Limits__ReleaseSpread=00:00:06

say "starting the service on $SUPERVISOR_API, two workers of the 'shell' agent and one of 'claude' and 'codex'"
dotnet "$(BIN Supervisor.Service Supervisor.Service.dll)" >"$DEMO/service.log" 2>&1 &
echo $! >>"$DEMO/pids"
for i in 1 2; do
    ConnectionStrings__RabbitMq="$WORKER_RABBIT" Supervisor__Worker__Id="demo-shell-$i" dotnet "$(BIN Supervisor.Worker Supervisor.Worker.dll)" --agent shell >"$DEMO/worker-$i.log" 2>&1 &
    echo $! >>"$DEMO/pids"
done
ConnectionStrings__RabbitMq="$WORKER_RABBIT" Supervisor__Worker__Id="demo-agents" dotnet "$(BIN Supervisor.Worker Supervisor.Worker.dll)" --agent claude,codex >"$DEMO/worker-agents.log" 2>&1 &
echo $! >>"$DEMO/pids"
for _ in $(seq 1 120); do
    curl -fsS "$SUPERVISOR_API/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$SUPERVISOR_API/health/ready" >/dev/null || { tail -30 "$DEMO/service.log"; die "the service did not become ready"; }
sleep 2 # let the workers attach to their queue

REPO_DIR="$DEMO/sample-repo"
rm -rf "$REPO_DIR"
git init -q -b main "$REPO_DIR"
git -C "$REPO_DIR" -c user.name=demo -c user.email=demo@localhost commit -q --allow-empty -m "initial commit"

say "1. Claude Code is rate-limited (HTTP 429, retry-after 2 s) on every call; Codex is next in the task's chain"
CASE="demo-$(date +%s%N)"
curl -fsS -XPOST "$STUB/_stub/scripts" -H 'content-type: application/json' \
    -d "{\"match\":\"$CASE\",\"api\":\"anthropic\",\"then\":\"429:retryAfter=2\"}" >/dev/null
curl -fsS -XPOST "$STUB/_stub/scripts" -H 'content-type: application/json' \
    -d "{\"match\":\"$CASE\",\"api\":\"openai\",\"file\":\"CHANGELOG.md\",\"content\":\"# Changelog\\n\\n- Started a changelog.\\n\"}" >/dev/null
ID=$(supervisor submit --repo "$REPO_DIR" --agents claude,codex --expect-changes "Start a CHANGELOG.md for this project. ($CASE)")
wait_for "$ID"
supervisor show "$ID"
say "what the CLIs said about their own retries (system lines in the attempt's record):"
supervisor logs "$ID" 2>/dev/null | grep -F '[supervisor:' | head -6 || true
branch=$(supervisor show "$ID" --json | grep -o '"branch": *"[^"]*"' | tail -1 | cut -d'"' -f4)
say "the result branch: git -C $REPO_DIR log --stat $branch"
git -C "$REPO_DIR" log --stat -1 "$branch"

say "2. a shell task, followed to its end"
supervisor submit --wait 'echo "hello from $SUPERVISOR_AGENT on attempt $SUPERVISOR_ATTEMPT"; uname -sr'

say "3. a shell task in a git repository: its change lands on a branch"
ID=$(supervisor submit --repo "$REPO_DIR" 'printf "# Notes\n\nWritten by an agent.\n" > NOTES.md')
wait_for "$ID"
branch=$(supervisor show "$ID" --json | grep -o '"branch": *"[^"]*"' | tail -1 | cut -d'"' -f4)
git -C "$REPO_DIR" log --stat -1 --format='%h %s' "$branch"

say "3b. a task on a remote repository (git daemon on 127.0.0.1:$GIT_PORT): the worker mirrors it, and pushes the result"
SERVED="$DEMO/served"
rm -rf "$SERVED"
mkdir -p "$SERVED"
git clone -q --bare "$REPO_DIR" "$SERVED/web.git"
git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$SERVED" --export-all --enable=receive-pack "$SERVED" >"$DEMO/git-daemon.log" 2>&1 &
echo $! >>"$DEMO/pids"
for _ in $(seq 1 50); do port_open 127.0.0.1 "$GIT_PORT" && break; sleep 0.1; done
supervisor submit --wait --repo-url "git://127.0.0.1:$GIT_PORT/web.git" --push-to agent-notes 'printf "# Remote notes\n\nPushed by the supervisor.\n" > REMOTE.md' || true
say "on the remote: git --git-dir=$SERVED/web.git log --stat -1 agent-notes"
git --git-dir="$SERVED/web.git" log --stat -1 --format='%h %s' agent-notes

say "4. a task that fails: the record says why"
supervisor submit --wait 'echo "compiling..."; echo "error: missing semicolon" >&2; exit 2' || true

say "5. ten tasks at once over the two shell workers"
ids=()
for i in $(seq 1 10); do ids+=("$(supervisor submit "echo task $i; sleep 0.2")"); done
for id in "${ids[@]}"; do wait_for "$id"; done
supervisor list --limit 14

say "6. a usage window: the provider refuses claude's key for the next 25 s, whatever it asks"
curl -fsS -XPOST "$STUB/_stub/limits" -H 'content-type: application/json' \
    -d '{"api":"anthropic","kind":"usage","resetInSeconds":25}' >/dev/null
CASE="window-$(date +%s%N)"
curl -fsS -XPOST "$STUB/_stub/scripts" -H 'content-type: application/json' \
    -d "{\"match\":\"$CASE\",\"api\":\"anthropic\",\"file\":\"WINDOW.md\",\"content\":\"Written after the window.\\n\"}" >/dev/null
first=$(supervisor submit --repo "$REPO_DIR" --agent claude "Write WINDOW.md. ($CASE)")
for _ in $(seq 1 60); do
    curl -fsS -H "Authorization: Bearer $SUPERVISOR_TOKEN" "$SUPERVISOR_API/api/agents" | grep -q '"state":"cooling"\|"state":"blocked"' && break
    sleep 0.5
done
say "claude met it and said when it resets; the service blocked its account for the whole fleet. Three more tasks:"
ids=("$first")
for i in 1 2 3; do ids+=("$(supervisor submit --repo "$REPO_DIR" --agent claude "Write WINDOW.md, take $i. ($CASE)")"); done
sleep 3
say "they wait, holding no worker and making no call, until the reset:"
supervisor list --waiting
supervisor agents | sed -n '/ACCOUNT/,/^$/p'
for id in "${ids[@]}"; do wait_for "$id"; done
say "after the reset one went first as the account's probe, then the others, spread over 6 s:"
supervisor show "${ids[1]}" | sed -n '/Waiting by\|Released by\|  attempt /p'
supervisor list --limit 4

say "done. Output of a task: supervisor logs ID; its record: supervisor show ID (logs of this run: $DEMO)"

# The dashboard is the service's own: sign in with the demo's token (kept in a file only its owner reads, not printed).
(umask 077; printf '%s\n' "$SUPERVISOR_TOKEN" >"$DEMO/token")
say "the dashboard: $SUPERVISOR_API/  (sign in with the token in $DEMO/token: cat $DEMO/token)"
if $KEEP; then
    say "--keep: the service ($SUPERVISOR_API) and workers are still running; stop them with: xargs kill < $DEMO/pids"
elif [ -t 0 ]; then
    read -r -p "The demo keeps serving the dashboard until you press Enter. " _ || true
else
    say "no terminal to wait on: the demo stops now; run ./scripts/demo.sh --keep to leave the dashboard running"
fi
