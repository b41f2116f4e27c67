/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* Authorization of state-changing method calls: root is allowed outright; everyone else is
 * asked about with polkit's CheckAuthorization, asynchronously. While polkit thinks, the call
 * is kept; once the verdict is in (and the caller is still on the bus) the call is dispatched
 * again, and the handler's second bus_verify_polkit_async() returns the cached verdict. So a
 * handler does parse and validate, then
 *
 *         r = bus_verify_polkit_async(b, message, "org.modctl1.load", details, what, error);
 *         if (r <= 0)
 *                 return r == 0 ? 1 : r;   // 0: pending, the call comes back later
 *
 * and only then changes state. Parse and validate must reach the check again on the second
 * dispatch with the same action (they are pure functions of the message). */

#include <systemd/sd-bus.h>

#include "bus/bus-context.h"

#define POLKIT_ACTION_LOAD          "org.modctl1.load"
/* Loads and unloads with flags that get past checks polkit rules cannot see (ignore install or
 * remove commands, force vermagic/modversions): admin authentication every time. Unload asks
 * for it with the details "operation" = "unload" and its "flags". */
#define POLKIT_ACTION_LOAD_FORCE    "org.modctl1.load-force"
/* Loading a module from a file the caller hands over (LoadFile), dry runs too: the bytes are
 * the caller's, not the distribution's tree, so admin authentication every time. */
#define POLKIT_ACTION_LOAD_FILE     "org.modctl1.load-file"
#define POLKIT_ACTION_UNLOAD        "org.modctl1.unload"
#define POLKIT_ACTION_RELOAD_CONFIG "org.modctl1.reload-config"
#define POLKIT_ACTION_CONFIGURE     "org.modctl1.configure"

/* details: key, value, key, value, ..., NULL; passed to polkit (rules see them as
 * action.lookup(key)), may be NULL. what: the operation as the tail of a sentence, e.g.
 * "load module 'snd'", used in the error messages.
 * Returns 1 when authorized, 0 when the answer is pending, or a negative errno with error set:
 * AccessDenied (not authorized, or no polkit to ask), InteractiveAuthorizationRequired, or
 * org.modctl1.Error.Busy (the caller's uid already has its share of the checks in flight, see
 * bus-auth.c, or the bus refused to pass the check on). */
int bus_verify_polkit_async(BusContext *b, sd_bus_message *call, const char *action, char **details,
                            const char *what, sd_bus_error *error);

/* Drops every pending query without dispatching it (shutdown). */
void bus_auth_flush(BusContext *b);
