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

#include "common/requester.h"
#include "settings/file-access.h"

typedef struct BusCaller {
        Caller caller;
        sd_bus_creds *creds;
} BusCaller;

/* What bus_caller_from_message() asks the bus for. Augmenting from /proc/PID fills in the gids
 * when the bus does not report them. */
#define BUS_CALLER_CREDS                                                                        \
        (SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT)

void bus_caller_from_message(sd_bus_message *message, BusCaller *ret);
/* The same from creds already asked for with (at least) BUS_CALLER_CREDS: on dbus-daemon each
 * sd_bus_query_sender_creds() is a round trip to the bus, so a handler that needs the uid first
 * asks once. Takes a reference; NULL gives CALLER_ANONYMOUS. */
void bus_caller_from_creds(sd_bus_creds *creds, BusCaller *ret);
void bus_caller_done(BusCaller *c);

/* Who sent a method call, for the journal: the effective uid, pid, comm and systemd unit, as
 * far as the bus (or /proc, for what it does not say) tells. REQUESTER_UNKNOWN for a NULL
 * message or a signal; each field the bus cannot tell stays unknown. */
void bus_requester_from_message(sd_bus_message *message, Requester *ret);
