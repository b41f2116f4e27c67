#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the test kernel modules and a module tree for the resolver tests.
#
#   build-fixture.sh SRCDIR OUTDIR [KVER [STAMP]]
#   build-fixture.sh --kernel-release [KVER]   print the release that would be used
#
# KVER defaults to the newest /lib/modules/*/build. Produces:
#   OUTDIR/src/                              a copy of the sources, where kbuild runs
#   OUTDIR/root/lib/modules/KVER/extra/*.ko  the test modules
#   OUTDIR/root/lib/modules/KVER/modules.*   depmod indexes; modules.builtin* and
#                                            modules.order copied from the real tree
#   OUTDIR/kernel-release                    KVER
# and touches STAMP when given (for meson's custom_target).
set -eu

pick_kver() {
        if [ -n "${1:-}" ]; then
                echo "$1"
                return
        fi
        for d in /lib/modules/*/build; do
                [ -d "$d" ] && basename "$(dirname "$d")"
        done | sort -V | tail -n 1
}

if [ "${1:-}" = "--kernel-release" ]; then
        pick_kver "${2:-}"
        exit 0
fi

if [ $# -lt 2 ]; then
        echo "Usage: $0 SRCDIR OUTDIR [KVER [STAMP]]" >&2
        exit 2
fi

srcdir=$(cd "$1" && pwd)
mkdir -p "$2"
outdir=$(cd "$2" && pwd)
kver=$(pick_kver "${3:-}")
stamp=${4:-}

if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
        echo "$0: no kernel build directory found (install linux-headers)" >&2
        exit 1
fi

# kbuild writes next to the sources, so never run it in the source tree.
rm -rf "$outdir/src"
mkdir -p "$outdir/src"
cp "$srcdir"/Kbuild "$srcdir"/*.c "$outdir/src/"
make -s -C "/lib/modules/$kver/build" M="$outdir/src" modules

moddir="$outdir/root/lib/modules/$kver"
rm -rf "$outdir/root"
mkdir -p "$moddir/extra"
cp "$outdir"/src/*.ko "$moddir/extra/"
# The real builtin lists, so that lookups of built-in modules behave as on the real kernel.
for f in modules.builtin modules.builtin.modinfo modules.order; do
        if [ -e "/lib/modules/$kver/$f" ]; then
                cp "/lib/modules/$kver/$f" "$moddir/"
        fi
done
# An empty configuration directory keeps the host's /etc/depmod.d out of the fixture.
mkdir -p "$outdir/depmod.d"
depmod -C "$outdir/depmod.d" -b "$outdir/root" "$kver"

echo "$kver" > "$outdir/kernel-release"
if [ -n "$stamp" ]; then
        touch "$stamp"
fi
