#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The resolver against kmod's modprobe -D, in one boot of Debian's kernel, with Debian's whole
# module index (build-initramfs.sh --full-index) and Debian's own modprobe.d files in place
# (--modprobe-d), plus compare/modctl-compare.conf in /etc/modprobe.d:
#   - every module name of modules.dep, every built-in name, more than 2000 aliases (literal
#     patterns and strings made to match them, devname: and dmi: ones), the guest's own device
#     modaliases (the CPU's is 600 bytes under -cpu max) and the modprobe.d cases of
#     compare/cases.txt: modprobe -D runs over all of them (a few `modprobe -a -D` for the plain
#     ones), then resolver-compare (which links the resolver, index loaded once) compares exit
#     status and lines, prints the agreement and fails on a difference outside
#     compare/allow.txt;
#   - coldplug: `modprobe -a $(cat /sys/devices/system/cpu/modalias)` loads the CPU-feature
#     modules; after unloading them, modctld's coldplug of the same boot must load the same set.
. /vm/lib.sh

# Milliseconds since boot (busybox date has no %N).
now_ms() {
        awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

C=/vm/compare
kver=$(cat /vm/kver)
dir=/lib/modules/$kver
: "${RESOLVER_COMPARE:?run-suite passes the path of resolver-compare}"

# ---- the comparison
mkdir -p /etc/modprobe.d
cp "$C/modctl-compare.conf" /etc/modprobe.d/
[ -f /usr/lib/modprobe.d/fbdev-blacklist.conf ]
check "Debian's modprobe.d is in place"
modules=$(wc -l < "$dir/modules.dep")
builtins=$(wc -l < "$dir/modules.builtin")
[ "$modules" -gt 3000 ]
check "the whole module index is here ($modules modules, $builtins built in)"

# The index without the .ko files: libkmod stats each dependency's file and leaves out the ones
# that are not there, so empty stand-ins (kept out of the way of the real modules copied in, and
# removed again below) make modprobe -D and the resolver see the real dependency lists.
sed -e 's/:.*//' "$dir/modules.dep" | while read -r ko; do
        [ -e "$dir/$ko" ] || echo "$dir/$ko"
done > /tmp/standins
sed "s|/[^/]*$||" /tmp/standins | sort -u | xargs mkdir -p
xargs -n 200 touch < /tmp/standins
diag "$(wc -l < /tmp/standins) empty stand-ins for the .ko files not in the initramfs"

"$C/requests.sh" "$dir" > /tmp/requests.plain
# The guest's own devices, the CPU's long modalias among them.
find /sys/devices -name modalias -type f -exec cat {} + 2>/dev/null | sort -u >> /tmp/requests.plain
cpu_alias=$(cat /sys/devices/system/cpu/modalias)
diag "the CPU's modalias is ${#cpu_alias} bytes"
awk 'length($0) > 0 && !seen[$0]++' /tmp/requests.plain > /tmp/requests
aliases=$(grep -c ':' /tmp/requests)
cat "$C/cases.txt" >> /tmp/requests
total=$(wc -l < /tmp/requests)
cases=$(wc -l < "$C/cases.txt")
[ "$aliases" -ge 2000 ] && [ "$total" -ge $((modules + builtins + aliases)) ]
check "the request list has every module, every built-in and >= 2000 aliases ($total requests, $aliases aliases, $cases modprobe.d cases)"

t0=$(now_ms)
diag "kmod: $(${MODPROBE:-modprobe} --version | head -n1)"
"$C/run-modprobe.sh" /tmp/requests /tmp/kmod.out /tmp/kmod.err
t1=$(now_ms)
diag "modprobe -D over $total requests: $((t1 - t0)) ms"

"$RESOLVER_COMPARE" /tmp/requests /tmp/kmod.out /tmp/kmod.err "$C/allow.txt" > /tmp/compare.out 2> /tmp/compare.err
rc=$?
t2=$(now_ms)
grep -v '^resolver-compare:' /tmp/compare.out | head -n 300
grep '^resolver-compare:' /tmp/compare.out
[ -s /tmp/compare.err ] && diag "resolver-compare's log: $(wc -l < /tmp/compare.err) lines, first: $(head -n 3 /tmp/compare.err)"
find "$dir" -name "*.ko" -size 0 -exec rm -f {} +
diag "resolver-compare over $total requests (plans and modprobe -D lines): $((t2 - t1)) ms"
diag "kernel $kver, $(date -u +%Y-%m-%d)"
[ "$rc" = 0 ]
check "modctl's plans agree with modprobe -D apart from the allow-list, and resolver_show_depends() is byte-identical"

# ---- coldplug of the CPU's modalias
# What modprobe loads for it...
modprobe -a "$cpu_alias" 2> /tmp/modprobe-cpu.err
modprobe -D "$cpu_alias" 2>/dev/null | sed -n 's|^insmod .*/\([^/]*\)\.ko.*|\1|p' | tr - _ | sort -u > /tmp/cpu-planned
loaded_modules > /tmp/cpu-modprobe
[ -s /tmp/cpu-modprobe ]
check "modprobe -a loads CPU-feature modules ($(wc -l < /tmp/cpu-modprobe) loaded, $(wc -l < /tmp/cpu-planned) planned)"
diag "modprobe loaded: $(tr '\n' ' ' < /tmp/cpu-modprobe)"
[ -s /tmp/modprobe-cpu.err ] && diag "modprobe said: $(cat /tmp/modprobe-cpu.err)"
# ... then take them out again, dependents first.
for i in 1 2 3 4 5 6; do
        for m in $(cat /tmp/cpu-modprobe); do rmmod "$m" 2>/dev/null; done
done
[ -z "$(loaded_modules)" ]
check "the CPU modules are unloaded again"

# ... and what modctld's coldplug loads, in the same boot.
start_system_bus
check "dbus-daemon --system is up"
rm -f /run/events.fifo /run/monitor-ready.fifo
mkfifo /run/events.fifo /run/monitor-ready.fifo
modctl monitor > /run/events.fifo 2> /run/monitor-ready.fifo &
exec 8< /run/events.fifo
exec 9< /run/monitor-ready.fifo
read -t 30 -r line <&9
assert_contains "$line" "Monitoring" "modctl monitor is listening"
MODCTLD_AUTOLOAD=1 start_modctld
check "modctld starts with coldplug"
finished=
while read -t 300 -r line <&8; do
        echo "$line" >> /tmp/events.log
        case $line in "finished  coldplug"*) finished=$line; break ;; esac
done
[ -n "$finished" ]
check "coldplug finished: $finished"
loaded_modules > /tmp/cpu-modctl
# Only the modules the CPU's alias brings in: coldplug also loads the emulated devices' drivers.
grep -Fxf /tmp/cpu-planned /tmp/cpu-modctl > /tmp/cpu-modctl-planned
grep -Fxf /tmp/cpu-planned /tmp/cpu-modprobe > /tmp/cpu-modprobe-planned
diag "modctld loaded for the CPU: $(tr '\n' ' ' < /tmp/cpu-modctl-planned)"
assert_eq "$(cat /tmp/cpu-modctl-planned)" "$(cat /tmp/cpu-modprobe-planned)" \
        "coldplug loads the same CPU-feature modules as modprobe -a \$(cat /sys/devices/system/cpu/modalias)"
grep -qx aesni_intel /tmp/cpu-modctl-planned
check "and at least aesni_intel among them"
# Nothing is left to insert now; the dry run shows them as loaded.
dry=$(modctl load --dry-run "$cpu_alias" 2>&1)
check "modctl load --dry-run takes the ${#cpu_alias}-byte CPU modalias"
diag "$dry"
vm_finish
