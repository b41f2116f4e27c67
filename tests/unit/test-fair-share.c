/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-uid shares of the pools anyone may fill: a fixed share, never more than what is still
 * free, and a rate budget per uid for work done on the event loop. */
#include <criterion/criterion.h>

#include "bus/bus-quota.h"
#include "core/fair-share.h"

Test(fair_share, one_uid_never_takes_the_others_room) {
        /* A pool of 64, 16 per uid: one uid stops at 16. */
        unsigned held = 0, in_use = 0;
        while (fair_share_may_take(held, in_use, 16, 64))
                held++, in_use++;
        cr_assert_eq(held, 16);
        /* Many uids: each takes while it holds fewer than what is free; the pool never fills
         * before a uid that holds none comes, and that one always gets a slot. */
        unsigned per_uid[8] = {};
        in_use = 0;
        for (bool took = true; took;) {
                took = false;
                for (unsigned u = 0; u < 8; u++)
                        if (fair_share_may_take(per_uid[u], in_use, 16, 64)) {
                                per_uid[u]++, in_use++;
                                took = true;
                        }
        }
        cr_assert_lt(in_use, 64u, "eight uids leave room");
        cr_assert(fair_share_may_take(0, in_use, 16, 64), "a ninth uid finds a slot");
        cr_assert_not(fair_share_may_take(1, 63, 16, 64), "the last slot is for a uid that holds none");
        cr_assert(fair_share_may_take(0, 63, 16, 64));
        cr_assert_not(fair_share_may_take(0, 64, 16, 64), "a full pool is full");
}

Test(bus_quota, a_burst_then_the_rate_per_uid) {
        BusQuota *q = NULL;
        usec_t t = 1000 * USEC_PER_SEC;

        for (unsigned i = 0; i < 4; i++)
                cr_assert(bus_quota_take(&q, 65534, 4, 2, t));
        cr_assert_not(bus_quota_take(&q, 65534, 4, 2, t), "the burst is spent");
        cr_assert(bus_quota_take(&q, 1000, 4, 2, t), "another uid has its own bucket");
        /* Two a second: half a second buys one more. */
        cr_assert(bus_quota_take(&q, 65534, 4, 2, t + USEC_PER_SEC / 2));
        cr_assert_not(bus_quota_take(&q, 65534, 4, 2, t + USEC_PER_SEC / 2));
        /* A long pause refills to the burst, no more. */
        t += 3600 * USEC_PER_SEC;
        for (unsigned i = 0; i < 4; i++)
                cr_assert(bus_quota_take(&q, 65534, 4, 2, t));
        cr_assert_not(bus_quota_take(&q, 65534, 4, 2, t));
        bus_quota_free(&q);
        cr_assert_null(q);
}
