#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CLI's goals (issue 14), in one VM boot, modctl and its kmod contender in that same
# boot (one after the other), as root (so modctl uses modctld's private socket):
#   load:      `modctl load dummy` vs `insmod dummy.ko` (goal <= 1.15), rmmod between runs
#   list:      `modctl list` vs `lsmod` (goal <= 1.2)
#   modprobe:  `modctl modprobe dummy` vs kmod's `modprobe dummy` (goal <= 1.1), rmmod between runs
# and, to show what the private socket saves, `modctl load dummy` over the system bus, and
# what process start costs: `modctl --version` vs `insmod --version`.
# Each pair takes turns: a warm-up round of each, then BENCH_ROUNDS (default 10) alternating
# rounds of BENCH_PER (default 3) runs each; a figure is the median of its round medians.
# Each prints BENCH <what> modctl_median_us=N <tool>_median_us=N ratio=R (modctl / tool)
# rounds=N, then the round medians.
. /vm/lib.sh

ROUNDS=${BENCH_ROUNDS:-10}
PER=${BENCH_PER:-3}

median_of() {
        sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# alternate WHAT TOOL AFTER OURS THEIRS: OURS and THEIRS are commands (one string each, split
# by the shell); AFTER runs after every run of both ("" for none). Round 0 is the warm-up.
alternate() {
        local what=$1 tool=$2 after=$3 ours=$4 theirs=$5 round a b ok=1
        : > /tmp/alt.ours; : > /tmp/alt.theirs
        for round in $(seq 0 "$ROUNDS"); do
                # shellcheck disable=SC2086
                if [ -n "$after" ]; then
                        a=$(timeit -n "$PER" -w 0 -a "$after" -- $ours) || ok=0
                        b=$(timeit -n "$PER" -w 0 -a "$after" -- $theirs) || ok=0
                else
                        a=$(timeit -n "$PER" -w 0 -- $ours) || ok=0
                        b=$(timeit -n "$PER" -w 0 -- $theirs) || ok=0
                fi
                [ "$round" -eq 0 ] && continue
                median "$a" >> /tmp/alt.ours
                median "$b" >> /tmp/alt.theirs
        done
        a=$(median_of /tmp/alt.ours) b=$(median_of /tmp/alt.theirs)
        if [ "$ok" -eq 1 ] && [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt 0 ]; then
                echo "BENCH $what modctl_median_us=$a ${tool}_median_us=$b" \
                     "ratio=$(awk -v x="$a" -v y="$b" 'BEGIN { printf "%.2f", x / y }') rounds=$ROUNDS" \
                     "modctl_rounds=$(tr '\n' ' ' < /tmp/alt.ours)${tool}_rounds=$(tr '\n' ' ' < /tmp/alt.theirs)"
                pass "benchmark $what ($ROUNDS alternating rounds of $PER runs)"
        else
                fail "benchmark $what"
        fi
}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

ko=$(modprobe -D dummy | sed -n 's/^insmod \([^ ]*\).*/\1/p')
unload_quietly dummy

run modctl -v list
assert_stderr_contains "over the private socket" "root's modctl uses the private socket"

alternate load insmod "rmmod dummy" "modctl load dummy" "insmod $ko"
alternate modprobe modprobe "rmmod dummy" "modctl modprobe dummy" "modprobe dummy"

for m in snd bridge nf_tables overlay fuse loop tun veth e1000; do
        modprobe "$m"
done
echo "# listing $(wc -l < /proc/modules) modules"
alternate list lsmod "" "modctl list" "lsmod"

# Over the system bus (no private socket) against the private socket.
alternate load-over-bus load-private "rmmod dummy" "env MODCTL_PRIVATE_SOCKET=/run/modctl/none modctl load dummy" \
        "env MODCTL_PRIVATE_SOCKET=/run/modctl/private modctl load dummy"
assert_not_loaded dummy "the load benchmarks cleaned up"

alternate exec insmod-version "" "modctl --version" "insmod --version"

stop_modctld
vm_finish
