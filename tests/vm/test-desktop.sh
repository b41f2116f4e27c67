#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The desktop API on Debian's kernel: callers other than root are refused (no polkitd runs in
# the VM, so the answer is AccessDenied with a sentence that says why) and nothing is loaded
# for them; root succeeds; every loaded module is an object under /org/modctl1, and the tree
# and the ObjectManager signals follow loads and unloads, ours and other tools'.
. /vm/lib.sh

as_tester() {
        setpriv --reuid=1000 --regid=1000 --clear-groups "$@"
}

# Object paths as sd_bus_path_encode() spells a kernel module name: '_' is "_5f".
module_path() {
        printf '/org/modctl1/module/%s\n' "$(modname "$1" | sed 's/_/_5f/g')"
}

# The module objects busctl's tree shows, as module names, sorted.
tree_modules() {
        busctl --system --list tree org.modctl1 | sed -n 's|^/org/modctl1/module/||p' | sed 's/_5f/_/g' | sort
}

assert_tree_matches_kernel() {
        local tree kernel
        tree=$(tree_modules)
        kernel=$(loaded_modules)
        assert_eq "$kernel" "$tree" "$1"
}

# monitor_expect_line REGEX [TIMEOUT]: read the monitor until a line matches.
monitor_expect_line() {
        local line
        while read -t "${2:-60}" -r line <&7; do
                echo "$line" >> /tmp/monitor.log
                printf '%s\n' "$line" | grep -Eq "$1" && return 0
        done
        return 1
}

module_property() {
        busctl --system get-property org.modctl1 "$(module_path "$1")" org.modctl1.Module "$2"
}

# A module loaded before modctld starts: the daemon cannot know who loaded it or when.
unload_quietly dummy snd_timer snd soundcore modctl_test_base
modprobe modctl_test_base

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld starts and owns org.modctl1"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

# ---- callers other than root are refused, with a clear message, and nothing is loaded
run as_tester modctl load dummy
assert_eq 6 "$RC" "uid 1000: modctl load fails with exit status 6 (not authorized)"
assert_contains "$ERR" "only root may load module 'dummy'" "the message names the module and who may"
assert_contains "$ERR" "polkit" "and says polkit is what would authorize others"
assert_not_loaded dummy "nothing is loaded for uid 1000"

run as_tester modctl --no-ask-password load dummy
assert_eq 6 "$RC" "uid 1000: modctl --no-ask-password load fails too (6)"
assert_not_loaded dummy

run as_tester busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Load sst dummy "" 0
assert_eq 1 "$RC" "uid 1000: a raw busctl call of Load is refused"
# busctl replaces the sentence of an AccessDenied error with its own "Access denied".
assert_contains "$ERR" "Access denied" "busctl reports Access denied"
run as_tester dbus-send --system --print-reply --dest=org.modctl1 /org/modctl1 \
        org.modctl1.Manager.Load string:dummy string: uint64:0
assert_contains "$ERR" "Error org.freedesktop.DBus.Error.AccessDenied" "the error is AccessDenied"
assert_not_loaded dummy "still nothing loaded"

run as_tester modctl load --dry-run dummy
assert_eq 0 "$RC" "uid 1000 may do a dry run"
run as_tester busctl --system tree org.modctl1
assert_eq 0 "$RC" "uid 1000 may read the tree"

# ---- root succeeds
assert_ok modctl load dummy
assert_loaded dummy "root loads dummy"
run as_tester busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Unload st dummy 0
assert_eq 1 "$RC" "uid 1000 may not Unload"
assert_loaded dummy "dummy stays loaded"

# ---- one object per loaded module
assert_tree_matches_kernel "busctl tree shows one object per loaded module"
run module_property dummy Origin
assert_eq 's "user"' "$OUT" "dummy's Origin is user"
run module_property dummy State
assert_eq 's "live"' "$OUT" "dummy's State is live"
run module_property dummy LoadedAt
case $OUT in "t 0"|"") fail "dummy's LoadedAt is set ($OUT)" ;; *) pass "dummy's LoadedAt is set" ;; esac
run module_property modctl_test_base LoadedAt
assert_eq "t 0" "$OUT" "a module loaded before modctld has LoadedAt 0"
run module_property modctl_test_base Origin
assert_eq 's ""' "$OUT" "and an empty Origin"

if monitor_start "type='signal',sender='org.modctl1',path_namespace='/org/modctl1'"; then
        assert_ok modctl load snd
        monitor_expect_line "member=InterfacesAdded"
        check "InterfacesAdded when modctl loads snd"
        monitor_expect_line "object path \"$(module_path snd)\"|object path \"$(module_path soundcore)\""
        check "for snd or soundcore"
        assert_tree_matches_kernel "the tree follows a load with a dependency"
        run module_property snd Parameters
        assert_contains "$OUT" '"major"' "snd's Parameters come from /sys/module/snd/parameters"
        run module_property soundcore Holders
        assert_eq 'as 1 "snd"' "$OUT" "soundcore's Holders is snd"

        # snd_timer uses snd: snd's RefCount and Holders change with no uevent of snd's own.
        modprobe snd-timer
        monitor_expect_line "path=$(module_path snd); interface=org.freedesktop.DBus.Properties; member=PropertiesChanged"
        check "PropertiesChanged for snd when modprobe loads its user snd_timer"
        assert_tree_matches_kernel "the tree follows a load by another tool"
        run module_property snd_timer Origin
        assert_eq 's "external"' "$OUT" "snd_timer's Origin is external"

        rmmod snd_timer
        monitor_expect_line "member=InterfacesRemoved"
        check "InterfacesRemoved when rmmod unloads snd_timer"
        assert_ok modctl unload -r snd
        assert_tree_matches_kernel "the tree follows unloads"
        monitor_stop
else
        fail "dbus-monitor attaches"
fi

run busctl --system get-property org.modctl1 /org/modctl1 org.modctl1.Manager PolicyMode
assert_eq 's "enforce"' "$OUT" "Manager.PolicyMode"
run busctl --system get-property org.modctl1 /org/modctl1 org.modctl1.Manager Statistics
assert_contains "$OUT" '"operations"' "Manager.Statistics"
run busctl --system call org.modctl1 "$(module_path dummy)" org.freedesktop.DBus.Properties Get ss \
        org.modctl1.Module Name
assert_eq 'v s "dummy"' "$OUT" "Properties.Get on a module object"

unload_quietly dummy modctl_test_base
assert_tree_matches_kernel "the tree is empty of our modules at the end"
daemon_alive
check "modctld is still running at the end"
stop_modctld
check "modctld exits on SIGTERM"

vm_finish
