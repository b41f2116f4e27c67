/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE)
#error "engine/manager-private.h is the manager's struct: only engine/ may include it"
#endif

/* The Manager's fields: for manager*.c only. Everyone else goes through manager.h. */

#include "sources/index-watch.h"
#include "core/inspector.h"
#include "engine/manager.h"
#include "sources/autoload.h"
#include "sources/hook.h"
#include "core/signature.h"

typedef struct ModuleRecord ModuleRecord;
typedef struct Request Request;
typedef struct ManagerOwnership ManagerOwnership;
typedef struct CatalogBuild CatalogBuild;
typedef struct DescriptionEntry DescriptionEntry;

typedef struct ManagerListener {
        const ManagerEvents *events;
        void *userdata;
} ManagerListener;

struct Manager {
        sd_event *event;
        Kernel *kernel;
        Resolver *resolver;
        Scheduler *scheduler;
        Config *config;         /* the configuration in force */
        TrustStore *trust;      /* the certificates of config's TrustedCertificates= */
        Hook *hook;             /* the kernel's request_module() requests */
        IndexWatch *index_watch; /* keeps the resolver current; NULL if inotify failed */
        Inspector *inspector;   /* policy checks, dry runs, Info: off the event loop, capped */
        Resolver *inspect_resolver; /* the inspector thread's own (libkmod is not thread-safe) */
        bool inspect_resolver_stale; /* atomic: the index changed, the thread reloads first */
        TrustStore *kernel_trust; /* Signature=kernel: certificates the kernel trusts, or NULL */
        char *kernel_trust_error; /* why kernel_trust is NULL under Signature=kernel */
        char *config_root;
        ModuleRecord *records;  /* uthash by module name */
        Request *requests;      /* uthash by request key: identical requests share one job */
        uint64_t counters[_MANAGER_COUNTER_MAX];
        char *kernel_cmdline;   /* NULL: /proc/cmdline */
        Autoload *autoload;     /* boot list, coldplug, device events */
        ManagerOwnership *ownership; /* manager-ownership.c: the BPF LSM programs, their reports */
        ManagerListener *listeners;
        size_t n_listeners;
        char *modprobe_installed;  /* what we wrote to kernel.modprobe */
        char *modprobe_previous;   /* what it said before */
        SettingsPaths *settings_paths; /* manager-settings.c: the files settings are read from and written to */
        SettingsState *settings;       /* those files parsed; NULL until needed or after a change */
        Catalog *catalog;              /* the available modules; NULL until needed */
        CatalogBuild *catalog_build;   /* a build running on its own thread, or NULL */
        DescriptionEntry *descriptions; /* module descriptions read from their files, by name,
                                         * until the index changes (manager-settings.c) */
        char *modules_dir;             /* where modules.dep is */
        char *catalog_cache;           /* the catalog's cache file */
        char *denied_path;             /* manager-denied.c: MODPROBE_DENIED_CONF below config_root */
        char **denied_refused;         /* the modules whose loads the policy refused by their content */
        char **denied_by_name;         /* the modules the rules deny by name, as last computed */
        bool name_acquired;
        bool autoload_started;  /* boot list, coldplug and device events are running */
        bool ready_sent;
};

/* Calls the callback named field of every listener that has one, with the arguments given. */
#define MANAGER_EMIT(m, field, ...)                                                             \
        do {                                                                                    \
                for (size_t _i = 0; _i < (m)->n_listeners; _i++)                                \
                        if ((m)->listeners[_i].events->field)                                   \
                                (m)->listeners[_i].events->field(__VA_ARGS__, (m)->listeners[_i].userdata); \
        } while (0)
#define MANAGER_EMIT0(m, field)                                                                 \
        do {                                                                                    \
                for (size_t _i = 0; _i < (m)->n_listeners; _i++)                                \
                        if ((m)->listeners[_i].events->field)                                   \
                                (m)->listeners[_i].events->field((m)->listeners[_i].userdata);  \
        } while (0)

/* manager-policy.c */
int manager_policy_init(Manager *m, Failure *failure);
/* Once the resolver knows the kernel release: the kernel's certificates for Signature=kernel. */
int manager_policy_start(Manager *m);
/* The policy decision for one load, run by the scheduler on a worker before any step: it
 * opens and verifies every module and stores the fds in the steps. Denial (enforce mode) fails
 * the job with FAILURE_POLICY_DENIED; warn mode logs and reports policy_warning on the event
 * loop and loads. *ret is NULL when Mode=off. */
typedef struct PolicyRun PolicyRun;
int manager_policy_run_new(Manager *m, uint64_t flags, const char *origin, PolicyRun **ret);
PolicyRun *policy_run_free(PolicyRun *p);
static inline void policy_run_freep(PolicyRun **p) { policy_run_free(*p); }
int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure);   /* JobPrepare.run */
void policy_run_report(void *userdata);                                  /* JobPrepare.done */

/* manager-ownership.c: applies Ownership=, OwnershipOnExit= and KernelRequests= at start
 * (before the boot list) and after each reload; unavailable enforcement is logged and
 * described, never fatal. Reports become the external_load and kernel_request events. */
int manager_ownership_start(Manager *m);
void manager_ownership_reload(Manager *m);
void manager_ownership_free(Manager *m);

/* manager-settings.c */
int manager_settings_init(Manager *m, const ManagerConfig *config);
void manager_settings_free(Manager *m);
/* The parsed settings files, read again after any change; NULL (logged) if they cannot be read. */
const SettingsState *manager_settings(Manager *m);
/* A modprobe.d, modules-load.d or modctld.conf file may have changed: drop the parsed state
 * and tell the listeners (settings_changed). */
void manager_settings_invalidate(Manager *m);

/* manager-denied.c: keeps MODPROBE_DENIED_CONF equal to what the policy keeps out (see the
 * file). init reads what the last run found refused and listens; update writes the file now
 * (only if it changed) and logs what fails. */
int manager_denied_init(Manager *m);
void manager_denied_update(Manager *m);
void manager_denied_free(Manager *m);

/* manager-modprobe.c: kernel.modprobe names the hook helper while we run. */
void manager_install_modprobe(Manager *m);
void manager_restore_modprobe(Manager *m);
