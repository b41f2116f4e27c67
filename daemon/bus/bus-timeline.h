/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS)
#error "bus/ is the D-Bus layer: only bus/ may include it"
#endif

/* GetTimeline on org.modctl1.Manager (open to everyone, like List): the boot timeline of
 * engine/timeline.h, for `modctl analyze`. WaitBootList: returns once the boot list is loaded
 * (`modctl wait boot`, modctld-boot-list.service), over the bus or root's private socket, which
 * is all there is in early boot. */

#include "bus/bus-context.h"
#include "bus/bus-object.h"

extern const BusObjectImplementation bus_timeline_object;

/* The manager's boot_list_loaded event: answers the WaitBootList calls that wait. */
void bus_timeline_boot_list_loaded(BusContext *b);
/* Drops the calls still waiting (the daemon stops; their callers see the connection close). */
void bus_timeline_free_waiters(BusContext *b);
