#!/usr/bin/env bash
# Installs the agent CLIs the shipped profiles drive, at pinned versions, from the npm registry into a prefix:
# $SUPERVISOR_AGENT_CLIS if set; else, run as root, the system prefix /opt/supervisor/agent-clis (agents run as users of
# their own, which cannot enter a clone under /root or `mktemp -d`); else the project-local .data/agent-clis.
# Everything installed is readable by all, and every directory on the way to it must be searchable by all (o+x): the
# script fails naming the one that is not. Idempotent: a CLI already installed at its pinned version is left alone.
# Prints the bin directory to put first on PATH as its last line.
#
#   scripts/install-agent-clis.sh            # claude, codex, gemini, copilot
#   scripts/install-agent-clis.sh claude     # only the named ones
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SYSTEM_PREFIX=/opt/supervisor/agent-clis
if [ -n "${SUPERVISOR_AGENT_CLIS:-}" ]; then
    PREFIX="$SUPERVISOR_AGENT_CLIS"
elif [ "$(id -u)" = 0 ]; then
    PREFIX="$SYSTEM_PREFIX"
else
    PREFIX="$SUPERVISOR_REPO/.data/agent-clis"
fi

# name package version (re-check docs/agents.md after changing a version: the CLIs' headless behaviour changes)
PINNED=(
    "claude @anthropic-ai/claude-code 2.1.197"
    "codex @openai/codex 0.169.0"
    "gemini @google/gemini-cli 0.61.0"
    "copilot @github/copilot 1.0.102"
)

# Debian 12's own nodejs is 18, too old for gemini-cli: Node.js 20+ comes with the machine (NodeSource) or the operator.
command -v npm >/dev/null 2>&1 || die "npm not found; install Node.js 20+ with npm (e.g. from NodeSource), then re-run"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $node_major is too old; the pinned gemini-cli needs Node.js 20+"

wanted=("$@")
mkdir -p "$PREFIX"
for entry in "${PINNED[@]}"; do
    read -r name package version <<<"$entry"
    if [ "${#wanted[@]}" -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$name"; then continue; fi
    manifest="$PREFIX/lib/node_modules/$package/package.json"
    installed=$(node -p "require('$manifest').version" 2>/dev/null || true)
    if [ "$installed" = "$version" ] && [ -x "$PREFIX/bin/$name" ]; then
        say "$name: $package@$version already installed"
        continue
    fi
    say "$name: installing $package@$version into $PREFIX"
    npm install --global --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "$package@$version" ||
        die "$name: npm install $package@$version failed"
    [ -x "$PREFIX/bin/$name" ] || die "$name: $PREFIX/bin/$name missing after install"
done

# Agent users read and run what is installed here; each directory from / down to bin/ must let them through.
chmod -R a+rX "$PREFIX"
dir="$PREFIX/bin"
while :; do
    [ "$(( 0$(stat -L -c '%a' "$dir") & 1 ))" = 1 ] ||
        die "$dir is not searchable by other users (o+x), so agents cannot run the CLIs under $PREFIX; chmod o+x $dir, or install elsewhere (SUPERVISOR_AGENT_CLIS=/opt/supervisor/agent-clis)"
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
done
echo "$PREFIX/bin"
