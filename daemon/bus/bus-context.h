/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The bus layer's own state, next to (not inside) the Manager: the connection, the method
 * calls waiting for polkit, and the module objects as last announced. It listens to the
 * manager's events and turns them into signals. main.c creates it after the manager and frees
 * it before. Every handler of the bus layer gets it as its userdata. */

#include <systemd/sd-bus.h>

#include "engine/manager.h"

typedef struct PolkitQuery PolkitQuery;
typedef struct BusModules BusModules;
typedef struct BusPrivate BusPrivate;
typedef struct BusQuota BusQuota;

typedef struct BusContext {
        Manager *manager;
        sd_bus *bus;
        char *address;                  /* NULL: the system bus */
        PolkitQuery *polkit_queries;    /* bus-auth.c: calls waiting for polkit, by message */
        BusModules *modules;            /* bus-module.c: the module objects as last announced */
        char *private_socket;           /* root's peer-to-peer socket; NULL: the default, or none
                                         * when address is set (tests) */
        BusPrivate *private;            /* bus-private.c: that socket and its connections */
        BusQuota *search_quota;         /* bus-quota.c: Search calls, per uid */
} BusContext;

/* Registers with the manager's events; address NULL means the system bus. */
int bus_context_new(Manager *m, const char *address, BusContext **ret);
BusContext *bus_context_free(BusContext *b);
static inline void bus_context_freep(BusContext **b) { bus_context_free(*b); }

/* org.modctl1.Manager, all of its vtables, on another connection (a private socket's). */
/* Serve root's peer-to-peer connections on path (before bus_context_start). */
int bus_context_set_private_socket(BusContext *b, const char *path);

/* Connects, publishes the API, requests the name; when the name is ours the manager hears of
 * it (manager_name_acquired), and READY=1 follows once the boot list is loaded. */
int bus_context_start(BusContext *b);
