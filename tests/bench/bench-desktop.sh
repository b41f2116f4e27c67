#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Desktop API benchmarks, in one VM boot, with a few dozen modules loaded:
#   objects:  GetManagedObjects (every module with all its properties, Parameters read from
#             sysfs) vs Manager.List (every module's /proc/modules columns)
#   getall:   Properties.GetAll on one module object vs Manager.Info (modinfo fields) of it
#   churn:    `modctl load dummy` with a client mirroring the objects (a dbus-monitor on the
#             ObjectManager signals) vs `insmod dummy.ko`; rmmod between runs
# Each prints one line: BENCH <what> modctl_median_us=N <baseline>_median_us=N ratio=R.
# Absolute numbers are from a TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-15}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

for m in snd bridge nf_tables overlay fuse loop tun veth e1000; do
        modprobe "$m"
done
echo "# $(wc -l < /proc/modules) modules loaded"

ours=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1 \
        org.freedesktop.DBus.ObjectManager GetManagedObjects)
theirs=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager List)
bench_report objects List "$ours" "$theirs"

ours=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1/module/snd \
        org.freedesktop.DBus.Properties GetAll s org.modctl1.Module)
theirs=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Info s snd)
bench_report getall Info "$ours" "$theirs"

ko=$(modprobe -D dummy | sed 's/ *$//; s/^insmod //')
unload_quietly dummy
if monitor_start "type='signal',sender='org.modctl1',path_namespace='/org/modctl1'"; then
        # Drain the monitor in the background so that it never blocks the bus.
        cat <&7 > /dev/null &
        drain=$!
        ours=$(timeit -n "$RUNS" -a "rmmod dummy" -- modctl load dummy)
        theirs=$(timeit -n "$RUNS" -a "rmmod dummy" -- insmod "$ko")
        bench_report churn insmod "$ours" "$theirs"
        kill $drain 2>/dev/null
        monitor_stop
else
        fail "dbus-monitor attaches"
fi

stop_modctld
vm_finish
