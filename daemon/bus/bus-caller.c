/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bus/bus-caller.h"

void bus_caller_from_message(sd_bus_message *message, BusCaller *ret) {
        const gid_t *gids = NULL;
        uint64_t mask;
        uid_t uid;
        gid_t gid;
        int n;

        assert(ret);

        *ret = (BusCaller) { .caller = CALLER_ANONYMOUS };
        if (!message || sd_bus_message_is_signal(message, NULL, NULL) > 0)
                return;
        /* Augmenting from /proc/PID fills in the gids when the bus does not report them. */
        mask = SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS;
        mask |= SD_BUS_CREDS_AUGMENT;
        if (sd_bus_query_sender_creds(message, mask, &ret->creds) < 0)
                return;
        if (sd_bus_creds_get_euid(ret->creds, &uid) < 0) {
                ret->creds = sd_bus_creds_unref(ret->creds);
                return;
        }
        ret->caller.uid = uid;
        if (sd_bus_creds_get_egid(ret->creds, &gid) >= 0)
                ret->caller.gid = gid;
        n = sd_bus_creds_get_supplementary_gids(ret->creds, &gids);
        if (n > 0) {
                ret->caller.gids = gids;
                ret->caller.n_gids = n;
        }
}

void bus_caller_done(BusCaller *c) {
        if (!c)
                return;
        c->creds = sd_bus_creds_unref(c->creds);
        c->caller = CALLER_ANONYMOUS;
}
