/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The context that owns everything: the event loop, the bus connection, the kernel backend,
 * the resolver, the scheduler, and the record of which origin loaded each module. It knows
 * nothing about D-Bus message formats; bus-manager.c translates. */

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "autoload.h"
#include "daemon-config.h"
#include "index-watch.h"
#include "inspector.h"
#include "failure.h"
#include "hook.h"
#include "kernel.h"
#include "policy.h"
#include "resolver.h"
#include "scheduler.h"

/* Who asked: reported in ModuleLoaded/ModuleUnloaded and kept per module. */
#define ORIGIN_USER     "user"
#define ORIGIN_KERNEL   "kernel"
#define ORIGIN_DEVICE   "device"
#define ORIGIN_BOOT     "boot"
#define ORIGIN_EXTERNAL "external"

typedef struct ModuleRecord ModuleRecord;
typedef struct Request Request;
typedef struct PolkitQuery PolkitQuery;
typedef struct BusModules BusModules;

/* The Statistics property: one counter each, exposed by name. Append new ones before the end. */
typedef enum ManagerCounter {
        MANAGER_COUNTER_REQUESTS,       /* loads and unloads asked for, from any origin */
        MANAGER_COUNTER_COALESCED,      /* requests that joined an identical one in flight */
        MANAGER_COUNTER_FAILED,         /* requests that ended in an error */
        _MANAGER_COUNTER_MAX,
} ManagerCounter;

const char *manager_counter_to_string(ManagerCounter c);

typedef struct ManagerConfig {
        const char *bus_address;        /* NULL: the system bus */
        const char *config_root;        /* read modctld.conf below this directory; NULL: / */
        const char *hook_socket;        /* the kernel hook's socket; NULL: /run/modctl/request.sock */
        ResolverConfig resolver;
        SchedulerConfig scheduler;
        AutoloadConfig autoload;
        bool no_index_watch;            /* as if inotify failed: every request checks the index files */
} ManagerConfig;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Kernel *kernel;
        Resolver *resolver;
        Scheduler *scheduler;
        Config *config;         /* the configuration in force */
        TrustStore *trust;      /* the certificates of config's TrustedCertificates= */
        TrustStore *kernel_trust; /* Signature=kernel: certificates the kernel trusts, or NULL */
        char *kernel_trust_error; /* why kernel_trust is NULL under Signature=kernel */
        Hook *hook;             /* the kernel's request_module() requests */
        IndexWatch *index_watch; /* keeps the resolver current; NULL if inotify failed */
        Inspector *inspector;   /* policy checks, dry runs, Info: off the event loop, capped */
        Resolver *inspect_resolver; /* the inspector thread's own (libkmod is not thread-safe) */
        bool inspect_resolver_stale; /* atomic: the index changed, the thread reloads */
        char *config_root;
        ModuleRecord *records;  /* uthash by module name */
        Request *requests;      /* uthash by request key: identical requests share one job */
        char *bus_address;
        uint64_t counters[_MANAGER_COUNTER_MAX];
        PolkitQuery *polkit_queries;    /* bus-auth.c: calls waiting for polkit, by message */
        BusModules *bus_modules;        /* bus-module.c: the module objects as last announced */
        char *kernel_cmdline;   /* NULL: /proc/cmdline */
        Autoload *autoload;     /* boot list, coldplug, device events */
        bool name_acquired;
        bool ready_sent;
} Manager;

/* Called once per request when it is over: failure is NULL on success, changed lists the
 * modules inserted or removed, in order. May be called before manager_load() returns. */
typedef void (*manager_done_t)(const Failure *failure, char **changed, void *userdata);

/* Takes ownership of kernel, also on failure. */
int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }

/* Connects to the bus, publishes the API, takes the name, watches the kernel. */
int manager_start(Manager *m);

/* flags are MODCTL_LOAD_* without DRY_RUN (use manager_plan_load for that). */
void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  manager_done_t done, void *userdata);
void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin,
                    manager_done_t done, void *userdata);
/* True if a load with these arguments is in flight, so that manager_load() would join it. */
bool manager_load_pending(Manager *m, const char *name, const char *params, uint64_t flags);
int manager_plan_load(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret,
                      Failure *failure);

/* The bus name is ours: the boot list and coldplug start. */
void manager_name_acquired(Manager *m);
/* Sends READY=1 once the bus name is owned and the boot list is loaded: units ordered after
 * modctld.service find the boot modules loaded, as after systemd-modules-load.service. */
void manager_check_ready(Manager *m);

/* Before resolving: make sure the resolver sees the current module index and modprobe.d. With
 * the inotify watch this is free; without it, libkmod checks the files' timestamps. */
void manager_refresh_index(Manager *m);

/* The origin recorded for a loaded module, or NULL if unknown. */
const char *manager_module_origin(Manager *m, const char *name);
/* When the module's "add" uevent was seen (CLOCK_REALTIME usec), or 0 if before we started. */
uint64_t manager_module_loaded_at(Manager *m, const char *name);

/* ---- policy (manager-policy.c) ---- */

/* Re-reads modctld.conf and the trusted certificates; on any error the configuration in force
 * stays, and failure (FAILURE_INVALID_CONFIG) says FILE:LINE. Logs either way. */
int manager_reload_config(Manager *m, Failure *failure);
/* Loads the trusted certificates for m->config (at start). */
int manager_policy_init(Manager *m, Failure *failure);
/* Once the resolver knows the kernel release: the kernel's certificates for Signature=kernel. */
int manager_policy_start(Manager *m);
/* The policy decision for one load, run by the scheduler on a worker before any step: it
 * opens and verifies every module and stores the fds in the steps. Denial (enforce mode) fails
 * the job with FAILURE_POLICY_DENIED; warn mode logs and signals PolicyWarning on the event
 * loop and loads. *ret is NULL when Mode=off. */
typedef struct PolicyRun PolicyRun;
int manager_policy_run_new(Manager *m, uint64_t flags, const char *origin, PolicyRun **ret);
PolicyRun *policy_run_free(PolicyRun *p);
static inline void policy_run_freep(PolicyRun **p) { policy_run_free(*p); }
int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure);   /* JobPrepare.run */
void policy_run_report(void *userdata);                                  /* JobPrepare.done */
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

/* -EBUSY when the inspector's caps for owner (a bus sender) or for everyone are reached;
 * privileged (root) requests go first and are not capped. */
int manager_inspect(Manager *m, const char *owner, bool privileged, InspectKind kind, const char *name,
                    const char *params, uint64_t flags, manager_inspect_done_t done, void *userdata);
