#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fetch Debian 13 (trixie)'s kernel and kmod into a cache directory, unpacked with dpkg-deb -x
# (nothing is installed on the host), for the busybox VM tier on trixie's kernel.
#
#   fetch-trixie.sh      prints the cache directory on stdout
#
# The directory holds root/ (the unpacked packages: root/boot/vmlinuz-KVER,
# root/lib/modules/KVER, kmod 34's binaries and libraries), kver and versions. It is keyed by
# the package versions the registry offers, so a new kernel upload gets a new directory and a
# rerun costs nothing. Cache: $MODCTL_TRIXIE_CACHE, default /var/cache/modctl-trixie.
set -euo pipefail

die() { echo "fetch-trixie: $*" >&2; exit 1; }

MIRRORS=(
        "deb http://deb.debian.org/debian trixie main"
        "deb http://deb.debian.org/debian trixie-updates main"
        "deb http://deb.debian.org/debian-security trixie-security main"
)
# kmod 34 with the libraries it links that differ from bookworm's, for running trixie's own
# modprobe against trixie's tree (with trixie's loader and libc, see resolver-compare).
PACKAGES=(kmod libkmod2 libc6 liblzma5 libzstd1 libssl3t64 zlib1g)

cache=${MODCTL_TRIXIE_CACHE:-/var/cache/modctl-trixie}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc"
printf '%s\n' "${MIRRORS[@]}" > "$apt/etc/sources.list"
opts=(-o Dir::State="$apt" -o Dir::State::Lists="$apt/lists" -o Dir::State::status=/dev/null
      -o Dir::Cache="$apt" -o Dir::Cache::Archives="$apt/archives"
      -o Dir::Etc::SourceList="$apt/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent
      -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/nonexistent
      -o APT::Architecture=amd64 -o Debug::NoLocking=1)
# The lists are refreshed at most once a day.
if [[ -z $(find "$apt/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1) ]]; then
        apt-get "${opts[@]}" -qq update >&2 || die "apt-get update for trixie failed"
fi

# linux-image-amd64 is a metapackage: its one dependency is the versioned kernel package.
image=$(apt-cache "${opts[@]}" depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
[[ -n $image ]] || die "cannot resolve linux-image-amd64 in trixie"
versions=$(for p in "$image" "${PACKAGES[@]}"; do
        printf '%s %s\n' "$p" "$(apt-cache "${opts[@]}" show --no-all-versions "$p" | sed -n 's/^Version: //p' | head -n1)"
done)
key=$(printf '%s\n' "$versions" | sha256sum | cut -c1-16)
dir=$cache/$key
if [[ -s $dir/kver ]]; then
        echo "$dir"
        exit 0
fi

echo "fetch-trixie: fetching $image and kmod into $dir" >&2
debs=$cache/debs-$key
if [[ ! -e $debs/.complete ]]; then
        rm -rf "$debs"
        mkdir -p "$debs"
        (cd "$debs" && apt-get "${opts[@]}" -qq download "$image" "${PACKAGES[@]}" >&2) \
                || die "apt-get download failed"
        touch "$debs/.complete"
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/root"
for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$dir.tmp/root"
done
# trixie is merged-/usr in its packages too (DEP17): the modules are in /usr/lib/modules.
ln -s usr/lib "$dir.tmp/root/lib"
ln -s usr/lib64 "$dir.tmp/root/lib64"
ln -s usr/bin "$dir.tmp/root/bin"
ln -s usr/sbin "$dir.tmp/root/sbin"
kver=$(ls "$dir.tmp/root/boot" | sed -n 's/^vmlinuz-//p' | head -n1)
[[ -n $kver && -d $dir.tmp/root/usr/lib/modules/$kver ]] || die "no kernel in $image"
# depmod, as the package's postinst would run it: trixie's own, run by trixie's loader.
cat > "$dir.tmp/run" <<'RUN'
#!/bin/sh
# run PROGRAM ARGS...: one of trixie's kmod programs (modprobe, depmod, modinfo, ...) with
# trixie's loader and libraries, from wherever this tree lies.
here=$(cd "$(dirname "$0")" && pwd)
prog=$1; shift
exec "$here/root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$here/root/usr/lib/x86_64-linux-gnu" \
        --argv0 "$prog" "$here/root/usr/bin/kmod" "$@"
RUN
chmod 755 "$dir.tmp/run"
"$dir.tmp/run" depmod -b "$dir.tmp/root" "$kver" >&2 || die "trixie's depmod failed"
"$dir.tmp/run" modprobe --version > "$dir.tmp/kmod-version"
printf '%s\n' "$versions" > "$dir.tmp/versions"
echo "$kver" > "$dir.tmp/kver"
mv "$dir.tmp" "$dir"
echo "$dir"
