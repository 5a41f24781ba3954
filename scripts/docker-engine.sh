# shellcheck shell=bash
# The local Docker engine, for scripts/services.sh (its "docker" commands and "up --docker") and scripts/images.sh.
# Source it after lib.sh; do not run it.
#
# Debian's docker.io (20.10) provides dockerd, containerd and runc. Nothing runs systemd here, so dockerd is
# started directly, on the default socket (unix:///var/run/docker.sock) and data root (/var/lib/docker): one
# engine per machine, shared by every clone, like a packaged install. Its storage driver is dockerd's own choice
# (overlay2 where the kernel allows it, else vfs) unless SUPERVISOR_DOCKER_STORAGE_DRIVER names one;
# SUPERVISOR_DOCKERD_ARGS adds options (e.g. "--iptables=false --bridge=none" where iptables is unusable).
# An engine this script did not start (DOCKER_HOST, or something already on the default socket) is used as is.

DOCKER_SOCKET=/var/run/docker.sock
DOCKER_PIDFILE=/var/run/docker.pid
DOCKER_MARK=org.supervisor.started-by=services.sh   # daemon label: tells our dockerd from anyone else's
DOCKER_LOG="$SUPERVISOR_REPO/.data/dockerd.log"
DOCKER_START_TIMEOUT="${SUPERVISOR_SERVICES_TIMEOUT:-90}"

# docker_cli ARGS: the docker CLI against the engine in use; quiet about versions it negotiates down from.
docker_cli() { DOCKER_HOST="${DOCKER_HOST:-unix://$DOCKER_SOCKET}" docker "$@"; }

docker_answers() { timeout 10 env DOCKER_HOST="${DOCKER_HOST:-unix://$DOCKER_SOCKET}" docker version --format '{{.Server.Version}}' 2>/dev/null; }

docker_pid() {   # pid of the dockerd this script started, if it runs
    local pid
    pid="$(cat "$DOCKER_PIDFILE" 2>/dev/null)" || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DOCKER_MARK" && echo "$pid"
}

docker_install() {
    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
    apt_install docker.io || die "docker: apt-get install docker.io failed (log: $APT_LOG)"
    command -v dockerd >/dev/null 2>&1 || die "docker: dockerd not found after installing docker.io"
}

docker_up() {
    local version
    if version="$(docker_answers)" && [ -n "$version" ]; then
        if docker_pid >/dev/null; then
            say "docker: already running (engine $version, $DOCKER_SOCKET)"
        else
            say "docker: engine $version at ${DOCKER_HOST:-unix://$DOCKER_SOCKET} was not started by this script; using it"
        fi
        return 0
    fi
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$DOCKER_SOCKET" ]; then
        die "docker: DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST to let this script start a local one"
    fi
    docker_install
    mkdir -p "$(dirname "$DOCKER_LOG")"
    local args=(--host "unix://$DOCKER_SOCKET" --pidfile "$DOCKER_PIDFILE" --label "$DOCKER_MARK")
    [ -z "${SUPERVISOR_DOCKER_STORAGE_DRIVER:-}" ] || args+=(--storage-driver "$SUPERVISOR_DOCKER_STORAGE_DRIVER")
    # shellcheck disable=SC2206 # word splitting of the extra options is intended
    [ -z "${SUPERVISOR_DOCKERD_ARGS:-}" ] || args+=($SUPERVISOR_DOCKERD_ARGS)
    say "docker: starting dockerd (log $DOCKER_LOG)"
    (cd / && exec setsid dockerd "${args[@]}") </dev/null >>"$DOCKER_LOG" 2>&1 &
    local starter=$! i
    for ((i = 0; i < DOCKER_START_TIMEOUT * 2; i++)); do
        if version="$(docker_answers)" && [ -n "$version" ]; then
            say "docker: ready (engine $version, storage driver $(docker_cli info --format '{{.Driver}}' 2>/dev/null), $DOCKER_SOCKET)"
            return 0
        fi
        kill -0 "$starter" 2>/dev/null || break
        sleep 0.5
    done
    tail -n 30 "$DOCKER_LOG" >&2 || true
    die "docker: dockerd did not answer on $DOCKER_SOCKET within ${DOCKER_START_TIMEOUT}s (log: $DOCKER_LOG)"
}

docker_down() {
    local pid i
    if pid="$(docker_pid)"; then
        say "docker: stopping dockerd (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        # dockerd stops its containers (up to their stop timeout) and its managed containerd before it exits
        for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            warn "docker: dockerd did not stop within 60s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "docker: stopped"
    elif docker_answers >/dev/null; then
        say "docker: the engine at ${DOCKER_HOST:-unix://$DOCKER_SOCKET} was not started by this script; leaving it"
    else
        say "docker: not running"
    fi
}

docker_status() {
    local version
    if version="$(docker_answers)" && [ -n "$version" ]; then
        echo "docker: running engine $version at ${DOCKER_HOST:-unix://$DOCKER_SOCKET}$(docker_pid >/dev/null || echo " (not started by services.sh)")"
    else
        echo "docker: stopped (${DOCKER_HOST:-unix://$DOCKER_SOCKET})"; return 1
    fi
}
