#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the project's Debian package from the source tree with dpkg-buildpackage, in a copy
# below OUTDIR (so the source tree gets no debian/ build droppings), and print the path of
# modctl .deb (cockpit-modctl_VERSION_all.deb is built next to it).
#
#   build-deb.sh SRCDIR OUTDIR
set -euo pipefail

src=$(realpath "$1")
out=$(realpath -m "$2")
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
copy=$out/modctl-$version

rm -rf "$copy" "$out"/modctl_*.deb "$out"/cockpit-modctl_*.deb "$out"/modctl_*.changes "$out"/modctl_*.buildinfo
mkdir -p "$copy"
# Everything but build trees and git metadata.
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' --exclude=node_modules -cf - . | tar -C "$copy" -xf -

(cd "$copy" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) >"$out/dpkg-buildpackage.log" 2>&1 || {
        tail -40 "$out/dpkg-buildpackage.log" >&2
        echo "build-deb: dpkg-buildpackage failed, see $out/dpkg-buildpackage.log" >&2
        exit 1
}
deb=$(ls "$out"/modctl_"$version"_*.deb)
ls "$out"/cockpit-modctl_"$version"_all.deb >/dev/null
echo "$deb"
