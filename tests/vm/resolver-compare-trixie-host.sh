#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The resolver (libkmod 30, as modctld links it on Debian 12) against Debian 13's own kmod 34
# modprobe -D over trixie's whole module tree, on the build host (no VM: modprobe -D and the
# resolver only read the index and modprobe.d): every module, every built-in, the alias sample
# of requests.sh and compare/cases.txt, with trixie's kmod modprobe.d plus
# compare/modctl-compare.conf (weakdep included). The VM variant (vm-trixie-resolver-compare)
# adds the guest's device modaliases and the coldplug check.
#
#   resolver-compare-trixie-host.sh SOURCE_DIR RESOLVER_COMPARE WORKDIR
set -euo pipefail

die() { echo "resolver-compare-trixie-host: $*" >&2; exit 1; }

source=$1 compare=$2 work=$3
vm=$source/tests/vm
dir=$("$vm/fetch-trixie.sh" 2> >(grep -v 'DirectoryExists' >&2)) || die "cannot fetch trixie's kernel and kmod"
kver=$(cat "$dir/kver")
moddir=$dir/root/lib/modules/$kver

rm -rf "$work"
mkdir -p "$work/conf"
cp "$dir"/root/usr/lib/modprobe.d/*.conf "$work/conf/"
cp "$vm/compare/modctl-compare.conf" "$work/conf/"
printf '#!/bin/sh\nexec %q modprobe "$@"\n' "$dir/run" > "$work/modprobe"
chmod 755 "$work/modprobe"
echo "# kmod: $("$work/modprobe" --version | head -n1), kernel $kver, $(date -u +%Y-%m-%d)"

"$vm/compare/requests.sh" "$moddir" | awk 'length($0) > 0 && !seen[$0]++' > "$work/requests"
cat "$vm/compare/cases.txt" >> "$work/requests"
MODPROBE=$work/modprobe "$vm/compare/run-modprobe.sh" "$work/requests" "$work/kmod.out" "$work/kmod.err" \
        -d "$dir/root" -S "$kver" -C "$work/conf"
# kmod 34 knows the weakdep line and still leaves geneve out of vxlan's plan.
"$work/modprobe" -d "$dir/root" -S "$kver" -C "$work/conf" -c > "$work/modprobe-c"
grep -qx 'weakdep vxlan geneve' "$work/modprobe-c" || die "kmod 34 did not read compare/modctl-compare.conf's weakdep line"

rc=0
MODCTL_COMPARE_MODULES_DIR=$moddir MODCTL_COMPARE_CONFIG=$work/conf \
        "$compare" "$work/requests" "$work/kmod.out" "$work/kmod.err" "$vm/compare/allow.txt" \
        > "$work/compare.out" 2> "$work/compare.err" || rc=$?
grep -v '^resolver-compare:' "$work/compare.out" | head -n 100
grep '^resolver-compare:' "$work/compare.out"
exit "$rc"
