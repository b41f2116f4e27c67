/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* The hub: it owns the event loop, the kernel backend, the resolver and the scheduler, and the
 * services below, and runs every load and unload, whoever asks. It knows nothing about D-Bus:
 * it reports what happens through the listeners of manager-events.h. The request sources (the
 * kernel hook, autoload) reach it only through the ports it gives them (sources/hook.h,
 * sources/autoload.h); the bus layer through the functions below and the services they return,
 * each with its own header. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/failure.h"
#include "core/resolver.h"
#include "core/scheduler.h"
#include "engine/catalog-service.h"
#include "engine/inspections.h"
#include "engine/manager-events.h"
#include "engine/manager-sources.h"
#include "engine/memory-guard.h"
#include "engine/module-registry.h"
#include "engine/ownership-service.h"
#include "engine/policy-snapshot.h"
#include "engine/settings-service.h"
#include "engine/timeline.h"

/* The modules loaded before modctld first started in this boot (core/first-start.h). */
#define MANAGER_FIRST_START_FILE "/run/modctl/modules-before-first-start"
/* One file per load in flight, kept while its plan runs: what a later start reports as cut
 * short when modctld was killed mid-plan. */
#define MANAGER_PLANS_DIR "/run/modctl/plans"

typedef struct Manager Manager;
typedef struct Kernel Kernel;

/* The Statistics property: one counter each, exposed by name. Append new ones before the end. */
typedef enum ManagerCounter {
        MANAGER_COUNTER_REQUESTS,       /* loads and unloads asked for, from any origin */
        MANAGER_COUNTER_COALESCED,      /* requests that joined an identical one in flight */
        MANAGER_COUNTER_FAILED,         /* requests that ended in an error */
        MANAGER_COUNTER_EXTERNAL_LOADS, /* inserts by other processes, reported (Ownership=audit) */
        MANAGER_COUNTER_EXTERNAL_REFUSED, /* inserts by other processes, refused (exclusive) */
        MANAGER_COUNTER_KERNEL_REQUESTS_REFUSED, /* request_module() refused (KernelRequests=) */
        _MANAGER_COUNTER_MAX,
} ManagerCounter;

const char *manager_counter_to_string(ManagerCounter c);

typedef struct ManagerConfig {
        const char *config_root;        /* read modctld.conf below this directory; NULL: / */
        const char *hook_socket;        /* the kernel hook's socket; NULL: /run/modctl/request.sock */
        bool no_index_watch;            /* don't watch the module index (tests: the polling path) */
        const char *memory_cgroup;      /* the cgroup whose memory limit refuses new work; NULL: our own */
        ResolverConfig resolver;
        SchedulerConfig scheduler;
        AutoloadConfig autoload;
} ManagerConfig;

/* Called once per request when it is over: failure is NULL on success, changed lists the
 * modules inserted or removed, in order. May be called before manager_load() returns. */
typedef void (*manager_done_t)(const Failure *failure, char **changed, void *userdata);

/* Takes ownership of kernel, also on failure. Logs its failures. */
int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }

/* Watches the kernel's module events, applies kernel-enforced ownership, listens for kernel
 * requests and points kernel.modprobe at the hook helper. Logs its failures. */
int manager_start(Manager *m);

/* Listeners: events is a static table, userdata is passed back; both together identify the
 * listener for removal. */
int manager_add_listener(Manager *m, const ManagerEvents *events, void *userdata);
void manager_remove_listener(Manager *m, const ManagerEvents *events, void *userdata);

/* flags are MODCTL_LOAD_* without DRY_RUN (dry runs are inspections). who is the caller, for
 * the listeners (copied; NULL: unknown). A request that joins an identical one in flight is
 * reported as the first caller's. */
void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  const Requester *who, manager_done_t done, void *userdata);
/* A load of the module file behind fd (a descriptor the caller opened; LoadFile): its bytes are
 * copied into a sealed memfd first, and that copy is what is read, judged and inserted. Its
 * .modinfo gives the module's name (for the policy's name rules and modprobe.d's options) and
 * its depends=, which are resolved by name as loads are (resolver_plan_load_file()). flags as
 * manager_load()'s, and MODCTL_LOAD_DRY_RUN too: then changed is the plan's steps. Never joins
 * another request. */
void manager_load_file(Manager *m, int fd, const char *params, uint64_t flags, const char *origin,
                       const Requester *who, manager_done_t done, void *userdata);
void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin, const Requester *who,
                    manager_done_t done, void *userdata);

/* Re-reads modctld.conf and the trusted certificates; on any error the configuration in force
 * stays, and failure (FAILURE_INVALID_CONFIG) says FILE:LINE. Either way the listeners hear of
 * it (config_reloaded), and the journal sink logs it. */
int manager_reload_config(Manager *m, Failure *failure);

/* The bus layer connects (bus_exists: the bus answered before we tried). The boot list,
 * coldplug and device events start when the bus name is ours (clients can see our signals),
 * at once in early boot (no bus yet, under systemd), or after a few seconds. */
int manager_bus_connecting(Manager *m, bool bus_exists);
/* The bus name is ours. */
void manager_name_acquired(Manager *m);
/* READY=1 is sent as soon as modctld serves: the kernel hook listens, the device monitor is
 * subscribed and the bus (or, in early boot, root's private socket) answers. The boot list goes
 * on loading after it; its end is a separate point (manager_boot_list_loaded(), the
 * boot_list_loaded event, WaitBootList on the bus, modctld-boot-list.service). */
bool manager_is_ready(Manager *m);
bool manager_boot_list_loaded(Manager *m);

sd_event *manager_get_event(Manager *m);
/* Reads kernel-enforced ownership's reports that have not woken modctld yet (the requests
 * that passed), so that the counters and the signals include them. */
void manager_read_reports(Manager *m);
uint64_t manager_get_counter(Manager *m, ManagerCounter c);
void manager_get_hook_statistics(Manager *m, HookStatistics *ret);
const char *manager_kernel_release(Manager *m);
/* The module inits under way: each module a worker is inserting now, who is loading it (an
 * ORIGIN_* constant, "" if unknown), how long its init has run (usec), and whether its request
 * gave up on it after LoadTimeoutSec= (timed_out). The callback must not call into the manager. */
typedef void (*manager_insert_t)(const char *name, const char *origin, uint64_t running_usec, bool timed_out,
                                 void *userdata);
void manager_foreach_insert(Manager *m, manager_insert_t callback, void *userdata);

/* The services the manager owns, for the bus layer to read and ask. Valid as long as the
 * manager; the policy snapshot until the next reload (take a reference to keep it). */
PolicySnapshot *manager_policy(Manager *m);
ModuleRegistry *manager_modules(Manager *m);
Inspections *manager_inspections(Manager *m);
SettingsService *manager_settings(Manager *m);
CatalogService *manager_catalog(Manager *m);
MemoryGuard *manager_memory(Manager *m);
OwnershipService *manager_ownership(Manager *m);   /* NULL before manager_start() */
Timeline *manager_timeline(Manager *m);
/* Now, in the timeline's clock. */
uint64_t manager_now(Manager *m);
