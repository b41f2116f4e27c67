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

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct BusPrivate BusPrivate;

#define BUS_PRIVATE_SOCKET_DEFAULT "/run/modctl/private"

/* Puts the objects on a new connection (bus-context.c's vtables): the socket knows nothing
 * else of the bus layer. */
typedef int (*bus_private_publish_t)(sd_bus *bus, void *userdata);

/* Binds and listens on path (NULL: the default). Logs its failures. */
int bus_private_start(sd_event *event, const char *path, bus_private_publish_t publish, void *userdata,
                      BusPrivate **ret);
BusPrivate *bus_private_free(BusPrivate *p);
