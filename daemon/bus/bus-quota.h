/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* A budget per uid for calls that anyone may make and that the daemon answers on its event loop
 * with real work (Search builds a reply of up to the whole module catalog). Such calls finish
 * before the next message is read, so there is nothing in flight to count: what one uid may
 * spend is its rate instead, a token bucket of `burst` calls that refills at `per_sec` calls a
 * second. Over it, the caller gets org.modctl1.Error.Busy at once, which costs next to nothing,
 * so however many connections one uid opens, it cannot take the event loop from the others.
 * Each uid has its own bucket; root has none (callers do not ask for uid 0). */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "common/time-util.h"
#include "engine/memory-guard.h"

typedef struct BusQuota BusQuota;

/* Takes one call from uid's bucket at time now; false when it is empty. *q may be NULL (no
 * buckets yet). -ENOMEM is reported as false: under memory pressure, refusing is the safe side. */
bool bus_quota_take(BusQuota **q, uid_t uid, unsigned burst, unsigned per_sec, usec_t now);
void bus_quota_free(BusQuota **q);

/* The other budget, for everyone: modctld's memory (memory-guard.h). 0 when new work may start;
 * else org.modctl1.Error.MemoryShort in error (what: "load module 'x'"), returned. */
int bus_check_memory(MemoryGuard *g, const char *what, sd_bus_error *error);
