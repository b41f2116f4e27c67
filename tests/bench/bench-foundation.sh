#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Foundation benchmarks, in one VM boot: modctl against kmod's tools for the same work.
#   load:   `modctl load dummy` vs `insmod dummy.ko` (dummy has no dependencies), rmmod between runs
#   unload: `modctl unload dummy` vs `rmmod dummy`, insmod between runs
#   list:   `modctl list` vs `lsmod`
# Each prints one line: BENCH <what> modctl_median_us=N <tool>_median_us=N ratio=R
# (ratio = modctl / tool). Times are medians of BENCH_RUNS runs (default 15) after one warm-up.
# Absolute numbers are from a TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-15}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

dummy=$(modprobe -D dummy | sed 's/ *$//')
case $dummy in
"insmod /"*) ;;
*) fail "dummy resolves to one insmod line"; diag "$dummy"; vm_finish; exit 1 ;;
esac
assert_eq 1 "$(printf '%s\n' "$dummy" | wc -l)" "dummy has no dependencies"
ko=${dummy#insmod }
unload_quietly dummy

median() {
        printf '%s\n' "$1" | sed -n 's/.*median_us=\([0-9]*\).*/\1/p'
}

# bench WHAT OURS_LABEL THEIRS_LABEL -- timeit args for ours ;; timeit args for theirs
report() {
        local what=$1 tool=$2 ours=$3 theirs=$4
        local m1 m2
        m1=$(median "$ours") m2=$(median "$theirs")
        if [ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -gt 0 ]; then
                echo "BENCH $what modctl_median_us=$m1 ${tool}_median_us=$m2 ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
                diag "modctl: $ours"
                diag "$tool: $theirs"
                pass "benchmark $what"
        else
                fail "benchmark $what"
                diag "modctl: $ours"
                diag "$tool: $theirs"
        fi
}

ours=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- insmod "$ko")
report load insmod "$ours" "$theirs"
assert_not_loaded dummy "the load benchmark cleaned up"

ours=$(timeit -n "$RUNS" -b "insmod $ko" -- modctl unload dummy)
theirs=$(timeit -n "$RUNS" -b "insmod $ko" -- rmmod dummy)
report unload rmmod "$ours" "$theirs"

# A realistic list: a few dozen modules loaded.
for m in snd bridge nf_tables overlay fuse loop tun veth e1000; do
        modprobe "$m"
done
echo "# listing $(wc -l < /proc/modules) modules"
ours=$(timeit -n "$RUNS" -- modctl list)
theirs=$(timeit -n "$RUNS" -- lsmod)
report list lsmod "$ours" "$theirs"

stop_modctld
vm_finish
