/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS)
#error "bus/ is the D-Bus layer: only bus/ may include bus/bus-object.h"
#endif

/* One way to put objects on a bus, as systemd's BusObjectImplementation does: each bus-*.c file
 * owns the vtable of what it serves and describes it with one of these; bus-service.c adds them
 * all, on the system bus and on every private connection alike. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

typedef struct BusObjectImplementation {
        const char *path;               /* the object; with find, the prefix of a fallback */
        const char *interface;
        const sd_bus_vtable *vtable;
        sd_bus_object_find_t find;      /* non-NULL: a fallback vtable for path's children */
        sd_bus_node_enumerator_t enumerator; /* lists those children */
        const char *object_manager;     /* non-NULL: an ObjectManager at this path */
} BusObjectImplementation;

/* Adds impl with userdata. slots: NULL for floating slots (they live as long as the bus), or an
 * array of BUS_OBJECT_SLOTS that the caller unrefs to take the objects down. */
#define BUS_OBJECT_SLOTS 3
int bus_add_implementation(sd_bus *bus, const BusObjectImplementation *impl, void *userdata, sd_bus_slot **slots);
