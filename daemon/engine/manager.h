/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* The hub that owns everything: the event loop, the kernel backend, the resolver, the
 * scheduler, the policy in force, the kernel hook, autoload, and the record of which origin
 * loaded each module. It knows nothing about D-Bus: it reports what happens through the
 * listeners of manager-events.h, and the edges (bus, hook, autoload) reach its parts only
 * through the functions below. The struct itself is private to manager*.c. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "common/daemon-config.h"
#include "common/failure.h"
#include "kernel/kernel-module.h"
#include "engine/manager-sources.h"
#include "engine/manager-events.h"
#include "core/plan.h"
#include "core/policy.h"
#include "core/resolver.h"
#include "core/scheduler.h"
#include "settings/settings.h"

/* Who asked: reported in ModuleLoaded/ModuleUnloaded and kept per module. */
#define ORIGIN_USER     "user"
#define ORIGIN_KERNEL   "kernel"
#define ORIGIN_DEVICE   "device"
#define ORIGIN_BOOT     "boot"
#define ORIGIN_EXTERNAL "external"

/* The modules loaded before modctld first started in this boot (core/first-start.h). */
#define MANAGER_FIRST_START_FILE "/run/modctl/modules-before-first-start"

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
        ResolverConfig resolver;
        SchedulerConfig scheduler;
        AutoloadConfig autoload;
} ManagerConfig;

/* Called once per request when it is over: failure is NULL on success, changed lists the
 * modules inserted or removed, in order. May be called before manager_load() returns. */
typedef void (*manager_done_t)(const Failure *failure, char **changed, void *userdata);

/* Takes ownership of kernel, also on failure. */
int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }

/* Watches the kernel's module events, listens for kernel requests and points kernel.modprobe
 * at the hook helper. The bus layer starts on its own (bus-context.h). */
int manager_start(Manager *m);

/* Listeners: events is a static table, userdata is passed back; both together identify the
 * listener for removal. */
int manager_add_listener(Manager *m, const ManagerEvents *events, void *userdata);
void manager_remove_listener(Manager *m, const ManagerEvents *events, void *userdata);

/* flags are MODCTL_LOAD_* without DRY_RUN (use manager_plan_load for that). */
void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  manager_done_t done, void *userdata);
void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin,
                    manager_done_t done, void *userdata);
/* True if a load with these arguments is in flight, so that manager_load() would join it. */
bool manager_load_pending(Manager *m, const char *name, const char *params, uint64_t flags);
/* True while a job is inserting this module (normalized name) right now. */
bool manager_module_in_flight(Manager *m, const char *name);
int manager_plan_load(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret,
                      Failure *failure);
/* The modules a device alias (or any alias) resolves to, blacklist applied. */
int manager_lookup_alias(Manager *m, const char *alias, char ***ret, Failure *failure);
/* modinfo of a module or alias, as Info returns it. */
int manager_module_info(Manager *m, const char *name, char ***ret_pairs, Failure *failure);

/* The boot list, coldplug and device events start: when the bus name is ours (clients can see
 * our signals), or at once when there is no bus yet (early boot), or after a few seconds. */
void manager_start_autoload(Manager *m);
/* The kernel hook answered a request_module() for name (failure NULL: loaded); listeners
 * hear of it. */
void manager_hook_request_done(Manager *m, const char *name, int pid, const Failure *failure);
/* The bus name is ours. */
void manager_name_acquired(Manager *m);
/* Sends READY=1 once the boot list is loaded: units ordered after modctld.service find the
 * boot modules loaded, as after systemd-modules-load.service. The bus name may come later. */
void manager_check_ready(Manager *m);
bool manager_is_ready(Manager *m);
/* Autoload reports a finished batch: listeners hear of it, and readiness is checked again. */
void manager_autoload_finished(Manager *m, const char *batch, unsigned requested, unsigned inserted,
                               unsigned failed, uint64_t usec);

/* Before resolving: make sure the resolver sees the current module index and modprobe.d. With
 * the inotify watch this is free; without it, libkmod checks the files' timestamps. */
void manager_refresh_index(Manager *m);
/* True while the inotify watch keeps the resolver current (so "not found" may be cached). */
bool manager_index_is_watched(Manager *m);

/* The origin recorded for a loaded module, or NULL if unknown. */
const char *manager_module_origin(Manager *m, const char *name);
/* Who inserted the module file of this name, as the BPF programs reported it (Ownership=audit):
 * "pid N COMM, uid U", or NULL if unknown. For the log line of an external load. */
const char *manager_ownership_external_loader(Manager *m, const char *module);
/* When the module's "add" uevent was seen (CLOCK_REALTIME usec), or 0 if before we started. */
uint64_t manager_module_loaded_at(Manager *m, const char *name);

/* Parts and settings the edges read. */
sd_event *manager_get_event(Manager *m);
/* The kernel's loaded modules and their readable parameters (see kernel.h's list, get and
 * get_parameters): the bus layer's only view of kernel state. */
int manager_list_modules(Manager *m, KernelModule **ret, size_t *ret_n);
int manager_get_module(Manager *m, const char *name, KernelModule *ret);
int manager_get_module_parameters(Manager *m, const char *name, bool world_readable_only, char ***ret);
const char *manager_kernel_release(Manager *m);
const char *manager_config_root(Manager *m);     /* NULL: / */
const char *manager_kernel_cmdline(Manager *m);  /* NULL: /proc/cmdline */
uint64_t manager_get_counter(Manager *m, ManagerCounter c);
void manager_get_hook_statistics(Manager *m, HookStatistics *ret);

/* ---- kernel-enforced ownership (manager-ownership.c) ---- */

/* For OwnershipEnforcement: "off", "active, ...", or "unavailable: REASON". */
char *manager_ownership_describe(Manager *m);
/* The modes in force ([Daemon] Ownership=, [Policy] KernelRequests=). */
OwnershipMode manager_ownership_mode(Manager *m);
KernelRequests manager_kernel_requests(Manager *m);

/* ---- policy (manager-policy.c) ---- */

PolicyMode manager_policy_mode(Manager *m);
/* GetPolicy: the files read, the number of trusted certificates, then the effective
 * configuration as modctld.conf text; for a caller that could not read one of the files itself,
 * MODCTL_NOT_READABLE and that file's name instead of the configuration. */
int manager_describe_policy(Manager *m, const Caller *caller, char **ret);
/* Re-reads modctld.conf and the trusted certificates; on any error the configuration in force
 * stays, and failure (FAILURE_INVALID_CONFIG) says FILE:LINE. Logs either way. */
int manager_reload_config(Manager *m, Failure *failure);
/* Inspections: read-only work anyone on the bus may ask for, run on the inspector thread
 * (manager-policy.c). */
typedef enum InspectKind {
        INSPECT_CHECK_POLICY,   /* the plan and every module's verdict (result.plan, result.report) */
        INSPECT_DRY_RUN,        /* Load --dry-run: modprobe -D lines and "taint NAME LETTERS" (result.lines) */
        INSPECT_INFO,           /* modinfo pairs, then taint_prediction (result.pairs) */
} InspectKind;

typedef struct InspectResult {
        Failure failure;        /* error == 0 on success */
        Plan *plan;
        PolicyReport *report;
        char **lines;
        char **pairs;
} InspectResult;

/* Called on the event loop; the result is freed after it returns. */
typedef void (*manager_inspect_done_t)(const InspectResult *result, void *userdata);
typedef struct Inspection Inspection;

/* The inspector's pool: at most this many inspections in all, and per uid (inspector.h). */
#define MANAGER_INSPECT_MAX         32u
#define MANAGER_INSPECT_PER_UID_MAX 4u

/* -EBUSY when owner (the caller's uid) has its share of the inspector's pool (inspector.h);
 * privileged (root) requests go first and are not capped. caller (copied): who the plan is shown
 * to; options and install commands from modprobe.d files it could not read show as
 * MODCTL_NOT_READABLE with the file's name (see settings_line_hidden()). */
int manager_inspect(Manager *m, uid_t owner, bool privileged, const Caller *caller, InspectKind kind,
                    const char *name, const char *params, uint64_t flags, manager_inspect_done_t done,
                    void *userdata);

/* ---- persistent settings and the catalog (manager-settings.c) ---- */

/* A module's effective settings (all false and "" when the files cannot be read), as caller sees
 * them (NULL: root; see settings_query_as()). */
int manager_module_settings(Manager *m, const char *name, const Caller *caller, ModuleSettings *ret);
/* The same, and every source with its file (GetModuleSettings). */
int manager_describe_settings(Manager *m, const char *name, const Caller *caller, ModuleSettings *ret,
                              SettingSource **ret_sources, size_t *ret_n, Failure *failure);
/* Changes a setting (see settings_change()), makes it effective (resolver reload for modprobe.d,
 * configuration reload for Deny=; the files are put back if that reload fails) and tells the
 * listeners (setting_changed, settings_changed). */
int manager_change_setting(Manager *m, SettingKind kind, const char *name, bool on, const char *options,
                           bool runtime, Failure *failure);
/* A module's description: from the catalog when it is built, else from its file. */
int manager_module_description(Manager *m, const char *name, char **ret);
/* The catalog, built or refreshed (after depmod) as needed, on a thread of its own: done is
 * called once it is there (at once when it is current), with NULL and a negative errno if it
 * cannot be built. The catalog stays valid until the event loop runs again. Returns < 0 (and
 * never calls done) when the build cannot start. */
typedef struct Catalog Catalog;
typedef void (*manager_catalog_done_t)(Manager *m, const Catalog *c, int error, void *userdata);
int manager_catalog(Manager *m, manager_catalog_done_t done, void *userdata);

