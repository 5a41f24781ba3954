#!/usr/bin/env bash
# End-to-end benchmark of Supervisor on this machine, beside the limits of what it is built on.
#
#   scripts/bench.sh [N]        N tasks for the throughput run (default 2000)
#
# In one run:
#   1. e2e       the Release service + 2 workers (--agent shell) on a fresh database and virtual host; N tasks
#                (prompt `true` on the shell agent) submitted over HTTP with bounded concurrency; throughput,
#                p50/p95/p99 of submit→started and submit→finished, CPU seconds per task of service, workers,
#                PostgreSQL and RabbitMQ, and slot freed → next attempt started on the same worker while tasks wait (p50/p95/p99)
#   2. paced     the same stack offered BENCH_RATE tasks/s (default: half of the e2e throughput just measured) for
#                BENCH_PACED_SECONDS (default 10): p99 submit→started at that load; then more tasks until the service
#                has run BENCH_RSS_TASKS (10000) in all, and its resident memory (VmRSS, and its peak VmHWM)
#   3. inmemory  the same TaskStateMachine and endpoint definition on MassTransit's in-memory saga repository, twice:
#                on the in-memory transport with a fake worker that completes each job at once (the state machine
#                alone), and on RabbitMQ with 2 real workers as in 1 (the stack without its database: inmemory-stack)
#   4. rabbit    raw RabbitMQ.Client: persistent publish with confirms + manual-ack consume on its own vhost
#   5. pgbench   a transaction that locks one row (SELECT … FOR UPDATE) and updates it, on its own database
#   6. spawn     /bin/sh -c true started the way a worker starts an agent, 1000 times one after the other: the CPU a
#                process per attempt costs on this machine
#   8. hangfire  the peer: Hangfire.Core + Hangfire.PostgreSql (what a .NET user would pick instead) on its own database
#                of the same PostgreSQL, N jobs of /bin/sh -c true started the same way, 2 × BENCH_SHELL_CONCURRENCY at once,
#                after the same warm-up, enqueued with BENCH_CONCURRENCY in flight; jobs/s, and e2e as a multiple of it
#   7. workspace an attempt's workspace on a generated repository of BENCH_WORKSPACE_FILES files (default 50000) from
#                the worker's warm mirror, as a worker makes it (copy-on-write where it may mount), one file changed,
#                committed and removed, BENCH_WORKSPACE_N times (10); p50/p95 of each step and the disk one attempt takes;
#                the same on 1000 files for the ratio; against a plain `git clone` of the same repository
#   9. recovery  on a stack of its own (1 service, 2 workers at the shipped settings) and a RabbitMQ node of its own:
#                BENCH_RECOVERY_ROUNDS (5) times each, a worker killed (kill -9) mid-attempt → its task's next attempt started;
#                the service stopped (SIGTERM, and kill -9) and started again, and the broker stopped and started again →
#                a new task started and the tasks in flight done; median and max in seconds
#  10. history   the Release service alone on its own fresh database and virtual host, seeded (set-based SQL) with
#                BENCH_HISTORY_TASKS finished tasks (default 1000000) with their attempts and transitions; p50/p99 of the list
#                (first page, a later page, by state, agent, label, text, and filters no task passes), the counts, show,
#                /metrics and submit, one request at a time after a warm-up
# and prints one table, with our throughput as a ratio of each of 3, 4, 5 and 8, and as a share of the floor (one task's
# share of 3, 4, 5 and 6 together). Method and figures: docs/benchmarks.md.
#
# Environment: BENCH_WARMUP (tasks run before measuring, from the measuring client, default 2000: a young process
# spends its first minutes re-compiling hot code), BENCH_SHELL_CONCURRENCY (attempts per worker, default 8; the
# shipped shell profile says 1), BENCH_CONCURRENCY (HTTP submits in flight, default 32), BENCH_RATE,
# BENCH_PACED_SECONDS, BENCH_PACED_WARMUP (the paced client's own warm-up, 500), BENCH_RSS_TASKS, BENCH_PG_CLIENTS (8),
# BENCH_PG_SECONDS (10), BENCH_RABBIT_MESSAGES (20000), BENCH_HISTORY_TASKS (1000000), BENCH_HISTORY_REQUESTS (300 of
# each), BENCH_NO_BUILD=1 to skip the build.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
cd "$REPO"

N="${1:-2000}"
WARMUP="${BENCH_WARMUP:-2000}"
SHELL_CONCURRENCY="${BENCH_SHELL_CONCURRENCY:-8}"
SUBMIT_CONCURRENCY="${BENCH_CONCURRENCY:-32}"
RATE="${BENCH_RATE:-}"   # set after the e2e run when not given
PACED_SECONDS="${BENCH_PACED_SECONDS:-10}"
PACED_WARMUP="${BENCH_PACED_WARMUP:-500}"
PG_CLIENTS="${BENCH_PG_CLIENTS:-8}"
PG_SECONDS="${BENCH_PG_SECONDS:-10}"
RABBIT_MESSAGES="${BENCH_RABBIT_MESSAGES:-20000}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MASSTRANSIT_USAGE_TELEMETRY=false MSBUILDDISABLENODEREUSE=1

OUT="$REPO/.data/bench"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

DB=supervisor_bench
PGDB=supervisor_bench_pgbench
HFDB=supervisor_bench_hangfire
HISTDB=supervisor_bench_history
VHOST=supervisor-bench
RAW_VHOST=supervisor-bench-raw
MEM_VHOST=supervisor-bench-mem
HIST_VHOST=supervisor-bench-history
PORT=5097
API="http://127.0.0.1:$PORT"
MGMT='http://127.0.0.1:15672/api'
PSQL=(true)   # psql with the database's password, once scripts/services.sh has made it
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
CLK_TCK="$(getconf CLK_TCK)"

pids=()
stop_pids() {   # stop every process this script started so far, and wait for them
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    stop_pids
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $HFDB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $HISTDB WITH (FORCE)" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X DELETE "$MGMT/vhosts/$VHOST" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X DELETE "$MGMT/vhosts/$RAW_VHOST" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X DELETE "$MGMT/vhosts/$MEM_VHOST" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X DELETE "$MGMT/vhosts/$HIST_VHOST" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fresh_vhost() {
    curl -sf -u guest:guest -X DELETE "$MGMT/vhosts/$1" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X PUT "$MGMT/vhosts/$1" >/dev/null
    curl -sf -u guest:guest -X PUT "$MGMT/permissions/$1/guest" -H 'content-type: application/json' \
        -d '{"configure":".*","write":".*","read":".*"}' >/dev/null
}

fresh_db() {
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

cpu_seconds() {   # cpu_seconds PID...: utime+stime of the processes and their reaped children, in seconds
    local total=0 pid f
    for pid in "$@"; do
        # fields after the "(comm)": state is $1, so utime/stime/cutime/cstime are $12..$15
        read -r -a f <<<"$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null)" || true
        [ "${#f[@]}" -ge 15 ] || continue   # gone since it was listed
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    done
    awk -v t="$total" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'
}

result() { echo "RESULT $1 $2" >>"$RESULTS"; }
value() { awk -v k="$1" '$1 == "RESULT" && $2 == k { v = $3 } END { print v }' "$RESULTS"; }

bench_tool() { dotnet bench/Supervisor.Benchmarks/bin/Release/net10.0/Supervisor.Benchmarks.dll "$@"; }

LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- services and build
"$REPO/scripts/services.sh" up >/dev/null
PG_CONN="$("$REPO/scripts/services.sh" postgres-conn)"
PG_PASSWORD="$(printf '%s' "$PG_CONN" | sed -n 's/.*;Password=\([^;]*\).*/\1/p')"
PSQL=(env PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
    say "build: Release"
    dotnet build Supervisor.sln -c Release -nodeReuse:false -v quiet -clp:ErrorsOnly >/dev/null ||
        die "build failed (run: dotnet build Supervisor.sln -c Release)"
fi

# --- 1 + 2: the real stack
fresh_db "$DB"
fresh_vhost "$VHOST"
export ConnectionStrings__Postgres="${PG_CONN%;Database=*};Database=$DB"
export ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:5672/$VHOST"
export Supervisor__Api__Urls="$API"
# A token for the run, as a deployment requires one (its hash to the service, the token to the client), and no rate limit
# on it: the client submits far faster than the per-token default of 50 a second allows.
TOKEN_JSON="$(dotnet src/Supervisor.Cli/bin/Release/net10.0/supervisor.dll tokens new bench --role admin --json)"
token_field() { printf '%s' "$TOKEN_JSON" | grep -o "\"$1\": *\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
export Supervisor__Api__Tokens__bench__Hash="$(token_field hash)" Supervisor__Api__Tokens__bench__Role=admin
export SUPERVISOR_TOKEN="$(token_field token)"
export Supervisor__Api__RateLimit__PermitsPerSecond=1000000 Supervisor__Api__RateLimit__Burst=1000000
export Supervisor__Agents__shell__Concurrency="$SHELL_CONCURRENCY"
export Serilog__MinimumLevel__Default=Warning

say "start: service on $API, 2 workers (--agent shell, $SHELL_CONCURRENCY attempts each)"
dotnet src/Supervisor.Service/bin/Release/net10.0/Supervisor.Service.dll >"$OUT/service.log" 2>&1 &
service_pid=$!; pids+=("$service_pid")
for ((i = 0; i < 120; i++)); do curl -sf "$API/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "$API/health/ready" >/dev/null || die "the service did not become ready (log: $OUT/service.log)"
worker_pids=()
for w in 1 2; do
    Supervisor__Worker__Id="bench-worker-$w" Supervisor__Worker__MetricsUrl="http://127.0.0.1:$((PORT + w))" \
        dotnet src/Supervisor.Worker/bin/Release/net10.0/Supervisor.Worker.dll --agent shell >"$OUT/worker-$w.log" 2>&1 &
    worker_pids+=("$!"); pids+=("$!")
done
for ((i = 0; i < 120; i++)); do
    consumers="$(curl -sf -u guest:guest "$MGMT/queues/$VHOST/agent-shell" | sed -n 's/.*"consumers":\([0-9]*\).*/\1/p' || true)"
    [ "${consumers:-0}" -ge 2 ] && break; sleep 0.5
done
[ "${consumers:-0}" -ge 2 ] || die "the workers did not start consuming (logs: $OUT/worker-*.log)"

say "e2e: $WARMUP tasks of warm-up, then $N tasks, $SUBMIT_CONCURRENCY submits in flight"
# The client warms up in the same process as it measures; it creates $ready when warm and measures once it is gone, so
# that the CPU counters below are read around the measured tasks only.
# PostgreSQL and RabbitMQ run as their own users: every process of the user when read (a backend that ended since is
# in the postmaster's reaped children's time).
user_cpu_seconds() {   # no pgrep: procps is not on minimal images
    local uid dir pids=()
    uid="$(id -u "$1")"
    for dir in /proc/[0-9]*; do [ "$(stat -c %u "$dir" 2>/dev/null)" = "$uid" ] && pids+=("${dir#/proc/}"); done
    cpu_seconds "${pids[@]}"
}
ready="$OUT/e2e.ready"; rm -f "$ready"
bench_tool e2e --api "$API" --pg "$ConnectionStrings__Postgres" --n "$N" --concurrency "$SUBMIT_CONCURRENCY" --prefix e2e \
    --warmup "$WARMUP" --ready "$ready" >>"$RESULTS" &
client=$!; pids+=("$client")
while [ ! -e "$ready" ]; do kill -0 "$client" 2>/dev/null || die "the e2e client ended during its warm-up"; sleep 0.1; done
service_cpu0="$(cpu_seconds "$service_pid")"; workers_cpu0="$(cpu_seconds "${worker_pids[@]}")"
pg_cpu0="$(user_cpu_seconds postgres)"; rabbit_cpu0="$(user_cpu_seconds rabbitmq)"
rm -f "$ready"
wait "$client" || die "the e2e run failed (logs: $OUT/*.log)"
service_cpu1="$(cpu_seconds "$service_pid")"; workers_cpu1="$(cpu_seconds "${worker_pids[@]}")"
pg_cpu1="$(user_cpu_seconds postgres)"; rabbit_cpu1="$(user_cpu_seconds rabbitmq)"
per_task() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }'; }
result e2e.service_cpu_ms_per_task "$(per_task "$service_cpu0" "$service_cpu1")"
result e2e.workers_cpu_ms_per_task "$(per_task "$workers_cpu0" "$workers_cpu1")"
result e2e.postgres_cpu_ms_per_task "$(per_task "$pg_cpu0" "$pg_cpu1")"
result e2e.rabbitmq_cpu_ms_per_task "$(per_task "$rabbit_cpu0" "$rabbit_cpu1")"

for w in 1 2; do curl -sf "http://127.0.0.1:$((PORT + w))/metrics" >"$OUT/worker-$w.metrics" || warn "worker $w: no metrics"; done
RATE_NOTE="BENCH_RATE"
[ -n "$RATE" ] || RATE_NOTE="half of e2e" RATE="$(awk -v t="$(value e2e.tasks_per_s)" 'BEGIN { r = int(t / 2); print (r > 0 ? r : 1) }')"
paced_n=$((RATE * PACED_SECONDS))
say "paced: $paced_n tasks offered at $RATE tasks/s"
bench_tool e2e --api "$API" --pg "$ConnectionStrings__Postgres" --n "$paced_n" --rate "$RATE" --concurrency 64 --prefix paced \
    --warmup "$PACED_WARMUP" >>"$RESULTS"

# The service's resident memory once it has run BENCH_RSS_TASKS tasks (the runs above count; more are run to reach it).
RSS_TASKS="${BENCH_RSS_TASKS:-10000}"
ran="$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM tasks")"
if [ "$ran" -lt "$RSS_TASKS" ]; then
    say "rss: $((RSS_TASKS - ran)) more tasks, so that the service has run $RSS_TASKS"
    bench_tool e2e --api "$API" --pg "$ConnectionStrings__Postgres" --n "$((RSS_TASKS - ran))" --concurrency "$SUBMIT_CONCURRENCY" \
        --prefix rss_fill >/dev/null || die "the rss run failed (logs: $OUT/*.log)"
fi
result rss.tasks "$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM tasks")"
result rss.service_mb "$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$service_pid/status")"
result rss.service_peak_mb "$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$service_pid/status")"

stop_pids

# --- 3: the same state machine without broker or database, then on the broker with the real workers
say "inmemory: $N tasks on the in-memory transport and saga repository"
bench_tool inmemory --n "$N" | tee -a "$RESULTS" >/dev/null

say "inmemory-stack: the in-memory saga on RabbitMQ, 2 workers as above; $WARMUP tasks of warm-up, then $N tasks"
fresh_vhost "$MEM_VHOST"
mem_uri="amqp://guest:guest@127.0.0.1:5672/$MEM_VHOST"
bench_tool inmemory-stack --uri "$mem_uri" --n "$N" --warmup "$WARMUP" >>"$RESULTS" 2>"$OUT/inmemory-stack.log" &
client=$!; pids+=("$client")
for w in 1 2; do
    ConnectionStrings__RabbitMq="$mem_uri" Supervisor__Worker__Id="bench-mem-worker-$w" \
        dotnet src/Supervisor.Worker/bin/Release/net10.0/Supervisor.Worker.dll --agent shell >"$OUT/mem-worker-$w.log" 2>&1 &
    pids+=("$!")
done
wait "$client" || die "the inmemory-stack run failed (logs: $OUT/inmemory-stack.log, $OUT/mem-worker-*.log)"
stop_pids

# --- 4: the broker alone
say "rabbit: $RABBIT_MESSAGES persistent messages, publisher confirms, manual acks"
fresh_vhost "$RAW_VHOST"
bench_tool rabbit --uri "amqp://guest:guest@127.0.0.1:5672/$RAW_VHOST" --n "$RABBIT_MESSAGES" | tee -a "$RESULTS" >/dev/null

# --- 5: the database alone
say "pgbench: lock-and-update one row, $PG_CLIENTS clients, ${PG_SECONDS}s"
fresh_db "$PGDB"
"${PSQL[@]}" -d "$PGDB" -c "CREATE TABLE bench_rows (id int PRIMARY KEY, n bigint NOT NULL)" \
    -c "INSERT INTO bench_rows SELECT g, 0 FROM generate_series(1, 10000) g" >/dev/null
cat >"$OUT/pgbench.sql" <<'EOF'
\set id random(1, 10000)
BEGIN;
SELECT n FROM bench_rows WHERE id = :id FOR UPDATE;
UPDATE bench_rows SET n = n + 1 WHERE id = :id;
COMMIT;
EOF
PGPASSWORD="$PG_PASSWORD" "$PGBENCH" -h 127.0.0.1 -U postgres -n -f "$OUT/pgbench.sql" -c "$PG_CLIENTS" -j 2 -T "$PG_SECONDS" "$PGDB" \
    >"$OUT/pgbench.log" 2>&1 || die "pgbench failed (log: $OUT/pgbench.log)"
result pgbench.tps "$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$OUT/pgbench.log")"

# --- 8 (run here, while the machine is as quiet as for the others): the peer, Hangfire with its PostgreSQL storage
HF_WORKERS=$((2 * SHELL_CONCURRENCY))
say "hangfire: $WARMUP jobs of warm-up, then $N jobs of /bin/sh -c true, $HF_WORKERS at once, PostgreSQL storage"
fresh_db "$HFDB"
bench_tool hangfire --pg "${PG_CONN%;Database=*};Database=$HFDB" --n "$N" --warmup "$WARMUP" --workers "$HF_WORKERS" --concurrency "$SUBMIT_CONCURRENCY" \
    | tee -a "$RESULTS" >/dev/null

# --- 6: the agent's process alone
say "spawn: /bin/sh -c true started 1000 times the way a worker starts an agent"
bench_tool spawn --n 1000 | tee -a "$RESULTS" >/dev/null

# --- 7: an attempt's workspace on a large repository
WORKSPACE_FILES="${BENCH_WORKSPACE_FILES:-50000}"
say "workspace: $WORKSPACE_FILES and 1000 files, from the warm mirror and by git clone"
bench_tool workspace --files "$WORKSPACE_FILES" --n "${BENCH_WORKSPACE_N:-10}" | tee -a "$RESULTS" >/dev/null

# --- 9: recovery: how soon tasks move again after a worker, the service or the broker is lost
# Its own database, virtual host and stack (1 service, 2 workers of the shell agent at the shipped concurrency of 1, every
# recovery setting at its default), on a RabbitMQ node of its own (same binaries, its own ports and data, started here as
# user rabbitmq), so that the broker restarts below cut off nobody else; on the shared broker, with no broker restarts,
# where that node cannot be started. BENCH_RECOVERY_ROUNDS (default 5) rounds of each fault; times are read from the
# service's record over the API (an attempt's startedAt is when its lease was granted):
#   worker kill -9  a worker running `sleep 60` is killed → that task's next attempt started (on the other worker);
#                   the task is cancelled and the worker started again (same id) for the next round
#   service         SIGTERM (then, in other rounds, kill -9) while 2 tasks run `sleep 5` and 2 more wait for a slot, started
#                   again → a task submitted then has started; the 4 tasks in flight are done
#   broker          the node stopped (SIGTERM) under the same load and started again → from it listening again, the same two
REC_ROUNDS="${BENCH_RECOVERY_ROUNDS:-5}"
REC_DB=supervisor_bench_recovery
REC_VHOST=supervisor-bench-recovery
REC_PORT=5094
REC_API="http://127.0.0.1:$REC_PORT"
REC_RMQ_PORT=5695 REC_RMQ_MGMT_PORT=15695 REC_RMQ_DIST_PORT=25695
REC_RMQ_ROOT="" REC_RMQ_ENV=()
rec_pids=()   # the recovery stack's processes: service first, then worker 1 and 2 (indexes 0, 1, 2)

rec_cleanup() {
    local pid
    for pid in "${rec_pids[@]}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${rec_pids[@]}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
    rec_pids=()
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $REC_DB WITH (FORCE)" >/dev/null 2>&1 || true
    curl -sf -u guest:guest -X DELETE "$REC_MGMT/vhosts/$REC_VHOST" >/dev/null 2>&1 || true
    if [ -n "$REC_RMQ_ROOT" ]; then
        rec_broker_stop
        rm -rf "$REC_RMQ_ROOT"
    fi
}
trap 'rec_cleanup; cleanup' EXIT

rec_broker_pid() { local pid; pid="$(cat "$REC_RMQ_ROOT/rabbit.pid" 2>/dev/null)" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"; }
rec_broker_start() {
    (cd / && exec setsid runuser -u rabbitmq -- env "${REC_RMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server) \
        </dev/null >>"$REC_RMQ_ROOT/log/startup.log" 2>&1 &
}
rec_broker_stop() {   # SIGTERM: RabbitMQ shuts down cleanly (connections closed, queues synced)
    local pid i
    pid="$(rec_broker_pid)" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
rec_wait_port() { local i; for ((i = 0; i < $2 * 10; i++)); do port_open 127.0.0.1 "$1" && return 0; sleep 0.1; done; return 1; }
rec_own_broker() {   # a RabbitMQ node of the part's own; false when it cannot be had here
    [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1 && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && port_open 127.0.0.1 4369 || return 1
    ! port_open 127.0.0.1 "$REC_RMQ_PORT" || return 1
    REC_RMQ_ROOT="$(mktemp -d /tmp/supervisor-bench-rabbitmq.XXXXXX)"
    mkdir -p "$REC_RMQ_ROOT/mnesia" "$REC_RMQ_ROOT/log" "$REC_RMQ_ROOT/home"
    head -c 4096 /dev/urandom | tr -dc 'A-Z' | head -c 20 >"$REC_RMQ_ROOT/home/.erlang.cookie"
    chmod 400 "$REC_RMQ_ROOT/home/.erlang.cookie"
    cat >"$REC_RMQ_ROOT/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$REC_RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $REC_RMQ_MGMT_PORT
consumer_timeout = 1296000000
log.console = false
CONF
    printf '[rabbitmq_management].\n' >"$REC_RMQ_ROOT/enabled_plugins"
    printf '[].\n' >"$REC_RMQ_ROOT/advanced.config"
    : >"$REC_RMQ_ROOT/rabbitmq-env.conf"
    chown -R rabbitmq:rabbitmq "$REC_RMQ_ROOT"; chmod 755 "$REC_RMQ_ROOT"
    REC_RMQ_ENV=(HOME="$REC_RMQ_ROOT/home" LANG=C.UTF-8 LC_ALL=C.UTF-8 RABBITMQ_NODENAME=supervisor-bench-recovery@localhost
        RABBITMQ_USE_LONGNAME=false RABBITMQ_CONF_ENV_FILE="$REC_RMQ_ROOT/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$REC_RMQ_ROOT/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$REC_RMQ_ROOT/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$REC_RMQ_ROOT/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$REC_RMQ_ROOT/mnesia" RABBITMQ_LOG_BASE="$REC_RMQ_ROOT/log" RABBITMQ_PID_FILE="$REC_RMQ_ROOT/rabbit.pid"
        RABBITMQ_DIST_PORT="$REC_RMQ_DIST_PORT" RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP="$REC_RMQ_ROOT/log/erl_crash.dump")
    rec_broker_start
    rec_wait_port "$REC_RMQ_PORT" 120 && rec_wait_port "$REC_RMQ_MGMT_PORT" 60
}

say "recovery: a RabbitMQ node of its own on 127.0.0.1:$REC_RMQ_PORT"
if rec_own_broker; then
    REC_AMQP="127.0.0.1:$REC_RMQ_PORT" REC_MGMT="http://127.0.0.1:$REC_RMQ_MGMT_PORT/api"
else
    warn "recovery: no RabbitMQ node of its own (not root, or it did not start: $REC_RMQ_ROOT/log); on the shared broker, without broker restarts"
    rec_broker_stop; rm -rf "$REC_RMQ_ROOT"; REC_RMQ_ROOT=""
    REC_AMQP="127.0.0.1:5672" REC_MGMT="$MGMT"
fi
MGMT="$REC_MGMT" fresh_vhost "$REC_VHOST"
fresh_db "$REC_DB"

rec() { bench_tool recovery "$@" --api "$REC_API"; }
rec_env=(ConnectionStrings__Postgres="${PG_CONN%;Database=*};Database=$REC_DB" ConnectionStrings__RabbitMq="amqp://guest:guest@$REC_AMQP/$REC_VHOST"
    Supervisor__Api__Urls="$REC_API" Supervisor__Agents__shell__Concurrency=1)
rec_start_service() {
    env "${rec_env[@]}" dotnet src/Supervisor.Service/bin/Release/net10.0/Supervisor.Service.dll >>"$OUT/recovery-service.log" 2>&1 &
    rec_pids[0]=$!
}
rec_start_worker() {
    env "${rec_env[@]}" Supervisor__Worker__Id="bench-recovery-worker-$1" \
        dotnet src/Supervisor.Worker/bin/Release/net10.0/Supervisor.Worker.dll --agent shell >>"$OUT/recovery-worker-$1.log" 2>&1 &
    rec_pids[$1]=$!
}
rec_ready() {   # the service answers and both workers consume
    local i consumers
    for ((i = 0; i < 600; i++)); do
        consumers="$(curl -sf -u guest:guest "$REC_MGMT/queues/$REC_VHOST/agent-shell" | sed -n 's/.*"consumers":\([0-9]*\).*/\1/p' || true)"
        [ "${consumers:-0}" -ge 2 ] && curl -sf "$REC_API/health/ready" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "recovery: the stack did not become ready (logs: $OUT/recovery-*.log)"
}
rec_stop() {   # rec_stop INDEX SIGNAL: signal one process of the stack and wait for its end
    kill "-$2" "${rec_pids[$1]}" 2>/dev/null || true
    wait "${rec_pids[$1]}" 2>/dev/null || true
    rec_pids[$1]=""
}
now_s() { date +%s.%N; }

rm -f "$OUT"/recovery-*.log
rec_start_service; rec_start_worker 1; rec_start_worker 2; rec_ready
# One task through first: the stack has compiled its hot paths before anything is timed.
rec started --ids "$(rec submit --prompt true)" --attempt 1 --since 0 >/dev/null

say "recovery: worker kill -9 → the task's next attempt started, $REC_ROUNDS rounds"
worker_kill=()
for ((round = 0; round < REC_ROUNDS; round++)); do
    id="$(rec submit --prompt 'sleep 60')"
    read -r _ worker < <(rec started --ids "$id" --attempt 1 --since 0)
    sleep 1   # the agent runs
    w="${worker##*-}"
    t0="$(now_s)"; rec_stop "$w" KILL
    read -r seconds _ < <(rec started --ids "$id" --attempt 2 --since "$t0")
    worker_kill+=("$seconds")
    rec cancel --ids "$id"
    rec_start_worker "$w"; rec_ready
done
rec summary --name recovery.worker_kill --values "${worker_kill[*]}" >>"$RESULTS"

rec_fault_round() {   # rec_fault_round NAME STOP START: 2 tasks running and 2 waiting when STOP runs; timed from START's end
    local running queued fresh t0 started done
    # 5 s: long enough that they still run when the fault comes (this tool's own start takes seconds on a loaded machine)
    running="$(rec submit --prompt 'sleep 5' --n 2)"
    rec started --ids "$running" --attempt 1 --since 0 >/dev/null
    queued="$(rec submit --prompt true --n 2)"
    "$2"
    "$3"; t0="$(now_s)"
    fresh="$(rec submit --prompt true)"
    read -r started _ < <(rec started --ids "$fresh" --attempt 1 --since "$t0")
    done="$(rec terminal --ids "$running $queued" --since "$t0")"
    eval "${1}_started+=(\"\$started\"); ${1}_done+=(\"\$done\")"
    rec_ready
}
rec_service_term() { rec_stop 0 TERM; }
rec_service_kill() { rec_stop 0 KILL; }
rec_service_start() { rec_start_service; }   # timed from the process's start: its own start-up is part of the recovery
rec_broker_down() { rec_broker_stop; }
rec_broker_up() { rec_broker_start; rec_wait_port "$REC_RMQ_PORT" 120 || die "recovery: the broker did not start again (log: $REC_RMQ_ROOT/log)"; }

say "recovery: service SIGTERM and kill -9, then started again → a new task started, the tasks in flight done; $REC_ROUNDS rounds each"
service_term_started=() service_term_done=() service_kill_started=() service_kill_done=()
for ((round = 0; round < REC_ROUNDS; round++)); do
    rec_fault_round service_term rec_service_term rec_service_start
    rec_fault_round service_kill rec_service_kill rec_service_start
done
for name in service_term service_kill; do
    eval "rec summary --name recovery.${name}_started --values \"\${${name}_started[*]}\"" >>"$RESULTS"
    eval "rec summary --name recovery.${name}_done --values \"\${${name}_done[*]}\"" >>"$RESULTS"
done

if [ -n "$REC_RMQ_ROOT" ]; then
    say "recovery: broker stopped and started again → from it listening, a new task started, the tasks in flight done; $REC_ROUNDS rounds"
    broker_started=() broker_done=()
    for ((round = 0; round < REC_ROUNDS; round++)); do rec_fault_round broker rec_broker_down rec_broker_up; done
    rec summary --name recovery.broker_started --values "${broker_started[*]}" >>"$RESULTS"
    rec summary --name recovery.broker_done --values "${broker_done[*]}" >>"$RESULTS"
fi
rec_cleanup

# --- 10: cost flat in history: the service alone on a database of BENCH_HISTORY_TASKS finished tasks
HISTORY_TASKS="${BENCH_HISTORY_TASKS:-1000000}"
say "history: a fresh database seeded with $HISTORY_TASKS finished tasks; list, counts, show, /metrics and submit, one request at a time"
fresh_db "$HISTDB"
fresh_vhost "$HIST_VHOST"
# The service makes the schema at its start (its migrations); the tool seeds it then. No worker: a submit is measured up
# to its acceptance.
ConnectionStrings__Postgres="${PG_CONN%;Database=*};Database=$HISTDB" ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:5672/$HIST_VHOST" \
    dotnet src/Supervisor.Service/bin/Release/net10.0/Supervisor.Service.dll >"$OUT/history-service.log" 2>&1 &
pids+=("$!")
for ((i = 0; i < 120; i++)); do curl -sf "$API/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "$API/health/ready" >/dev/null || die "the history service did not become ready (log: $OUT/history-service.log)"
bench_tool history --api "$API" --pg "${PG_CONN%;Database=*};Database=$HISTDB" --tasks "$HISTORY_TASKS" \
    --requests "${BENCH_HISTORY_REQUESTS:-300}" >>"$RESULTS" 2>"$OUT/history.log" || die "the history run failed (log: $OUT/history.log)"
stop_pids
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $HISTDB WITH (FORCE)" >/dev/null

# --- the table
half() { awk -v t="$tps" -v m="$1" 'BEGIN { print (m > 0 && t >= m / 2 ? "met" : "NOT met") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "n/a" }'; }
tps="$(value e2e.tasks_per_s)"
inmem="$(value inmemory.tasks_per_s)"
inmem_stack="$(value inmemory_stack.tasks_per_s)"
raw="$(value rabbit.messages_per_s)"
pg="$(value pgbench.tps)"
hangfire="$(value hangfire.jobs_per_s)"
# The floor: what one task needs of the parts it is built on, each measured alone above, as time of the whole machine
# (every part's rate was measured with all cores busy): the state machine once, 3 persistent messages, 2 row-lock
# transactions, and one agent process's CPU spread over the cores.
floor="$(awk -v m="$inmem" -v r="$raw" -v p="$pg" -v s="$(value spawn.total_cpu_ms)" -v c="$(nproc)" \
    'BEGIN { if (m > 0 && r > 0 && p > 0) printf "%.0f", 1 / (1 / m + 3 / r + 2 / p + s / 1000 / c) }')"
# Every list request, show and /metrics within 50 ms at p99 (the counts and the submit are reported beside them).
history_met() {
    local h p worst=0
    for h in list list_page list_state list_agent list_label list_text list_agent_rare list_label_rare show metrics; do
        p="$(value "history.${h}_p99_ms")"
        [ -n "$p" ] || { echo "NOT met (no $h)"; return; }
        worst="$(awk -v a="$worst" -v b="$p" 'BEGIN { print (b > a ? b : a) }')"
    done
    awk -v w="$worst" 'BEGIN { print (w <= 50 ? "met" : "NOT met") " (worst p99 " w " ms)" }'
}
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
mem="$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
{
    echo
    echo "Supervisor benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
    echo "machine: $(nproc) cores ($cpu_model), $mem; load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "stack: 1 service + 2 workers (shell agent, concurrency $SHELL_CONCURRENCY each), $SUBMIT_CONCURRENCY submits in flight, after $WARMUP tasks of warm-up"
    echo
    printf '%-44s %14s\n' "measure" "value"
    printf '%-44s %14s\n' "--------------------------------------------" "--------------"
    printf '%-44s %14s\n' "e2e tasks (succeeded)" "$(value e2e.tasks) ($(value e2e.succeeded))"
    printf '%-44s %14s\n' "e2e throughput, tasks/s" "$tps"
    printf '%-44s %14s\n' "e2e submit→started p50 / p95 / p99, ms" "$(value e2e.started_p50_ms) / $(value e2e.started_p95_ms) / $(value e2e.started_p99_ms)"
    printf '%-44s %14s\n' "e2e submit→finished p50 / p95 / p99, ms" "$(value e2e.finished_p50_ms) / $(value e2e.finished_p95_ms) / $(value e2e.finished_p99_ms)"
    printf '%-44s %14s\n' "CPU ms per task: service" "$(value e2e.service_cpu_ms_per_task)"
    printf '%-44s %14s\n' "CPU ms per task: workers (incl. agent procs)" "$(value e2e.workers_cpu_ms_per_task)"
    printf '%-44s %14s\n' "CPU ms per task: PostgreSQL" "$(value e2e.postgres_cpu_ms_per_task)"
    printf '%-44s %14s\n' "CPU ms per task: RabbitMQ" "$(value e2e.rabbitmq_cpu_ms_per_task)"
    printf '%-44s %14s\n' "paced $RATE tasks/s: achieved tasks/s" "$(value paced.tasks_per_s)"
    printf '%-44s %14s\n' "paced submit→started p50 / p95 / p99, ms" "$(value paced.started_p50_ms) / $(value paced.started_p95_ms) / $(value paced.started_p99_ms)"
    printf '%-44s %14s\n' "paced submit→finished p99, ms" "$(value paced.finished_p99_ms)"
    printf '%-44s %14s\n' "slot freed → next attempt p50 / p95 / p99, ms" "$(value e2e.slot_gap_p50_ms) / $(value e2e.slot_gap_p95_ms) / $(value e2e.slot_gap_p99_ms)"
    printf '%-44s %14s\n' "service RSS / peak after N tasks, MB" "$(value rss.service_mb) / $(value rss.service_peak_mb) ($(value rss.tasks))"
    printf '%-44s %14s\n' "in-memory saga alone, tasks/s" "$inmem"
    printf '%-44s %14s\n' "in-memory saga on the stack, tasks/s" "$inmem_stack"
    printf '%-44s %14s\n' "raw RabbitMQ persistent, messages/s" "$raw"
    printf '%-44s %14s\n' "pgbench lock+update one row, tx/s" "$pg"
    printf '%-44s %14s\n' "agent process alone, CPU ms: own / in all" "$(value spawn.agent_cpu_ms) / $(value spawn.total_cpu_ms)"
    printf '%-44s %14s\n' "workspace, $WORKSPACE_FILES files: made p50 / p95, ms" "$(value workspace.prepare_p50_ms) / $(value workspace.prepare_p95_ms)"
    printf '%-44s %14s\n' "workspace: commit / whole attempt p50, ms" "$(value workspace.commit_p50_ms) / $(value workspace.attempt_p50_ms)"
    printf '%-44s %14s\n' "workspace, 1000 files: made / attempt p50, ms" "$(value workspace.small_prepare_p50_ms) / $(value workspace.small_attempt_p50_ms)"
    printf '%-44s %14s\n' "workspace: large / small, made / attempt" "$(value workspace.prepare_ratio) / $(value workspace.attempt_ratio)"
    printf '%-44s %14s\n' "workspace: copy-on-write (1) or plain (0)" "$(value workspace.copy_on_write)"
    printf '%-44s %14s\n' "workspace: git clone p50 / p95, ms" "$(value workspace.clone_p50_ms) / $(value workspace.clone_p95_ms)"
    printf '%-44s %14s\n' "workspace: disk per attempt / per clone, MB" "$(value workspace.disk_mb) / $(value workspace.clone_disk_mb)"
    printf '%-44s %14s\n' "Hangfire + PostgreSQL, same job, jobs/s" "$hangfire"
    printf '%-44s %14s\n' "Hangfire enqueue→done p50 / p99, ms" "$(value hangfire.finished_p50_ms) / $(value hangfire.finished_p99_ms)"
    printf '%-44s %14s\n' "floor (sum of the parts), tasks/s" "$floor"
    printf '%-44s %14s\n' "e2e as a multiple of Hangfire" "$(times "$tps" "$hangfire")"
    printf '%-44s %14s\n' "e2e as share of the floor" "$(ratio "$tps" "$floor")"
    printf '%-44s %14s\n' "e2e as share of in-memory saga alone" "$(ratio "$tps" "$inmem")"
    printf '%-44s %14s\n' "e2e as share of in-memory saga on the stack" "$(ratio "$tps" "$inmem_stack")"
    printf '%-44s %14s\n' "e2e as share of raw RabbitMQ messages/s" "$(ratio "$tps" "$raw")"
    printf '%-44s %14s\n' "e2e as share of pgbench tx/s" "$(ratio "$tps" "$pg")"
    printf '%-44s %14s\n' "worker kill -9 → next attempt, s: median / max" "$(value recovery.worker_kill_median_s) / $(value recovery.worker_kill_max_s)"
    printf '%-44s %14s\n' "service SIGTERM → new task started, s" "$(value recovery.service_term_started_median_s) / $(value recovery.service_term_started_max_s)"
    printf '%-44s %14s\n' "service SIGTERM → tasks in flight done, s" "$(value recovery.service_term_done_median_s) / $(value recovery.service_term_done_max_s)"
    printf '%-44s %14s\n' "service kill -9 → new task started, s" "$(value recovery.service_kill_started_median_s) / $(value recovery.service_kill_started_max_s)"
    printf '%-44s %14s\n' "service kill -9 → tasks in flight done, s" "$(value recovery.service_kill_done_median_s) / $(value recovery.service_kill_done_max_s)"
    printf '%-44s %14s\n' "broker restart → new task started, s" "$(value recovery.broker_started_median_s) / $(value recovery.broker_started_max_s)"
    printf '%-44s %14s\n' "broker restart → tasks in flight done, s" "$(value recovery.broker_done_median_s) / $(value recovery.broker_done_max_s)"
    printf '%-44s %14s\n' "history: tasks stored, seeded in s" "$(value history.tasks) in $(value history.seed_seconds)"
    for h in list list_page list_state list_agent list_label list_text list_agent_rare list_label_rare counts show metrics submit; do
        printf '%-44s %14s\n' "history: $h p50 / p99, ms" "$(value "history.${h}_p50_ms") / $(value "history.${h}_p99_ms")"
    done
    echo
    echo "targets: ≥ 500 tasks/s: $(awk -v t="$tps" 'BEGIN { print (t >= 500 ? "met" : "NOT met") }');" \
        "≥ 50% of in-memory saga on the stack: $(half "$inmem_stack"), alone: $(half "$inmem");" \
        "p99 submit→started ≤ 50 ms at $RATE/s ($RATE_NOTE): $(awk -v p="$(value paced.started_p99_ms)" 'BEGIN { print (p != "" && p <= 50 ? "met" : "NOT met") }');" \
        "slot freed → next attempt ≤ 25 ms p99: $(awk -v p="$(value e2e.slot_gap_p99_ms)" 'BEGIN { print (p != "" && p <= 25 ? "met" : "NOT met") }');" \
        "service RSS ≤ 300 MB after $(value rss.tasks) tasks: $(awk -v m="$(value rss.service_mb)" 'BEGIN { print (m != "" && m <= 300 ? "met" : "NOT met") }');" \
        "≥ 2× Hangfire: $(awk -v t="$tps" -v h="$hangfire" 'BEGIN { print (h > 0 && t >= 2 * h ? "met" : "NOT met") }');" \
        "≥ 60% of the floor: $(awk -v t="$tps" -v f="$floor" 'BEGIN { print (f > 0 && t >= 0.6 * f ? "met" : "NOT met") }');" \
        "workspace ≤ 2× on $WORKSPACE_FILES files, ≤ 10 MB: $(awk -v r="$(value workspace.attempt_ratio)" -v d="$(value workspace.disk_mb)" 'BEGIN { print (r != "" && r <= 2 && d <= 10 ? "met" : "NOT met") }');" \
        "worker kill -9 → next attempt ≤ 10 s: $(awk -v m="$(value recovery.worker_kill_max_s)" 'BEGIN { print (m != "" && m <= 10 ? "met" : "NOT met") }');" \
        "list/show/metrics p99 ≤ 50 ms at $(value history.tasks) tasks: $(history_met)"
} | tee "$OUT/table.txt"
