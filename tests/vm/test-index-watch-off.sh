#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The index watch on Debian's kernel without inotify: modctld started while
# fs.inotify.max_user_instances is 0 says once that the watch is off, and each request still
# sees a new alias, a changed option and a new boot-list file. Once the limit is restored, the
# retry timer takes the watch up again. Then an overflowed queue (max_queued_events 1, the
# daemon stopped while files change) and a replaced modprobe.d directory are still followed.
. /vm/lib.sh

HELPER=/usr/libexec/modctl/modctl-request
INSTANCES=/proc/sys/fs/inotify/max_user_instances
QUEUED=/proc/sys/fs/inotify/max_queued_events
ORIG_INSTANCES=$(cat $INSTANCES)
ORIG_QUEUED=$(cat $QUEUED)
OFF_LINE="Cannot watch the module index and configuration with inotify"

# settings NAME: `modctl settings NAME --json` without spaces.
settings() {
        modctl settings "$1" --json | tr -d ' \n'
}

ndummies() {
        ls /sys/class/net | grep -c '^dummy'
}

start_system_bus
check "dbus-daemon --system is up"
mkdir -p /etc/modprobe.d /etc/modules-load.d
echo 0 > $INSTANCES
start_modctld --log-level=debug
check "modctld starts while fs.inotify.max_user_instances is 0"
if ! daemon_alive; then
        echo "$ORIG_INSTANCES" > $INSTANCES
        vm_finish
        exit 1
fi
assert_contains "$(cat "$MODCTLD_LOG")" "$OFF_LINE (Too many open files)" "the daemon says the watch is off"

# ---- off: every request checks the files
echo "alias modctl-off-alias dummy" > /etc/modprobe.d/off.conf
assert_ok modctl load modctl-off-alias
assert_loaded dummy "a new alias is seen by the next bus request"
unload_quietly dummy
echo "alias modctl-off-hook dummy" > /etc/modprobe.d/off-hook.conf
assert_ok "$HELPER" -q -- modctl-off-hook
assert_loaded dummy "a new alias is seen by the next kernel request"
unload_quietly dummy

echo "options dummy numdummies=3" > /etc/modprobe.d/dummy-opt.conf
assert_contains "$(settings dummy)" '"options":"numdummies=3"' "a new option is in the settings"
assert_ok modctl load dummy
assert_eq 3 "$(ndummies)" "the load uses the new option"
unload_quietly dummy
# The same size, only the digit changes.
echo "options dummy numdummies=2" > /etc/modprobe.d/dummy-opt.conf
assert_contains "$(settings dummy)" '"options":"numdummies=2"' "a changed option is in the settings"
assert_ok modctl load dummy
assert_eq 2 "$(ndummies)" "the load uses the changed option"
unload_quietly dummy

assert_contains "$(settings dummy)" '"boot":false' "dummy is not in the boot list yet"
echo dummy > /etc/modules-load.d/modctl-off.conf
assert_contains "$(settings dummy)" '"boot":true' "a new boot-list file is seen by the next request"
rm /etc/modules-load.d/modctl-off.conf
assert_contains "$(settings dummy)" '"boot":false' "and its removal"

assert_eq 1 "$(grep -c -F "$OFF_LINE" "$MODCTLD_LOG")" "the watch being off is logged once"

# ---- restored: the retry takes the watch up again (the queue of one event overflows at once)
echo 1 > $QUEUED
echo "$ORIG_INSTANCES" > $INSTANCES
wait_log "Watching the module index and configuration with inotify again."
check "with inotify back, the retry timer takes the watch up again"
echo "$ORIG_QUEUED" > $QUEUED

kill -STOP "$MODCTLD_PID"
for i in 1 2 3 4 5; do
        echo "# $i" > /etc/modprobe.d/noise-$i.conf
done
echo "alias modctl-overflow-alias dummy" > /etc/modprobe.d/overflow.conf
kill -CONT "$MODCTLD_PID"
assert_ok "$HELPER" -q -- modctl-overflow-alias
assert_loaded dummy "a change made while the queue overflowed is seen"
unload_quietly dummy
assert_contains "$(cat "$MODCTLD_LOG")" "queue overflowed; watching every path again" \
        "the overflow was noticed"

# The directory replaced by another: the watch follows the new one.
mv /etc/modprobe.d /etc/modprobe.d.old
mkdir /etc/modprobe.d
echo "alias modctl-replaced-alias dummy" > /etc/modprobe.d/replaced.conf
assert_ok "$HELPER" -q -- modctl-replaced-alias
assert_loaded dummy "an alias in a replaced modprobe.d is seen"
unload_quietly dummy
echo "alias modctl-replaced-later dummy" > /etc/modprobe.d/later.conf
assert_ok modctl load modctl-replaced-later
assert_loaded dummy "and a later change in the new directory"
unload_quietly dummy

daemon_alive
check "modctld is still running"
after_fault_checks "watch replaced"
vm_finish
