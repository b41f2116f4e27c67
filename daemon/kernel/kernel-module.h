/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A loaded module as the kernel backend (kernel.h) describes it: plain data that every layer
 * may read, the bus among them, without reaching the backend itself. */

#include <stddef.h>
#include <stdint.h>

typedef enum KernelModuleState {
        KERNEL_MODULE_ABSENT,
        KERNEL_MODULE_BUILTIN,
        KERNEL_MODULE_LIVE,
        KERNEL_MODULE_COMING,
        KERNEL_MODULE_GOING,
        _KERNEL_MODULE_STATE_MAX,
} KernelModuleState;

typedef struct KernelModule {
        char *name;
        uint64_t size;
        int refcount;            /* -1 when the module cannot be unloaded */
        char **holders;          /* NULL-terminated, may be NULL */
        KernelModuleState state;
        char *taint;             /* taint letters, "" when none */
} KernelModule;

void kernel_module_done(KernelModule *m);
void kernel_module_array_free(KernelModule *m, size_t n);

const char *kernel_module_state_to_string(KernelModuleState s);
