/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The persistent settings and the catalog on org.modctl1.Manager: SetBootLoad, SetBlacklisted,
 * SetDisabled, SetOptions (polkit action org.modctl1.configure), GetModuleSettings and Search
 * (open to everyone). bus-manager.c puts them in its vtable. */

#include <systemd/sd-bus.h>

#include "settings/file-access.h"

/* Who sent a message, for judging which settings files it could read itself: the effective uid,
 * gid and supplementary groups from the bus (what the bus cannot tell is left out, so the caller
 * sees less, never more). CALLER_ANONYMOUS for a signal being built, or a sender whose uid the
 * bus cannot tell. The caller's groups live in creds: bus_caller_done() after use. */
typedef struct BusCaller {
        Caller caller;
        sd_bus_creds *creds;
} BusCaller;

void bus_caller_from_message(sd_bus_message *message, BusCaller *ret);
void bus_caller_done(BusCaller *c);

int bus_method_set_boot_load(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_blacklisted(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_disabled(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_options(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_get_module_settings(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_search(sd_bus_message *message, void *userdata, sd_bus_error *error);
