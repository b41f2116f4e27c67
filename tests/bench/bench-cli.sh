#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CLI's goals (issue 14), in one VM boot, modctl and its kmod contender in that same
# boot (one after the other), as root (so modctl uses modctld's private socket):
#   load:      `modctl load dummy` vs `insmod dummy.ko` (goal <= 1.15), rmmod between runs
#   list:      `modctl list` vs `lsmod` (goal <= 1.2)
#   modprobe:  `modctl modprobe dummy` vs kmod's `modprobe dummy` (goal <= 1.1), rmmod between runs
# and, to show what the private socket saves, `modctl load dummy` over the system bus, and
# what process start costs: `modctl --version` vs `insmod --version`.
# Each prints BENCH <what> modctl_median_us=N <tool>_median_us=N ratio=R (modctl / tool).
. /vm/lib.sh

RUNS=${BENCH_RUNS:-15}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

ko=$(modprobe -D dummy | sed -n 's/^insmod \([^ ]*\).*/\1/p')
unload_quietly dummy

run modctl -v list
assert_stderr_contains "over the private socket" "root's modctl uses the private socket"

ours=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- insmod "$ko")
bench_report load insmod "$ours" "$theirs"

ours=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl modprobe dummy)
theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- modprobe dummy)
bench_report modprobe modprobe "$ours" "$theirs"

for m in snd bridge nf_tables overlay fuse loop tun veth e1000; do
        modprobe "$m"
done
echo "# listing $(wc -l < /proc/modules) modules"
ours=$(timeit -n "$RUNS" -- modctl list)
theirs=$(timeit -n "$RUNS" -- lsmod)
bench_report list lsmod "$ours" "$theirs"

ours=$(MODCTL_PRIVATE_SOCKET=/run/modctl/none timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
bench_report load-over-bus load-private "$ours" "$theirs"
assert_not_loaded dummy "the load benchmarks cleaned up"

ours=$(timeit -n "$RUNS" -- modctl --version)
theirs=$(timeit -n "$RUNS" -- insmod --version)
bench_report exec insmod-version "$ours" "$theirs"

stop_modctld
vm_finish
