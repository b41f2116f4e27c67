#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel request latency, in one VM boot: socket() on an address family the kernel lacks makes
# the kernel request "net-pf-N" and wait for kernel.modprobe every time; the name resolves to
# nothing. kreq times the socket() call itself, in-process. Three settings of kernel.modprobe:
#   modctl-request   our helper, asking modctld (a negative-cache hit after the first call)
#   modprobe         kmod's modprobe (-q -- net-pf-N: reads its config and indexes each time)
#   exit0            a static binary that only exits 0: the floor that exec alone costs
# Prints: BENCH hook helper_median_us=H modprobe_median_us=M floor_median_us=F
#         modprobe_over_helper=R helper_over_floor=Q
# Absolute numbers are from a TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-200}
FAMILY=14   # AF_SECURITY: reserved, never implemented, no module alias
HELPER=/usr/libexec/modctl/modctl-request

median() {
        printf '%s\n' "$1" | sed -n 's/.*median_us=\([0-9]*\).*/\1/p'
}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"
assert_eq "$HELPER" "$(cat /proc/sys/kernel/modprobe)" "kernel.modprobe names the helper"

# The family must be one nothing provides: no module alias, not registered.
run modprobe -n -q "net-pf-$FAMILY"
assert_eq 1 "$RC" "modprobe finds no module for net-pf-$FAMILY"
run modctl load --dry-run "net-pf-$FAMILY"
assert_eq 1 "$RC" "neither does modctld"

before=$(modctl status --json | tr ',{}' '\n\n\n' | sed -n 's/^ *"requests": *\([0-9]*\).*/\1/p')
helper=$(kreq socket "$FAMILY" "$RUNS")
check "socket($FAMILY) x $RUNS with kernel.modprobe = modctl-request: $helper"
after=$(modctl status --json | tr ',{}' '\n\n\n' | sed -n 's/^ *"requests": *\([0-9]*\).*/\1/p')
assert_eq "$RUNS" "$((after - before))" "every socket() call reached the daemon as a kernel request"
modctl status | sed 's/^/# /'

echo /sbin/modprobe > /proc/sys/kernel/modprobe
modprobe_=$(kreq socket "$FAMILY" "$RUNS")
check "socket($FAMILY) x $RUNS with kernel.modprobe = /sbin/modprobe: $modprobe_"

echo /vm/bin/exit0 > /proc/sys/kernel/modprobe
floor=$(kreq socket "$FAMILY" "$RUNS")
check "socket($FAMILY) x $RUNS with kernel.modprobe = exit0: $floor"

# Again with the helper, now that everything is warm, to see that the order does not matter.
echo "$HELPER" > /proc/sys/kernel/modprobe
helper2=$(kreq socket "$FAMILY" "$RUNS")
check "socket($FAMILY) x $RUNS with kernel.modprobe = modctl-request again: $helper2"

h=$(median "$helper") h2=$(median "$helper2") m=$(median "$modprobe_") f=$(median "$floor")
if [ -n "$h" ] && [ -n "$h2" ] && [ -n "$m" ] && [ -n "$f" ] && [ "$f" -gt 0 ] && [ "$h" -gt 0 ]; then
        echo "BENCH hook helper_median_us=$h helper_again_median_us=$h2 modprobe_median_us=$m floor_median_us=$f" \
             "modprobe_over_helper=$(awk -v a="$m" -v b="$h" 'BEGIN { printf "%.1f", a / b }')" \
             "helper_over_floor=$(awk -v a="$h" -v b="$f" 'BEGIN { printf "%.2f", a / b }')"
        pass "benchmark hook"
else
        fail "benchmark hook"
fi

stop_modctld
vm_finish
