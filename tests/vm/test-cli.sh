#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CLI on Debian's kernel (issue 14): `modctl modprobe` against kmod's modprobe on the same
# arguments (exit codes, -D/-R/-c output, the modules loaded afterwards), the installed
# /usr/libexec/modctl/modprobe, root's private socket, and the read-only verbs once modctld is
# gone.
. /vm/lib.sh

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

OURS=/usr/libexec/modctl/modprobe
assert_ok test -x "$OURS"
assert_ok test -S /run/modctl/private
assert_eq 600 "$(stat -c %a /run/modctl/private)" "the private socket is root's only"

# Modules with dependencies are network ones: sound drivers probe asynchronously and ask the
# kernel for codec modules later, which would make "loaded afterwards" racy.
reset_mods() {
        unload_quietly dummy veth bridge stp llc tun
}

# parity DESC SETUP-ARGS... -- ARGS...: run kmod's modprobe and ours from the same starting
# state (reset, then `modprobe SETUP-ARGS` unless empty), compare exit codes, stdout and the
# loaded modules afterwards.
parity() {
        local desc=$1; shift
        local setup=() args
        while [ $# -gt 0 ] && [ "$1" != -- ]; do setup+=("$1"); shift; done
        shift
        args=("$@")

        reset_mods
        [ ${#setup[@]} -gt 0 ] && modprobe "${setup[@]}"
        run modprobe "${args[@]}"
        local k_rc=$RC k_out=$OUT k_err=$ERR k_mods
        k_mods=$(loaded_modules)

        reset_mods
        [ ${#setup[@]} -gt 0 ] && modprobe "${setup[@]}"
        run modctl modprobe "${args[@]}"
        local o_rc=$RC o_out=$OUT o_mods
        o_mods=$(loaded_modules)

        assert_eq "$k_rc" "$o_rc" "$desc: exit status $k_rc like kmod ($(cmdline "${args[@]}"))"
        [ "$k_rc" = "$o_rc" ] || { diag "kmod: $k_err"; diag "ours: $ERR"; }
        assert_eq "$k_out" "$o_out" "$desc: same stdout"
        assert_eq "$k_mods" "$o_mods" "$desc: same modules loaded afterwards"
}

parity "success" -- dummy
parity "success with dependencies" -- bridge
parity "parameters" -- dummy numdummies=2
parity "several with -a" -- -a dummy veth
parity "unknown module" -- no_such_module_here
parity "already loaded" dummy -- dummy
parity "already loaded with --first-time" dummy -- --first-time dummy
parity "remove" dummy -- -r dummy
parity "remove, in use" bridge -- -r stp
parity "remove, not loaded, --first-time" -- -r --first-time dummy
parity "remove several" -a dummy veth -- -r dummy veth
parity "bad option" -- --no-such-option dummy
parity "-D" -- -D snd-hda-intel
parity "-D while loaded" bridge -- --show-depends bridge
parity "-R" -- -R rtnl-link-dummy
parity "-c" -- -c
parity "-n -v" -- -n -v bridge
parity "kernel's form" -- -q -- dummy

# Loads went through modctld: they show up with origin user, not external.
reset_mods
monitor_start "type='signal',interface='org.modctl1.Manager',member='ModuleLoaded'"
assert_ok "$OURS" dummy
monitor_expect_signal ModuleLoaded dummy user
check "the modprobe mode's load is ModuleLoaded(dummy, user)"
monitor_stop

# The policy applies to the modprobe mode.
reset_mods
mkdir -p /etc/modctl
printf '[Policy]\nDeny=dummy\n' > /etc/modctl/modctld.conf
assert_ok modctl reload
assert_fails "$OURS" dummy
assert_stderr_contains "could not insert 'dummy'" "a denied load fails like modprobe's"
assert_stderr_contains "Deny" "and says which rule"
assert_not_loaded dummy
rm -f /etc/modctl/modctld.conf
assert_ok modctl reload

# Root goes over the private socket, and falls back to the bus.
run modctl -v list
assert_stderr_contains "over the private socket" "root uses the private socket"
MODCTL_PRIVATE_SOCKET=/run/modctl/none run modctl -v list
assert_stderr_contains "over the system bus" "without it, the bus"
assert_eq 0 "$RC" "and still lists"

# Without modctld: the read-only verbs answer from the kernel and the index.
modprobe dummy
stop_modctld
check "modctld stopped"
run modctl list
assert_eq 0 "$RC" "list works without modctld"
assert_contains "$OUT" "dummy" "and shows dummy from /proc/modules"
assert_stderr_contains "modctld is not reachable" "with a notice"
assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "of one line"
run modctl info -F license dummy
assert_eq "GPL" "$OUT" "info -F license without modctld"
run modctl load --dry-run bridge
assert_eq "$(modprobe -n -v bridge)" "$OUT" "load --dry-run without modctld matches modprobe -n -v"
run modctl load veth
assert_eq 5 "$RC" "load needs modctld (exit 5: unreachable)"
assert_stderr_contains "systemctl start modctld.service" "and says how to start it"
run modctl modprobe -D snd
assert_eq "$(modprobe -D snd)" "$OUT" "modprobe -D without modctld"
# HookFallback=modprobe (chosen; deny is the default): kmod's modprobe does the load.
mkdir -p /etc/modctl
printf '[Daemon]\nHookFallback=modprobe\n' > /etc/modctl/modctld.conf
assert_ok modctl modprobe veth
assert_loaded veth "the fallback ran kmod's modprobe"
printf '[Daemon]\nHookFallback=deny\n' > /etc/modctl/modctld.conf
run modctl modprobe tun
assert_eq 1 "$RC" "HookFallback=deny refuses"
assert_not_loaded tun
rm -f /etc/modctl/modctld.conf

vm_finish
