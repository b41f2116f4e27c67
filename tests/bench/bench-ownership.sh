#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cost of kernel-enforced ownership, in one VM boot: the same work with the BPF LSM
# programs attached (Ownership=exclusive, KernelRequests=privileged) and without them (the
# defaults: nothing loaded). The two settings take turns in BENCH_ROUNDS (default 10) rounds
# after a warm-up round of each (not counted), modctld restarted for each, so that host load
# weighs on both alike.
#   hook miss: socket() on an address family nothing provides, as root: the kernel runs the
#              kernel_module_request program (a report to modctld for each call under
#              enforcement), then modctl-request, answered from modctld's negative cache
#   load:      `modctl load dummy` (the kernel_read_file program runs for modctld's finit_module)
# Prints: BENCH ownership-hook on_median_us=N off_median_us=N ratio=on/off
#         BENCH ownership-load on_median_us=N off_median_us=N ratio=on/off
# and then, with kernel.bpf_stats_enabled=1 for one more enforced run (not during the rounds:
# the statistics cost two clock reads per program run), the programs' own cost from the
# kernel's accounting (/proc/PID/fdinfo of modctld's program fds), independent of host load:
#         BENCH ownership-progs prog=ID:runs:avg_ns ...
# Absolute numbers are from a TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

ROUNDS=${BENCH_ROUNDS:-10}
PER=${BENCH_PER:-20}
LOADS=${BENCH_LOADS:-8}
FAMILY=14   # AF_SECURITY: reserved, never implemented, no module alias
CONF=/etc/modctl/modctld.conf
mkdir -p /etc/modctl

start_system_bus
check "dbus-daemon --system is up"
unload_quietly dummy

: > /tmp/bench.hook.on; : > /tmp/bench.hook.off; : > /tmp/bench.load.on; : > /tmp/bench.load.off
ok=1
for round in $(seq 0 "$ROUNDS"); do
        for setting in off on; do
                if [ "$setting" = on ]; then
                        printf '[Daemon]\nOwnership=exclusive\n[Policy]\nKernelRequests=privileged\n' > "$CONF"
                else
                        : > "$CONF"
                fi
                start_modctld || { ok=0; break; }
                e=$(busctl get-property org.modctl1 /org/modctl1 org.modctl1.Manager OwnershipEnforcement)
                case $setting/$e in
                on/*'"active'*|off/*'"off"'*) ;;
                *) ok=0; diag "round $round $setting: OwnershipEnforcement $e" ;;
                esac
                h=$(kreq socket "$FAMILY" "$PER") || ok=0
                l=$(timeit -n "$LOADS" -a "rmmod dummy" -- modctl load dummy) || ok=0
                if [ "$round" -gt 0 ]; then     # round 0 is the warm-up
                        median "$h" >> /tmp/bench.hook.$setting
                        median "$l" >> /tmp/bench.load.$setting
                fi
                diag "round $round $setting: hook $h"
                diag "round $round $setting: load $l"
                stop_modctld || ok=0
        done
done
[ "$ok" -eq 1 ]
check "$ROUNDS rounds of $PER hook misses and $LOADS loads, with and without enforcement"
assert_not_loaded dummy "the load benchmark cleaned up"

median_of() {
        sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
for what in hook load; do
        on=$(median_of /tmp/bench.$what.on) off=$(median_of /tmp/bench.$what.off)
        if [ -n "$on" ] && [ -n "$off" ] && [ "$off" -gt 0 ]; then
                echo "BENCH ownership-$what on_median_us=$on off_median_us=$off" \
                     "ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')" \
                     "rounds_on=$(sort -n /tmp/bench.$what.on | tr '\n' ' ')" \
                     "rounds_off=$(sort -n /tmp/bench.$what.off | tr '\n' ' ')"
                pass "benchmark ownership-$what"
        else
                fail "benchmark ownership-$what"
        fi
done

# The programs' own cost, from the kernel's statistics.
printf '[Daemon]\nOwnership=exclusive\n[Policy]\nKernelRequests=privileged\n' > "$CONF"
start_modctld
check "modctld starts for the program statistics"
echo 1 > /proc/sys/kernel/bpf_stats_enabled
kreq socket "$FAMILY" "$PER" > /dev/null
timeit -n "$LOADS" -a "rmmod dummy" -- modctl load dummy > /dev/null
echo 0 > /proc/sys/kernel/bpf_stats_enabled
progs=
for f in /proc/"$MODCTLD_PID"/fdinfo/*; do
        grep -q '^prog_type:[[:space:]]*29$' "$f" 2>/dev/null || continue   # BPF_PROG_TYPE_LSM
        id=$(sed -n 's/^prog_id:[[:space:]]*//p' "$f")
        ns=$(sed -n 's/^run_time_ns:[[:space:]]*//p' "$f")
        cnt=$(sed -n 's/^run_cnt:[[:space:]]*//p' "$f")
        [ -n "$cnt" ] && [ "$cnt" -gt 0 ] || continue
        progs="$progs prog=$id:$cnt:$((ns / cnt))"
done
stop_modctld
if [ -n "$progs" ]; then
        echo "BENCH ownership-progs$progs"
        pass "benchmark ownership-progs (runs and average ns per run of each program)"
else
        fail "benchmark ownership-progs: no program statistics in /proc/PID/fdinfo"
fi

vm_finish
