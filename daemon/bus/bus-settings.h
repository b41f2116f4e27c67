/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The persistent settings and the catalog on org.modctl1.Manager: SetBootLoad, SetBlacklisted,
 * SetDisabled, SetOptions (polkit action org.modctl1.configure), GetModuleSettings and Search
 * (open to everyone). bus-manager.c puts them in its vtable. */

#include <systemd/sd-bus.h>

int bus_method_set_boot_load(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_blacklisted(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_disabled(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_set_options(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_get_module_settings(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_method_search(sd_bus_message *message, void *userdata, sd_bus_error *error);
