/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS)
#error "bus/ is the D-Bus layer: only bus/ may include it"
#endif

/* The persistent settings and the catalog on org.modctl1.Manager: SetBootLoad, SetBlacklisted,
 * SetDisabled, SetOptions (polkit action org.modctl1.configure), GetModuleSettings and Search
 * (open to everyone), on the object and interface of bus-manager.c. */

#include "bus/bus-object.h"

extern const BusObjectImplementation bus_settings_object;
