#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The offline dry run against kmod, natively on the build host (no VM, no daemon):
# `modctl load --dry-run -S VERSION X` vs `modprobe -D -S VERSION X` over the same installed
# module tree, for a module with a dependency chain, a dependency-free one and an alias.
#
#   tests/bench/dryrun-native.sh BUILDDIR [VERSION]
#
# VERSION defaults to the running kernel if /lib/modules/$(uname -r) has an index, else to the
# first installed tree. Prints the host's load average before and after, checks that both
# print the same plan for every request, runs a warm-up round and then BENCH_ROUNDS (10)
# alternating rounds of BENCH_RUNS (20) runs per request, and prints per request the median
# of the round medians (timeit, tests/bench/timeit.c) and the ratio modctl / modprobe (goal:
# at most 1.0). Then a system-call table per request (strace -f -c; counts do not depend on
# the load). Timed figures are only worth quoting with no VM running on the host.
set -eu

build=${1:?usage: $0 BUILDDIR [VERSION]}
modctl=$(realpath "$build/client/modctl")
rounds=${BENCH_ROUNDS:-10}
runs=${BENCH_RUNS:-20}
src=$(dirname "$(realpath "$0")")

if [ $# -ge 2 ]; then
        ver=$2
elif [ -e "/lib/modules/$(uname -r)/modules.dep.bin" ]; then
        ver=$(uname -r)
else
        ver=$(ls /lib/modules | head -n 1)
fi
[ -e "/lib/modules/$ver/modules.dep.bin" ] || { echo "no module index in /lib/modules/$ver" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/timeit" "$src/timeit.c"

requests="snd-hda-intel dummy fs-overlay"
echo "host: $(uname -r), tree $ver, $(nproc) cpus, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

for r in $requests; do
        "$modctl" load --dry-run -S "$ver" "$r" > "$tmp/a" 2>&1 || { echo "modctl failed on $r" >&2; exit 1; }
        modprobe -D -S "$ver" "$r" > "$tmp/b" 2>&1 || { echo "modprobe failed on $r" >&2; exit 1; }
        cmp -s "$tmp/a" "$tmp/b" || { echo "plans differ for $r:" >&2; diff "$tmp/b" "$tmp/a" >&2; exit 1; }
done

med() {
        printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
one() {
        "$tmp/timeit" -n "$runs" -w 1 -- "$@" | sed -n 's/.*median_us=\([0-9]*\).*/\1/p'
}

for r in $requests; do
        ours= theirs=
        for round in $(seq 0 "$rounds"); do
                a=$(one "$modctl" load --dry-run -S "$ver" "$r")
                b=$(one modprobe -D -S "$ver" "$r")
                [ "$round" = 0 ] && continue   # warm-up
                ours="$ours $a" theirs="$theirs $b"
        done
        m1=$(med "$ours") m2=$(med "$theirs")
        echo "BENCH dry-run-native request=$r rounds=$rounds modctl_median_us=$m1 modprobe_median_us=$m2" \
             "ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if command -v strace > /dev/null; then
        for r in $requests; do
                strace -f -c -o "$tmp/sa" "$modctl" load --dry-run -S "$ver" "$r" > /dev/null
                strace -f -c -o "$tmp/sb" modprobe -D -S "$ver" "$r" > /dev/null
                echo "system calls for $r (strace -f -c): syscall modprobe modctl"
                awk 'FNR == 1 { f++ }
                     $1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { c[$NF, f] = $4; n[$NF] = 1 }
                     END { for (s in n) { printf "%-16s %5d %5d\n", s, c[s, 2], c[s, 1]; ta += c[s, 2]; tb += c[s, 1] }
                           printf "%-16s %5d %5d\n", "(total)", ta, tb }' "$tmp/sa" "$tmp/sb" | sort -k1,1
        done
fi
