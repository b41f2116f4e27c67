/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <string.h>
#include <uthash.h>

#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "core/first-start.h"
#include "engine/manager-private.h"
#include "modctl-bus.h"
#include "common/strv.h"
#include "kernel/kernel.h"

/* What the daemon knows about a module beyond the kernel's own state: who asked for it. */
struct ModuleRecord {
        char *name;
        const char *origin;          /* who loaded it, or who is loading it */
        const char *removing_origin; /* set while one of our jobs may remove it */
        bool live;                   /* its "add" uevent has been seen */
        uint64_t loaded_at;          /* CLOCK_REALTIME usec of that uevent */
        UT_hash_handle hh;
};

typedef struct Waiter {
        manager_done_t done;
        void *userdata;
} Waiter;

/* A load or unload in flight. Identical requests attach to it instead of running twice. */
struct Request {
        char *key;
        Manager *manager;
        const char *origin;
        PolicyRun *policy;      /* the decision the job makes before its first step, or NULL */
        Waiter *waiters;
        size_t n_waiters;
        UT_hash_handle hh;
};

static const char * const counter_table[_MANAGER_COUNTER_MAX] = {
        [MANAGER_COUNTER_REQUESTS]  = "operations",
        [MANAGER_COUNTER_COALESCED] = "operations-coalesced",
        [MANAGER_COUNTER_FAILED]    = "operations-failed",
        [MANAGER_COUNTER_EXTERNAL_LOADS] = "external-loads",
        [MANAGER_COUNTER_EXTERNAL_REFUSED] = "external-refused",
        [MANAGER_COUNTER_KERNEL_REQUESTS_REFUSED] = "kernel-requests-refused",
};

const char *manager_counter_to_string(ManagerCounter c) {
        return c < _MANAGER_COUNTER_MAX ? counter_table[c] : NULL;
}

static ModuleRecord *record_free(ModuleRecord *r) {
        if (!r)
                return NULL;
        free(r->name);
        free(r);
        return NULL;
}

static ModuleRecord *record_get(Manager *m, const char *name) {
        ModuleRecord *r = NULL;
        HASH_FIND_STR(m->records, name, r);
        return r;
}

static ModuleRecord *record_ensure(Manager *m, const char *name, const char *origin) {
        ModuleRecord *r = record_get(m, name);
        if (r)
                return r;

        r = calloc(1, sizeof(ModuleRecord));
        if (!r)
                return NULL;
        r->name = strdup(name);
        if (!r->name)
                return record_free(r);
        r->origin = origin;
        HASH_ADD_KEYPTR(hh, m->records, r->name, strlen(r->name), r);
        return r;
}

static void record_drop(Manager *m, ModuleRecord *r) {
        HASH_DEL(m->records, r);
        record_free(r);
}

/* The modules loaded before we started watching, as live records without an origin: nobody
 * knows who loaded them, and a replayed "add" for one of them must not read as a new load. */
static int records_seed(Manager *m) {
        KernelModule *l = NULL;
        size_t n = 0;
        int r;

        r = kernel_list(m->kernel, &l, &n);
        if (r < 0)
                return r;

        /* Only what was loaded before the first start of this boot has no origin; what came
         * since (an earlier modctld killed mid-plan, another tool while none ran) is external. */
        _cleanup_(strv_freep) char **now = NULL, **before = NULL;
        _cleanup_free_ char *path = NULL;
        bool restart = false;
        for (size_t i = 0; i < n; i++)
                if (strv_extend(&now, l[i].name) < 0) {
                        kernel_module_array_free(l, n);
                        return -ENOMEM;
                }
        if (asprintf(&path, "%s%s", strempty(m->config_root), MANAGER_FIRST_START_FILE) < 0) {
                kernel_module_array_free(l, n);
                return -ENOMEM;
        }
        r = first_start_modules(path, now, &before, &restart);
        if (r < 0)
                log_warning_errno(r, "Cannot keep the modules loaded before the first start in %s, "
                                  "all loaded modules count as loaded before this start: %m", path);

        for (size_t i = 0; i < n; i++) {
                bool external = restart && !strv_contains(before, l[i].name);
                ModuleRecord *rec = record_ensure(m, l[i].name, external ? ORIGIN_EXTERNAL : NULL);
                if (!rec) {
                        kernel_module_array_free(l, n);
                        return -ENOMEM;
                }
                rec->live = true;
        }
        kernel_module_array_free(l, n);
        return 0;
}

const char *manager_module_origin(Manager *m, const char *name) {
        assert(m);
        assert(name);
        ModuleRecord *r = record_get(m, name);
        return r && r->live ? r->origin : NULL;
}

uint64_t manager_module_loaded_at(Manager *m, const char *name) {
        assert(m);
        assert(name);
        ModuleRecord *r = record_get(m, name);
        return r && r->live ? r->loaded_at : 0;
}

static void on_kernel_event(KernelEvent event, const char *name, void *userdata) {
        Manager *m = userdata;
        ModuleRecord *r = record_get(m, name);

        if (event == KERNEL_EVENT_ADD) {
                /* An "add" replayed for a module that is there already (udevadm trigger at boot
                 * writes "add" to every /sys/module/NAME/uevent, built-ins included) is no load. */
                if (r && r->live)
                        return;
                if (!r) {
                        KernelModuleState state;
                        if (kernel_get_state(m->kernel, name, &state) >= 0 && state == KERNEL_MODULE_BUILTIN)
                                return;
                }
                const char *origin = r && r->origin ? r->origin : ORIGIN_EXTERNAL;
                if (!r)
                        r = record_ensure(m, name, ORIGIN_EXTERNAL);
                if (r) {
                        r->live = true;
                        (void) sd_event_now(m->event, CLOCK_REALTIME, &r->loaded_at);
                }
                /* Logged by the listeners (daemon/sinks/journal-log.c), not here. */
                MANAGER_EMIT(m, module_loaded, name, origin);
        } else {
                const char *origin = r && r->removing_origin ? r->removing_origin : ORIGIN_EXTERNAL;
                MANAGER_EMIT(m, module_unloaded, name, origin);
                if (r)
                        record_drop(m, r);
        }
}

static Request *request_free(Request *q) {
        if (!q)
                return NULL;
        policy_run_free(q->policy);
        free(q->key);
        free(q->waiters);
        free(q);
        return NULL;
}

static int request_add_waiter(Request *q, manager_done_t done, void *userdata) {
        Waiter *w = realloc(q->waiters, sizeof(Waiter) * (q->n_waiters + 1));
        if (!w)
                return -ENOMEM;
        q->waiters = w;
        q->waiters[q->n_waiters++] = (Waiter) { done, userdata };
        return 0;
}

/* Before a job runs: remember who is loading or may remove each module it touches. */
static void records_begin(Manager *m, const Plan *plan, const char *origin) {
        for (size_t i = 0; i < plan->n_steps; i++) {
                ModuleRecord *r = record_ensure(m, plan->steps[i].name, origin);
                if (!r)
                        continue; /* without a record the event is reported as external; harmless */
                if (plan->steps[i].kind != PLAN_STEP_REMOVE && !r->live)
                        r->origin = origin;
                r->removing_origin = origin; /* a load job may unwind what it inserted */
        }
}

/* After a job: drop records of modules it meant to insert but did not. One it did insert
 * keeps its record even if the "add" uevent has not been dispatched yet: the completions of
 * several steps can reach the event loop in one batch, ahead of the later steps' uevents. */
static void records_end(Manager *m, const Plan *plan, char **changed) {
        for (size_t i = 0; i < plan->n_steps; i++) {
                ModuleRecord *r = record_get(m, plan->steps[i].name);
                if (!r)
                        continue;
                r->removing_origin = NULL;
                if (!r->live && !strv_contains(changed, r->name))
                        record_drop(m, r);
        }
}

static void on_job_finished(Job *job, void *userdata) {
        Request *q = userdata;
        Manager *m = q->manager;
        const Failure *f = job_failure(job);

        const Plan *plan = job_plan(job);
        /* By the key: an unload plan may start with a remove command rather than a REMOVE step. */
        bool is_unload = strncmp(q->key, "unload ", 7) == 0;

        records_end(m, plan, job_changed(job));
        STRV_FOREACH(w, job_warnings(job))
                log_warning("%s", *w);
        if (f->error < 0)
                log_full_errno(LOG_WARNING, f->error, "%s", strempty(f->message));
        if (f->error < 0 && !is_unload)
                MANAGER_EMIT(m, load_failed, plan->request, q->origin, f);
        if (is_unload)
                MANAGER_EMIT(m, unload_finished, q->origin, job_changed(job));

        HASH_DEL(m->requests, q);
        if (f->error < 0)
                m->counters[MANAGER_COUNTER_FAILED] += q->n_waiters;
        for (size_t i = 0; i < q->n_waiters; i++)
                q->waiters[i].done(f->error < 0 ? f : NULL, job_changed(job), q->waiters[i].userdata);
        request_free(q);
}

static unsigned insert_flags_from_load_flags(uint64_t flags) {
        unsigned r = 0;
        if (flags & MODCTL_LOAD_FORCE_VERMAGIC)
                r |= KERNEL_INSERT_IGNORE_VERMAGIC;
        if (flags & MODCTL_LOAD_FORCE_MODVERSION)
                r |= KERNEL_INSERT_IGNORE_MODVERSIONS;
        return r;
}

/* Runs plan for the request identified by key, or joins the identical request in flight. */
static void manager_run(Manager *m, const char *key, Plan *plan_in, unsigned insert_flags, const char *origin,
                        PolicyRun *policy_in, manager_done_t done, void *userdata) {
        _cleanup_(plan_freep) Plan *plan = plan_in;
        _cleanup_(policy_run_freep) PolicyRun *policy = policy_in;
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        static char *nothing[] = { NULL };
        Request *q = NULL;
        int r;

        if (plan->n_steps == 0) {
                done(NULL, nothing, userdata);
                return;
        }

        q = calloc(1, sizeof(Request));
        if (!q || !(q->key = strdup(key)) || request_add_waiter(q, done, userdata) < 0) {
                request_free(q);
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", plan->request);
                done(&failure, nothing, userdata);
                return;
        }
        q->manager = m;
        q->origin = origin;
        q->policy = TAKE_PTR(policy);
        HASH_ADD_KEYPTR(hh, m->requests, q->key, strlen(q->key), q);

        records_begin(m, plan, origin);
        /* The policy decides on a worker, over the whole plan, before its first step. */
        JobPrepare prepare = { policy_run_evaluate, policy_run_report, q->policy };
        r = scheduler_submit(m->scheduler, plan, insert_flags, streq(origin, ORIGIN_KERNEL),
                             q->policy ? &prepare : NULL, on_job_finished, q);
        if (r < 0) {
                records_end(m, plan, NULL);
                HASH_DEL(m->requests, q);
                request_free(q);
                failure_set(&failure, FAILURE_INTERNAL, "Cannot start loading '%s': %s.", plan->request, strerror(-r));
                done(&failure, nothing, userdata);
                return;
        }
        plan = NULL; /* the scheduler's now */
}

static bool join_request(Manager *m, const char *key, manager_done_t done, void *userdata) {
        Request *q = NULL;
        HASH_FIND_STR(m->requests, key, q);
        if (!q || request_add_waiter(q, done, userdata) < 0)
                return false;
        m->counters[MANAGER_COUNTER_COALESCED]++;
        log_debug("Request '%s' joins the identical one in flight.", key);
        return true;
}

int manager_plan_load(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret,
                      Failure *failure) {
        assert(m);
        assert(name);
        assert(ret);
        return resolver_plan_load(m->resolver, m->kernel, name, params, flags, ret, failure);
}

/* Identical loads share one job whoever asks: the origin is not part of the key. */
static int load_key(const char *name, const char *params, uint64_t flags, char **ret) {
        return asprintf(ret, "load %" PRIx64 " %s %s", flags, name, strempty(params)) < 0 ? -ENOMEM : 0;
}

bool manager_load_pending(Manager *m, const char *name, const char *params, uint64_t flags) {
        _cleanup_free_ char *key = NULL;
        Request *q = NULL;

        assert(m);
        assert(name);
        if (load_key(name, params, flags, &key) < 0)
                return false;
        HASH_FIND_STR(m->requests, key, q);
        return q;
}

/* A request that failed before any job ran: log, count, tell listeners (loads), answer. */
static void request_failed(Manager *m, const char *name, const char *origin, bool is_load, int level,
                           const Failure *failure, manager_done_t done, void *userdata) {
        static char *nothing[] = { NULL };

        log_full_errno(level, failure->error, "%s", strempty(failure->message));
        m->counters[MANAGER_COUNTER_FAILED]++;
        if (is_load)
                MANAGER_EMIT(m, load_failed, name, origin, failure);
        done(failure, nothing, userdata);
}

void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  manager_done_t done, void *userdata) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_free_ char *key = NULL;
        static char *nothing[] = { NULL };
        Plan *plan = NULL;

        assert(m);
        assert(name);
        assert(origin);
        assert(done);
        m->counters[MANAGER_COUNTER_REQUESTS]++;
        if (load_key(name, params, flags, &key) < 0) {
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", name);
                done(&failure, nothing, userdata);
                return;
        }
        if (join_request(m, key, done, userdata))
                return;

        manager_refresh_index(m);
        if (manager_plan_load(m, name, params, flags, &plan, &failure) < 0) {
                request_failed(m, name, origin, true, LOG_NOTICE, &failure, done, userdata);
                return;
        }

        /* Every origin comes through here, and the whole plan is decided before any step runs. */
        PolicyRun *policy = NULL;
        if (manager_policy_run_new(m, flags, origin, &policy) < 0) {
                plan_free(plan);
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", name);
                request_failed(m, name, origin, true, LOG_ERR, &failure, done, userdata);
                return;
        }

        manager_run(m, key, plan, insert_flags_from_load_flags(flags), origin, policy, done, userdata);
}

void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin,
                    manager_done_t done, void *userdata) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_free_ char *key = NULL;
        static char *nothing[] = { NULL };
        Plan *plan = NULL;

        assert(m);
        assert(name);
        assert(origin);
        assert(done);
        m->counters[MANAGER_COUNTER_REQUESTS]++;
        if (asprintf(&key, "unload %" PRIx64 " %s", flags, name) < 0) {
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while unloading '%s'.", name);
                done(&failure, nothing, userdata);
                return;
        }
        if (join_request(m, key, done, userdata))
                return;

        manager_refresh_index(m);
        if (resolver_plan_unload(m->resolver, m->kernel, name, flags, &plan, &failure) < 0) {
                request_failed(m, name, origin, false, LOG_NOTICE, &failure, done, userdata);
                return;
        }

        manager_run(m, key, plan, 0, origin, NULL, done, userdata);
}

static void on_index_changed(void *userdata) {
        Manager *m = userdata;
        int r;

        manager_settings_invalidate(m);
        __atomic_store_n(&m->inspect_resolver_stale, true, __ATOMIC_RELEASE);
        r = resolver_reload(m->resolver);
        if (r < 0)
                log_warning_errno(r, "Cannot reload the module index and configuration: %m");
        MANAGER_EMIT0(m, index_changed);
}

void manager_refresh_index(Manager *m) {
        assert(m);
        /* With inotify, on_index_changed() already reloaded what changed; without it, the check
         * compares the files' identity and calls it. */
        if (m->index_watch)
                (void) index_watch_check(m->index_watch);
        else
                (void) resolver_refresh(m->resolver);
}

bool manager_index_is_watched(Manager *m) {
        assert(m);
        return index_watch_is_active(m->index_watch);
}

/* Watch what the resolver reads: the module index and the modprobe.d directories. */
static int manager_watch_index(Manager *m, const ManagerConfig *config) {
        static const char *const modprobe_dirs[] = {
                "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d",
                "/usr/lib/modprobe.d", NULL,
        };
        /* The boot list's files too: they are settings that module objects report. */
        static const char *const modules_load_dirs[] = {
                "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
                NULL,
        };
        static const char *const modctld_conf_dirs[] = {
                "/etc/modctl/modctld.conf.d", "/run/modctl/modctld.conf.d", "/usr/local/lib/modctl/modctld.conf.d",
                "/usr/lib/modctl/modctld.conf.d", NULL,
        };
        _cleanup_(strv_freep) char **paths = NULL;
        int r;

        if (config->resolver.modules_dir)
                r = strv_extend(&paths, config->resolver.modules_dir);
        else {
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "/lib/modules/%s", strempty(resolver_kernel_release(m->resolver))) < 0)
                        return -ENOMEM;
                r = strv_extend(&paths, dir);
        }
        if (r < 0)
                return r;
        for (const char *const *p = config->resolver.config_paths ?: modprobe_dirs; *p; p++) {
                r = strv_extend(&paths, *p);
                if (r < 0)
                        return r;
        }
        for (const char *const *p = modules_load_dirs; *p; p++) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, "%s%s", strempty(m->config_root), *p) < 0 || strv_extend(&paths, d) < 0)
                        return -ENOMEM;
        }
        /* And modctld.conf.d, whose files hold the disabled modules that settings report. */
        for (const char *const *p = modctld_conf_dirs; *p; p++) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, "%s%s", strempty(m->config_root), *p) < 0 || strv_extend(&paths, d) < 0)
                        return -ENOMEM;
        }

        IndexWatchOptions opts = { .no_inotify = config->no_index_watch };
        return index_watch_new(m->event, paths, &opts, on_index_changed, m, &m->index_watch);
}

/* The kernel hook's view of the manager (sources/hook.h): what it may ask, and nothing else. */
static sd_event *hook_port_event(void *userdata) {
        return manager_get_event(userdata);
}

static void hook_port_load(void *userdata, const char *name, hook_done_t done, void *done_userdata) {
        manager_load(userdata, name, "", 0, ORIGIN_KERNEL, done, done_userdata);
}

static bool hook_port_load_pending(void *userdata, const char *name) {
        return manager_load_pending(userdata, name, "", 0);
}

static bool hook_port_module_in_flight(void *userdata, const char *normalized) {
        return manager_module_in_flight(userdata, normalized);
}

static bool hook_port_index_is_watched(void *userdata) {
        return manager_index_is_watched(userdata);
}

static void hook_port_request_done(void *userdata, const char *name, int pid, const Failure *failure) {
        manager_hook_request_done(userdata, name, pid, failure);
}

static int hook_port_add_listener(void *userdata, const ManagerEvents *events, void *listener) {
        return manager_add_listener(userdata, events, listener);
}

static void hook_port_remove_listener(void *userdata, const ManagerEvents *events, void *listener) {
        manager_remove_listener(userdata, events, listener);
}

static const HookPort manager_hook_port = {
        .event = hook_port_event,
        .load = hook_port_load,
        .load_pending = hook_port_load_pending,
        .module_in_flight = hook_port_module_in_flight,
        .index_is_watched = hook_port_index_is_watched,
        .request_done = hook_port_request_done,
        .add_listener = hook_port_add_listener,
        .remove_listener = hook_port_remove_listener,
};

int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        assert(config);
        assert(kernel);
        assert(ret);

        m = calloc(1, sizeof(Manager));
        if (!m) {
                kernel_free(kernel);
                return log_oom();
        }
        m->kernel = kernel;

        if (config->resolver.kernel_cmdline) {
                m->kernel_cmdline = strdup(config->resolver.kernel_cmdline);
                if (!m->kernel_cmdline)
                        return log_oom();
        }

        if (config->config_root) {
                m->config_root = strdup(config->config_root);
                if (!m->config_root)
                        return log_oom();
        }

        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        r = config_load(m->config_root, &m->config, &failure);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %s", strempty(failure.message));
        r = manager_policy_init(m, &failure);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %s", strempty(failure.message));

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        r = manager_denied_init(m);
        if (r < 0)
                return log_oom();
        /* The resolvers read modprobe.d without modctld's own file of denied modules. */
        ResolverConfig rc = config->resolver;
        rc.exclude_config = m->denied_path;
        r = resolver_new(&rc, &m->resolver);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the module resolver (libkmod): %m");
        r = manager_policy_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to load the kernel's certificates: %m");
        /* Inspections (policy checks, dry runs, Info) run on their own thread, with their own
         * libkmod context: libkmod is not thread-safe. */
        r = resolver_new(&rc, &m->inspect_resolver);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the module resolver (libkmod): %m");
        r = inspector_new(m->event,
                          &(const InspectorConfig) { .max_queued = MANAGER_INSPECT_MAX,
                                                     .max_per_owner = MANAGER_INSPECT_PER_UID_MAX },
                          &m->inspector);
        if (r < 0)
                return log_error_errno(r, "Failed to start the inspection thread: %m");

        /* Command-line settings win over modctld.conf. */
        SchedulerConfig sc = config->scheduler;
        if (sc.n_workers == 0)
                sc.n_workers = m->config->daemon.workers;
        if (sc.command_timeout_usec == 0)
                sc.command_timeout_usec = m->config->daemon.command_timeout_usec;
        if (sc.step_timeout_usec == 0)
                sc.step_timeout_usec = m->config->daemon.load_timeout_usec;
        r = scheduler_new(m->event, m->kernel, &sc, &m->scheduler);
        if (r < 0)
                return log_error_errno(r, "Failed to start the worker threads: %m");

        r = manager_settings_init(m, config);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the settings: %m");

        /* Without inotify (or with --no-index-watch), still correct, just slower: every request
         * checks the files' identity, and the hook does not cache missing names. */
        r = manager_watch_index(m, config);
        if (r < 0)
                log_warning_errno(r, "Cannot watch the module index for changes: %m");

        HookConfig hc = { .socket_path = config->hook_socket };
        r = hook_new(&manager_hook_port, m, &hc, &m->hook);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the kernel hook: %m");

        r = autoload_new(m, &config->autoload, &m->autoload);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        assert(m);

        r = kernel_watch(m->kernel, m->event, on_kernel_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch module events: %m");

        r = records_seed(m);
        if (r < 0)
                return log_error_errno(r, "Failed to list the loaded modules: %m");

        /* Before anything loads: the boot list already runs under the ownership in force. */
        r = manager_ownership_start(m);
        if (r < 0)
                return r;

        /* Before anything loads, and before a crash could hand the devices back to udevd. */
        manager_denied_update(m);

        r = hook_start(m->hook);
        if (r < 0)
                return r;

        manager_install_modprobe(m);
        return 0;
}

int manager_add_listener(Manager *m, const ManagerEvents *events, void *userdata) {
        ManagerListener *l;

        assert(m);
        assert(events);

        l = realloc(m->listeners, sizeof(ManagerListener) * (m->n_listeners + 1));
        if (!l)
                return -ENOMEM;
        m->listeners = l;
        m->listeners[m->n_listeners++] = (ManagerListener) { events, userdata };
        return 0;
}

void manager_remove_listener(Manager *m, const ManagerEvents *events, void *userdata) {
        assert(m);

        for (size_t i = 0; i < m->n_listeners; i++)
                if (m->listeners[i].events == events && m->listeners[i].userdata == userdata) {
                        memmove(m->listeners + i, m->listeners + i + 1,
                                sizeof(ManagerListener) * (m->n_listeners - i - 1));
                        m->n_listeners--;
                        return;
                }
}

void manager_start_autoload(Manager *m) {
        assert(m);

        if (m->autoload_started)
                return;
        m->autoload_started = true;
        (void) autoload_start(m->autoload);
        manager_check_ready(m);
}

void manager_name_acquired(Manager *m) {
        assert(m);

        if (m->name_acquired)
                return;
        m->name_acquired = true;
        log_info("Serving %s on the bus.", MODCTL_BUS_NAME);
        manager_start_autoload(m);
}

void manager_check_ready(Manager *m) {
        assert(m);

        if (m->ready_sent || !m->autoload_started || !autoload_boot_done(m->autoload))
                return;
        m->ready_sent = true;
        log_info("modctld %s ready, boot list loaded, kernel %s.", MODCTL_VERSION,
                 resolver_kernel_release(m->resolver));
        (void) sd_notify(false, "READY=1\nSTATUS=Boot list loaded; serving kernel requests, devices and " MODCTL_BUS_NAME);
}

void manager_hook_request_done(Manager *m, const char *name, int pid, const Failure *failure) {
        assert(m);
        assert(name);

        MANAGER_EMIT(m, hook_request, name, pid, failure);
}

bool manager_is_ready(Manager *m) {
        assert(m);
        return m->ready_sent;
}

void manager_autoload_finished(Manager *m, const char *batch, unsigned requested, unsigned inserted,
                               unsigned failed, uint64_t usec) {
        assert(m);
        assert(batch);

        MANAGER_EMIT(m, autoload_finished, batch, requested, inserted, failed, usec);
        manager_check_ready(m);
}

bool manager_module_in_flight(Manager *m, const char *name) {
        assert(m);
        assert(name);
        return scheduler_module_in_flight(m->scheduler, name);
}

int manager_lookup_alias(Manager *m, const char *alias, char ***ret, Failure *failure) {
        assert(m);
        assert(alias);
        assert(ret);
        return resolver_lookup(m->resolver, alias, ret, failure);
}

int manager_module_info(Manager *m, const char *name, char ***ret_pairs, Failure *failure) {
        assert(m);
        assert(name);
        assert(ret_pairs);
        manager_refresh_index(m);
        return resolver_module_info(m->resolver, name, ret_pairs, failure);
}

sd_event *manager_get_event(Manager *m) {
        assert(m);
        return m->event;
}

/* What the kernel has loaded, for the bus layer, which never reaches the kernel backend itself. */
int manager_list_modules(Manager *m, KernelModule **ret, size_t *ret_n) {
        assert(m);
        assert(ret);
        assert(ret_n);
        return kernel_list(m->kernel, ret, ret_n);
}

int manager_get_module(Manager *m, const char *name, KernelModule *ret) {
        assert(m);
        assert(name);
        assert(ret);
        return kernel_get(m->kernel, name, ret);
}

int manager_get_module_parameters(Manager *m, const char *name, bool world_readable_only, char ***ret) {
        assert(m);
        assert(name);
        assert(ret);
        return kernel_get_parameters(m->kernel, name, world_readable_only, ret);
}

const char *manager_kernel_release(Manager *m) {
        assert(m);
        return resolver_kernel_release(m->resolver);
}

const char *manager_config_root(Manager *m) {
        assert(m);
        return m->config_root;
}

const char *manager_kernel_cmdline(Manager *m) {
        assert(m);
        return m->kernel_cmdline;
}

uint64_t manager_get_counter(Manager *m, ManagerCounter c) {
        assert(m);
        return c < _MANAGER_COUNTER_MAX ? m->counters[c] : 0;
}

void manager_get_hook_statistics(Manager *m, HookStatistics *ret) {
        assert(m);
        assert(ret);
        hook_get_statistics(m->hook, ret);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        /* First, before anything that could wait on a stuck module init: kernel.modprobe must
         * get its previous value back. */
        manager_restore_modprobe(m);
        /* Workers next: their results would call back into what follows. A worker stuck in a
         * module init is abandoned after a grace period, not waited for. */
        inspector_free(m->inspector);
        scheduler_free(m->scheduler);
        autoload_free(m->autoload);

        Request *q, *qt;
        HASH_ITER(hh, m->requests, q, qt) {
                HASH_DEL(m->requests, q);
                request_free(q);
        }
        ModuleRecord *r, *rt;
        HASH_ITER(hh, m->records, r, rt)
                record_drop(m, r);
        /* After the requests: its connections were their waiters. */
        hook_free(m->hook);
        index_watch_free(m->index_watch);
        /* Released (the default): the programs detach here; kept: they stay pinned. */
        manager_ownership_free(m);

        manager_denied_free(m);
        resolver_free(m->resolver);
        manager_settings_free(m);
        resolver_free(m->inspect_resolver);
        kernel_free(m->kernel);
        sd_event_unref(m->event);
        config_unref(m->config);
        trust_store_unref(m->trust);
        trust_store_unref(m->kernel_trust);
        free(m->kernel_trust_error);
        free(m->listeners);
        free(m->modprobe_installed);
        free(m->modprobe_previous);
        free(m->config_root);
        free(m->kernel_cmdline);
        free(m);
        return NULL;
}
