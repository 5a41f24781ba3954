#!/usr/bin/env bash
# The fault campaign of issue 14 (tests/Supervisor.IntegrationTests/Nemesis), for longer than CI gives it and for
# several seeds in a row. Brings up what it needs as scripts/test.sh does (the Docker engine, the PostgreSQL and
# RabbitMQ images, Debian's faketime for the skewed-clock fault, a Release build), then runs one campaign per seed.
#
#   scripts/nemesis.sh [SEED] [MINUTES]
#
#   SEED     the first seed (default: random; NEMESIS_SEED=… also sets it); the next seeds are SEED+1, SEED+2, …
#   MINUTES  the whole budget (default 15). Each campaign takes its fault phase plus about 7 minutes (start, the
#            bound on convergence, the checks): with MINUTES < 20 one campaign of MINUTES-7 (at least 3) minutes of
#            faults; from 20 on, campaigns of 12 minutes of faults (PostgreSQL down for 5 of them) while the budget lasts.
#
# Environment passed on: NEMESIS_PG_OUTAGE, NEMESIS_SETTLE (seconds), NEMESIS_TASKS (see Nemesis/CampaignProfile.cs).
# Prints, per seed, the seed, the planned and actual fault timeline and a verdict per invariant (also kept in
# .data/nemesis/seed-SEED.log), then one summary line per seed. Exit code 0 only when every invariant held for every seed.
# Idempotent: a second run rebuilds nothing that is up to date and leaves nothing running.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
cd "$REPO"

seed="${1:-${NEMESIS_SEED:-$((RANDOM * 32768 + RANDOM))}}"
minutes="${2:-15}"
[[ "$seed" =~ ^[0-9]+$ ]] || die "SEED must be a number, not '$seed'"
[[ "$minutes" =~ ^[0-9]+$ ]] || die "MINUTES must be a whole number, not '$minutes'"

export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

command -v dotnet >/dev/null 2>&1 || die ".NET SDK not found (no 'dotnet' on PATH)"
# the engine the campaign's containers run on: started unless it answers already
if ! docker info >/dev/null 2>&1; then
    "$REPO/scripts/services.sh" docker up || die "the Docker engine could not be started (scripts/services.sh docker up)"
fi
"$REPO/scripts/images.sh" postgres >/dev/null || die "scripts/images.sh postgres failed"
"$REPO/scripts/images.sh" rabbitmq >/dev/null || die "scripts/images.sh rabbitmq failed"
ensure_faketime
say "build: tests/Supervisor.IntegrationTests (Release)"
dotnet build tests/Supervisor.IntegrationTests -c Release -nodeReuse:false -v quiet >/dev/null ||
    die "the build failed (dotnet build tests/Supervisor.IntegrationTests -c Release)"

if [ "$minutes" -lt 20 ]; then
    phase=$((minutes > 10 ? minutes - 7 : 3)); runs=1
else
    phase=12; runs=$((minutes / 19))
fi

mkdir -p "$REPO/.data/nemesis"
summary=()
status=0
for ((i = 0; i < runs; i++)); do
    s=$((seed + i))
    say "campaign $((i + 1))/$runs: NEMESIS_SEED=$s, $phase minutes of faults"
    rc=0
    NEMESIS_SEED=$s NEMESIS_MINUTES=$phase dotnet test tests/Supervisor.IntegrationTests -c Release --no-build \
        --filter "FullyQualifiedName~Supervisor.IntegrationTests.Nemesis" >"$REPO/.data/nemesis/dotnet-test-$s.log" 2>&1 || rc=$?
    log="$REPO/.data/nemesis/seed-$s.log"
    if [ -f "$log" ]; then cat "$log"; else tail -n 40 "$REPO/.data/nemesis/dotnet-test-$s.log"; fi
    broken=$(grep -c '^\[.*\]   BROKEN' "$log" 2>/dev/null || true)
    if [ "$rc" -eq 0 ]; then
        summary+=("seed $s: every invariant held")
    else
        status=1
        summary+=("seed $s: ${broken:-?} invariants broken (replay: scripts/nemesis.sh $s $minutes, or NEMESIS_SEED=$s)")
    fi
done
for l in "${summary[@]}"; do say "$l"; done
exit "$status"
