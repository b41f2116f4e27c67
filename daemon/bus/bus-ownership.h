/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ownership part of org.modctl1.Manager: properties Ownership, KernelRequests and
 * OwnershipEnforcement; signals ExternalLoad and KernelRequest. A second vtable on the same
 * object and interface as bus-manager.c's. */

#include "manager.h"
#include "ownership.h"

int bus_ownership_start(Manager *m);
void bus_ownership_emit_external_load(Manager *m, const OwnershipReport *r);
void bus_ownership_emit_kernel_request(Manager *m, const OwnershipReport *r);
