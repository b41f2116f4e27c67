/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel backend's contract: one list of assertions about insert, remove, get_state, get,
 * list, get_parameters and module uevents, run against the fake backend in the unit suite and
 * against Debian's kernel in the VM suite (vm-contract), so the fake cannot drift from the
 * kernel. Output is TAP; the result is the number of failed assertions. */

#include "kernel/kernel.h"
#include "macro.h"

typedef struct KernelContract {
        const char *module_dir;   /* holds modctl_test_{base,dep,fail}.ko */
        const char *builtin;      /* a module built into this kernel that has parameters (so the kernel
                                   * gives it a /sys/module directory: i8042 in Debian's kernel) */
} KernelContract;

int kernel_contract_run(Kernel *k, const KernelContract *c);
