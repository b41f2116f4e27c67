#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The dry run against kmod: `modctl load --dry-run X` vs `modprobe -D X`, in one VM boot with
# Debian's whole module index and modprobe.d files, modctld running with its default policy.
# X runs over a fixed list of module names, aliases and the CPU's modalias (the modules the
# initramfs carries, so the policy can read every file it wants). One pass of each contender
# per round, alternating, after a warm-up round; the figure is the median pass over the rounds,
# per request. Prints: BENCH dry-run modctl_median_us=N modprobe_median_us=N ratio=R (per
# request). TCG guest on a shared host: compare ratios, not microseconds.
. /vm/lib.sh

ROUNDS=${BENCH_ROUNDS:-10}

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

cat /sys/devices/system/cpu/modalias > /tmp/cpu-alias
{
        for n in veth bridge 8021q bonding tun macvlan ipvlan vxlan geneve wireguard nf_tables nft_ct \
                nft_chain_nat nf_conntrack nf_nat ip_tables iptable_filter iptable_nat xt_conntrack overlay \
                fuse squashfs isofs udf vfat loop nbd zram ext4 snd-hda-intel e1000 dummy snd-aloop \
                rtnl-link-dummy fs-overlay char-major-10-229; do
                echo "$n"
        done
        cat /tmp/cpu-alias
} > /tmp/requests
n=$(wc -l < /tmp/requests)

# Every request must resolve on both sides, or the race is not like for like.
bad=0
while read -r r; do
        modctl load --dry-run "$r" > /dev/null 2>&1 || { diag "modctl load --dry-run $r failed"; bad=1; }
        modprobe -D "$r" > /dev/null 2>&1 || { diag "modprobe -D $r failed"; bad=1; }
done < /tmp/requests
[ "$bad" = 0 ]
check "all $n requests resolve with both"

cat > /tmp/pass <<'PASS'
#!/bin/sh
while read -r r; do "$@" "$r" > /dev/null || exit 1; done < /tmp/requests
PASS
chmod +x /tmp/pass

ours= theirs=
for round in $(seq 0 "$ROUNDS"); do
        a=$(timeit -n 1 -w 0 -- /tmp/pass modctl load --dry-run | sed -n 's/.*median_us=\([0-9]*\).*/\1/p')
        b=$(timeit -n 1 -w 0 -- /tmp/pass modprobe -D | sed -n 's/.*median_us=\([0-9]*\).*/\1/p')
        [ "$round" = 0 ] && continue   # warm-up
        ours="$ours $a" theirs="$theirs $b"
done
med() {
        printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
m1=$(med "$ours") m2=$(med "$theirs")
if [ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -gt 0 ]; then
        echo "BENCH dry-run requests=$n modctl_median_us=$((m1 / n)) modprobe_median_us=$((m2 / n)) ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
        diag "modctl passes (us):$ours"
        diag "modprobe passes (us):$theirs"
        pass "benchmark dry-run"
else
        fail "benchmark dry-run"
fi

stop_modctld
vm_finish
