/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel-enforced ownership for the fake kernel: no BPF, nothing reaches the kernel. The state
 * follows the settings as the real programs would (attached once anything is asked of them,
 * kept while OwnershipOnExit=keep), so the daemon's properties, status and reloads can be
 * tested without a kernel. MODCTL_FAKE_OWNERSHIP_UNAVAILABLE=REASON makes it unavailable. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "ownership.h"

struct Ownership {
        bool active;
        bool pinned;
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
        const char *unavailable = getenv("MODCTL_FAKE_OWNERSHIP_UNAVAILABLE");

        assert(o);
        if (!o->active && mode == OWNERSHIP_SHARED && requests == KERNEL_REQUESTS_ANY &&
            on_exit == OWNERSHIP_ON_EXIT_RELEASE)
                return 0;
        if (unavailable && !o->active)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "%s", unavailable);
        o->active = true;
        o->pinned = on_exit == OWNERSHIP_ON_EXIT_KEEP;
        return 0;
}

void ownership_get_state(Ownership *o, OwnershipState *ret) {
        assert(o);
        *ret = (OwnershipState) { .active = o->active, .pinned = o->pinned };
}
