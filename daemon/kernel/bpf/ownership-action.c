/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of the actions an ownership report can describe; shared by every ownership
 * backend (BPF, the stub without BPF, and the test fake). */
#include "common/macro.h"
#include "kernel/bpf/ownership.h"

static const char *const action_table[] = {
        [OWNERSHIP_ACTION_FINIT_MODULE] = "finit_module",
        [OWNERSHIP_ACTION_INIT_MODULE] = "init_module",
        [OWNERSHIP_ACTION_REQUEST] = "request_module",
};

const char *ownership_action_to_string(OwnershipAction a) {
        return (size_t) a < ELEMENTSOF(action_table) ? action_table[a] : NULL;
}
