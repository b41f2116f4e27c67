#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel command line's blacklists on Debian's kernel (issue 24), booted with
# "modprobe.blacklist=dummy module_blacklist=veth" (tests/vm/meson.build): modctl's modprobe
# against kmod's in the same boot (exit status, stdout, modules loaded afterwards), and what
# modctld says about them: veth is refused before the kernel is asked, with the reason in
# `modctl info`; dummy still loads by its name but not through its alias rtnl-link-dummy.
. /vm/lib.sh

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

assert_contains "$(cat /proc/cmdline)" "module_blacklist=veth" "booted with module_blacklist=veth"

reset_mods() {
        unload_quietly dummy veth
}

# parity DESC ARGS...: kmod's modprobe, then ours, from the same (empty) state.
parity() {
        local desc=$1; shift
        reset_mods
        run modprobe "$@"
        local k_rc=$RC k_out=$OUT k_err=$ERR k_mods
        k_mods=$(loaded_modules)
        reset_mods
        run modctl modprobe "$@"
        local o_mods
        o_mods=$(loaded_modules)
        assert_eq "$k_rc" "$RC" "$desc: exit status $k_rc like kmod ($(cmdline "$@"))"
        [ "$k_rc" = "$RC" ] || { diag "kmod: $k_err"; diag "ours: $ERR"; }
        assert_eq "$k_out" "$OUT" "$desc: same stdout"
        assert_eq "$k_mods" "$o_mods" "$desc: same modules loaded afterwards"
}

parity "modprobe.blacklist=, by name" dummy
parity "modprobe.blacklist=, by alias" rtnl-link-dummy
parity "modprobe.blacklist=, by alias, -n -v" -n -v rtnl-link-dummy
parity "module_blacklist=" veth

# By alias, the one difference: kmod 30 exits 0 here without a word (its first run in this VM,
# 2026-12-07), though nothing is loaded; ours says that the kernel's own list refuses veth, as
# it does for the name. Both must leave the same modules loaded.
reset_mods
run modprobe rtnl-link-veth
k_rc=$RC k_mods=$(loaded_modules)
diag "kmod's modprobe rtnl-link-veth: exit status $k_rc, stderr: $ERR"
reset_mods
run modctl modprobe rtnl-link-veth
assert_eq 1 "$RC" "module_blacklist=, by alias: ours fails (kmod: $k_rc)"
assert_contains "$ERR" "blacklisted by module_blacklist= on the kernel command line" \
        "module_blacklist=, by alias: ours says why"
assert_eq "$k_mods" "$(loaded_modules)" "module_blacklist=, by alias: same modules loaded afterwards as kmod"

# Ours refuses veth itself and says why; the kernel was never asked (no "is blacklisted" from
# the kernel in dmesg after ours).
reset_mods
dmesg -c > /dev/null
run modctl load veth
assert_eq 3 "$RC" "modctl load veth: exit status 3 (policy denial)"
assert_contains "$ERR" "module_blacklist= on the kernel command line" "and names the kernel command line"
assert_not_contains "$(dmesg)" "veth is blacklisted" "the kernel was not asked"
assert_not_loaded veth
run modctl info veth
assert_eq 0 "$RC" "modctl info veth"
assert_contains "$OUT" "refused:" "modctl info veth has a refused: line"
assert_contains "$OUT" "blacklisted by module_blacklist=" "which says why"
run modctl info dummy
assert_not_contains "$OUT" "refused:" "modctl info dummy has none"

vm_finish
