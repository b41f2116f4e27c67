/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS)
#error "bus/ is the D-Bus layer: only bus/ may include it"
#endif

/* GetTimeline on org.modctl1.Manager (open to everyone, like List): the boot timeline of
 * engine/timeline.h, for `modctl analyze`. */

#include "bus/bus-object.h"

extern const BusObjectImplementation bus_timeline_object;
