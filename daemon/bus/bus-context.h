/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The bus layer's own state, next to (not inside) the Manager: the connection, the method
 * calls waiting for polkit, and the module objects as last announced. Every handler of the
 * bus layer gets it as its userdata; bus-service.h makes it, and only data lives here, so that
 * the handlers' files and bus-service.c form no cycle. */

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
