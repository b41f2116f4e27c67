#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel hook on Debian's kernel: with modctld running, request_module() goes through
# modctl-request to the daemon (origin kernel); nested requests from a module's init do not
# deadlock; a storm of requests for missing modules is answered promptly; non-root peers are
# refused; the negative cache follows depmod and modprobe.d; with the daemon stopped, the
# helper falls back to modprobe when the admin chose it, or refuses with HookFallback=deny.
. /vm/lib.sh

HELPER=/usr/libexec/modctl/modctl-request
MODDIR=/lib/modules/$KVER
ORIG_MODPROBE=$(cat /proc/sys/kernel/modprobe)

# One counter of the Statistics property, from `modctl status --json`.
stat_value() {
        modctl status --json | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\([0-9][0-9]*\).*/\1/p"
}

start_system_bus
check "dbus-daemon --system is up"
start_modctld --log-level=debug
check "modctld starts"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

# ---- the hook is installed
assert_eq "$HELPER" "$(cat /proc/sys/kernel/modprobe)" "kernel.modprobe names the helper while modctld runs"
assert_contains "$(cat "$MODCTLD_LOG")" "kernel.modprobe now names $HELPER (was $ORIG_MODPROBE)" \
        "the daemon logs what it replaced"
assert_ok modctl status
assert_stdout_contains "Kernel requests:" "modctl status shows the kernel request counters"
assert_stdout_contains "Statistics:" "under its Statistics"

# ---- ip link add loads dummy through the daemon, origin kernel
unload_quietly dummy
if monitor_start "type='signal',interface='org.modctl1.Manager'"; then
        assert_ok ip link add d0 type dummy
        monitor_expect_signal ModuleLoaded dummy kernel 30
        check "ModuleLoaded(dummy, kernel) for ip link add d0 type dummy"
        monitor_stop
else
        fail "dbus-monitor attaches"
fi
assert_loaded dummy "the daemon loaded dummy for the kernel"
log=$(cat "$MODCTLD_LOG")
assert_contains "$log" "Kernel request for 'rtnl-link-dummy'" "the kernel asked the daemon for rtnl-link-dummy"
assert_contains "$log" "Module dummy loaded (origin kernel)." "the daemon's record of dummy says origin kernel"
ip link del d0
unload_quietly dummy
[ "$(stat_value requests)" -ge 1 ] 2>/dev/null
check "Statistics counts the request ($(stat_value requests))"

# ---- nested: a module's init calls request_module() for another module
unload_quietly modctl_test_nested modctl_test_base
dmesg -c > /dev/null
assert_ok timeout 120 modctl load modctl_test_nested
assert_loaded modctl_test_nested
assert_loaded modctl_test_base "and modctl_test_base, which its init asked for"
assert_contains "$(dmesg)" "request_module(modctl_test_base) returned 0" "the nested request_module() succeeded"
assert_contains "$(cat "$MODCTLD_LOG")" "Module modctl_test_base loaded (origin kernel)." \
        "the nested load is recorded as origin kernel"
unload_quietly modctl_test_nested modctl_test_base

# The same, asked by the kernel (the helper as the kernel runs it).
assert_ok timeout 120 "$HELPER" -q -- modctl_test_nested
assert_loaded modctl_test_nested "a kernel request for modctl_test_nested loads it"
assert_loaded modctl_test_base "and its nested request loads modctl_test_base"
unload_quietly modctl_test_nested modctl_test_base

# A module whose init asks for itself, asked for by the kernel: the inner request joins nothing
# (that would wait for the very load that waits for it) but is answered at once.
before=$(stat_value in-flight)
dmesg -c > /dev/null
assert_ok timeout 120 "$HELPER" -q -- modctl_test_selfreq
assert_loaded modctl_test_selfreq
assert_contains "$(dmesg)" "request_module(modctl_test_selfreq) returned 0" "its request for itself succeeded"
[ "$(stat_value in-flight)" -gt "$before" ]
check "the request for a module being inserted was answered at once (in-flight counter)"
unload_quietly modctl_test_selfreq

# ---- a storm: 200 concurrent requests for modules that do not exist
before=$(stat_value requests)
dmesg -c > /dev/null
run timeout 120 kreq storm 200 modctl-storm-
assert_eq 0 "$RC" "200 concurrent kernel requests for missing modules all come back ($OUT)"
[ "$RC" -eq 0 ] || show_last
total=$(printf '%s\n' "$OUT" | sed -n 's/.*total_ms=\([0-9]*\).*/\1/p')
[ -n "$total" ] && [ "$total" -lt 20000 ]
check "the storm is over within 20 s (took ${total:-?} ms)"
assert_not_contains "$(dmesg)" "kmod busy" "the kernel never ran out of request slots"
after=$(stat_value requests)
[ $((after - before)) -ge 200 ]
check "the daemon answered all of them ($((after - before)) requests)"
daemon_alive
check "modctld is still up after the storm"
unload_quietly snd soundcore
assert_ok modctl load snd
assert_loaded snd "Load still works after the storm"
run dbus-send --system --print-reply --dest=org.modctl1 /org/modctl1 org.modctl1.Manager.Load \
        string:dummy string: uint64:0
assert_eq 0 "$RC" "the Load method works after the storm"
unload_quietly snd soundcore dummy

# ---- the negative cache
assert_fails "$HELPER" -q -- modctl-late-alias
hits=$(stat_value cache-hits)
assert_fails "$HELPER" -q -- modctl-late-alias
assert_eq $((hits + 1)) "$(stat_value cache-hits)" "a missing name asked again is a cache hit"
# A modprobe.d directory that did not exist when the daemon started.
[ ! -e /etc/modprobe.d ]
check "/etc/modprobe.d does not exist yet"
mkdir /etc/modprobe.d
echo "alias modctl-late-alias modctl_test_base" > /etc/modprobe.d/late.conf
assert_ok "$HELPER" -q -- modctl-late-alias
assert_loaded modctl_test_base "a new modprobe.d alias is picked up without a restart"
unload_quietly modctl_test_base
# depmod: a module that was not in the index.
mkdir -p /tmp/held
mv "$MODDIR/extra/modctl_test_chain.ko" /tmp/held/
depmod "$KVER"
assert_fails "$HELPER" -q -- modctl_test_chain
assert_fails "$HELPER" -q -- modctl_test_chain
mv /tmp/held/modctl_test_chain.ko "$MODDIR/extra/"
depmod "$KVER"
assert_ok "$HELPER" -q -- modctl_test_chain
assert_loaded modctl_test_chain "a depmod run is picked up without a restart"
unload_quietly modctl_test_chain modctl_test_base

# ---- a non-root peer cannot even connect (the socket is 0600), and does not fall back
assert_eq "600" "$(stat -c %a /run/modctl/request.sock)" "the hook socket is root's alone"
fallbacks=$(stat_value fallbacks)
run setpriv --reuid=1000 --regid=1000 --clear-groups "$HELPER" -q -- dummy
assert_eq 1 "$RC" "the helper run as uid 1000 fails"
assert_stderr_contains "Permission denied" "it says why"
assert_eq "$fallbacks" "$(stat_value fallbacks)" "a refused connection is no fallback"
assert_not_loaded dummy "nothing was loaded for uid 1000"
# iptables-legacy and ebtables run kernel.modprobe as PROG NAME [-q].
assert_ok "$HELPER" dummy -q
assert_loaded dummy "the helper takes the NAME -q form"
unload_quietly dummy

# ---- the daemon stopped: fallback
stop_modctld
check "modctld exits on SIGTERM"
assert_eq "$ORIG_MODPROBE" "$(cat /proc/sys/kernel/modprobe)" "a clean stop restores kernel.modprobe"
[ ! -e /run/modctl/request.sock ]
check "a clean stop removes the socket"
# As the sysctl.d snippet leaves it at boot, before the daemon runs; the admin chose modprobe
# (the default is deny).
echo "$HELPER" > /proc/sys/kernel/modprobe
mkdir -p /etc/modctl
printf '[Daemon]\nHookFallback=modprobe\n' > /etc/modctl/modctld.conf
unload_quietly dummy
dmesg -c > /dev/null
assert_ok ip link add d1 type dummy
assert_loaded dummy "with the daemon stopped, the kernel's request for dummy works through modprobe"
assert_contains "$(dmesg)" "HookFallback=modprobe: running /sbin/modprobe for 'rtnl-link-dummy'" "the fallback is logged"
ip link del d1
unload_quietly dummy

printf '[Daemon]\nHookFallback=deny\n' > /etc/modctl/modctld.conf
dmesg -c > /dev/null
before=$(loaded_modules)
assert_fails ip link add d2 type dummy
assert_not_loaded dummy "with HookFallback=deny the request fails"
assert_eq "$before" "$(loaded_modules)" "and nothing is loaded"
assert_contains "$(dmesg)" "HookFallback=deny: not loading 'rtnl-link-dummy'" "the refusal is logged"

# The next daemon counts the fallbacks that happened while it was down.
start_modctld
check "modctld starts again (with HookFallback=deny)"
assert_eq 2 "$(stat_value fallbacks)" "Statistics counts both fallbacks made while the daemon was down"
assert_ok ip link add d3 type dummy
assert_loaded dummy "with the daemon back, the kernel's requests go through it again"
ip link del d3
stop_modctld
check "modctld exits on SIGTERM"

vm_finish
