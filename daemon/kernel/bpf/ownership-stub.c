/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modctld built without BPF (-Dbpf=disabled, or no clang/libbpf/bpftool at build time). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "common/macro.h"
#include "kernel/bpf/ownership.h"

struct Ownership {
        int unused;
};

int ownership_new(sd_event *event, ownership_report_t report, void *userdata, Ownership **ret) {
        assert(ret);
        *ret = calloc(1, sizeof(Ownership));
        return *ret ? 0 : -ENOMEM;
}

Ownership *ownership_free(Ownership *o) {
        free(o);
        return NULL;
}

int ownership_apply(Ownership *o, OwnershipMode mode, KernelRequests requests, OwnershipOnExit on_exit,
                    Failure *failure) {
        assert(o);

        if (mode == OWNERSHIP_SHARED && requests == KERNEL_REQUESTS_ANY && on_exit == OWNERSHIP_ON_EXIT_RELEASE)
                return 0;
        return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "modctld was built without BPF support (-Dbpf=disabled).");
}

void ownership_get_state(Ownership *o, OwnershipState *ret) {
        assert(o);
        assert(ret);
        *ret = (OwnershipState) {};
}

void ownership_drain(Ownership *o) {
        assert(o);
}
