/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* One rule for every pool of work that anyone on the bus may fill (authorization checks waiting
 * for polkit, inspections waiting for the inspector thread): slots are counted per uid, never per
 * connection, because one uid may open as many connections as dbus-daemon lets it
 * (max_connections_per_user, 256 on the system bus).
 *
 * A uid that holds `held` of the pool's `max` slots, `in_use` of them taken in all, may take one
 * more while
 *   - it holds fewer than `per_uid_max` (a fixed share, well below max), and
 *   - it holds fewer than the slots still free (max - in_use).
 * So one uid never holds more than per_uid_max, and never more than half of the pool; whoever
 * holds the fewest can still start one; and the last free slot goes only to a uid that holds
 * none. However many connections a uid opens, the other uids always find room, and only as many
 * distinct uids as there are slots could fill the pool. Root does not draw from these pools. */

#include <stdbool.h>

static inline bool fair_share_may_take(unsigned held, unsigned in_use, unsigned per_uid_max, unsigned max) {
        if (in_use >= max || held >= per_uid_max)
                return false;
        return held < max - in_use;
}
