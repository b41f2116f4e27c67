/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS)
#error "bus/ is the D-Bus layer: only bus/ may include bus/bus-caller.h"
#endif

/* Who sent a message, for judging which settings files it could read itself: the effective uid,
 * gid and supplementary groups from the bus (what the bus cannot tell is left out, so the caller
 * sees less, never more). CALLER_ANONYMOUS for a signal being built, or a sender whose uid the
 * bus cannot tell. The caller's groups live in creds: bus_caller_done() after use. */

#include <systemd/sd-bus.h>

#include "settings/file-access.h"

typedef struct BusCaller {
        Caller caller;
        sd_bus_creds *creds;
} BusCaller;

void bus_caller_from_message(sd_bus_message *message, BusCaller *ret);
void bus_caller_done(BusCaller *c);
