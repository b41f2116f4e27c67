#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel request latency, in one VM boot: socket() on an address family the kernel lacks makes
# the kernel request "net-pf-N" and wait for kernel.modprobe every time; the name resolves to
# nothing. kreq times the socket() call itself, in-process. Three settings of kernel.modprobe:
#   modctl-request   our helper, asking modctld (a negative-cache hit after the first call)
#   modprobe         kmod's modprobe (-q -- net-pf-N: reads its config and indexes each time)
#   exit0            a static binary that only exits 0: the floor that exec alone costs
# Prints: BENCH hook helper_median_us=H modprobe_median_us=M floor_median_us=F
#         modprobe_over_helper=R helper_over_floor=Q best_round_us=H/M/F
# Absolute numbers are from a TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-200}
FAMILY=14   # AF_SECURITY: reserved, never implemented, no module alias
HELPER=/usr/libexec/modctl/modctl-request

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

# Interleaved rounds: the three settings take turns, so that load on the host (other guests,
# TCG) weighs on all of them alike. Each round times PER calls per setting; a setting's figure
# is the median of its round medians.
ROUNDS=${BENCH_ROUNDS:-10}
PER=$((RUNS / ROUNDS))
before=$(modctl status --json | tr ',{}' '\n\n\n' | sed -n 's/^ *"requests": *\([0-9]*\).*/\1/p')
: > /tmp/bench.helper; : > /tmp/bench.modprobe; : > /tmp/bench.floor
ok=1
for round in $(seq "$ROUNDS"); do
        for setting in helper modprobe floor; do
                case $setting in
                helper) echo "$HELPER" ;;
                modprobe) echo /sbin/modprobe ;;
                floor) echo /vm/bin/exit0 ;;
                esac > /proc/sys/kernel/modprobe
                out=$(kreq socket "$FAMILY" "$PER") || ok=0
                median "$out" >> /tmp/bench.$setting
                diag "round $round $setting: $out"
        done
done
echo "$HELPER" > /proc/sys/kernel/modprobe
[ "$ok" -eq 1 ]
check "socket($FAMILY) x $PER x $ROUNDS rounds under each of the three settings"
after=$(modctl status --json | tr ',{}' '\n\n\n' | sed -n 's/^ *"requests": *\([0-9]*\).*/\1/p')
assert_eq "$((PER * ROUNDS))" "$((after - before))" "every socket() call under the helper reached the daemon"
modctl status | sed 's/^/# /'

median_of() {
        sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
h=$(median_of /tmp/bench.helper) m=$(median_of /tmp/bench.modprobe) f=$(median_of /tmp/bench.floor)
hmin=$(sort -n /tmp/bench.helper | head -n1) mmin=$(sort -n /tmp/bench.modprobe | head -n1) fmin=$(sort -n /tmp/bench.floor | head -n1)
if [ -n "$h" ] && [ -n "$m" ] && [ -n "$f" ] && [ "$f" -gt 0 ] && [ "$h" -gt 0 ]; then
        echo "BENCH hook helper_median_us=$h modprobe_median_us=$m floor_median_us=$f" \
             "modprobe_over_helper=$(awk -v a="$m" -v b="$h" 'BEGIN { printf "%.1f", a / b }')" \
             "helper_over_floor=$(awk -v a="$h" -v b="$f" 'BEGIN { printf "%.2f", a / b }')" \
             "best_round_us=$hmin/$mmin/$fmin"
        pass "benchmark hook"
else
        fail "benchmark hook"
fi

stop_modctld
vm_finish
