/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one place where D-Bus errors are made: Failure errnos map to org.modctl1.Error.* names
 * through modctl_bus_error_map; other errnos get sd-bus's standard names (EACCES is
 * org.freedesktop.DBus.Error.AccessDenied). */

#include <systemd/sd-bus.h>

#include "failure.h"

extern const sd_bus_error_map modctl_bus_error_map[];

/* Both return a negative errno, as sd-bus method handlers expect. */
int bus_error_setf(sd_bus_error *e, int error, const char *fmt, ...) _printf_(3, 4);
int bus_error_from_failure(sd_bus_error *e, const Failure *f);
