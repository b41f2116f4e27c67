/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* The ownership part of org.modctl1.Manager: properties Ownership, KernelRequests and
 * OwnershipEnforcement; signals ExternalLoad and KernelRequest. A second vtable on the same
 * object and interface as bus-manager.c's. */

#include "bus/bus-context.h"
#include "bus/bus-object.h"
#include "kernel/bpf/ownership-report.h"

/* The same vtable on another connection (a private socket's). */
extern const BusObjectImplementation bus_ownership_object;
void bus_ownership_emit_external_load(BusContext *b, const OwnershipReport *r);
void bus_ownership_emit_kernel_request(BusContext *b, const OwnershipReport *r);
