#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault: memory pressure. modctld runs in a cgroup v2 whose memory.max is set just above its
# working set (what it uses less page cache, which the kernel reclaims). A flood of searches
# and loads is refused with org.modctl1.Error.MemoryShort instead of growing modctld into the
# OOM killer; modctld stays alive (memory.events says no OOM kill), and once the limit is
# lifted it serves again. Afterwards /proc/modules and `modctl list` agree, the settings files
# parse, and the kernel hook answers.
. /vm/lib.sh

HELPER=/usr/libexec/modctl/modctl-request
CG=/sys/fs/cgroup/modctld

after_fault() {
        local listed
        listed=$(modctl list --json | tr ',{}[]' '\n\n\n\n\n' | sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' | sort)
        assert_eq "$(loaded_modules)" "$listed" "$1: /proc/modules and modctl list agree"
        assert_ok modctl settings dummy
        assert_ok modprobe -c
        assert_ok "$HELPER" -q -- dummy
        assert_loaded dummy "$1: the kernel hook answers"
        unload_quietly dummy
}

# What the cgroup uses that the kernel cannot take back, as modctld judges it: memory.current
# less page cache and reclaimable slab.
used_bytes() {
        local current file slab
        current=$(cat $CG/memory.current)
        file=$(sed -n 's/^file \([0-9]*\)$/\1/p' $CG/memory.stat)
        slab=$(sed -n 's/^slab_reclaimable \([0-9]*\)$/\1/p' $CG/memory.stat)
        echo $((current - file - slab))
}

search() {
        busctl call org.modctl1 /org/modctl1 org.modctl1.Manager Search s "$1"
}

start_system_bus
check "dbus-daemon --system is up"
mount -t cgroup2 cgroup2 /sys/fs/cgroup
check "cgroup2 is mounted on /sys/fs/cgroup"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
check "the memory controller is on for child cgroups"
mkdir $CG
check "a cgroup for modctld"
# modctld starts inside it (this shell goes there for the start, then back), so it finds its
# cgroup in /proc/self/cgroup as under systemd.
echo $$ > $CG/cgroup.procs
start_modctld
check "modctld starts in its cgroup"
echo $$ > /sys/fs/cgroup/cgroup.procs
if ! daemon_alive; then
        vm_finish
        exit 1
fi
assert_eq "0::/modctld" "$(cat /proc/$MODCTLD_PID/cgroup)" "modctld is in the cgroup"

# Its working set, with the catalog built: one search and one load first.
assert_ok search snd
assert_ok modctl load dummy
assert_ok modctl unload dummy
used=$(used_bytes)
diag "modctld's cgroup uses $used bytes besides page cache and reclaimable slab ($(cat $CG/memory.current) in all)"
# A tenth above that: within an eighth of the limit, so modctld refuses new work.
limit=$((used + used / 10))
echo $limit > $CG/memory.max
check "memory.max is $limit"

# ---- the flood: 40 searches and 10 loads at once
# (Each one waited for by its pid: a bare wait would wait for dbus-daemon too.)
pids=
i=0
while [ $i -lt 40 ]; do
        search "s$i" > /tmp/flood-search-$i.out 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
done
i=0
while [ $i -lt 10 ]; do
        modctl load dummy > /tmp/flood-load-$i.out 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
done
for p in $pids; do
        wait $p
done
# Each is refused or, if the kernel freed enough in the meantime, served: never anything else.
# (A first run on 2026-12-07, when only page cache was taken off, served 2 of 40 after the
# kernel reclaimed slab; reclaimable slab is taken off too since.)
refused=$(grep -l "Memory is short" /tmp/flood-search-*.out | wc -l)
served=$(grep -L "Memory is short" /tmp/flood-search-*.out | xargs grep -l "^a(ssssbbbbsas)" 2>/dev/null | wc -l)
assert_eq 40 "$((refused + served))" "every search under the limit is refused or served, nothing else"
[ "$refused" -ge 36 ]
check "at least 36 of 40 searches are refused saying memory is short ($refused)"
assert_contains "$(cat /tmp/flood-search-0.out)" "memory.max" "the sentence names the limit"
refused=$(grep -lE "short of memory|Memory is short" /tmp/flood-load-*.out | wc -l)
assert_eq 10 "$refused" "every load under the limit is refused saying modctld is short of memory"
assert_not_loaded dummy "no refused load loaded it"
run modctl load dummy
assert_eq 8 "$RC" "modctl exits 8 (try again later) for MemoryShort"
daemon_alive
check "modctld is still alive under the limit"
assert_eq "oom_kill 0" "$(grep '^oom_kill ' $CG/memory.events)" "the OOM killer killed nothing in modctld's cgroup"
wait_log "Memory is short"
check "the log says memory is short"

# ---- the pressure goes: it serves again
echo max > $CG/memory.max
check "memory.max is lifted"
assert_ok search snd
assert_ok modctl load dummy
assert_loaded dummy "a load after the pressure went loads"
unload_quietly dummy
wait_log "Memory is no longer short"
check "the log says memory is no longer short"
after_fault "memory"

vm_finish
