#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot benchmarks, in one VM boot (2 vCPUs, TCG):
#   boot:     a boot list of 38 modules with shared dependencies (network, netfilter,
#             filesystems, crypto, sound) in /etc/modules-load.d. modctld from exec to READY=1
#             (which it sends once the boot list is loaded) vs `modprobe -a LIST` (sequential,
#             what systemd-modules-load does) vs `xargs -P2 -n1 modprobe` on the same list.
#             Everything the list loaded is unloaded between runs.
#   coldplug: drivers for the emulated devices (intel-hda, e1000, virtio-rng): modctld's
#             coldplug batch (its AutoloadFinished time) vs the kmod equivalent of a udev-less
#             coldplug, `find /sys/devices -name modalias | ... | xargs modprobe -a -q`.
# Each prints: BENCH <what> modctl_median_us=N <tool>_median_us=N ratio=R (ratio = tool / modctl,
# so above 1 means modctl is faster). The contenders take turns within each round, so a change in
# the host's load hits them alike; medians of BENCH_RUNS rounds (default 7) after a warm-up round.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-7}
LIST="veth bridge 8021q bonding tun macvlan ipvlan vxlan geneve wireguard
nf_tables nft_ct nft_chain_nat nf_conntrack nf_nat ip_tables iptable_filter iptable_nat
xt_conntrack overlay fuse squashfs isofs udf vfat loop nbd zram ext4 crc32c_generic
cryptd aesni_intel snd-aloop snd-dummy uinput tcp_bbr sch_netem"
LIST=$(echo $LIST)
echo "# boot list: $(echo $LIST | wc -w) modules, on $(nproc) CPUs"

start_system_bus
check "dbus-daemon --system is up"

# Events from modctld, through `modctl monitor` (started once, read as lines arrive).
rm -f /run/events.fifo /run/monitor-ready.fifo
mkfifo /run/events.fifo /run/monitor-ready.fifo
modctl monitor > /run/events.fifo 2> /run/monitor-ready.fifo &
MON_PID=$!
exec 8< /run/events.fifo
exec 9< /run/monitor-ready.fifo
read -t 30 -r line <&9
assert_contains "$line" "Monitoring" "modctl monitor is listening"

# wait_finished BATCH: prints the batch's duration in microseconds from its AutoloadFinished.
wait_finished() {
        local line
        while read -t 300 -r line <&8; do
                case $line in
                "finished  $1:"*)
                        echo "$line" > /tmp/last-finished
                        echo "$line" | sed -n 's/.* in \([0-9]*\) ms$/\1/p'
                        return 0 ;;
                esac
        done
        return 1
}

# Unload every module that was not loaded in the baseline: rmmod what has no users, repeat
# until nothing more goes (dependencies become free as their users leave).
cat > /tmp/unload-extra.sh <<'EOS'
#!/bin/sh
for round in $(seq 1 20); do
        extra=$(awk 'FILENAME == ARGV[1] { base[$1] = 1; next } !($1 in base) && $3 == 0 { print $1 }' /tmp/baseline /proc/modules)
        [ -n "$extra" ] || exit 0
        for m in $extra; do rmmod "$m" 2>/dev/null; done
done
awk 'FILENAME == ARGV[1] { base[$1] = 1; next } !($1 in base) { print "still loaded: " $1 }' /tmp/baseline /proc/modules >&2
exit 1
EOS
cat > /tmp/daemon-start.sh <<'EOS'
#!/bin/sh
notify-start --timeout 300 --log /tmp/bench-modctld.log --pidfile /run/modctld.pid -- /usr/sbin/modctld > /dev/null
EOS
cat > /tmp/daemon-stop.sh <<'EOS'
#!/bin/sh
pid=$(cat /run/modctld.pid)
kill "$pid" && notify-start --wait-exit "$pid" --timeout 60
EOS
chmod +x /tmp/unload-extra.sh /tmp/daemon-start.sh /tmp/daemon-stop.sh

median_of() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# report WHAT TOOL OURS_US THEIRS_US
report() {
        if [ -n "$3" ] && [ -n "$4" ] && [ "$3" -gt 0 ]; then
                echo "BENCH $1 modctl_median_us=$3 ${2}_median_us=$4 ratio=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.2f", b / a }')"
                pass "benchmark $1 vs $2"
        else
                fail "benchmark $1 vs $2"
                diag "modctl: $3 $2: $4"
        fi
}

# ---- coldplug (first: nothing is loaded yet, so this is the state at boot)
: > /tmp/baseline
cp /proc/modules /tmp/baseline.raw
cut -d' ' -f1 /tmp/baseline.raw > /tmp/baseline
cold= kcold=
for i in $(seq 0 "$RUNS"); do
        /tmp/unload-extra.sh || fail "unloading the device drivers"
        /tmp/daemon-start.sh || { fail "modctld starts"; break; }
        ms=$(wait_finished coldplug) || { fail "coldplug finishes"; break; }
        /tmp/daemon-stop.sh
        /tmp/unload-extra.sh || fail "unloading the device drivers"
        k=$(timeit -n 1 -w 0 -- sh -c \
                'find /sys/devices -name modalias -exec cat {} + | sort -u | xargs modprobe -a -q -b; true' | \
                sed -n 's/.*median_us=\([0-9]*\).*/\1/p')
        diag "round $i: modctld coldplug batch ${ms} ms ($(cut -d: -f2 /tmp/last-finished)), kmod ${k} us"
        [ "$i" -gt 0 ] || continue
        cold="$cold $((ms * 1000))" kcold="$kcold $k"
done
/tmp/unload-extra.sh
/tmp/daemon-start.sh && wait_finished coldplug > /dev/null && /tmp/daemon-stop.sh
assert_loaded e1000 "coldplug loaded e1000"
assert_loaded snd_hda_intel "coldplug loaded snd_hda_intel"
report coldplug modprobe "$(printf '%s\n' $cold | median_of)" "$(printf '%s\n' $kcold | median_of)"

# From here on the device drivers are part of the baseline.
cut -d' ' -f1 /proc/modules > /tmp/baseline

# ---- boot list
modprobe -a $LIST
check "modprobe -a loads the whole list"
for m in $LIST; do
        is_loaded "$m" || grep -q "/$(modname "$m").ko" /lib/modules/$KVER/modules.builtin || diag "not loaded: $m"
done
/tmp/unload-extra.sh
check "everything the list loaded can be unloaded again"

mkdir -p /etc/modules-load.d
printf '%s\n' $LIST > /etc/modules-load.d/bench.conf
/tmp/daemon-start.sh
check "modctld loads the list and becomes ready"
internal=$(wait_finished boot)
/tmp/daemon-stop.sh
missing=
for m in $LIST; do
        is_loaded "$m" || grep -q "/$(modname "$m").ko" /lib/modules/$KVER/modules.builtin || missing="$missing $m"
done
assert_eq "" "$missing" "modctld loaded the whole list before READY=1"
diag "modctld's own boot batch time: ${internal} ms"

# The three contenders take turns, one run each per round, so that a change in the host's load
# (other VMs on the build machine) hits them alike; the medians are over the rounds.
us() {
        sed -n 's/.*median_us=\([0-9]*\).*/\1/p'
}
printf '%s\n' $LIST > /tmp/bench.list
d_all= s_all= p_all= internal_all=
for i in $(seq 0 "$RUNS"); do
        /tmp/unload-extra.sh || fail "unload before the modctld run"
        d=$(timeit -n 1 -w 0 -- /tmp/daemon-start.sh | us)
        ms=$(wait_finished boot)
        /tmp/daemon-stop.sh
        /tmp/unload-extra.sh || fail "unload before the modprobe -a run"
        s=$(timeit -n 1 -w 0 -- modprobe -a $LIST | us)
        /tmp/unload-extra.sh || fail "unload before the xargs run"
        p=$(timeit -n 1 -w 0 -- sh -c 'xargs -P2 -n1 modprobe < /tmp/bench.list' | us)
        diag "round $i: modctld ${d} us (boot batch:$(cut -d: -f2 /tmp/last-finished)), modprobe -a ${s} us, xargs -P2 ${p} us"
        [ "$i" -gt 0 ] || continue   # round 0 is the warm-up
        d_all="$d_all $d" s_all="$s_all $s" p_all="$p_all $p" internal_all="$internal_all $ms"
done
rm -f /etc/modules-load.d/bench.conf
/tmp/unload-extra.sh

ours=$(printf '%s\n' $d_all | median_of)
diag "modctld boot batch alone (ms, median): $(printf '%s\n' $internal_all | median_of)"
report boot "modprobe_a" "$ours" "$(printf '%s\n' $s_all | median_of)"
report boot "xargs_P2" "$ours" "$(printf '%s\n' $p_all | median_of)"

kill -INT "$MON_PID"
wait "$MON_PID"
vm_finish
