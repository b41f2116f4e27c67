#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Booted with an lsm= list without bpf: the BPF LSM programs would attach but never run. modctld
# with Ownership=exclusive and KernelRequests=privileged starts anyway, says clearly that
# nothing is enforced (log, OwnershipEnforcement, modctl status) and claims no protection.
. /vm/lib.sh

CONF=/etc/modctl/modctld.conf
DUMMY_KO=$(find "/lib/modules/$KVER/kernel" -name 'dummy.ko*' | head -n1)

assert_not_contains "$(cat /sys/kernel/security/lsm)" "bpf" "the BPF LSM is not active (lsm= without bpf)"
mkdir -p /etc/modctl
printf '[Daemon]\nOwnership=exclusive\n[Policy]\nKernelRequests=privileged\n' > "$CONF"

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld starts although enforcement is unavailable"
if ! daemon_alive; then
        vm_finish
        exit 1
fi
log=$(cat "$MODCTLD_LOG")
assert_contains "$log" "Kernel-enforced ownership is unavailable: The BPF LSM is not active" "the daemon logs why"
assert_contains "$log" "are NOT enforced" "and that nothing is enforced"
run busctl get-property org.modctl1 /org/modctl1 org.modctl1.Manager OwnershipEnforcement
assert_contains "$OUT" '"unavailable: The BPF LSM is not active' "OwnershipEnforcement says unavailable"
assert_ok modctl status
assert_stdout_contains "unavailable: The BPF LSM is not active" "modctl status says enforcement is unavailable"
assert_not_contains "$OUT" "active, released" "modctl status claims no protection"
assert_ok insmod "$DUMMY_KO"
assert_loaded dummy "insmod works: nothing is enforced, as stated"
rmmod dummy
assert_ok modctl load dummy
assert_loaded dummy "modctl load still works"
rmmod dummy
daemon_alive
check "modctld is still running"

vm_finish
