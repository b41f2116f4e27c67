#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the project's Debian package for Debian 13 (trixie) in a trixie chroot: mmdebstrap makes
# a "buildd" root with the package's Build-Depends from Debian's registry, copies the source in,
# runs dpkg-buildpackage there and copies the .deb out. Nothing of trixie touches the host, and
# the host (Debian 12) needs only mmdebstrap. Prints the path of the .deb.
#
#   build-deb-trixie.sh SRCDIR OUTDIR
set -euo pipefail

die() { echo "build-deb-trixie: $*" >&2; exit 1; }

src=$(realpath "$1")
out=$(realpath -m "$2")
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (scripts/install-deps)"
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)

# debian/control's Build-Depends, without version constraints (trixie satisfies them all).
# Comment lines go, and so do build profiles (<!nocheck>) and architecture lists ([amd64]).
deps=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' "$src/debian/control" | sed '$d' | grep -v '^#' \
        | sed -e 's/^Build-Depends://' -e 's/([^)]*)//g' -e 's/<[^>]*>//g' -e 's/\[[^]]*\]//g' \
        | tr ',' '\n' | sed 's/[[:space:]]//g' \
        | grep -v '^$' | paste -sd, -)
[[ -n $deps ]] || die "no Build-Depends in $src/debian/control"

# The chroot's packages are kept between builds (as mmdebstrap(1) shows with sync-in and
# sync-out): apt checks each cached .deb against the signed lists' hashes before it uses it, and
# autoclean drops those the registry no longer offers. Cache: $MODCTL_SYSTEM_CACHE/debs-trixie.
# One build at a time uses it, and nothing of OUTDIR is touched before this build's turn.
debcache=${MODCTL_SYSTEM_CACHE:-/var/cache/modctl-system}/debs-trixie
mkdir -p "$debcache"
exec 9>"$debcache.lock"
flock 9

rm -rf "$out/trixie"
mkdir -p "$out/trixie/src"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' --exclude=node_modules -cf - . \
        | tar -C "$out/trixie/src" -xf -

start=$(date +%s)
mmdebstrap --variant=buildd --mode=root --format=null --include="$deps" --quiet \
        --skip=essential/unlink \
        --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
        --setup-hook="sync-in '$debcache' /var/cache/apt/archives" \
        --customize-hook='chroot "$1" apt-get -qq autoclean' \
        --customize-hook="rm -rf '$debcache' && mkdir '$debcache'" \
        --customize-hook="sync-out /var/cache/apt/archives '$debcache'" \
        --customize-hook='mkdir -p "$1/build/modctl"' \
        --customize-hook="sync-in '$out/trixie/src' /build/modctl" \
        --customize-hook='chroot "$1" sh -c "cd /build/modctl && DEB_BUILD_OPTIONS=\"nocheck parallel=$(nproc)\" dpkg-buildpackage -b -us -uc" > "$1/build/dpkg-buildpackage.log" 2>&1 || { tail -40 "$1/build/dpkg-buildpackage.log" >&2; exit 1; }' \
        --customize-hook="sync-out /build '$out/trixie/out'" \
        trixie /dev/null \
        "deb http://deb.debian.org/debian trixie main" \
        "deb http://deb.debian.org/debian-security trixie-security main" >&2 \
        || die "building in the trixie chroot failed (log: $out/trixie/out/dpkg-buildpackage.log if it got that far)"
echo "build-deb-trixie: built in $(( $(date +%s) - start )) s" >&2
deb=$(ls "$out"/trixie/out/modctl_"$version"_*.deb 2>/dev/null | head -n1)
[[ -n $deb ]] || die "no modctl_${version}_*.deb came out"
echo "$deb"
