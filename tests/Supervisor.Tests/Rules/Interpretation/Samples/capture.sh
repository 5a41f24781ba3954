#!/usr/bin/env bash
# Regenerates the sample outputs the interpreter specs read: runs each real CLI (scripts/install-agent-clis.sh) against
# the provider stub (tests/Supervisor.ProviderStub, built) with the arguments of its shipped profile, once per scenario,
# and stores <cli>-<scenario>.stdout / .stderr / .exit here. Re-run after upgrading a CLI, then re-run the specs.
#   [SCENARIOS="usage-window rate-limited-20"] tests/Supervisor.Tests/Rules/Interpretation/Samples/capture.sh [cli ...]
# SCENARIOS (space-separated) captures only those scenarios; unset, all of them.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../../../.." && pwd)"
# Where scripts/install-agent-clis.sh puts them: $SUPERVISOR_AGENT_CLIS, the system prefix, or the project-local one.
for clis in "${SUPERVISOR_AGENT_CLIS:-}" /opt/supervisor/agent-clis "$REPO/.data/agent-clis"; do
    [ -n "$clis" ] && [ -d "$clis/bin" ] && break
done
PATH="$clis/bin:$PATH"
STUB_DLL=$(ls "$REPO"/tests/Supervisor.ProviderStub/bin/*/net10.0/Supervisor.ProviderStub.dll | head -1)
WORK=$(mktemp -d)
trap 'kill "$STUB_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

dotnet "$STUB_DLL" >"$WORK/stub.log" 2>&1 &
STUB_PID=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/stub.log" && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[0-9.:]*' "$WORK/stub.log" | head -1)
script() { curl -fsS -XPOST "$ENDPOINT/_stub/scripts" -H 'content-type: application/json' -d "$1" >/dev/null; }

run() {   # run CLI SCENARIO STEPS_JSON ARGS...: one run in a fresh workspace and home (TIMEOUT seconds, default 60)
    local cli=$1 scenario=$2 steps=$3; shift 3
    [ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $scenario "* ]] || return 0
    local key="sample-$cli-$scenario" ws="$WORK/ws-$cli-$scenario" home="$WORK/home-$cli-$scenario"
    mkdir -p "$ws" "$home/.gemini"
    printf '%s' '{"security":{"auth":{"selectedType":"gemini-api-key"}},"general":{"maxAttempts":1}}' >"$home/.gemini/settings.json"
    script "{\"match\":\"$key\",\"steps\":$steps,\"file\":\"hello.txt\",\"content\":\"hello from $cli\\n\"}"
    local args=() a
    for a in "$@"; do a=${a//\{prompt\}/Create hello.txt ($key)}; args+=("${a//\{endpoint\}/$ENDPOINT}"); done
    (cd "$ws" && env -i PATH="$PATH" HOME="$home" LANG=C.UTF-8 TMPDIR="$WORK" "${ENVS[@]}" timeout "${TIMEOUT:-60}" "$cli" "${args[@]}" \
        >"$HERE/$cli-$scenario.stdout" 2>"$HERE/$cli-$scenario.stderr" </dev/null)
    echo $? >"$HERE/$cli-$scenario.exit"
    echo "$cli $scenario: exit $(cat "$HERE/$cli-$scenario.exit"), wrote: $(cat "$ws/hello.txt" 2>/dev/null | head -1)"
}

scenarios() {   # scenarios CLI ARGS...: every scripted failure
    local cli=$1; shift
    run "$cli" ok '[]' "$@"
    run "$cli" rate-limited '["429:retryAfter=1*3"]' "$@"
    run "$cli" quota '["quota*3"]' "$@"
    run "$cli" overloaded '["overloaded*3"]' "$@"
    run "$cli" server-error '["500*3"]' "$@"
    run "$cli" unauthorized '["401*3"]' "$@"
    run "$cli" dropped '["drop*3"]' "$@"
    run "$cli" usage-window '["usage:resetIn=30*3"]' "$@"
}

want() { [ $# -eq 0 ] || printf '%s\n' "${SELECTED[@]}" | grep -qx "$1"; }
SELECTED=("$@")
if [ ${#SELECTED[@]} -eq 0 ] || want claude; then
    ENVS=(IS_SANDBOX=1 ANTHROPIC_BASE_URL="$ENDPOINT" ANTHROPIC_API_KEY=sk-ant-sample-0000000000000000 CLAUDE_CODE_MAX_RETRIES=1
        ANTHROPIC_MODEL=claude-sonnet-4-5 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1)
    scenarios claude -p --output-format stream-json --verbose --dangerously-skip-permissions -- '{prompt}'
    run claude denied '[]' -p --output-format stream-json --verbose -- '{prompt}'
    # The issue's case: told to retry once, claude waits out a 20 s retry-after itself before it gives up.
    TIMEOUT=90 run claude rate-limited-20 '["429:retryAfter=20"]' -p --output-format stream-json --verbose --dangerously-skip-permissions -- '{prompt}'
fi
if [ ${#SELECTED[@]} -eq 0 ] || want codex; then
    ENVS=(OPENAI_API_KEY=sk-sample-0000000000000000)
    scenarios codex exec --json --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox -m gpt-5.5 -c model_provider=supervisor \
        -c 'model_providers.supervisor={name="supervisor",base_url="{endpoint}/v1",env_key="OPENAI_API_KEY",wire_api="responses",request_max_retries=0,stream_max_retries=0}' \
        -- '{prompt}'
fi
if [ ${#SELECTED[@]} -eq 0 ] || want gemini; then
    ENVS=(GEMINI_API_KEY=sample-gemini-key GOOGLE_GEMINI_BASE_URL="$ENDPOINT")
    scenarios gemini '--prompt={prompt}' -o stream-json --skip-trust --yolo -m gemini-2.5-flash
fi
if [ ${#SELECTED[@]} -eq 0 ] || want copilot; then
    ENVS=(COPILOT_OFFLINE=true COPILOT_PROVIDER_BASE_URL="$ENDPOINT/v1" COPILOT_PROVIDER_TYPE=openai COPILOT_PROVIDER_WIRE_API=responses
        COPILOT_PROVIDER_API_KEY=sk-sample-0000000000000000 COPILOT_MODEL=gpt-5.5 COPILOT_AUTO_UPDATE=false)
    # Copilot's own retries (5, ~15 s) cannot be turned down: three failures are retried away, a 401 is not.
    COPILOT_ARGS=('--prompt={prompt}' --output-format json --allow-all --no-ask-user --no-auto-update)
    run copilot ok '[]' "${COPILOT_ARGS[@]}"
    run copilot retried-then-ok '["429:retryAfter=1*3"]' "${COPILOT_ARGS[@]}"
    run copilot unauthorized '["401*9"]' "${COPILOT_ARGS[@]}"
fi
