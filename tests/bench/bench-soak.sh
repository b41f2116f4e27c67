#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Soak: SOAK_SEC (default 600 s) of mixed work in one VM boot, to show that nothing leaks:
#   root loads and unloads (modctl_test_dep with its dependency, snd with soundcore),
#   kernel requests (ip link add ... type veth, which loads veth; and net-pf-14, which
#   resolves to nothing), and bus reads by uid 65534 (List, Info, CheckPolicy, GetManagedObjects).
# Every 60 s it samples modctld's RSS and fd count. Prints:
#   BENCH soak seconds=S ops=N ops_per_sec=R rss_start_kb=A rss_end_kb=B fds_start=C fds_end=D
# and fails if the fd count grew or RSS grew by more than 5 % between the first sample (after
# a warm-up minute) and the last.
. /vm/lib.sh

SOAK_SEC=${SOAK_SEC:-600}
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$MODCTLD_PID/status"; }
fd_count() { ls "/proc/$MODCTLD_PID/fd" | wc -l; }

# Bus readers in the background, for the whole run.
reader() {
        while [ ! -e /tmp/soak-stop ]; do
                $NOBODY modctl list >/dev/null 2>&1
                $NOBODY modctl info snd >/dev/null 2>&1
                $NOBODY modctl policy check modctl_test_dep >/dev/null 2>&1
                $NOBODY busctl --system call org.modctl1 /org/modctl1 org.freedesktop.DBus.ObjectManager \
                        GetManagedObjects >/dev/null 2>&1
                echo r >> /tmp/soak-reads
        done
}
rm -f /tmp/soak-stop /tmp/soak-reads
reader &
READER=$!

ops=0
failed=0
one_round() {
        modctl load modctl_test_dep >/dev/null 2>&1 || failed=$((failed + 1))
        modctl unload -r modctl_test_dep >/dev/null 2>&1 || failed=$((failed + 1))
        modctl load snd >/dev/null 2>&1 || failed=$((failed + 1))
        modctl unload -r snd >/dev/null 2>&1 || failed=$((failed + 1))
        ip link add sv0 type veth peer name sv1 >/dev/null 2>&1 || failed=$((failed + 1))
        ip link del sv0 >/dev/null 2>&1
        modctl unload veth >/dev/null 2>&1
        kreq socket 14 1 >/dev/null 2>&1
        ops=$((ops + 8))
}

start=$(date +%s)
# Warm-up minute: caches, allocator arenas, the first inspector and worker threads.
while [ $(( $(date +%s) - start )) -lt 60 ]; do one_round; done
RSS0=$(rss_kb); FD0=$(fd_count)
diag "after warm-up: RSS ${RSS0} kB, ${FD0} fds"
ops=0
t0=$(date +%s)
next=$((t0 + 60))
while [ $(( $(date +%s) - t0 )) -lt "$SOAK_SEC" ]; do
        one_round
        if [ "$(date +%s)" -ge "$next" ]; then
                diag "t=$(( $(date +%s) - t0 )) s: RSS $(rss_kb) kB, $(fd_count) fds, $ops ops"
                next=$((next + 60))
        fi
done
t1=$(date +%s)
touch /tmp/soak-stop
wait "$READER"
RSS1=$(rss_kb); FD1=$(fd_count)
reads=$(wc -l < /tmp/soak-reads)
secs=$((t1 - t0))
total=$((ops + 4 * reads))
echo "BENCH soak seconds=$secs ops=$total ops_per_sec=$(awk -v o=$total -v s=$secs 'BEGIN { printf "%.1f", o / s }') rss_start_kb=$RSS0 rss_end_kb=$RSS1 fds_start=$FD0 fds_end=$FD1 failed_ops=$failed"
daemon_alive
check "modctld is still up after ${secs} s"
[ "$FD1" -le "$FD0" ]
check "the fd count stayed flat ($FD0 -> $FD1)"
[ "$RSS1" -le $((RSS0 + RSS0 / 20)) ]
check "RSS stayed within 5 % ($RSS0 -> $RSS1 kB)"
assert_eq 0 "$failed" "every root operation succeeded"
stop_modctld
check "modctld stops cleanly"
vm_finish
