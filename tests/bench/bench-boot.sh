#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The boot path, in one VM boot (2 vCPUs, TCG): what a machine loads at boot, done by kmod and
# by modctld, from nothing to everything loaded, on the same modules.
#   - a boot list of 23 common names in /etc/modules-load.d (network, netfilter, filesystems,
#     uinput, tcp_bbr), and
#   - the VM's device modaliases (intel-hda, e1000, virtio-rng, and the platform, ACPI, CPU,
#     DMI, serio and input devices that need no module or have theirs built in), as found in
#     /sys/devices once the drivers are bound (so the codec and the virtio device are in).
# kmod:    `modprobe -a LIST`, then `modprobe -a -q -b ALIASES` (what systemd-modules-load and
#          a udev coldplug do, one after the other, without the process start of udevd).
# modctld: exec of /usr/sbin/modctld with that modules-load.d, until its boot list, coldplug
#          and the hotplug events that follow are loaded: start-up, bus connection, index
#          load, udev enumeration, policy (the defaults), plans and inserts all count.
# One stopwatch for both (modwait): from the start of the first process until every module of
# the set is live in /proc/modules, seen at the kernel's module uevents. The set is what both
# load; the test fails if one of them loads a module the other does not. Everything is
# unloaded between runs. The contenders take turns within each round, so a change in the
# host's load hits them alike; medians over BENCH_RUNS rounds (default 5) after a warm-up.
# Prints: BENCH boot-path modctl_median_us=N kmod_median_us=N ratio=R (kmod / modctld, above 1
# means modctld is faster).
. /vm/lib.sh

RUNS=${BENCH_RUNS:-5}
LIST="veth bridge 8021q bonding tun macvlan vxlan wireguard nf_tables nf_conntrack nf_nat
ip_tables iptable_filter iptable_nat overlay fuse squashfs isofs vfat loop zram uinput tcp_bbr"
LIST=$(echo $LIST)

start_system_bus
check "dbus-daemon --system is up"

cut -d' ' -f1 /proc/modules | sort > /tmp/baseline
cat > /tmp/unload-extra.sh <<'EOS'
#!/bin/sh
# Unload every module that was not loaded in the baseline: rmmod what has no users, repeat
# until nothing more goes (dependencies become free as their users leave).
for round in $(seq 1 20); do
        extra=$(awk 'FILENAME == ARGV[1] { base[$1] = 1; next } !($1 in base) && $3 == 0 { print $1 }' /tmp/baseline /proc/modules)
        [ -n "$extra" ] || exit 0
        for m in $extra; do rmmod "$m" 2>/dev/null; done
done
awk 'FILENAME == ARGV[1] { base[$1] = 1; next } !($1 in base) { print "still loaded: " $1 }' /tmp/baseline /proc/modules >&2
exit 1
EOS
chmod +x /tmp/unload-extra.sh
device_aliases() {
        find /sys/devices -name modalias -exec cat {} + 2>/dev/null | sort -u
}
# minus A B / both A B: the lines of file A that are not / also in file B (busybox grep -f
# with an empty pattern file matches every line, so awk).
minus() {
        awk 'FILENAME == ARGV[1] { b[$1] = 1; next } !($1 in b)' "$2" "$1"
}
both() {
        awk 'FILENAME == ARGV[1] { b[$1] = 1; next } $1 in b' "$2" "$1"
}
loaded_set() {
        cut -d' ' -f1 /proc/modules | sort > /tmp/loaded-now
        minus /tmp/loaded-now /tmp/baseline
}

# The device aliases as a booted machine has them: load once, so that the devices behind the
# drivers (hdaudio codec, virtio) show up too, read them again, and load those as well. What
# is loaded then is kmod's set.
modprobe -a $LIST
modprobe -a -q -b $(device_aliases)
device_aliases > /tmp/aliases
modprobe -a -q -b $(cat /tmp/aliases)
loaded_set > /tmp/kmod-set
diag "device aliases: $(wc -l < /tmp/aliases), boot list: $(echo $LIST | wc -w) names, $(nproc) CPUs, kernel $(uname -r)"
/tmp/unload-extra.sh
check "everything kmod loaded can be unloaded again"

mkdir -p /etc/modules-load.d
printf '%s\n' $LIST > /etc/modules-load.d/bench.conf

# modctld's set: run it until it has loaded kmod's set (or for 120 s if it cannot).
modwait --timeout 120 --expect /tmp/kmod-set --log /tmp/bench-modctld.log --pidfile /run/modctld.pid -- /usr/sbin/modctld > /dev/null
pid=$(cat /run/modctld.pid)
kill "$pid" && notify-start --wait-exit "$pid" --timeout 60
loaded_set > /tmp/modctld-set
only_kmod=$(minus /tmp/kmod-set /tmp/modctld-set | tr '\n' ' ')
only_modctld=$(minus /tmp/modctld-set /tmp/kmod-set | tr '\n' ' ')
both /tmp/kmod-set /tmp/modctld-set > /tmp/expected
[ -s /tmp/kmod-set ]
check "kmod loads modules ($(wc -l < /tmp/kmod-set))"
assert_eq "" "$only_kmod$only_modctld" "kmod and modctld load the same modules"
[ -z "$only_kmod" ] || diag "only kmod loads: $only_kmod"
[ -z "$only_modctld" ] || diag "only modctld loads: $only_modctld"
diag "timed set: $(wc -l < /tmp/expected) modules"

us() {
        sed -n 's/.*elapsed_us=\([0-9]*\).*/\1/p'
}
k_all= d_all=
for i in $(seq 0 "$RUNS"); do
        /tmp/unload-extra.sh || fail "unload before the kmod run"
        k=$(modwait --any-status --expect /tmp/expected -- modprobe -a $LIST ';' modprobe -a -q -b $(cat /tmp/aliases) | us)
        /tmp/unload-extra.sh || fail "unload before the modctld run"
        : > /tmp/bench-modctld.log
        d=$(modwait --expect /tmp/expected --log /tmp/bench-modctld.log --pidfile /run/modctld.pid -- /usr/sbin/modctld | us)
        pid=$(cat /run/modctld.pid)
        kill "$pid" && notify-start --wait-exit "$pid" --timeout 60
        diag "round $i: kmod ${k} us, modctld ${d} us ($(grep -o 'Autoload [a-z]*: .*' /tmp/bench-modctld.log | tr '\n' ' '))"
        [ -n "$k" ] && [ -n "$d" ] || { fail "round $i finished"; break; }
        [ "$i" -gt 0 ] || continue   # round 0 is the warm-up
        k_all="$k_all $k" d_all="$d_all $d"
done
/tmp/unload-extra.sh
rm -f /etc/modules-load.d/bench.conf

median_of() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ours=$(printf '%s\n' $d_all | median_of)
theirs=$(printf '%s\n' $k_all | median_of)
if [ -n "$ours" ] && [ -n "$theirs" ] && [ "$ours" -gt 0 ]; then
        echo "BENCH boot-path modctl_median_us=$ours kmod_median_us=$theirs ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", b / a }')"
        pass "benchmark boot-path vs kmod"
else
        fail "benchmark boot-path vs kmod"
fi
vm_finish
