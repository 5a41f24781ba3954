#!/usr/bin/env bash
# Starts/stops the local PostgreSQL 15 and RabbitMQ used by the Supervisor tests and by local runs.
#
#   scripts/services.sh up [--docker]    install (apt) if needed, start both, create database "supervisor";
#                                        --docker also starts the Docker engine (container isolation, compose/)
#   scripts/services.sh down [--docker]  stop what this script started (data is kept); --docker: the engine too
#   scripts/services.sh status           one line per service; exit 0 when PostgreSQL and RabbitMQ answer, 1 otherwise
#   scripts/services.sh docker up|down|status   the Docker engine alone (see scripts/docker-engine.sh)
#   scripts/services.sh restart postgres|rabbitmq   stop and start one of them (fault-injection tests);
#                                only one this script started: a shared external service is never restarted
#   scripts/services.sh broker-uri service|worker|submitter   the broker connection string of that role (see below)
#   scripts/services.sh postgres-conn    the database's connection string (the postgres role's generated password)
#
# PostgreSQL's postgres role gets a password generated once and kept in .data/postgres.env (root only, mode 600); on
# the socket only the OS user postgres is postgres (peer authentication). A cluster made before either is changed
# to both by "up".
#
# Broker users (issue 15; docs/operations.md, "Broker users"): "up" creates, idempotently, supervisor-service (everything
# on the virtual host "/"), supervisor-worker and supervisor-submitter with the permissions of
# compose/rabbitmq/permissions.conf, through the management API. Their passwords are generated once and kept in
# .data/broker-users.env (root only, mode 600); "broker-uri ROLE" prints the role's amqp:// URI from it.
#
# Everything listens on 127.0.0.1 only. Data lives in <repo>/.data/{postgres,rabbitmq} (git-ignored),
# or, when the repository path is not traversable by the postgres/rabbitmq users, in
# /var/lib/{postgresql,rabbitmq}/supervisor-<hash of repo path>.
# If something this script did not start already listens on 5432 / 5672, it is used as is.
# No systemd needed: daemons are started directly (pg_ctl as "postgres", rabbitmq-server as "rabbitmq").
#
# RabbitMQ runs as node rabbit@localhost with its own Erlang cookie in .data/rabbitmq/home. To use the
# CLI by hand, bypass the /usr/sbin wrappers (they force HOME=/var/lib/rabbitmq, i.e. the wrong cookie):
#   runuser -u rabbitmq -- env HOME=$PWD/.data/rabbitmq/home /usr/lib/rabbitmq/bin/rabbitmqctl -n rabbit@localhost status
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/docker-engine.sh
. "$(dirname "${BASH_SOURCE[0]}")/docker-engine.sh"

REPO="$SUPERVISOR_REPO"
DATA="$REPO/.data"
REPO_HASH="$(printf '%s' "$REPO" | sha1sum | cut -c1-12)"

PG_PORT=5432
PG_WANT_VERSION=15
RMQ_PORT=5672
RMQ_MGMT_PORT=15672
RMQ_DIST_PORT=25672
RMQ_NODE=rabbit@localhost
RMQ_CONSUMER_TIMEOUT=1296000000   # 15 days (Supervisor:Broker:ConsumerTimeout's default): an attempt must never be cut off by the broker
# Retention of the error and skipped queues (a policy on the default virtual host): at most this many messages per
# queue, the oldest dropped beyond, each kept at most this long (14 days).
RMQ_DEAD_LETTER_MAX_LENGTH="${SUPERVISOR_DEAD_LETTER_MAX_LENGTH:-100000}"
RMQ_DEAD_LETTER_TTL_MS="${SUPERVISOR_DEAD_LETTER_TTL_MS:-1209600000}"
RMQ_BIN=/usr/lib/rabbitmq/bin
START_TIMEOUT="${SUPERVISOR_SERVICES_TIMEOUT:-90}"   # seconds to wait for each daemon

usage() {
    cat >&2 <<EOF
usage: scripts/services.sh up [--docker] | down [--docker] | status | docker up|down|status | restart postgres|rabbitmq
                          | broker-uri service|worker|submitter | postgres-conn
  up      install (apt-get) if needed and start PostgreSQL 15 (127.0.0.1:$PG_PORT)
          and RabbitMQ (127.0.0.1:$RMQ_PORT, management 127.0.0.1:$RMQ_MGMT_PORT); idempotent
  down    stop the services this script started (data in .data/ is kept)
  status  print one line per service; exit 0 when both are up, 1 otherwise
  --docker  with up/down: also the local Docker engine (dockerd from Debian's docker.io, $DOCKER_SOCKET)
  docker up|down|status   only the Docker engine
  restart postgres|rabbitmq
          stop and start one service this script started (refuses one it did not start)
  broker-uri service|worker|submitter
          the broker connection string of that role (users and passwords made by "up", kept in .data/broker-users.env)
  postgres-conn
          the database's connection string (the password made by "up", kept in .data/postgres.env)
EOF
    exit 2
}

# ---------------------------------------------------------------------------------------------
# generic helpers

require_root() {
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            exec sudo -n -- bash "$REPO/scripts/services.sh" "$@"
        fi
        die "must run as root (needs apt-get and to run daemons as the postgres/rabbitmq users)"
    fi
}

# run a command as USER from / (the caller's cwd may not be readable by that user)
as_user() {
    local user="$1"; shift
    (cd / && runuser -u "$user" -- "$@")
}


# can USER reach (search) directory DIR, i.e. every ancestor is traversable?
user_can_reach() { as_user "$1" test -x "$2" -a -r "$2" 2>/dev/null; }

wait_for_port() {   # wait_for_port PORT SECONDS PID -> 0 when open, 1 on timeout/process death
    local port="$1" secs="$2" pid="${3:-}" i
    for ((i = 0; i < secs * 2; i++)); do
        port_open 127.0.0.1 "$port" && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.5
    done
    return 1
}

# ---------------------------------------------------------------------------------------------
# Broker users: one per role, permissions from compose/rabbitmq/permissions.conf

BROKER_USERS_FILE="$DATA/broker-users.env"
BROKER_ROLES=(service worker submitter)

stored_secret() {   # stored_secret FILE VAR: VAR's value in FILE (root only, mode 600), generated and stored the first time
    local file="$1" var="$2" line
    install -d -m 755 "$DATA"
    ( umask 077; touch "$file" )
    chmod 600 "$file"
    line="$(grep -E "^$var=" "$file" | tail -n 1 || true)"
    if [ -z "$line" ]; then
        line="$var=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
        printf '%s\n' "$line" >>"$file"
    fi
    printf '%s' "${line#*=}"
}

broker_password() {   # broker_password ROLE: the role's password, generated and stored the first time
    stored_secret "$BROKER_USERS_FILE" "SUPERVISOR_BROKER_${1^^}_PASSWORD"
}

broker_permission() {   # broker_permission ROLE configure|write|read: the regex of compose/rabbitmq/permissions.conf
    [ "$1" = service ] && { printf '.*'; return 0; }
    awk -v role="$1" -v kind="$2" '$1 == role && $2 == kind { print $3; found = 1 } END { exit !found }' \
        "$REPO/compose/rabbitmq/permissions.conf" || die "rabbitmq: compose/rabbitmq/permissions.conf has no '$1 $2' line"
}

broker_users_up() {   # creates or updates the three users on vhost "/" through the management API (ours or external)
    local role user json mgmt="${SUPERVISOR_RABBIT_MGMT%/}/api"
    for role in "${BROKER_ROLES[@]}"; do
        user="supervisor-$role"
        json="$(jq -n --arg p "$(broker_password "$role")" '{password: $p, tags: ""}')"
        curl -fsS -o /dev/null -X PUT -H 'content-type: application/json' --data "$json" "$mgmt/users/$user" ||
            die "rabbitmq: could not create broker user $user through $mgmt"
        json="$(jq -n --arg c "$(broker_permission "$role" configure)" --arg w "$(broker_permission "$role" write)" \
            --arg r "$(broker_permission "$role" read)" '{configure: $c, write: $w, read: $r}')"
        curl -fsS -o /dev/null -X PUT -H 'content-type: application/json' --data "$json" "$mgmt/permissions/%2F/$user" ||
            die "rabbitmq: could not set the permissions of $user through $mgmt"
    done
    say "rabbitmq: broker users supervisor-service, supervisor-worker, supervisor-submitter ready (passwords in $BROKER_USERS_FILE; scripts/services.sh broker-uri ROLE)"
}

broker_uri() {   # broker_uri ROLE: amqp URI of the role on 127.0.0.1, vhost "/"
    case "$1" in service | worker | submitter) ;; *) usage ;; esac
    printf 'amqp://supervisor-%s:%s@127.0.0.1:%s/\n' "$1" "$(broker_password "$1")" "$RMQ_PORT"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

PG_BIN="" PG_ROOT="" PGDATA_DIR="" PG_LOG="" PG_SOCK=""

pg_find_bin() {
    PG_BIN=""
    if [ -x "/usr/lib/postgresql/$PG_WANT_VERSION/bin/pg_ctl" ]; then
        PG_BIN="/usr/lib/postgresql/$PG_WANT_VERSION/bin"
    else
        local d
        for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
            [ -x "$d/pg_ctl" ] && { PG_BIN="$d"; break; }
        done
    fi
    [ -n "$PG_BIN" ]
}

pg_dirs() {
    PG_ROOT="$DATA/postgres"
    if id postgres >/dev/null 2>&1 && ! [ -d "$PG_ROOT/data" ]; then
        mkdir -p "$DATA"
        if ! user_can_reach postgres "$DATA"; then
            PG_ROOT="/var/lib/postgresql/supervisor-$REPO_HASH"
        fi
    fi
    if [ -d "/var/lib/postgresql/supervisor-$REPO_HASH/data" ] && ! [ -d "$DATA/postgres/data" ]; then
        PG_ROOT="/var/lib/postgresql/supervisor-$REPO_HASH"
    fi
    PGDATA_DIR="$PG_ROOT/data"
    PG_LOG="$PG_ROOT/postgres.log"
    PG_SOCK="$PG_ROOT/run"
    # unix socket paths are limited to ~107 bytes; without one we only use TCP
    [ "${#PG_SOCK}" -lt 90 ] || PG_SOCK=""
}

pg_ours_running() {
    [ -n "$PG_BIN" ] && [ -f "$PGDATA_DIR/postmaster.pid" ] && id postgres >/dev/null 2>&1 &&
        as_user postgres "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

# The postgres role's password: generated once, kept in .data/postgres.env (root only, mode 600); "postgres-conn" prints
# the connection string. Local socket connections use peer authentication (only the OS user postgres is postgres).
PG_PASSWORD_FILE="$DATA/postgres.env"
pg_password() { stored_secret "$PG_PASSWORD_FILE" SUPERVISOR_POSTGRES_PASSWORD; }
pg_conn() { printf 'Host=127.0.0.1;Port=%s;Username=postgres;Password=%s;Database=supervisor\n' "$PG_PORT" "$(pg_password)"; }

pg_psql() {   # psql over TCP with the project's credentials
    PGPASSWORD="$(pg_password)" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_secure() {   # a cluster made before the generated password: peer authentication on the socket, the password set
    local hba="$PGDATA_DIR/pg_hba.conf"
    if grep -Eq '^local[[:space:]].*[[:space:]]trust[[:space:]]*$' "$hba"; then
        say "postgres: local socket connections now use peer authentication (were trusted)"
        sed -i -E 's/^(local[[:space:]].*[[:space:]])trust[[:space:]]*$/\1peer/' "$hba"
        as_user postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" reload >/dev/null
    fi
    pg_psql -d postgres -c 'select 1' >/dev/null 2>&1 && return 0
    [ -n "$PG_SOCK" ] || return 0
    say "postgres: setting the postgres role's password (kept in $PG_PASSWORD_FILE)"
    printf "ALTER ROLE postgres PASSWORD '%s'" "$(pg_password)" |
        as_user postgres "$PG_BIN/psql" -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres >/dev/null
}

pg_stop_debian_clusters() {   # stop clusters apt's postinst may just have started
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    local ver name port status
    while read -r ver name port status _; do
        [ "$status" = online ] || continue
        say "postgres: stopping Debian default cluster $ver/$name (started by apt) on port $port"
        pg_ctlcluster "$ver" "$name" stop -m fast >/dev/null 2>&1 || true
    done < <(pg_lsclusters -h 2>/dev/null || true)
}

pg_write_config() {
    local conf="$PGDATA_DIR/supervisor.conf"
    cat >"$conf" <<EOF
# written by scripts/services.sh on every "up"; included at the end of postgresql.conf
listen_addresses = '127.0.0.1'
port = $PG_PORT
max_connections = 300
unix_socket_directories = '$PG_SOCK'
EOF
    chown postgres:postgres "$conf"
    grep -q "^include_if_exists = 'supervisor.conf'" "$PGDATA_DIR/postgresql.conf" ||
        printf "\ninclude_if_exists = 'supervisor.conf'\n" >>"$PGDATA_DIR/postgresql.conf"
}

pg_initdb() {
    say "postgres: initdb in $PGDATA_DIR"
    install -d -o postgres -g postgres -m 700 "$PGDATA_DIR"
    local pw="$PG_ROOT/.pwfile"
    ( umask 077; pg_password >"$pw"; printf '\n' >>"$pw" ); chown postgres:postgres "$pw"
    if ! as_user postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --pwfile="$pw" -E UTF8 --no-locale \
            --auth-local=peer --auth-host=scram-sha-256 >"$PG_ROOT/initdb.log" 2>&1; then
        rm -f "$pw"; tail -n 20 "$PG_ROOT/initdb.log" >&2
        die "postgres: initdb failed (log: $PG_ROOT/initdb.log)"
    fi
    rm -f "$pw"
}

pg_up() {
    local installed_now=0 external=0
    if ! pg_find_bin || ! id postgres >/dev/null 2>&1; then
        apt_install "postgresql-$PG_WANT_VERSION" || apt_install postgresql ||
            die "postgres: apt-get install failed (log: $APT_LOG)"
        pg_find_bin || die "postgres: binaries not found under /usr/lib/postgresql after install"
        installed_now=1
        pg_stop_debian_clusters
    fi
    pg_dirs
    [ "$PG_ROOT" = "$DATA/postgres" ] ||
        say "postgres: $DATA is not traversable by user postgres; using $PG_ROOT instead"

    if pg_ours_running; then
        say "postgres: already running (data $PGDATA_DIR)"
    elif port_open 127.0.0.1 "$PG_PORT"; then
        say "postgres: something not started by this script already listens on 127.0.0.1:$PG_PORT; using it"
        external=1
    else
        install -d -o postgres -g postgres -m 755 "$PG_ROOT"
        if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
            local v; v="$(cat "$PGDATA_DIR/PG_VERSION")"
            [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] ||
                die "postgres: $PGDATA_DIR was created by PostgreSQL $v, which is not installed; remove it to start over"
            PG_BIN="/usr/lib/postgresql/$v/bin"
        else
            [ -z "$(ls -A "$PGDATA_DIR" 2>/dev/null)" ] ||
                die "postgres: $PGDATA_DIR is not empty but has no PG_VERSION; remove it to start over"
            pg_initdb
        fi
        [ -z "$PG_SOCK" ] || install -d -o postgres -g postgres -m 700 "$PG_SOCK"
        pg_write_config
        say "postgres: starting ($("$PG_BIN/postgres" --version | awk '{print $3}'), data $PGDATA_DIR)"
        if ! setsid -w runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$START_TIMEOUT" \
                start </dev/null >"$PG_ROOT/pg_ctl.out" 2>&1; then
            cat "$PG_ROOT/pg_ctl.out" >&2; tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
            die "postgres: failed to start (log: $PG_LOG)"
        fi
        wait_for_port "$PG_PORT" "$START_TIMEOUT" ||
            { tail -n 30 "$PG_LOG" >&2; die "postgres: started but 127.0.0.1:$PG_PORT does not answer (log: $PG_LOG)"; }
    fi

    # credentials + database
    [ "$external" = 1 ] || pg_secure
    pg_psql -d postgres -c 'select 1' >/dev/null 2>"$DATA/psql.err" || {
        cat "$DATA/psql.err" >&2
        die "postgres: cannot log in as postgres with the password in $PG_PASSWORD_FILE on 127.0.0.1:$PG_PORT$([ "$external" = 1 ] &&
            echo " (the server there was not started by this script; stop it, e.g. 'pg_ctlcluster 15 main stop', and re-run)")"
    }
    rm -f "$DATA/psql.err"
    if [ "$(pg_psql -d postgres -c "select 1 from pg_database where datname = 'supervisor'")" != 1 ]; then
        say "postgres: creating database supervisor"
        pg_psql -d postgres -c 'CREATE DATABASE supervisor' >/dev/null
    fi
    say "postgres: ready on 127.0.0.1:$PG_PORT$([ "$installed_now" = 1 ] && echo " (installed now)")"
}

pg_down() {
    pg_find_bin || true
    pg_dirs
    if pg_ours_running; then
        say "postgres: stopping"
        as_user postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null
        say "postgres: stopped"
    elif port_open 127.0.0.1 "$PG_PORT"; then
        say "postgres: 127.0.0.1:$PG_PORT is served by something this script did not start; leaving it"
    else
        say "postgres: not running"
    fi
}

pg_status() {
    pg_find_bin || true
    pg_dirs
    if pg_ours_running && port_open 127.0.0.1 "$PG_PORT"; then
        echo "postgres: running 127.0.0.1:$PG_PORT (data $PGDATA_DIR)"
    elif port_open 127.0.0.1 "$PG_PORT"; then
        echo "postgres: running 127.0.0.1:$PG_PORT (not started by services.sh)"
    else
        echo "postgres: stopped 127.0.0.1:$PG_PORT"; return 1
    fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ

RMQ_ROOT="" RMQ_ENV=()

rmq_installed() { [ -x "$RMQ_BIN/rabbitmq-server" ] && id rabbitmq >/dev/null 2>&1; }

rmq_dirs() {
    RMQ_ROOT="$DATA/rabbitmq"
    local alt="/var/lib/rabbitmq/supervisor-$REPO_HASH"
    if [ -d "$alt/mnesia" ] && ! [ -d "$RMQ_ROOT/mnesia" ]; then
        RMQ_ROOT="$alt"
    elif id rabbitmq >/dev/null 2>&1 && ! [ -d "$RMQ_ROOT/mnesia" ]; then
        mkdir -p "$DATA"
        user_can_reach rabbitmq "$DATA" || RMQ_ROOT="$alt"
    fi
    # The same environment for the server and for every CLI call, so rabbitmqctl finds the same
    # node (rabbit@localhost) with the same Erlang cookie ($HOME/.erlang.cookie).
    RMQ_ENV=(
        HOME="$RMQ_ROOT/home"
        LANG=C.UTF-8 LC_ALL=C.UTF-8
        RABBITMQ_NODENAME="$RMQ_NODE"
        RABBITMQ_USE_LONGNAME=false
        RABBITMQ_CONF_ENV_FILE="$RMQ_ROOT/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$RMQ_ROOT/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_ROOT/advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_ROOT/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$RMQ_ROOT/mnesia"
        RABBITMQ_LOG_BASE="$RMQ_ROOT/log"
        RABBITMQ_PID_FILE="$RMQ_ROOT/rabbit.pid"
        RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        ERL_EPMD_ADDRESS=127.0.0.1
        ERL_CRASH_DUMP="$RMQ_ROOT/log/erl_crash.dump"
    )
}

rmq_cli() {   # rmq_cli rabbitmqctl|rabbitmq-diagnostics|... ARGS: CLI bound to our node and cookie
    local tool="$1"; shift
    as_user rabbitmq env "${RMQ_ENV[@]}" "$RMQ_BIN/$tool" "$@" </dev/null
}

rmq_pid() {   # pid of our node's VM, if it is running
    local pid
    pid="$(cat "$RMQ_ROOT/rabbit.pid" 2>/dev/null)" || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- " -home $RMQ_ROOT/home " && echo "$pid"
}

rmq_ours_running() { rmq_pid >/dev/null; }

rmq_stop_default_instances() {
    # A beam.smp run by user rabbitmq that is not our node: the package's default instance
    # (started by apt's postinst on machines where invoke-rc.d may start services).
    local uid pid cmd procdir
    uid="$(id -u rabbitmq)"
    for procdir in /proc/[0-9]*; do   # no pgrep: procps is not on minimal images
        [ "$(stat -c %u "$procdir" 2>/dev/null)" = "$uid" ] || continue
        pid="${procdir#/proc/}"
        cmd="$(tr '\0' ' ' <"$procdir/cmdline" 2>/dev/null || true)"
        case "$cmd" in *beam*) ;; *) continue ;; esac
        # the Debian package runs its node with HOME=/var/lib/rabbitmq; ours uses $RMQ_ROOT/home
        case "$cmd" in *" -home /var/lib/rabbitmq "*) ;; *) continue ;; esac
        say "rabbitmq: stopping the package's default instance (pid $pid), replacing it with ours"
        (cd /var/lib/rabbitmq && runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq \
            "$RMQ_BIN/rabbitmqctl" -n "rabbit@$(hostname -s 2>/dev/null || uname -n | cut -d. -f1)" stop) </dev/null >/dev/null 2>&1 || true
        local i
        for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; sleep 3; kill -KILL "$pid" 2>/dev/null || true; fi
    done
}

rmq_write_config() {
    install -d -o rabbitmq -g rabbitmq -m 755 "$RMQ_ROOT"
    install -d -o rabbitmq -g rabbitmq -m 750 "$RMQ_ROOT/mnesia" "$RMQ_ROOT/log"
    install -d -o rabbitmq -g rabbitmq -m 700 "$RMQ_ROOT/home"
    local cookie="$RMQ_ROOT/home/.erlang.cookie"
    if ! [ -s "$cookie" ]; then
        local c; c="$(head -c 4096 /dev/urandom | tr -dc 'A-Z')"
        (umask 077; printf '%s' "${c:0:20}" >"$cookie")
    fi
    chown rabbitmq:rabbitmq "$cookie"; chmod 400 "$cookie"
    cat >"$RMQ_ROOT/rabbitmq.conf" <<EOF
# written by scripts/services.sh on every "up"
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
# 10 h: an agent run must never be cut off by the broker's delivery acknowledgement timeout
consumer_timeout = $RMQ_CONSUMER_TIMEOUT
log.console = false
log.file.level = info
EOF
    printf '[rabbitmq_management].\n' >"$RMQ_ROOT/enabled_plugins"
    printf '[].\n' >"$RMQ_ROOT/advanced.config"
    printf '# intentionally empty: settings come from scripts/services.sh\n' >"$RMQ_ROOT/rabbitmq-env.conf"
    chown rabbitmq:rabbitmq "$RMQ_ROOT/rabbitmq.conf" "$RMQ_ROOT/enabled_plugins" \
        "$RMQ_ROOT/advanced.config" "$RMQ_ROOT/rabbitmq-env.conf"
}

rmq_start_epmd() {
    # Start epmd ourselves, detached and loopback-only, so no CLI call spawns one that
    # inherits this script's stdout (which would keep pipes such as `| tee` open).
    port_open 127.0.0.1 4369 && return 0
    (cd / && setsid runuser -u rabbitmq -- env ERL_EPMD_ADDRESS=127.0.0.1 /usr/bin/epmd -daemon) \
        </dev/null >/dev/null 2>&1 || true
    wait_for_port 4369 10 || warn "epmd did not come up on 127.0.0.1:4369"
}

rmq_tail_logs() {
    local f
    for f in "$RMQ_ROOT/log/startup.log" "$RMQ_ROOT/log/$RMQ_NODE.log"; do
        [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 30 "$f" >&2; }
    done
    return 0
}

rmq_up() {
    local installed_now=0 external=0
    if ! rmq_installed; then
        apt_install rabbitmq-server || die "rabbitmq: apt-get install failed (log: $APT_LOG)"
        rmq_installed || die "rabbitmq: $RMQ_BIN/rabbitmq-server not found after install"
        installed_now=1
        rmq_dirs; rmq_stop_default_instances
    fi
    rmq_dirs
    [ "$RMQ_ROOT" = "$DATA/rabbitmq" ] ||
        say "rabbitmq: $DATA is not traversable by user rabbitmq; using $RMQ_ROOT instead"

    if rmq_ours_running; then
        say "rabbitmq: already running (node $RMQ_NODE, data $RMQ_ROOT)"
    else
        # the package's default node (e.g. auto-started by apt) would hold 5672 with default settings
        if port_open 127.0.0.1 "$RMQ_PORT"; then rmq_stop_default_instances; fi
        if port_open 127.0.0.1 "$RMQ_PORT"; then
            say "rabbitmq: something not started by this script already listens on 127.0.0.1:$RMQ_PORT; using it"
            say "rabbitmq: (its consumer_timeout may be below ${RMQ_CONSUMER_TIMEOUT} ms; long agent runs could be cut off)"
            external=1
        else
            rmq_write_config
            rmq_start_epmd
            say "rabbitmq: starting (node $RMQ_NODE, data $RMQ_ROOT)"
            (cd / && exec setsid runuser -u rabbitmq -- env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmq-server") \
                </dev/null >>"$RMQ_ROOT/log/startup.log" 2>&1 &
            local starter=$!
            if ! wait_for_port "$RMQ_PORT" "$START_TIMEOUT" "$starter"; then
                rmq_tail_logs
                die "rabbitmq: did not open 127.0.0.1:$RMQ_PORT within ${START_TIMEOUT}s (logs: $RMQ_ROOT/log)"
            fi
            # the management listener starts last during boot
            if ! wait_for_port "$RMQ_MGMT_PORT" "$START_TIMEOUT" "$starter"; then
                rmq_tail_logs
                die "rabbitmq: management API did not open 127.0.0.1:$RMQ_MGMT_PORT within ${START_TIMEOUT}s (logs: $RMQ_ROOT/log)"
            fi
        fi
    fi

    if [ "$external" = 0 ]; then
        wait_for_port "$RMQ_MGMT_PORT" "$START_TIMEOUT" ||
            { rmq_tail_logs; die "rabbitmq: management API does not answer on 127.0.0.1:$RMQ_MGMT_PORT"; }
        local ct
        ct="$(rmq_cli rabbitmqctl -q eval 'application:get_env(rabbit, consumer_timeout).' 2>&1 || true)"
        case "$ct" in
            *"{ok,$RMQ_CONSUMER_TIMEOUT}"*) ;;
            *) rmq_tail_logs; die "rabbitmq: consumer_timeout is not $RMQ_CONSUMER_TIMEOUT (rabbitmqctl said: $ct)" ;;
        esac
        rmq_cli rabbitmqctl -q set_policy --apply-to queues --priority 10 supervisor-dead-letters '_(error|skipped)$' \
            "{\"max-length\":$RMQ_DEAD_LETTER_MAX_LENGTH,\"message-ttl\":$RMQ_DEAD_LETTER_TTL_MS}" >/dev/null ||
            die "rabbitmq: could not set the dead-letter retention policy (supervisor-dead-letters)"
        say "rabbitmq: ready on 127.0.0.1:$RMQ_PORT, management 127.0.0.1:$RMQ_MGMT_PORT, consumer_timeout ${RMQ_CONSUMER_TIMEOUT} ms$([ "$installed_now" = 1 ] && echo " (installed now)")"
    else
        say "rabbitmq: ready on 127.0.0.1:$RMQ_PORT (external)"
    fi
}

rmq_down() {
    rmq_dirs
    local pid
    if pid="$(rmq_pid)"; then
        say "rabbitmq: stopping"
        # with the pid file, "stop" waits until the VM process has exited
        rmq_cli rabbitmqctl -q stop "$RMQ_ROOT/rabbit.pid" >/dev/null 2>&1 || true
        local i
        for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            warn "rabbitmq: did not stop in time; sending SIGTERM to $pid"
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        fi
        say "rabbitmq: stopped"
    elif port_open 127.0.0.1 "$RMQ_PORT"; then
        say "rabbitmq: 127.0.0.1:$RMQ_PORT is served by something this script did not start; leaving it"
    else
        say "rabbitmq: not running"
    fi
}

rmq_status() {
    rmq_dirs
    if rmq_ours_running && port_open 127.0.0.1 "$RMQ_PORT"; then
        local mgmt=down; port_open 127.0.0.1 "$RMQ_MGMT_PORT" && mgmt=up
        echo "rabbitmq: running 127.0.0.1:$RMQ_PORT (management 127.0.0.1:$RMQ_MGMT_PORT $mgmt, node $RMQ_NODE, data $RMQ_ROOT)"
    elif port_open 127.0.0.1 "$RMQ_PORT"; then
        echo "rabbitmq: running 127.0.0.1:$RMQ_PORT (not started by services.sh)"
    else
        echo "rabbitmq: stopped 127.0.0.1:$RMQ_PORT"; return 1
    fi
}

# ---------------------------------------------------------------------------------------------

WITH_DOCKER=false
if [ "${1:-}" = docker ]; then
    [ $# -eq 2 ] || usage
    case "$2" in
        up) require_root "$@"; docker_up ;;
        down) require_root "$@"; docker_down ;;
        status) docker_status ;;
        *) usage ;;
    esac
    exit 0
fi
if [ "${1:-}" != restart ] && [ "${1:-}" != broker-uri ] && [ "${1:-}" != postgres-conn ]; then
    case "${2:-}" in
        "") ;;
        --docker) WITH_DOCKER=true ;;
        *) usage ;;
    esac
fi
[ $# -le 2 ] || usage
case "${1:-}" in
    up)
        require_root "$@"
        t0=$(now_ms)
        pg_up
        rmq_up
        broker_users_up
        ! $WITH_DOCKER || docker_up
        say "services up in $(fmt_ms $(($(now_ms) - t0)))"
        # Passwords are not printed (terminals get logged): postgres-conn and broker-uri ROLE print them whole.
        echo "ConnectionStrings__Postgres=$(pg_conn | sed 's/Password=[^;]*/Password=…/')   # scripts/services.sh postgres-conn"
        for role in service worker submitter; do
            echo "ConnectionStrings__RabbitMq=$(broker_uri "$role" | sed 's#:[^:@/]*@#:…@#')   # the ${role}'s: scripts/services.sh broker-uri $role"
        done
        ;;
    down)
        require_root "$@"
        ! $WITH_DOCKER || docker_down
        pg_down
        rmq_down
        ;;
    restart)
        require_root "$@"
        case "$2" in
            postgres)
                pg_find_bin || true
                pg_dirs
                pg_ours_running || die "postgres: not started by this script; not restarting it"
                pg_down
                pg_up
                ;;
            rabbitmq)
                rmq_dirs
                rmq_ours_running || die "rabbitmq: not started by this script; not restarting it"
                rmq_down
                rmq_up
                ;;
            *) usage ;;
        esac
        ;;
    postgres-conn)
        require_root "$@"
        [ -f "$PG_PASSWORD_FILE" ] || die "no postgres password yet: run scripts/services.sh up"
        pg_conn
        ;;
    broker-uri)
        require_root "$@"
        [ -f "$BROKER_USERS_FILE" ] || die "no broker users yet: run scripts/services.sh up"
        broker_uri "${2:-}"
        ;;
    status)
        rc=0
        pg_status || rc=1
        rmq_status || rc=1
        docker_status || true
        exit "$rc"
        ;;
    *) usage ;;
esac
