/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel contract on the fake backend (unit suite). The fake is told only what the real
 * kernel knows by itself: which module's init fails, and what is built in. */
#include <stdio.h>

#include "kernel-contract.h"
#include "kernel-fake.h"
#include "kernel/kernel.h"

int main(void) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        KernelContract c = {
                .module_dir = MODCTL_TEST_MODULES_DIR "/src",
                .builtin = "i8042",
        };

        if (kernel_new_fake(&k) < 0 || kernel_fake_set_failure(k, "modctl_test_fail", -ENODEV) < 0 ||
            kernel_fake_set_builtin(k, c.builtin) < 0) {
                printf("Bail out! cannot set up the fake kernel\n");
                return 1;
        }
        return kernel_contract_run(k, &c) == 0 ? 0 : 1;
}
