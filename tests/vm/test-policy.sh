#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Policy on Debian's kernel: License=gpl-compatible refuses a proprietary module and leaves the
# kernel untainted; Signature=trusted loads a module signed by a trusted key and refuses it
# unsigned, signed by another key or with one byte changed; Deny= on snd's dependency inserts
# nothing; Deny=dummy refuses rtnl-link-dummy, from modctl and from the kernel's own request; Signature=kernel passes Debian's own modules and
# refuses ours; a bad config sent with SIGHUP leaves the previous policy in force.
# The signed variants come from tests/modules/sign-fixture.sh, copied to /vm/sig.
. /vm/lib.sh

MODDIR=/lib/modules/$KVER
SIG=/vm/sig
CONF=/etc/modctl/modctld.conf

set_conf() {
        mkdir -p /etc/modctl
        printf '%s\n' "$@" > "$CONF"
}

# Reload and wait for the daemon's ConfigReloaded signal (the monitor is already attached).
reload_expect() {
        local result=$1 message=$2
        if [ "$3" = hup ]; then kill -HUP "$MODCTLD_PID"; else modctl reload > /dev/null 2>&1; fi
        monitor_expect_signal ConfigReloaded "$result" "$message" 30
}

# The module file the tree has for modctl_test_base, replaced by one of the fixtures.
use_variant() {
        cp "$SIG/$1" "$MODDIR/extra/modctl_test_base.ko"
}

tainted() {
        cat /proc/sys/kernel/tainted
}

start_system_bus
check "dbus-daemon --system is up"

# ---- License=gpl-compatible, from the configuration read at start
set_conf "[Policy]" "License=gpl-compatible"
start_modctld
check "modctld starts with License=gpl-compatible"
if ! daemon_alive; then
        vm_finish
        exit 1
fi
monitor_start "type='signal',interface='org.modctl1.Manager'"
check "dbus-monitor attached"

T0=$(tainted)
diag "tainted before: $T0"
assert_eq 0 $((T0 & 1)) "the kernel is not tainted P before the test"
assert_fails modctl load modctl_test_proprietary
assert_stderr_contains "modctl_test_proprietary" "the denial names the module"
assert_stderr_contains "rule License" "the denial names the rule"
assert_stderr_contains "'Proprietary'" "the denial gives the reason"
assert_not_loaded modctl_test_proprietary
assert_eq "$T0" "$(tainted)" "/proc/sys/kernel/tainted is unchanged after the refusal"
run dbus-send --system --print-reply --dest=org.modctl1 /org/modctl1 org.modctl1.Manager.Load \
        string:modctl_test_proprietary string: uint64:0
assert_contains "$ERR" "org.modctl1.Error.PolicyDenied" "the D-Bus error is PolicyDenied"

assert_fails modctl policy check modctl_test_proprietary
assert_stdout_contains "deny" "policy check shows the denial"
assert_stdout_contains "POE" "policy check predicts P, O and E"

assert_ok modctl load modctl_test_base
assert_loaded modctl_test_base "a GPL module loads"
assert_ok modctl unload modctl_test_base

# ---- Signature=trusted with key A in TrustedCertificates
mkdir -p /etc/modctl/keys
cp "$SIG/trusted/cert-a.pem" /etc/modctl/keys/
set_conf "[Policy]" "Signature=trusted"
reload_expect applied ""
check "ReloadConfig applies Signature=trusted"
assert_ok modctl policy show
assert_stdout_contains "Signature=trusted"
assert_stdout_contains "Trusted certificates loaded: 1"

use_variant signed-a.ko
assert_ok modctl load modctl_test_base
assert_loaded modctl_test_base "a module signed by the trusted key loads"
assert_ok modctl unload modctl_test_base

use_variant signed-a-keyid.ko
assert_ok modctl load modctl_test_base
assert_loaded modctl_test_base "signed by the trusted key with a subject key id (sign-file -k): loads"
assert_ok modctl unload modctl_test_base

for v in unsigned:"is not signed" signed-b.ko:"not among the trusted certificates" tampered.ko:"changed after it was signed"; do
        f=${v%%:*} why=${v#*:}
        [ "$f" = unsigned ] && f=unsigned.ko
        use_variant "$f"
        assert_fails modctl load modctl_test_base
        assert_stderr_contains "$why" "$f: refused, '$why'"
        assert_stderr_contains "rule Signature" "$f: the rule is Signature"
        assert_not_loaded modctl_test_base "$f is not loaded"
done
use_variant unsigned.ko

# ---- Signature=kernel: Debian's modules pass, ours do not
set_conf "[Policy]" "Signature=kernel"
reload_expect applied ""
check "ReloadConfig applies Signature=kernel"
unload_quietly snd soundcore
assert_ok modctl load snd
assert_loaded snd "Debian's snd (signed by the kernel's build key) passes Signature=kernel"
assert_ok modctl unload -r snd
use_variant signed-a.ko
assert_fails modctl load modctl_test_base
assert_stderr_contains "does not trust" "a module signed by key A is refused under Signature=kernel"
use_variant unsigned.ko

# ---- Deny= on snd's dependency: nothing is inserted
set_conf "[Policy]" "Deny=soundcore"
reload_expect applied ""
check "ReloadConfig applies Deny=soundcore"
unload_quietly snd soundcore
BEFORE=$(loaded_modules)
assert_fails modctl load snd
assert_stderr_contains "soundcore" "the denial names the dependency"
assert_stderr_contains "rule Deny" "the denial names the rule"
assert_eq "$BEFORE" "$(loaded_modules)" "modctl load snd inserted nothing"

# ---- Deny=dummy and the kernel's name for it, asked by a user and by the kernel itself.
set_conf "[Policy]" "Deny=dummy"
reload_expect applied ""
check "ReloadConfig applies Deny=dummy"
unload_quietly dummy
assert_fails modctl load rtnl-link-dummy
assert_stderr_contains "Module 'dummy' is masked by Deny=dummy" "the alias rtnl-link-dummy is refused by its target's mask"
assert_not_loaded dummy
# `ip link add` makes the kernel call request_module("rtnl-link-dummy"), which reaches modctld
# through kernel.modprobe and the hook: the same mask refuses it, with origin kernel.
assert_eq "/usr/libexec/modctl/modctl-request" "$(cat /proc/sys/kernel/modprobe)" "kernel.modprobe names the hook"
assert_fails ip link add d0 type dummy
monitor_expect_signal ModuleLoadFailed rtnl-link-dummy kernel 30
check "the kernel's request for rtnl-link-dummy fails with ModuleLoadFailed(origin kernel)"
assert_not_loaded dummy "Deny=dummy refuses the kernel's request for rtnl-link-dummy"

# ---- A bad config sent with SIGHUP: the previous policy stays
set_conf "[Policy]" "Deny=dummy" "License=nope"
reload_expect refused "$CONF:3: invalid value for License: 'nope'." hup
check "SIGHUP with a bad line is refused, naming $CONF:3"
assert_ok modctl policy show
assert_stdout_contains "Deny=dummy" "the previous Deny=dummy is still in force"
assert_stdout_contains "License=any" "License is still any"
assert_fails modctl load rtnl-link-dummy
assert_not_loaded dummy "dummy is still refused after the bad reload"
grep -q "$CONF:3" "$MODCTLD_LOG"
check "the daemon log names $CONF:3"

# A good config with SIGHUP applies.
set_conf "[Policy]" "Mode=off"
reload_expect applied "" hup
check "SIGHUP with a good config applies it"
assert_ok modctl load rtnl-link-dummy
assert_loaded dummy "Mode=off lets dummy load"
assert_ok modctl unload dummy

monitor_stop
assert_ok stop_modctld
vm_finish
