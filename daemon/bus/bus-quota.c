/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <uthash.h>

#include "bus/bus-error.h"
#include "bus/bus-quota.h"

/* Buckets that are full again say nothing a new one would not: dropped when there are this many,
 * so a flood of distinct uids cannot grow the table without bound. */
#define BUS_QUOTA_UIDS_MAX 1024u

struct BusQuota {
        uid_t uid;
        usec_t credit;          /* time's worth of calls left, at most burst calls' worth */
        usec_t updated;
        UT_hash_handle hh;
};

static usec_t quota_refill(BusQuota *b, usec_t cost, unsigned burst, usec_t now) {
        usec_t full = cost * burst;

        if (now > b->updated) {
                usec_t earned = now - b->updated;
                b->credit = earned >= full || b->credit >= full - earned ? full : b->credit + earned;
        }
        b->updated = now;
        return full;
}

bool bus_quota_take(BusQuota **q, uid_t uid, unsigned burst, unsigned per_sec, usec_t now) {
        BusQuota *b = NULL;
        usec_t cost;

        assert(q);
        assert(burst > 0);
        assert(per_sec > 0);

        cost = USEC_PER_SEC / per_sec;
        HASH_FIND(hh, *q, &uid, sizeof(uid), b);
        if (!b) {
                if (HASH_COUNT(*q) >= BUS_QUOTA_UIDS_MAX) {
                        BusQuota *i, *t;
                        HASH_ITER(hh, *q, i, t)
                                if (quota_refill(i, cost, burst, now) == i->credit) {
                                        HASH_DEL(*q, i);
                                        free(i);
                                }
                        if (HASH_COUNT(*q) >= BUS_QUOTA_UIDS_MAX)
                                return false;
                }
                b = calloc(1, sizeof(BusQuota));
                if (!b)
                        return false;
                b->uid = uid;
                b->credit = cost * burst;
                b->updated = now;
                HASH_ADD(hh, *q, uid, sizeof(b->uid), b);
        }

        quota_refill(b, cost, burst, now);
        if (b->credit < cost)
                return false;
        b->credit -= cost;
        return true;
}

void bus_quota_free(BusQuota **q) {
        BusQuota *i, *t;

        assert(q);
        HASH_ITER(hh, *q, i, t) {
                HASH_DEL(*q, i);
                free(i);
        }
}

int bus_check_memory(MemoryGuard *g, const char *what, sd_bus_error *error) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;

        assert(g);
        assert(what);

        if (memory_guard_check(g, what, &failure) >= 0)
                return 0;
        return bus_error_from_failure(error, &failure);
}
