/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The one place where D-Bus errors are made: a Failure's kind names the org.modctl1.Error.*
 * (its errno does not: a stray errno cannot pick the name). modctl_bus_error_map gives sd-bus
 * each name's errno, for clients that use sd_bus_error_get_errno(). */

#include <systemd/sd-bus.h>

#include "common/failure.h"

extern const sd_bus_error_map modctl_bus_error_map[];

/* The org.modctl1.Error.* name of kind; Internal for anything that is not a kind. */
const char *bus_error_name_from_kind(FailureKind kind);

/* Both return a negative errno, as sd-bus method handlers expect. */
int bus_error_setf(sd_bus_error *e, FailureKind kind, const char *fmt, ...) _printf_(3, 4);
int bus_error_from_failure(sd_bus_error *e, const Failure *f);
