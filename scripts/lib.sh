# shellcheck shell=bash
# Shared helpers for scripts/services.sh and scripts/test.sh. Source it; do not run it.

SUPERVISOR_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

SUPERVISOR_RABBIT_MGMT='http://guest:guest@127.0.0.1:15672'

say()  { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die()  { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# now_ms: wall clock in milliseconds.
now_ms() { date +%s%3N; }

# fmt_ms MS: "12.3s"
fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# apt_install PACKAGE...: non-interactive, without recommends; updates the package lists when there are none, and again after a failure.
APT_LOG=""
# Debian's faketime (libfaketime), for the fault campaign's worker with a skewed clock (tests/.../Nemesis); a warning
# when it cannot be installed: the campaign then skips that one fault and says so.
ensure_faketime() {
    compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' >/dev/null && return 0
    apt_install faketime || warn "faketime could not be installed: the fault campaign will skip its skewed-clock fault"
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$SUPERVISOR_REPO/.data"
    APT_LOG="$SUPERVISOR_REPO/.data/apt.log"
    local opts=(-y -q --no-install-recommends --no-upgrade -o DPkg::Lock::Timeout=600
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    say "apt: installing $*"
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        apt-get update -q >>"$APT_LOG" 2>&1 || { tail -n 20 "$APT_LOG" >&2; die "apt-get update failed (log: $APT_LOG)"; }
    fi
    if ! apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1; then
        say "apt: install failed, running apt-get update and retrying"
        apt-get update -q >>"$APT_LOG" 2>&1 || true
        apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1 || {
            tail -n 20 "$APT_LOG" >&2; return 1; }
    fi
}
