#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault: dbus-daemon dies. Kernel requests (the hook) and device loads (uevents) still work
# while it is gone; when it is started again, modctld takes org.modctl1 up again by itself:
# `modctl list` over the bus works, and modctld is the same process (its pid unchanged).
# Afterwards /proc/modules and `modctl list` agree, the settings files parse, and the kernel
# hook answers.
. /vm/lib.sh

HELPER=/usr/libexec/modctl/modctl-request

start_system_bus
check "dbus-daemon --system is up"
MODCTLD_AUTOLOAD=1 start_modctld
check "modctld starts with device events"
if ! daemon_alive; then
        vm_finish
        exit 1
fi
pid=$MODCTLD_PID
wait_log "Module e1000 loaded (origin device)"
check "coldplug loads e1000"
e1000_dev=
for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x100e ] && e1000_dev=$d
done
[ -n "$e1000_dev" ]
check "found the e1000 device"
# Out of the way by another tool: no sticky unload, so its device brings it back.
echo 1 > "$e1000_dev/remove"
rmmod e1000
check "e1000 removed with its device"

# ---- dbus-daemon dies
unload_quietly dummy
: > "$MODCTLD_LOG"
kill -9 "$DBUS_PID"
wait "$DBUS_PID" 2>/dev/null
wait_log "Lost the connection to the bus"
check "modctld sees the bus go"
assert_ok "$HELPER" -q -- dummy
assert_loaded dummy "a kernel request is answered without the bus"
echo 1 > /sys/bus/pci/rescan
wait_log "Module e1000 loaded (origin device)"
check "a device's uevent loads its driver without the bus"
assert_loaded e1000
kill -0 "$pid"
check "modctld is still running"

# ---- dbus-daemon is back
start_system_bus
check "dbus-daemon --system is up again"
wait_log "Back on the bus: serving org.modctl1 again."
check "modctld takes org.modctl1 up again"
name_has_owner org.modctl1
check "org.modctl1 has an owner"
assert_ok modctl list
assert_stdout_contains "e1000" "modctl list over the bus works and shows the device load"
assert_eq "$pid" "$(cat /run/modctld.pid)" "modctld is the same process"
kill -0 "$pid"
check "and it is alive"

after_fault_checks "bus back"

stop_modctld
check "modctld stops"
vm_finish
