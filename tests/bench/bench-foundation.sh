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

ours=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- insmod "$ko")
bench_report load insmod "$ours" "$theirs"
assert_not_loaded dummy "the load benchmark cleaned up"

ours=$(timeit -n "$RUNS" -b "insmod $ko" -- modctl unload dummy)
theirs=$(timeit -n "$RUNS" -b "insmod $ko" -- rmmod dummy)
bench_report unload rmmod "$ours" "$theirs"

# A realistic list: a few dozen modules loaded.
for m in snd bridge nf_tables overlay fuse loop tun veth e1000; do
        modprobe "$m"
done
echo "# listing $(wc -l < /proc/modules) modules"
ours=$(timeit -n "$RUNS" -- modctl list)
theirs=$(timeit -n "$RUNS" -- lsmod)
bench_report list lsmod "$ours" "$theirs"

stop_modctld
vm_finish
