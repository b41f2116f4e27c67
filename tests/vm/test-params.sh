#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 19, findings 1 and 2, on Debian's kernel with the installed daemon: parameters never
# become options or shell syntax. An install line of the form modprobe.d(5) documents,
# "install X /sbin/modprobe --ignore-install X $CMDLINE_OPTS" (kmod's modprobe behind a shim
# that records each run); an unprivileged user's Load with --config= or --dirname= is refused with
# InvalidParameters naming the parameter, and the command never starts. SetOptions with $(...)
# or a leading '-' is refused and writes nothing; after a permitted SetOptions, kmod's own
# modprobe (which splices the stored options into the install line as text) runs nothing but
# the admin's command.
. /vm/lib.sh

# The unprivileged caller: the guest's desktop user (uid 65534 has no passwd entry here, and
# dbus-daemon does not let it connect). No polkitd runs: the grammar is checked first.
TESTER="setpriv --reuid=1000 --regid=1000 --clear-groups"

# kmod's modprobe by its own name (kmod is a multi-call binary).
mkdir -p /run/kmod /etc/modprobe.d
ln -sf /usr/bin/kmod /run/kmod/modprobe
cat > /run/probe-shim <<'SHIM'
#!/bin/sh
echo "$*" >> /run/install-args
exec /run/kmod/modprobe "$@"
SHIM
chmod 755 /run/probe-shim
cat > /etc/modprobe.d/hostile.conf <<'CONF'
install modctl_test_base /run/probe-shim --ignore-install modctl_test_base $CMDLINE_OPTS
install modctl_test_dep echo $CMDLINE_OPTS > /run/kmod-args; /run/kmod/modprobe --ignore-install modctl_test_dep $CMDLINE_OPTS
CONF
# What an attacker's --config= file would make modprobe do as root.
printf 'install modctl_test_base touch /run/pwned-config\noptions modctl_test_base value=666\n' > /tmp/evil.conf
chmod 644 /tmp/evil.conf

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld starts"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

# dbus-send prints "Error NAME: message" on failure; busctl prints only the message.
bus_call() {
        local who=$1; shift
        run $who dbus-send --system --print-reply --dest=org.modctl1 /org/modctl1 "org.modctl1.Manager.$@"
}

# assert_invalid WHO PARAM_NAME METHOD ARGS...
assert_invalid() {
        local who=$1 param=$2; shift 2
        bus_call "$who" "$@"
        if [ "$RC" -ne 0 ]; then
                assert_contains "$ERR" "Error org.modctl1.Error.InvalidParameters" \
                        "$1(${3:7:40}) fails with InvalidParameters"
                assert_contains "$ERR" "parameter '$param' has" "its message names the parameter '$param'"
        else
                fail "$1(${3:7:40}) fails with InvalidParameters"
                show_last
        fi
}

payloads() {
        ls /run/install-args /run/pwned* /run/kmod-args 2>/dev/null
}

unload_quietly modctl_test_dep modctl_test_base

# ---- Load as an unprivileged user: refused before anything runs
for p in "--config=/tmp/evil.conf:--config" "x=1 --dirname=/tmp/evil:--dirname" \
         "a=\$(touch /run/pwned-subst):a" "a=\`touch /run/pwned-tick\`:a" "id=\"x --config=/tmp/evil.conf\":id" \
         "x=/run/*:x"; do
        assert_invalid "$TESTER" "${p##*:}" Load string:modctl_test_base "string:${p%:*}" uint64:0
        assert_invalid "$TESTER" "${p##*:}" CheckPolicy string:modctl_test_base "string:${p%:*}" uint64:0
        # Root's own call gets the same answer: the grammar is checked before authorization.
        assert_invalid "" "${p##*:}" Load string:modctl_test_base "string:${p%:*}" uint64:0
done
run modctl load modctl_test_base -- --config=/tmp/evil.conf
assert_eq 1 "$RC" "modctl load -- --config=... fails"
assert_stderr_contains "parameter '--config' has '-' at byte 0" "modctl names the parameter before it calls the bus"
assert_eq "" "$(payloads)" "the install command never ran, and no payload did"
assert_not_loaded modctl_test_base "nothing was loaded"

# What the grammar allows reaches the command as plain words.
assert_ok modctl load modctl_test_base value=4
assert_loaded modctl_test_base "a permitted load runs the install command, which loads the module"
assert_eq "--ignore-install modctl_test_base value=4" "$(cat /run/install-args 2>/dev/null)" \
        "the install command got the parameters as plain words"
assert_eq "4" "$(cat /sys/module/modctl_test_base/parameters/value 2>/dev/null)" "the kernel got value=4"
unload_quietly modctl_test_base
rm -f /run/install-args

# ---- SetOptions: refused, nothing written
for p in "a=\$(touch /run/pwned-id):a" "-x:-x" "--config=/tmp/evil.conf:--config" "a=\`id\`:a" "a=1;id:a"; do
        assert_invalid "$TESTER" "${p##*:}" SetOptions string:modctl_test_dep "string:${p%:*}" uint64:0
        assert_invalid "" "${p##*:}" SetOptions string:modctl_test_dep "string:${p%:*}" uint64:0
done
[ ! -e /etc/modprobe.d/modctl.conf ] || ! grep -q '^options' /etc/modprobe.d/modctl.conf
check "no refused SetOptions wrote an options line"

# ---- kmod's own modprobe after a permitted SetOptions
bus_call "" SetOptions string:modctl_test_dep 'string:value=2 id="x y"' uint64:0
assert_eq 0 "$RC" "SetOptions(modctl_test_dep, value=2 id=\"x y\") is permitted"
[ "$RC" -eq 0 ] || show_last
assert_contains "$(cat /etc/modprobe.d/modctl.conf 2>/dev/null)" 'options modctl_test_dep value=2 id="x y"' \
        "the options line is written"
run /run/kmod/modprobe modctl_test_dep
assert_eq 0 "$RC" "kmod's modprobe modctl_test_dep runs the install command"
[ "$RC" -eq 0 ] || show_last
assert_eq "value=2 id=x y" "$(cat /run/kmod-args 2>/dev/null)" "the install command got the stored options as words"
assert_loaded modctl_test_dep "kmod's modprobe loaded the module"
# kmod ran the admin's install command of the dependency too, with no options of anyone's.
assert_eq "--ignore-install modctl_test_base" "$(cat /run/install-args 2>/dev/null)" \
        "the dependency's install command ran as written, with no stored options"
rm -f /run/kmod-args /run/install-args
assert_eq "" "$(payloads)" "nothing but the admin's command ran"

unload_quietly modctl_test_dep modctl_test_base
stop_modctld
check "modctld stops cleanly"
vm_finish
