/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel contract on the running kernel (the VM suite runs it as root in the guest):
 *   kernel-contract-real MODULE_DIR BUILTIN */
#include <stdio.h>

#include "kernel-contract.h"
#include "kernel/kernel.h"

int main(int argc, char *argv[]) {
        _cleanup_(kernel_freep) Kernel *k = NULL;

        if (argc != 3) {
                fprintf(stderr, "usage: %s MODULE_DIR BUILTIN_MODULE\n", argv[0]);
                return 2;
        }
        if (kernel_new_real(&k) < 0) {
                printf("Bail out! cannot set up the kernel backend\n");
                return 1;
        }
        return kernel_contract_run(k, &(KernelContract) { .module_dir = argv[1], .builtin = argv[2] }) == 0 ? 0 : 1;
}
