/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* org.modctl1.Module: one object per loaded module at /org/modctl1/module/<escaped name>,
 * below the ObjectManager at /org/modctl1, and the signals that keep a mirror of them current.
 *
 * The objects are not stored: the enumerator and the getters read the kernel each time. What
 * is stored is what was last announced, so that after every module uevent (coalesced to one
 * pass per event-loop iteration) the daemon re-reads the loaded modules and emits
 * InterfacesAdded, InterfacesRemoved, and PropertiesChanged for modules whose State, RefCount,
 * Holders or Taint differ. A dependency's RefCount and Holders change when a module that uses
 * it comes or goes, which has its own uevent, so they are caught. A refcount taken by an open
 * device or socket has no uevent and shows only at the next pass, or when read. */

#include "bus/bus-context.h"

/* Publishes the object manager and the objects and takes the first snapshot. */
int bus_modules_start(BusContext *b);
BusModules *bus_modules_free(BusModules *b);

/* From the kernel's module uevents. No-ops before bus_modules_start(). */
void bus_module_added(BusContext *b, const char *name);
void bus_module_removed(BusContext *b, const char *name);
/* The settings files changed: announce the modules whose BootLoad, Blacklisted, Disabled or
 * Options changed. */
void bus_modules_settings_changed(BusContext *b);
