#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or reuse) the cached root file system of the full-system VM suite: a Debian 12 (or,
# with MODCTL_SYSTEM_SUITE=trixie, Debian 13) "apt" variant made by mmdebstrap from Debian's
# registry, as a tar. It is cached outside the source tree, keyed by everything that goes into
# it (suite, mirrors, package list), so a rerun pays nothing here and a different package list
# gets its own file.
#
#   build-base.sh [EXTRA_PACKAGE...]     prints the path of the tar on stdout
#
# EXTRA_PACKAGEs are added to the base list (e.g. "cockpit" for a browser test); the key
# covers them. Cache directory: $MODCTL_SYSTEM_CACHE, default /var/cache/modctl-system.
# Concurrent callers wait on a lock for the one build of the same key.
set -euo pipefail

# MODCTL_SYSTEM_SUITE picks the release: bookworm (Debian 12, the default) or trixie (Debian 13).
SUITE=${MODCTL_SYSTEM_SUITE:-bookworm}
case $SUITE in
bookworm|trixie) ;;
*) echo "build-base: unknown suite '$SUITE' (bookworm or trixie)" >&2; exit 1 ;;
esac
MIRRORS=(
        "deb http://deb.debian.org/debian $SUITE main"
        "deb http://deb.debian.org/debian $SUITE-updates main"
        "deb http://deb.debian.org/debian-security $SUITE-security main"
)
# What every system test needs: the init system and services the issue names, the runtime
# libraries of the modctl package (so `dpkg -i` finds its dependencies without a network), and
# tools the tests call inside the guest. trixie renamed libssl3 for the 64-bit time_t move.
libssl=libssl3
[[ $SUITE == bookworm ]] || libssl=libssl3t64
BASE_PACKAGES=(
        systemd-sysv udev dbus polkitd pkexec kmod iptables procps passwd
        libkmod2 libsystemd0 libudev1 libjson-c5 libinih1 $libssl liblzma5 libzstd1 zlib1g
        iproute2
)
# Bump when the way the tar is made changes, so old caches are not reused.
RECIPE=1

cache=${MODCTL_SYSTEM_CACHE:-/var/cache/modctl-system}
mkdir -p "$cache"

packages=$(printf '%s\n' "${BASE_PACKAGES[@]}" "$@" | sort -u | paste -sd, -)
key=$(printf '%s\n' "recipe $RECIPE" "$SUITE" "${MIRRORS[@]}" "$packages" | sha256sum | cut -c1-16)
tar=$cache/$key.tar

exec 9>"$cache/$key.lock"
flock 9
if [[ -s $tar ]]; then
        echo "$tar"
        exit 0
fi

command -v mmdebstrap >/dev/null || { echo "build-base: mmdebstrap is missing (scripts/install-deps)" >&2; exit 1; }
echo "build-base: building $tar ($packages); this takes a few minutes once" >&2
start=$(date +%s)
mmdebstrap --variant=apt --format=tar --include="$packages" --quiet \
        "$SUITE" "$tar.tmp" "${MIRRORS[@]}" >&2
mv "$tar.tmp" "$tar"
printf '%s\n' "$packages" >"$cache/$key.packages"
echo "build-base: built in $(( $(date +%s) - start )) s" >&2
echo "$tar"
