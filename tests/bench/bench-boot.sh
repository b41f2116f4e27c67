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
# parallel: what today's systemd-modules-load does (it loads its list on min(CPUs, 16) threads,
#          with no dependency graph): N = vCPUs modprobe processes at once, each `modprobe -a`
#          of every Nth name of the list, then the device aliases the same way with -q -b. One
#          process per worker, not per name, so it pays N process starts where the threads of
#          systemd-modules-load pay none; that is its only handicap.
# modctld: exec of /usr/sbin/modctld with that modules-load.d, until its boot list, coldplug
#          and the hotplug events that follow are loaded: start-up, bus connection, index
#          load, udev enumeration, policy (the defaults), plans and inserts all count.
# One stopwatch for both (modwait): from the start of the first process until every module of
# the set is live in /proc/modules, seen at the kernel's module uevents. The set is what both
# load; the test fails if one of them loads a module the other does not. Everything is
# unloaded between runs. The contenders take turns within each round, so a change in the
# host's load hits them alike; medians over BENCH_RUNS rounds (default 5) after a warm-up.
# The limit (issue 21): from modctld's own timeline (GetTimeline, read after each of its runs),
# each module's insert-and-init time (a worker's finit_module(), from its start to the kernel's
# return) and the modules each insert waited for (its plan's dependencies). The critical path
# is the longest chain of inserts that must run one after another over that graph; modctld's
# time divided by it says how close the scheduler is to what any loader could do on these
# modules, whatever the emulator's speed.
# The guest's load average is printed before, after and with each round (the host's, and
# whether another qemu ran, is for the runner to record: the guest cannot see it).
# Prints: BENCH boot-path modctl_median_us=N kmod_median_us=N ratio=R (kmod / modctld, above 1
# means modctld is faster) parallel_median_us=N parallel_ratio=R (parallel / modctld)
# critical_path_us=N cp_ratio=R (modctld / critical path) insert_work_us=N (every insert's time
# summed) bound_us=N (the higher of the critical path and the work over the CPUs) bound_ratio=R
# (modctld / bound; 1.00 is the limit) workers=N (modctld's
# --workers, "default": CPUs, at least 2) accel=SPEC (qemu's -accel, "tcg": thread=multi).
# Knobs for the TCG contention study, set in the environment of `meson test` (run-suite.sh
# passes them in): BENCH_RUNS, BENCH_WORKERS=1|2|4, MODCTL_VM_ACCEL=tcg,thread=single|multi.
# Each round also prints modctld's own phases (modctl analyze critical-chain): where its time
# went before and beside the inserts.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-5}
WORKERS=${BENCH_WORKERS:-}
ACCEL=${BENCH_ACCEL:-tcg}
MODCTLD="/usr/sbin/modctld${WORKERS:+ --workers=$WORKERS}"
LIST="veth bridge 8021q bonding tun macvlan vxlan wireguard nf_tables nf_conntrack nf_nat
ip_tables iptable_filter iptable_nat overlay fuse squashfs isofs vfat loop zram uinput tcp_bbr"
LIST=$(echo $LIST)

start_system_bus
check "dbus-daemon --system is up"
NPROC=$(nproc)

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
# modprobe-parallel.sh N FILE [MODPROBE OPTIONS...]: `modprobe -a` the names in FILE on N
# processes at once, process i taking names i, i+N, i+2N..., and wait for all of them.
cat > /tmp/modprobe-parallel.sh <<'EOS'
#!/bin/sh
n=$1 file=$2
shift 2
i=0 status=0 pids=
while [ "$i" -lt "$n" ]; do
        names=$(awk -v n="$n" -v i="$i" '(NR - 1) % n == i' "$file")
        if [ -n "$names" ]; then
                modprobe -a "$@" $names &
                pids="$pids $!"
        fi
        i=$((i + 1))
done
for pid in $pids; do
        wait "$pid" || status=1
done
exit $status
EOS
chmod +x /tmp/modprobe-parallel.sh
# critical_path: from modctld's GetTimeline (busctl's text form: "t NOW N (name started
# finished)... M (module origin queued checked started inserted live errno K after...)..."),
# the longest chain of insert-and-init times (inserted - started) over the modules each insert
# waited for. Prints "CP_US N_MODULES CHAIN WORK_US" (the chain from its last module to its
# first; WORK_US the sum of every insert-and-init time, which the CPUs must carry whatever the
# order).
critical_path() {
        busctl call org.modctl1 /org/modctl1 org.modctl1.Manager GetTimeline 2>/dev/null | awk '
        {
                for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); tok[++n] = $i }
        }
        END {
                p = 3                           # tok[1] the signature, tok[2] now
                nb = tok[p++]; p += 3 * nb      # the batches
                nm = tok[p++]
                for (k = 0; k < nm; k++) {
                        name = tok[p++]; p++; p += 2         # origin, queued, checked
                        started = tok[p++]; inserted = tok[p++]; p++; err = tok[p++]
                        na = tok[p++]
                        for (j = 0; j < na; j++) after[name, j] = tok[p++]
                        nafter[name] = na
                        if (err == 0 && started > 0 && inserted >= started) { dur[name] = inserted - started; names[++count] = name; work += dur[name] }
                }
                # Plans list dependencies before their users and the timeline keeps queue order,
                # but do not rely on it: relax until nothing changes (the graph is acyclic).
                for (round = 0; round <= count; round++) {
                        changed = 0
                        for (k = 1; k <= count; k++) {
                                m = names[k]; best = 0; via = ""
                                for (j = 0; j < nafter[m]; j++) {
                                        d = after[m, j]
                                        if ((d in cp) && cp[d] > best) { best = cp[d]; via = d }
                                }
                                if (!(m in cp) || cp[m] != dur[m] + best) { cp[m] = dur[m] + best; prev[m] = via; changed = 1 }
                        }
                        if (!changed) break
                }
                top = ""; for (k = 1; k <= count; k++) if (top == "" || cp[names[k]] > cp[top]) top = names[k]
                chain = ""; for (m = top; m != ""; m = prev[m]) chain = chain (chain == "" ? "" : "<-") m
                printf "%d %d %s %d\n", (top == "" ? 0 : cp[top]), count, (chain == "" ? "-" : chain), work
        }'
}
load_avg() {
        cut -d' ' -f1-3 /proc/loadavg
}
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
modwait --timeout 120 --expect /tmp/kmod-set --log /tmp/bench-modctld.log --pidfile /run/modctld.pid -- $MODCTLD > /dev/null
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
printf '%s\n' $LIST > /tmp/list
diag "load average before: $(load_avg) ($NPROC vCPUs, modctld workers ${WORKERS:-default}, accel $ACCEL)"
k_all= d_all= p_all= c_all=
for i in $(seq 0 "$RUNS"); do
        /tmp/unload-extra.sh || fail "unload before the kmod run"
        k=$(modwait --any-status --expect /tmp/expected -- modprobe -a $LIST ';' modprobe -a -q -b $(cat /tmp/aliases) | us)
        /tmp/unload-extra.sh || fail "unload before the parallel modprobe run"
        p=$(modwait --any-status --expect /tmp/expected -- /tmp/modprobe-parallel.sh "$NPROC" /tmp/list ';' \
                /tmp/modprobe-parallel.sh "$NPROC" /tmp/aliases -q -b | us)
        /tmp/unload-extra.sh || fail "unload before the modctld run"
        : > /tmp/bench-modctld.log
        d=$(modwait --expect /tmp/expected --log /tmp/bench-modctld.log --pidfile /run/modctld.pid -- $MODCTLD | us)
        pid=$(cat /run/modctld.pid)
        # The run's own timeline, while the daemon still serves it.
        set -- $(critical_path)
        c=${1:-} cp_n=${2:-} cp_chain=${3:-} w=${4:-}
        # No loader can finish before its longest chain, nor before the CPUs have done the
        # inserts' work: the higher of the two is the limit the scheduler is judged against.
        b=$(awk -v c="$c" -v w="$w" -v n="$NPROC" 'BEGIN { b = w / n; print int(b > c ? b : c) }')
        modctl analyze critical-chain 2>&1 | sed -n '/^modctld.s own work/,$p' | while IFS= read -r line; do
                diag "round $i phases: $line"
        done
        kill "$pid" && notify-start --wait-exit "$pid" --timeout 60
        diag "round $i: kmod ${k} us, parallel modprobe ${p} us, modctld ${d} us, critical path ${c} us over $cp_n inserts ($cp_chain), insert work ${w} us (bound ${b} us on $NPROC CPUs); load $(load_avg) ($(grep -o 'Autoload [a-z]*: .*' /tmp/bench-modctld.log | tr '\n' ' '))"
        [ -n "$k" ] && [ -n "$p" ] && [ -n "$d" ] && [ -n "$c" ] || { fail "round $i finished"; break; }
        [ "$i" -gt 0 ] || continue   # round 0 is the warm-up
        k_all="$k_all $k" d_all="$d_all $d" p_all="$p_all $p" c_all="$c_all $c" w_all="$w_all $w" b_all="$b_all $b"
done
diag "load average after: $(load_avg)"
/tmp/unload-extra.sh
rm -f /etc/modules-load.d/bench.conf

median_of() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ours=$(printf '%s\n' $d_all | median_of)
theirs=$(printf '%s\n' $k_all | median_of)
parallel=$(printf '%s\n' $p_all | median_of)
cpath=$(printf '%s\n' $c_all | median_of)
work=$(printf '%s\n' $w_all | median_of)
bound=$(printf '%s\n' $b_all | median_of)
ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
if [ -n "$ours" ] && [ -n "$theirs" ] && [ -n "$parallel" ] && [ "$ours" -gt 0 ]; then
        echo "BENCH boot-path modctl_median_us=$ours kmod_median_us=$theirs ratio=$(ratio "$theirs" "$ours") parallel_median_us=$parallel parallel_ratio=$(ratio "$parallel" "$ours") critical_path_us=$cpath cp_ratio=$(ratio "$ours" "$cpath") insert_work_us=$work bound_us=$bound bound_ratio=$(ratio "$ours" "$bound") workers=${WORKERS:-default} accel=$ACCEL"
        pass "benchmark boot-path vs kmod"
else
        fail "benchmark boot-path vs kmod"
fi
vm_finish
