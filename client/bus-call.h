/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reaching modctld: the connection, method calls, and how their failures read. All but
 * modctl_new_method_call() print their failures (it can only run out of memory). */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* Loads run install commands and module init functions, which can be slow. */
#define MODCTL_SLOW_CALL_TIMEOUT_USEC (UINT64_C(5) * 60 * 1000 * 1000)
#define MODCTL_DEFAULT_TIMEOUT_USEC UINT64_C(0) /* sd-bus default */

/* The system bus, or $MODCTL_BUS_ADDRESS when set (tests with a private bus). */
int modctl_bus_connect(sd_bus **ret);
int modctl_new_method_call(sd_bus *bus, const char *member, bool ask_password, sd_bus_message **ret);
int modctl_call(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **ret_reply);
int modctl_get_property_string(sd_bus *bus, const char *property, char **ret);
/* Any property: *ret_reply is positioned at the value of type (sd_bus_get_property). */
int modctl_get_property(sd_bus *bus, const char *property, const char *type, sd_bus_message **ret_reply);
