#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault: the file system that holds the settings is full (ENOSPC, a tiny tmpfs) or read-only.
# The setting call fails with a sentence that says so and names the file, the old file is intact,
# no temporary file is left; afterwards /proc/modules and `modctl list` agree, the settings files
# parse, and the kernel hook answers.
. /vm/lib.sh

FILE=/etc/modprobe.d/modctl.conf

start_system_bus
check "dbus-daemon --system is up"
mkdir -p /etc/modprobe.d
# A file system of 64 KiB for the settings, filled up below.
mount -t tmpfs -o size=64k tmpfs /etc/modprobe.d
check "a 64 KiB tmpfs on /etc/modprobe.d"
start_modctld
check "modctld starts"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

assert_ok modctl options dummy numdummies=2
old=$(cat $FILE)
assert_contains "$old" "numdummies=2" "the option is stored"

# ---- full
dd if=/dev/zero of=/etc/modprobe.d/filler bs=4k count=64 2>/dev/null
assert_fails modctl options dummy numdummies=3
assert_stderr_contains "No space left on device" "the error says the file system is full"
assert_stderr_contains "$FILE" "and names the file"
assert_eq "$old" "$(cat $FILE)" "the old file is intact"
assert_eq "" "$(ls -A /etc/modprobe.d | grep '^\.#')" "no temporary file is left"
rm /etc/modprobe.d/filler
daemon_alive
check "modctld is still running after ENOSPC"
after_fault_checks "full"

# ---- read-only
mount -o remount,ro /etc/modprobe.d
check "the tmpfs is read-only"
assert_fails modctl options dummy numdummies=4
assert_stderr_contains "Read-only file system" "the error says the file system is read-only"
assert_stderr_contains "$FILE" "and names the file"
assert_eq "$old" "$(cat $FILE)" "the old file is intact"
assert_eq "" "$(ls -A /etc/modprobe.d | grep '^\.#')" "no temporary file is left"
daemon_alive
check "modctld is still running after EROFS"
after_fault_checks "read-only"

# Writable again: the setting works.
mount -o remount,rw /etc/modprobe.d
assert_ok modctl options dummy numdummies=3
assert_contains "$(cat $FILE)" "numdummies=3" "once writable, the setting is stored"
after_fault_checks "writable again"

vm_finish
