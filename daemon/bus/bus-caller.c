/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bus/bus-caller.h"
#include "common/macro.h"

void bus_caller_from_creds(sd_bus_creds *creds, BusCaller *ret) {
        const gid_t *gids = NULL;
        uid_t uid;
        gid_t gid;
        int n;

        assert(ret);

        *ret = (BusCaller) { .caller = CALLER_ANONYMOUS };
        if (!creds || sd_bus_creds_get_euid(creds, &uid) < 0)
                return;
        ret->creds = sd_bus_creds_ref(creds);
        ret->caller.uid = uid;
        if (sd_bus_creds_get_egid(creds, &gid) >= 0)
                ret->caller.gid = gid;
        n = sd_bus_creds_get_supplementary_gids(creds, &gids);
        if (n > 0) {
                ret->caller.gids = gids;
                ret->caller.n_gids = n;
        }
}

void bus_caller_from_message(sd_bus_message *message, BusCaller *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;

        assert(ret);

        if (message && sd_bus_message_is_signal(message, NULL, NULL) <= 0)
                (void) sd_bus_query_sender_creds(message, BUS_CALLER_CREDS, &creds);
        bus_caller_from_creds(creds, ret);
}

void bus_caller_done(BusCaller *c) {
        if (!c)
                return;
        c->creds = sd_bus_creds_unref(c->creds);
        c->caller = CALLER_ANONYMOUS;
}

void bus_requester_from_message(sd_bus_message *message, Requester *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *comm = NULL, *unit = NULL;
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;
        uint64_t mask;

        assert(ret);

        *ret = REQUESTER_UNKNOWN;
        if (!message || sd_bus_message_is_signal(message, NULL, NULL) > 0)
                return;
        mask = SD_BUS_CREDS_PID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_COMM | SD_BUS_CREDS_UNIT;
        mask |= SD_BUS_CREDS_AUGMENT;
        if (sd_bus_query_sender_creds(message, mask, &creds) < 0)
                return;
        if (sd_bus_creds_get_euid(creds, &uid) < 0)
                uid = (uid_t) -1;
        if (sd_bus_creds_get_pid(creds, &pid) < 0)
                pid = 0;
        (void) sd_bus_creds_get_comm(creds, &comm);
        (void) sd_bus_creds_get_unit(creds, &unit);
        /* A peer-to-peer connection (root's private socket) tells only the peer's pid and uid:
         * the rest from /proc/PID, as the bus's augmenting would. */
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *proc = NULL;
        if (pid > 0 && (!comm || !unit) &&
            sd_bus_creds_new_from_pid(&proc, pid, SD_BUS_CREDS_COMM | SD_BUS_CREDS_UNIT) >= 0) {
                if (!comm)
                        (void) sd_bus_creds_get_comm(proc, &comm);
                if (!unit)
                        (void) sd_bus_creds_get_unit(proc, &unit);
        }
        requester_set(ret, uid, pid, comm, unit);
}
