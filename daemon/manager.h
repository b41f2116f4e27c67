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
#include "failure.h"
#include "hook.h"
#include "kernel.h"
#include "policy.h"
#include "resolver.h"
#include "scheduler.h"
#include "settings.h"

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
typedef struct Catalog Catalog;
typedef struct CatalogBuild CatalogBuild;

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
} ManagerConfig;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Kernel *kernel;
        Resolver *resolver;
        Scheduler *scheduler;
        Config *config;         /* the configuration in force */
        TrustStore *trust;      /* the certificates of config's TrustedCertificates= */
        Hook *hook;             /* the kernel's request_module() requests */
        IndexWatch *index_watch; /* keeps the resolver current; NULL if inotify failed */
        char *config_root;
        ModuleRecord *records;  /* uthash by module name */
        Request *requests;      /* uthash by request key: identical requests share one job */
        char *bus_address;
        uint64_t counters[_MANAGER_COUNTER_MAX];
        PolkitQuery *polkit_queries;    /* bus-auth.c: calls waiting for polkit, by message */
        BusModules *bus_modules;        /* bus-module.c: the module objects as last announced */
        char *kernel_cmdline;   /* NULL: /proc/cmdline */
        Autoload *autoload;     /* boot list, coldplug, device events */
        SettingsPaths *settings_paths; /* manager-settings.c: the files settings are read from and written to */
        SettingsState *settings;       /* those files parsed; NULL until needed or after a change */
        Catalog *catalog;              /* the available modules; NULL until needed */
        CatalogBuild *catalog_build;   /* a build running on its own thread, or NULL */
        char *modules_dir;             /* where modules.dep is */
        char *catalog_cache;           /* the catalog's cache file */
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
/* The plan and every module's verdict, changing nothing (policy check). */
int manager_check_policy(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret_plan,
                         PolicyReport **ret_report, Failure *failure);
/* Load --dry-run: the plan's steps like modprobe -D, then "taint NAME LETTERS" for each module
 * predicted to taint the kernel; fails like the load would on a policy denial. */
int manager_dry_run(Manager *m, const char *name, const char *params, uint64_t flags, char ***ret_lines,
                    Failure *failure);
/* ---- persistent settings and the catalog (manager-settings.c) ---- */

int manager_settings_init(Manager *m, const ManagerConfig *config);
void manager_settings_free(Manager *m);
/* The parsed settings files, read again after any change; NULL (logged) if they cannot be read. */
const SettingsState *manager_settings(Manager *m);
/* A modprobe.d, modules-load.d or modctld.conf file may have changed. */
void manager_settings_invalidate(Manager *m);
/* A module's effective settings (all false and "" when they cannot be read). */
int manager_module_settings(Manager *m, const char *name, ModuleSettings *ret);
/* Changes a setting (see settings_change()), makes it effective (resolver reload for modprobe.d,
 * configuration reload for Deny=; the file is put back if that reload fails) and emits
 * SettingChanged. */
int manager_change_setting(Manager *m, SettingKind kind, const char *name, bool on, const char *options,
                           bool runtime, Failure *failure);
/* A module's description: from the catalog when it is built, else from its file. */
int manager_module_description(Manager *m, const char *name, char **ret);
/* The catalog, built or refreshed (after depmod) as needed, on a thread of its own: done is
 * called once it is there (at once when it is current), with NULL and a negative errno if it
 * cannot be built. The catalog stays valid until the event loop runs again. Returns < 0 (and
 * never calls done) when the build cannot start. */
typedef void (*manager_catalog_done_t)(Manager *m, const Catalog *c, int error, void *userdata);
int manager_catalog(Manager *m, manager_catalog_done_t done, void *userdata);

/* The taint letters loading the module file at path would set. */
int manager_predict_taint(Manager *m, const char *name, const char *path, char taint[static POLICY_TAINT_MAX]);
