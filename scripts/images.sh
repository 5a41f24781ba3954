#!/usr/bin/env bash
# Builds, from local files only (no registry is reachable from these machines), the images the tests and the
# compose stack use, on the Docker engine of scripts/services.sh (started here when it is not running).
#
#   scripts/images.sh test-base   supervisor-test-base:1: busybox (Debian's busybox-static) with /bin/sh, /tmp and
#                                 /workspace; what container-isolated agents run in during tests
#   scripts/images.sh dotnet      supervisor-dotnet-sdk:<sdk> and supervisor-dotnet-aspnet:<runtime>: a minimal
#                                 Debian (debootstrap from the Debian mirror apt uses, with git and the .NET native
#                                 dependencies) plus this machine's own .NET installation; stand-ins for the official
#                                 mcr.microsoft.com/dotnet/sdk and aspnet images
#   scripts/images.sh app         supervisor-service:local and supervisor-worker:local from compose/Dockerfile, built on
#                                 the images of "dotnet" (always rebuilt; Docker's layer cache keeps it quick)
#   scripts/images.sh postgres    supervisor-postgres:15: Debian's postgresql-15 on that minimal Debian, with an entrypoint
#                                 that honours POSTGRES_USER/PASSWORD/DB as the official postgres image does
#                                 (scripts/images/postgres); for Testcontainers' PostgreSqlBuilder and compose/
#   scripts/images.sh rabbitmq    supervisor-rabbitmq:3.10: Debian's rabbitmq-server with the management plugin, logs on
#                                 stdout, RABBITMQ_DEFAULT_USER/PASS (scripts/images/rabbitmq); for RabbitMqBuilder and compose/
#   scripts/images.sh all         all of the above
#
# Every step but "app" is skipped when its image already exists (postgres, rabbitmq: built from the same recipe;
# SUPERVISOR_IMAGES_FORCE=1 rebuilds).
# Prints "IMAGE=<name>" lines for what it built or found, last.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/docker-engine.sh
. "$(dirname "${BASH_SOURCE[0]}")/docker-engine.sh"
REPO="$SUPERVISOR_REPO"

TEST_BASE=supervisor-test-base:1
POSTGRES_IMAGE=supervisor-postgres:15
RABBITMQ_IMAGE=supervisor-rabbitmq:3.10
WORK="$REPO/.data/images"
FORCE="${SUPERVISOR_IMAGES_FORCE:-0}"
BUILT=()

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

have_image() { [ "$FORCE" != 1 ] && docker_cli image inspect "$1" >/dev/null 2>&1; }

dotnet_root() {
    local d
    for d in "${DOTNET_ROOT:-}" /usr/share/dotnet /usr/lib/dotnet /opt/dotnet "$HOME/.dotnet"; do
        [ -n "$d" ] && [ -x "$d/dotnet" ] && [ -d "$d/shared/Microsoft.AspNetCore.App" ] && { echo "$d"; return 0; }
    done
    command -v dotnet >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v dotnet)")"
}

# --- supervisor-test-base -------------------------------------------------------------------

build_test_base() {
    if have_image "$TEST_BASE"; then BUILT+=("$TEST_BASE"); return 0; fi
    # Debian's plain "busybox" is linked dynamically and would not run in an image without a libc
    if ! [ -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
        apt_install busybox-static || die "images: apt-get install busybox-static failed (log: $APT_LOG)"
    fi
    local root="$WORK/test-base" applet
    rm -rf "$root"
    mkdir -p "$root"/{bin,etc,tmp,workspace,root}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    say "images: importing $TEST_BASE"
    tar --numeric-owner -C "$root" -c . |
        docker_cli import -c 'ENV PATH=/bin' -c 'WORKDIR /workspace' -c 'CMD ["/bin/sh"]' - "$TEST_BASE" >/dev/null
    rm -rf "$root"
    BUILT+=("$TEST_BASE")
}

# --- .NET base images -----------------------------------------------------------------------

DEBIAN_IMAGE="" SDK_IMAGE="" ASPNET_IMAGE=""

debian_names() {
    # shellcheck disable=SC1091
    SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
    # the suffix is the recipe's revision: bump it when this script changes what goes into the image
    DEBIAN_IMAGE="supervisor-debian:$SUITE-1"
}

dotnet_names() {
    local root; root="$(dotnet_root)" || die "images: no .NET installation found (needs the SDK and the ASP.NET Core runtime)"
    DOTNET_DIR="$root"
    local sdk runtime
    sdk="$(ls "$root/sdk" | sort -V | tail -n 1)"
    runtime="$(ls "$root/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)"
    [ -n "$sdk" ] && [ -n "$runtime" ] || die "images: $root has no SDK or no ASP.NET Core runtime"
    debian_names
    # the suffix is the recipe's revision: bump it when this script changes what goes into the image
    SDK_IMAGE="supervisor-dotnet-sdk:$sdk-1"
    ASPNET_IMAGE="supervisor-dotnet-aspnet:$runtime-1"
}

debian_mirror() {
    local uri
    uri="$(grep -hs -m1 -E '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true)"
    [ -n "$uri" ] || uri="$(grep -hs -m1 -E '^deb .*/debian/? ' /etc/apt/sources.list | awk '{print $2}' || true)"
    echo "${uri:-http://deb.debian.org/debian}"
}

build_debian() {
    if have_image "$DEBIAN_IMAGE"; then return 0; fi
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap || die "images: apt-get install debootstrap failed (log: $APT_LOG)"
    local root="$WORK/debian" mirror icu ssl
    mirror="$(debian_mirror)"
    # the names of the ICU and OpenSSL libraries this machine's .NET runs with
    icu="$(dpkg-query -W -f='${Package}\n' 'libicu[0-9]*' 2>/dev/null | head -n 1)"
    ssl="$(dpkg-query -W -f='${Package}\n' 'libssl[0-9]*' 2>/dev/null | grep -v -- -dev | head -n 1)"
    rm -rf "$root"
    say "images: debootstrap $SUITE from $mirror (about a minute)"
    debootstrap --variant=minbase --include="ca-certificates,git,tzdata,${icu:-libicu72},${ssl:-libssl3}" \
        "$SUITE" "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -n 20 "$WORK/debootstrap.log" >&2; die "images: debootstrap failed (log: $WORK/debootstrap.log)"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
    say "images: importing $DEBIAN_IMAGE"
    tar --numeric-owner -C "$root" -c . | docker_cli import -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$root"
}

# build_dotnet TAG PARTS...: FROM the Debian image, with the named parts of the local .NET installation
build_dotnet() {
    local tag="$1"; shift
    if have_image "$tag"; then return 0; fi
    local ctx="$WORK/ctx-${tag//[:\/]/-}"
    rm -rf "$ctx"
    mkdir -p "$ctx/dotnet"
    local part
    for part in "$@"; do cp -al "$DOTNET_DIR/$part" "$ctx/dotnet/" 2>/dev/null || cp -a "$DOTNET_DIR/$part" "$ctx/dotnet/"; done
    # This machine's trust store, so that a restore inside a build reaches NuGet through whatever this machine
    # trusts (a proxy's own certificate authority, for one), as the host's own restore does.
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
    cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 APP_UID=1654
EOF
    say "images: building $tag"
    DOCKER_BUILDKIT=0 docker_cli build -t "$tag" "$ctx" >"$WORK/build-base.log" 2>&1 ||
        { tail -n 20 "$WORK/build-base.log" >&2; die "images: building $tag failed (log: $WORK/build-base.log)"; }
    rm -rf "$ctx"
}

build_dotnet_bases() {
    dotnet_names
    build_debian
    build_dotnet "$SDK_IMAGE" dotnet host sdk shared packs sdk-manifests templates
    build_dotnet "$ASPNET_IMAGE" dotnet host shared
    BUILT+=("$SDK_IMAGE" "$ASPNET_IMAGE")
}

# --- PostgreSQL and RabbitMQ from Debian's packages --------------------------------------------

# build_service NAME TAG: scripts/images/NAME/Dockerfile on the minimal Debian; its packages come from the Debian mirror
# debootstrap used. The image carries a hash of its recipe (that directory), so a changed recipe is rebuilt.
build_service() {
    local name="$1" tag="$2" dir="$REPO/scripts/images/$1" recipe
    recipe="$(cd "$dir" && cat -- * | sha1sum | cut -c1-12)"
    if [ "$FORCE" != 1 ] &&
        [ "$(docker_cli image inspect -f '{{index .Config.Labels "org.supervisor.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
        BUILT+=("$tag"); return 0
    fi
    debian_names
    build_debian
    say "images: building $tag (apt-get install from the Debian mirror, about a minute)"
    # --network host: apt reaches the mirror the way this machine does
    DOCKER_BUILDKIT=0 docker_cli build --network host --build-arg "BASE=$DEBIAN_IMAGE" --label "org.supervisor.recipe=$recipe" \
        -t "$tag" "$dir" >"$WORK/build-$name.log" 2>&1 ||
        { tail -n 30 "$WORK/build-$name.log" >&2; die "images: building $tag failed (log: $WORK/build-$name.log)"; }
    BUILT+=("$tag")
}

# --- the Supervisor images ------------------------------------------------------------------

build_app() {
    build_dotnet_bases
    local target
    # the build stage is tagged too, so that its restore layer stays cached and older builds can be pruned
    for target in build service worker; do
        say "images: building supervisor-$target:local (compose/Dockerfile, target $target)"
        # --network host: the restore inside the build reaches NuGet the way this machine does
        DOCKER_BUILDKIT=0 docker_cli build --network host -f "$REPO/compose/Dockerfile" --target "$target" \
            --build-arg "SDK_IMAGE=$SDK_IMAGE" --build-arg "BASE=$ASPNET_IMAGE" \
            --build-arg "NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}" \
            -t "supervisor-$target:local" "$REPO" >"$WORK/build-$target.log" 2>&1 ||
            { tail -n 40 "$WORK/build-$target.log" >&2; die "images: building supervisor-$target:local failed (log: $WORK/build-$target.log)"; }
        [ "$target" = build ] || BUILT+=("supervisor-$target:local")
    done
    # earlier builds of these images, now untagged
    docker_cli image prune -f --filter label=org.supervisor.image >/dev/null
}

# ---------------------------------------------------------------------------------------------

[ $# -eq 1 ] || usage
[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, runs debootstrap, talks to the Docker engine)"
mkdir -p "$WORK"
docker_up >/dev/null
t0=$(now_ms)
case "$1" in
    test-base) build_test_base ;;
    dotnet) build_dotnet_bases ;;
    app) build_app ;;
    postgres) build_service postgres "$POSTGRES_IMAGE" ;;
    rabbitmq) build_service rabbitmq "$RABBITMQ_IMAGE" ;;
    all) build_test_base; build_service postgres "$POSTGRES_IMAGE"; build_service rabbitmq "$RABBITMQ_IMAGE"; build_app ;;
    *) usage ;;
esac
say "images: done in $(fmt_ms $(($(now_ms) - t0)))"
for image in "${BUILT[@]}"; do echo "IMAGE=$image"; done
