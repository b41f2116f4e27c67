/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* Kernel-enforced ownership as the daemon runs it: applies [Daemon] Ownership=,
 * OwnershipOnExit= and [Policy] KernelRequests= to the BPF LSM programs (kernel/bpf/), at start
 * and on every reload, logs their reports (journal fields for each) and remembers who made the
 * last external inserts. When enforcement is unavailable it says so (log, OwnershipEnforcement,
 * modctl status) and never claims it; that is never fatal. */

#include <systemd/sd-event.h>

#include "common/daemon-config.h"
#include "kernel/bpf/ownership-report.h"

typedef struct OwnershipService OwnershipService;

/* Every report, after it is logged: the owner counts it and tells its listeners. */
typedef void (*ownership_service_report_t)(const OwnershipReport *report, void *userdata);

/* Sets the programs up as config asks; unavailable enforcement is logged and described. Fails
 * only when the service itself cannot be set up. */
int ownership_service_new(sd_event *event, const Config *config, ownership_service_report_t on_report, void *userdata,
                          OwnershipService **ret);
/* Released (OwnershipOnExit=release, the default): the programs detach here; kept: they stay
 * pinned. */
OwnershipService *ownership_service_free(OwnershipService *o);
static inline void ownership_service_freep(OwnershipService **o) { ownership_service_free(*o); }

/* After a reload: applies the new configuration. */
void ownership_service_apply(OwnershipService *o, const Config *config);
/* Reads the programs' reports that are waiting, now (kernel/bpf/ownership.h says when they are
 * read otherwise). NULL: nothing to read. */
void ownership_service_drain(OwnershipService *o);
/* For OwnershipEnforcement: "off", "active, ...", or "unavailable: REASON". */
char *ownership_service_describe(OwnershipService *o);
/* Who inserted the module file of this name, as the BPF programs reported it (Ownership=audit):
 * "pid N COMM, uid U", or NULL if unknown. For the log line of an external load. */
const char *ownership_service_external_loader(OwnershipService *o, const char *module);
