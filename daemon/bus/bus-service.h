/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The bus layer's entry point, for main.c: connects to the bus (or the one given), publishes
 * every object, forwards the manager's events as signals and module object changes, and serves
 * root's private socket. */

#include "bus/bus-context.h"

int bus_service_new(Manager *m, const char *address, BusContext **ret);
BusContext *bus_service_free(BusContext *b);
static inline void bus_service_freep(BusContext **b) { bus_service_free(*b); }

/* Serve root's peer-to-peer connections on path (before bus_service_start). */
int bus_service_set_private_socket(BusContext *b, const char *path);

/* Connects, publishes the API, requests the name; when the name is ours the manager hears of
 * it (manager_name_acquired), and READY=1 follows once the boot list is loaded. */
int bus_service_start(BusContext *b);
