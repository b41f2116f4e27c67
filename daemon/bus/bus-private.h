/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The root-only private socket (default /run/modctl/private) on which modctld speaks
 * org.modctl1.Manager peer to peer, as systemd does on /run/systemd/private: root's modctl
 * skips dbus-daemon and its Hello. Every accepted connection is an sd-bus server connection
 * with the same vtable; replies go back on it, while signals still go to the system bus only. */

#include "bus/bus-context.h"

typedef struct BusPrivate BusPrivate;

#define BUS_PRIVATE_SOCKET_DEFAULT "/run/modctl/private"

/* Binds and listens on path (NULL: the default). */
int bus_private_start(BusContext *b, const char *path);
BusPrivate *bus_private_free(BusPrivate *p);
