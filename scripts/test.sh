#!/usr/bin/env bash
# Starts the Docker engine (scripts/services.sh docker up), builds, makes the images the tests use (scripts/images.sh:
# PostgreSQL and RabbitMQ, which the integration tests start as containers through Testcontainers, and those of the
# container and Compose tests), runs every test project and prints, as its very last line,
#   "N passed, N failed"   (+ ", N skipped" when tests were skipped)
# Exits non-zero when anything failed or when no test ran at all.
#
#   scripts/test.sh [extra `dotnet test` arguments, e.g. --filter "FullyQualifiedName~Saga"]
#
# Environment:
#   SUPERVISOR_TEST_PROJECTS  whitespace-separated .csproj paths (absolute or relative to the repo root)
#                             to build and run instead of tests/*/*.csproj; when set, each listed project
#                             is built on its own instead of Supervisor.sln (used to try this script on
#                             a throw-away project).
#   SUPERVISOR_POSTGRES_IMAGE / SUPERVISOR_RABBITMQ_IMAGE   the images the integration tests start (default the local
#                             supervisor-postgres:15 / supervisor-rabbitmq:3.10; postgres:15 / rabbitmq:3.13-management
#                             where a registry is reachable)
# Results: one TRX per project in <repo>/.data/test-results/<project>.trx (old ones are removed first).
# A project that could not run (build failure, no TRX, test host crash) counts as 1 failed test; so does code off the
# house style (the build fails on every style and analyzer rule; `dotnet format whitespace --verify-no-changes` after it).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
cd "$REPO"

# Testcontainers: Debian 12's engine speaks API 1.41 at most (Testcontainers asks for 1.44), and the Ryuk reaper's
# image cannot be pulled here (the tests remove the containers they labelled themselves)
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export MASSTRANSIT_USAGE_TELEMETRY=false
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# no MSBuild worker nodes left behind holding this script's stdout (CI pipes)
export MSBUILDDISABLENODEREUSE=1

RESULTS="$REPO/.data/test-results"
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.trx

timing() { say "time: $1 $(fmt_ms $(($(now_ms) - $2)))${3:+ ($3)}"; }

# --- .NET SDK: cannot be downloaded here, so it must already be installed
if ! command -v dotnet >/dev/null 2>&1; then
    for d in "${DOTNET_ROOT:-}" "$HOME/.dotnet" /usr/share/dotnet /usr/lib/dotnet /opt/dotnet /usr/local/share/dotnet; do
        if [ -n "$d" ] && [ -x "$d/dotnet" ]; then export PATH="$d:$PATH"; break; fi
    done
fi
command -v dotnet >/dev/null 2>&1 ||
    die ".NET SDK not found (no 'dotnet' on PATH); install the .NET 10 SDK first (it cannot be downloaded by this script)"

total_passed=0 total_failed=0 total_skipped=0
summary_lines=()

# --- the Docker engine: PostgreSQL and RabbitMQ for the tests run in it, as containers the tests start
t=$(now_ms)
if ! "$REPO/scripts/services.sh" docker up; then
    warn "scripts/services.sh docker up failed; the integration tests will fail (counted as 1 failure)"
    total_failed=$((total_failed + 1))
fi
timing docker "$t"

# --- agent CLIs (pinned, from npm) for the real-agent integration tests; a failure shows there, named
t=$(now_ms)
# The tests look for the CLIs where the script put them (it prints their bin directory last).
if cli_bin=$("$REPO/scripts/install-agent-clis.sh" | tail -1) && [ -n "$cli_bin" ]; then
    export SUPERVISOR_AGENT_CLIS="${cli_bin%/bin}"
else
    warn "scripts/install-agent-clis.sh failed; the real-agent tests will fail"
fi
timing agent-clis "$t"

# --- Debian's faketime: the fault campaign (Nemesis/) starts a worker with its clock skewed
ensure_faketime

# --- what the trust-boundary tests' agents try with (TrustBoundary/AgentSandbox): a try with a missing tool would prove nothing
for tool in curl:curl psql:postgresql-client python3:python3; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || apt_install "${tool#*:}" || warn "apt-get install ${tool#*:} failed; the sandbox tests will fail"
done

# --- Debian's Chromium for the dashboard's browser tests (Dashboard/): Playwright drives it by its path, no browser is downloaded
command -v chromium >/dev/null 2>&1 || apt_install chromium || warn "apt-get install chromium failed; the dashboard's tests will fail"

# --- test projects
projects=()
if [ -n "${SUPERVISOR_TEST_PROJECTS:-}" ]; then
    read -r -a projects <<<"$(tr '\n' ' ' <<<"$SUPERVISOR_TEST_PROJECTS")"
else
    shopt -s nullglob
    # only test projects: tests/ also holds test doubles (the provider stub)
    for p in tests/*/*.csproj; do if grep -q 'Microsoft.NET.Test.Sdk' "$p"; then projects+=("$p"); fi; done
    shopt -u nullglob
fi
if [ "${#projects[@]}" -eq 0 ]; then
    warn "no test projects found (tests/*/*.csproj)"
    total_failed=$((total_failed + 1))
fi

# --- build
t=$(now_ms)
build_ok=1
if [ -n "${SUPERVISOR_TEST_PROJECTS:-}" ]; then
    for p in "${projects[@]}"; do
        say "build: $p"
        dotnet build "$p" -c Release -nodeReuse:false || build_ok=0
    done
else
    say "build: Supervisor.sln"
    dotnet build Supervisor.sln -c Release -nodeReuse:false || build_ok=0
fi
timing build "$t" "$([ "$build_ok" = 1 ] && echo ok || echo FAILED)"

# --- house style (.editorconfig): EnforceCodeStyleInBuild and TreatWarningsAsErrors make every style and analyzer rule
# a build error, so what is left to check is the whitespace `dotnet format` would change (without compiling again). A
# difference counts as 1 failed test, like a build failure (and is not checked when the build already failed); the files and diagnostics that are off are printed.
if [ "$build_ok" = 1 ] && [ -z "${SUPERVISOR_TEST_PROJECTS:-}" ]; then
    t=$(now_ms)
    format_log="$RESULTS/format.log"
    if dotnet format whitespace Supervisor.sln --verify-no-changes --verbosity quiet >"$format_log" 2>&1; then
        timing format "$t" ok
    else
        grep -E '(error|warning) [A-Z]+[0-9]*' "$format_log" | sed -e "s|$REPO/||" -e 's/ \[[^]]*\]$//' | sort -u | head -n 50 >&2 || true
        [ -s "$format_log" ] && ! grep -qE '(error|warning) ' "$format_log" && tail -n 20 "$format_log" >&2 || true
        warn "dotnet format whitespace --verify-no-changes: the files above are off the house style (fix: dotnet format Supervisor.sln) - counted as 1 failed"
        total_failed=$((total_failed + 1))
        summary_lines+=("dotnet format: files off the house style - counted as 1 failed")
        timing format "$t" FAILED
    fi
fi

# --- images the tests run (built from local files; quick when nothing changed): PostgreSQL and RabbitMQ for every
# integration test, and those of the container and Compose tests. Built here, where nothing competes for the cores.
if [ -z "${SUPERVISOR_TEST_PROJECTS:-}" ]; then
    t=$(now_ms)
    if ! "$REPO/scripts/images.sh" all >"$RESULTS/images.log" 2>&1; then
        tail -n 30 "$RESULTS/images.log" >&2
        warn "scripts/images.sh all failed (log: $RESULTS/images.log); the integration tests will fail"
    fi
    timing images "$t"
fi

# --- run
counter() {   # counter NAME COUNTERS_ELEMENT -> integer value of attribute NAME (0 when absent)
    local v
    v="$(sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p" <<<"$2")"
    echo "${v:-0}"
}

for p in "${projects[@]}"; do
    name="$(basename "$p" .csproj)"
    if [ "$build_ok" != 1 ]; then
        total_failed=$((total_failed + 1))
        summary_lines+=("$name: not run (build failed) - counted as 1 failed")
        continue
    fi
    t=$(now_ms)
    say "test: $name"
    rc=0
    dotnet test "$p" --no-build -c Release \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
        --results-directory "$RESULTS" "$@" || rc=$?
    trx="$RESULTS/$name.trx"
    if [ ! -f "$trx" ]; then
        total_failed=$((total_failed + 1))
        line="no TRX written (dotnet test exit code $rc) - counted as 1 failed"
    else
        counters="$(tr '\r\n' '  ' <"$trx" | grep -o '<Counters [^>]*>' | head -n 1 || true)"
        passed=$(counter passed "$counters")
        failed=$(( $(counter failed "$counters") + $(counter error "$counters") +
                   $(counter timeout "$counters") + $(counter aborted "$counters") ))
        # VSTest's TRX logger leaves notExecuted="0" for skipped xunit tests; they only show as
        # total - executed. Take whichever is larger.
        skipped=$(counter notExecuted "$counters")
        not_run=$(( $(counter total "$counters") - $(counter executed "$counters") ))
        [ "$not_run" -le "$skipped" ] || skipped=$not_run
        line="$passed passed, $failed failed, $skipped skipped"
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            failed=1
            line="$line; dotnet test exit code $rc with no failed test (test host crash?) - counted as 1 failed"
        fi
        total_passed=$((total_passed + passed))
        total_failed=$((total_failed + failed))
        total_skipped=$((total_skipped + skipped))
    fi
    summary_lines+=("$name: $line")
    timing "$name" "$t" "$line"
done

# Containers the tests labelled whose test host is gone (crashed before it removed them; the next run would sweep them
# too). Those of a test run still going on elsewhere on this machine are left alone.
engine="${DOCKER_HOST:-unix:///var/run/docker.sock}"
while read -r id owner; do
    [ -n "$id" ] || continue
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    DOCKER_HOST="$engine" docker rm -f "$id" >/dev/null 2>&1 || true
done < <(DOCKER_HOST="$engine" docker ps -a --filter label=org.supervisor.tests \
             --format '{{.ID}} {{index .Labels "org.supervisor.tests.pid"}}' 2>/dev/null || true)

# CI machines: stop the compiler server so no process outlives the run
if [ "${CI:-}" = true ]; then dotnet build-server shutdown >/dev/null 2>&1 || true; fi

# Failed and skipped tests by name, with the start of each failure's message, right above the summary so a
# log that keeps only its tail still says what failed.
list_outcomes() {   # list_outcomes TRX...
    python3 - "$@" <<'PY' 2>/dev/null || grep -ho 'testName="[^"]*"[^>]*outcome="\(Failed\|NotExecuted\)"' "$@" || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in sys.argv[1:]:
    for r in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        outcome = r.get("outcome")
        if outcome in ("Passed", None):
            continue
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip()
        if outcome == "NotExecuted":
            message = message or r.findtext("t:Output/t:StdOut", "", ns).strip()
        lines = message.splitlines()
        text = " | ".join(line.strip() for line in lines[:6])[:700]
        label = "SKIPPED" if outcome == "NotExecuted" else outcome.upper()
        print(f"  {label}: {r.get('testName')}" + (f"\n      {text}" if text else ""))
PY
}
shopt -s nullglob
trx_files=("$RESULTS"/*.trx)
shopt -u nullglob
if [ "$total_failed" -gt 0 ] || [ "$total_skipped" -gt 0 ]; then
    if [ "${#trx_files[@]}" -gt 0 ]; then say "not passed:"; list_outcomes "${trx_files[@]}"; fi
fi
for l in "${summary_lines[@]}"; do say "$l"; done
if [ $((total_passed + total_failed)) -eq 0 ]; then
    warn "no test ran"
fi
summary="$total_passed passed, $total_failed failed"
[ "$total_skipped" -eq 0 ] || summary="$summary, $total_skipped skipped"
echo "$summary"
[ "$total_failed" -eq 0 ] && [ $((total_passed + total_failed)) -gt 0 ]
