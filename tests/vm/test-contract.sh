#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel backend's contract on Debian's kernel: the same assertions the unit suite runs on
# the fake backend (tests/contract/kernel-contract.c), here through the real one (finit_module,
# delete_module, /proc/modules, /sys/module, module uevents). No daemon runs.
. /vm/lib.sh

[ -x "$KERNEL_CONTRACT" ]
check "the contract binary is in the initramfs ($KERNEL_CONTRACT)"
unload_quietly modctl_test_dep modctl_test_base modctl_test_fail

"$KERNEL_CONTRACT" "/lib/modules/$KVER/extra" i8042 > /tmp/contract.out 2>&1
rc=$?
n=0
while IFS= read -r line; do
        case $line in
        "ok "*) n=$((n + 1)); pass "contract: ${line#ok * - }" ;;
        "not ok "*) n=$((n + 1)); fail "contract: ${line#not ok * - }" ;;
        *) diag "$line" ;;
        esac
done < /tmp/contract.out
[ "$rc" -eq 0 ]
check "the contract holds on the real kernel (exit status $rc)"
[ "$n" -ge 40 ]
check "the contract ran all its assertions ($n)"
unload_quietly modctl_test_dep modctl_test_base modctl_test_fail
vm_finish
