#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Devices and boot on Debian's kernel, with qemu's intel-hda + hda-duplex, e1000 and
# virtio-rng-pci (see run-vm.sh) and modules_load= on the kernel command line (meson.build):
#   - the boot list (modules-load.d precedence and masking, modules_load=, rd.modules_load=) is
#     loaded with origin "boot" once `modctl wait boot` returns (READY=1 does not wait for it);
#     a missing entry does not stop the rest;
#   - coldplug loads the emulated devices' drivers with origin "device", and a device that
#     appears later (virtio_pci's virtio device) gets its driver from the uevent;
#   - a driver an admin unloads stays unloaded across a daemon restart (sticky) and comes back
#     when the device is removed and re-added through sysfs;
#   - a module whose init outlives LoadTimeoutSec is reported, and other loads still complete.
# The event stream is read from `modctl monitor`, started before the daemon.
. /vm/lib.sh

start_system_bus
check "dbus-daemon --system is up"

# ---- modctl monitor: its stdout is our event stream; its "Monitoring" line on stderr says the
# matches are in place.
rm -f /run/events.fifo /run/monitor-ready.fifo
mkfifo /run/events.fifo /run/monitor-ready.fifo
modctl monitor > /run/events.fifo 2> /run/monitor-ready.fifo &
MON_PID=$!
exec 8< /run/events.fifo
exec 9< /run/monitor-ready.fifo
read -t 30 -r line <&9
assert_contains "$line" "Monitoring" "modctl monitor is listening"
: > /tmp/events.log

# expect_event LINE [TIMEOUT]: LINE was printed by the monitor, now or before.
expect_event() {
        local want=$1 timeout=${2:-60} line
        grep -qxF -- "$want" /tmp/events.log && return 0
        while read -t "$timeout" -r line <&8; do
                echo "$line" >> /tmp/events.log
                [ "$line" = "$want" ] && return 0
        done
        return 1
}

# expect_event_prefix PREFIX [TIMEOUT]: a line starting with PREFIX was printed.
expect_event_prefix() {
        local want=$1 timeout=${2:-60} line
        grep -qF -- "$want" /tmp/events.log && return 0
        while read -t "$timeout" -r line <&8; do
                echo "$line" >> /tmp/events.log
                case $line in "$want"*) return 0 ;; esac
        done
        return 1
}

# ---- the boot list
mkdir -p /etc/modules-load.d /run/modules-load.d /usr/lib/modules-load.d /usr/local/lib/modules-load.d
printf '# boot modules for the test\n; another comment\n\ndummy\n  no_such_module_xyz  \nveth\n' \
        > /etc/modules-load.d/test.conf
echo bridge > /run/modules-load.d/test.conf         # hidden: /etc has test.conf
echo tun > /usr/lib/modules-load.d/masked.conf
ln -s /dev/null /etc/modules-load.d/masked.conf     # masks it
echo 8021q > /usr/local/lib/modules-load.d/vlan.conf
unload_quietly dummy veth bridge tun 8021q loop nbd fuse

mkdir -p /etc/modctl
printf '[Daemon]\nLoadTimeoutSec=3\n' > /etc/modctl/modctld.conf

MODCTLD_AUTOLOAD=1 start_modctld
check "modctld starts with autoload and sends READY=1"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

# READY=1 does not wait for the boot list (issue 21); `modctl wait boot` does, with no polling:
# what modctld-boot-list.service runs.
assert_ok modctl wait boot
assert_contains "$OUT" "Boot list loaded @" "modctl wait boot returns once the boot list is loaded"
for m in dummy veth 8021q loop nbd fuse; do
        assert_loaded "$m" "boot list: $m is loaded when modctl wait boot returns"
done
assert_not_loaded bridge "a file in /etc hides the same name in /run"
assert_not_loaded tun "a file linked to /dev/null masks the same name"
assert_contains "$(cat "$MODCTLD_LOG")" "no_such_module_xyz" "the missing entry is logged"
for m in dummy veth 8021q loop nbd fuse; do
        expect_event "loaded    $m (origin boot)" 10
        check "ModuleLoaded($m, boot)"
done
expect_event_prefix "failed    no_such_module_xyz (origin boot): Module 'no_such_module_xyz' not found" 10
check "the missing entry is reported as ModuleLoadFailed with origin boot"

# ---- coldplug and device events (TCG is slow: generous timeouts)
for m in e1000 snd_hda_intel virtio_pci; do
        expect_event "loaded    $m (origin device)" 120
        check "coldplug loads $m with origin device"
done
expect_event "loaded    virtio_rng (origin device)" 120
check "virtio_pci's new virtio device gets virtio_rng from its uevent, origin device"
assert_not_contains "$(grep -E 'warning|error' "$MODCTLD_LOG")" "not found" \
        "device aliases without a module are not logged as problems"

# ---- sticky unload
assert_ok modctl unload e1000
expect_event "unloaded  e1000 (origin user)" 30
check "ModuleUnloaded(e1000, user)"
assert_contains "$(cat /run/modctl/unloaded 2>/dev/null)" "e1000" "the unload is remembered in /run/modctl/unloaded"

# The first daemon's coldplug summary is read before the restart, so the one awaited below is
# the second daemon's.
expect_event_prefix "finished  coldplug: " 120
check "the first coldplug finished"
stop_modctld
check "modctld stops"
: > "$MODCTLD_LOG"
: > /tmp/events.log
MODCTLD_AUTOLOAD=1 start_modctld
check "modctld starts again"
# Everything else is loaded, e1000 is held back. Coldplug (its walk runs on a thread) may
# finish after READY=1: wait for its summary.
expect_event_prefix "finished  coldplug: " 120
check "the coldplug after the restart finished"
assert_contains "$(cat "$MODCTLD_LOG")" "Not loading module e1000" "coldplug after a restart holds e1000 back"
assert_not_loaded e1000 "an admin's unload sticks across a daemon restart"

e1000_dev=
for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x100e ] && e1000_dev=$d
done
if [ -n "$e1000_dev" ]; then
        pass "found the e1000 device at $e1000_dev"
        echo 1 > "$e1000_dev/remove"
        echo 1 > /sys/bus/pci/rescan
        : > /tmp/events.log.new
        grep -vxF "loaded    e1000 (origin device)" /tmp/events.log > /tmp/events.log.new
        mv /tmp/events.log.new /tmp/events.log
        expect_event "loaded    e1000 (origin device)" 120
        check "after sysfs remove and pci rescan, e1000 is loaded again with origin device"
        assert_loaded e1000
        assert_not_contains "$(cat /run/modctl/unloaded 2>/dev/null)" "e1000" "and it is no longer held back"
else
        fail "found the e1000 device"
fi

# ---- a hanging init: reported after LoadTimeoutSec=3, other loads go on meanwhile
unload_quietly modctl_test_hang bridge
modctl load modctl_test_hang delay_ms=20000 > /tmp/hang.out 2> /tmp/hang.err &
HANG_PID=$!
assert_ok modctl load bridge
assert_loaded bridge "a load runs while another module's init hangs"
wait "$HANG_PID"
hang_rc=$?
[ "$hang_rc" -ne 0 ]
check "loading the hanging module fails"
assert_contains "$(cat /tmp/hang.err)" "modctl_test_hang" "the error names the hanging module"
expect_event_prefix "failed    modctl_test_hang (origin user)" 30
check "modctl monitor shows the timeout as a failed load"
assert_ok modctl load snd_dummy
assert_loaded snd_dummy "loads still complete after the timeout"
daemon_alive
check "modctld is still running"

kill -INT "$MON_PID"
wait "$MON_PID"
assert_eq 0 "$?" "modctl monitor exits 0 on SIGINT"
exec 8<&- 9<&-
diag "events seen:"
diag "$(cat /tmp/events.log)"

stop_modctld
check "modctld exits on SIGTERM"
vm_finish
