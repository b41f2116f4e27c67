/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "common/strv.h"
#include "common/time-util.h"
#include "engine/denied-file.h"
#include "engine/manager.h"
#include "engine/modprobe-handover.h"
#include "engine/policy-run.h"
#include "engine/timeline.h"
#include "core/module-file.h"
#include "settings/atomic-file.h"
#include "kernel/kernel.h"
#include "modctl-bus.h"
#include "modctl-values.h"
#include "sources/autoload.h"
#include "sources/hook.h"
#include "sources/index-watch.h"

typedef struct Request Request;

typedef struct ManagerListener {
        const ManagerEvents *events;
        void *userdata;
} ManagerListener;

struct Manager {
        sd_event *event;
        Kernel *kernel;
        Resolver *resolver;             /* the event loop's; workers get plans, never the resolver */
        Scheduler *scheduler;
        PolicySnapshot *policy;         /* the policy in force */
        ModuleRegistry *modules;        /* the loaded modules and who asked for each */
        Inspections *inspections;       /* policy checks, dry runs, Info: off the event loop, capped */
        SettingsService *settings;      /* the persistent settings files */
        CatalogService *catalog;        /* the modules on disk, descriptions */
        MemoryGuard *memory;            /* refuses new work near our cgroup's memory limit */
        OwnershipService *ownership;    /* the BPF LSM programs; NULL until manager_start() */
        DeniedFile *denied;             /* MODPROBE_DENIED_CONF, for when modctld does not run */
        Timeline *timeline;             /* where each module's time went */
        ModprobeHandover modprobe;      /* kernel.modprobe while we run */
        Hook *hook;                     /* the kernel's request_module() requests */
        Autoload *autoload;             /* boot list, coldplug, device events */
        IndexWatch *index_watch;        /* keeps the resolvers current; NULL if inotify failed */
        Request *requests;              /* uthash by request key: identical requests share one job */
        uint64_t counters[_MANAGER_COUNTER_MAX];
        ManagerListener *listeners;
        size_t n_listeners;
        char *config_root;
        char *kernel_cmdline;           /* NULL: /proc/cmdline */
        char *modules_dir;              /* where modules.dep is */
        sd_event_source *name_wait;     /* how long the boot list waits for the bus name */
        char *plans_dir;                /* MANAGER_PLANS_DIR under config_root */
        uint64_t plan_seq;              /* names this run's plan records */
        uint64_t file_seq;              /* tells loads of module files apart (manager_load_file()) */
        bool name_acquired;
        bool autoload_started;          /* boot list, coldplug and device events are running */
        bool serving;                   /* start_autoload() is through: hook, monitor, bus */
        uint64_t started_usec;          /* where the next start-up phase begins (the timeline's clock) */
        bool ready_sent;
        bool boot_list_loaded;
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

typedef struct Waiter {
        manager_done_t done;
        void *userdata;
} Waiter;

/* A load or unload in flight. Identical requests attach to it instead of running twice. */
struct Request {
        char *key;
        Manager *manager;
        const char *origin;
        Requester who;          /* who asked first */
        char *record;           /* a load's plan record under MANAGER_PLANS_DIR, or NULL */
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

static void on_kernel_event(KernelEvent event, const char *name, void *userdata) {
        Manager *m = userdata;
        const char *origin = NULL;
        Requester who;
        uint64_t now = 0;

        /* An insert by another process reported who did it just before this event; the
         * uevent outranks the report's own wakeup, so read it now. */
        ownership_service_drain(m->ownership);
        (void) sd_event_now(m->event, CLOCK_REALTIME, &now);
        if (!module_registry_observe(m->modules, event == KERNEL_EVENT_ADD, name, now, &origin, &who))
                return;
        const Requester *w = requester_is_known(&who) ? &who : NULL;
        /* Logged by the listeners (daemon/sinks/journal-log.c), not here. */
        if (event == KERNEL_EVENT_ADD) {
                timeline_live(m->timeline, name, kernel_now(m->kernel));
                denied_file_module_loaded(m->denied, name);
                MANAGER_EMIT(m, module_loaded, name, origin, w);
        } else
                MANAGER_EMIT(m, module_unloaded, name, origin, w);
}

static void on_policy_warning(const char *module, const char *rule, const char *reason, const char *origin,
                              void *userdata) {
        Manager *m = userdata;
        MANAGER_EMIT(m, policy_warning, module, rule, reason, origin);
}

/* Every failed load, before or while its job ran: the listeners hear of it, and a load the
 * policy refused by its content is kept out of udevd's reach too. */
static void load_failed(Manager *m, const char *name, const char *origin, const Requester *who,
                        const Failure *failure) {
        const Requester *w = requester_is_known(who) ? who : NULL;

        denied_file_load_failed(m->denied, m->policy->config, name, failure);
        MANAGER_EMIT(m, load_failed, name, origin, w, failure);
}

/* Before anything reads the index or the configuration files. With inotify, on_index_changed()
 * already reloaded what changed; without it, the check compares the files' identity (inode,
 * size, mtime, ctime) and calls it. Whoever caches "not found" or descriptions learns whether
 * the watch is on right now: it goes off when inotify is lost, and on again when a retry works. */
static void refresh_index(Manager *m) {
        bool watched;

        if (m->index_watch)
                (void) index_watch_check(m->index_watch);
        else
                (void) resolver_refresh(m->resolver);
        watched = m->index_watch && index_watch_is_active(m->index_watch);
        inspections_set_index_watched(m->inspections, watched);
        catalog_service_set_index_watched(m->catalog, watched);
}

static Request *request_free(Request *q) {
        if (!q)
                return NULL;
        policy_run_free(q->policy);
        if (q->record) {
                (void) unlink(q->record);
                free(q->record);
        }
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

static void on_job_finished(Job *job, void *userdata) {
        Request *q = userdata;
        Manager *m = q->manager;
        const Failure *f = job_failure(job);

        const Plan *plan = job_plan(job);
        /* By the key: an unload plan may start with a remove command rather than a REMOVE step. */
        bool is_unload = strncmp(q->key, "unload ", 7) == 0;

        module_registry_end(m->modules, plan, job_changed(job));
        STRV_FOREACH(w, job_warnings(job))
                log_warning("%s", *w);
        if (f->error < 0)
                log_full_errno(LOG_WARNING, f->error, "%s", strempty(f->message));
        if (f->error < 0 && !is_unload)
                load_failed(m, plan->request, q->origin, &q->who, f);
        if (is_unload)
                MANAGER_EMIT(m, unload_finished, q->origin, job_changed(job));

        HASH_DEL(m->requests, q);
        /* The plan is over before anyone hears so: a caller may look right after the reply. */
        if (q->record) {
                (void) unlink(q->record);
                free(q->record);
                q->record = NULL;
        }
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

/* A load's plan, kept in a file under MANAGER_PLANS_DIR while its job runs: should modctld be
 * killed mid-plan, the next start finds the file and says which plan was cut short and how far
 * it got. "request NAME", "origin ORIGIN", then "module NAME" for each module of the plan. No
 * fsync: /run is a tmpfs, and a killed process loses nothing it wrote. Best effort: a plan runs
 * without its record. */
static void plan_record_write(Manager *m, Request *q, const Plan *plan) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size = 0;
        FILE *f;

        if (!m->plans_dir || asprintf(&path, "%s/%" PRIu64, m->plans_dir, ++m->plan_seq) < 0)
                return;
        f = open_memstream(&text, &size);
        if (!f)
                return;
        fprintf(f, "request %s\norigin %s\n", plan->request, strempty(q->origin));
        for (size_t i = 0; i < plan->n_steps; i++)
                if (plan->steps[i].kind != PLAN_STEP_REMOVE)
                        fprintf(f, "module %s\n", plan->steps[i].name);
        if (fclose(f) != 0 || !text)
                return;

        _cleanup_(closep) int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                log_debug_errno(-errno, "Cannot write the plan record %s: %m", path);
                return;
        }
        if (write(fd, text, size) != (ssize_t) size) {
                (void) unlink(path);
                return;
        }
        q->record = TAKE_PTR(path);
}

/* Plan records an earlier modctld left: each is a load that was cut short. Report how far it
 * got (its modules loaded now and not), then forget it. */
static void plan_records_report(Manager *m) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (!m->plans_dir)
                return;
        if (mkdir(m->plans_dir, 0700) < 0 && errno != EEXIST) {
                log_debug_errno(-errno, "Cannot create %s, plans go unrecorded: %m", m->plans_dir);
                free(m->plans_dir);
                m->plans_dir = NULL;
                return;
        }
        d = opendir(m->plans_dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL, *request = NULL, *origin = NULL;
                _cleanup_(strv_freep) char **loaded = NULL, **missing = NULL;

                if (de->d_name[0] == '.' || asprintf(&path, "%s/%s", m->plans_dir, de->d_name) < 0)
                        continue;
                if (read_file_text(path, 64 * 1024, &text) >= 0) {
                        char *p = text, *line;
                        while ((line = strsep(&p, "\n"))) {
                                KernelModuleState state = KERNEL_MODULE_ABSENT;

                                if (strncmp(line, "request ", 8) == 0 && !request)
                                        request = strdup(line + 8);
                                else if (strncmp(line, "origin ", 7) == 0 && !origin)
                                        origin = strdup(line + 7);
                                else if (strncmp(line, "module ", 7) == 0) {
                                        (void) kernel_get_state(m->kernel, line + 7, &state);
                                        (void) strv_extend(state == KERNEL_MODULE_ABSENT ? &missing : &loaded,
                                                           line + 7);
                                }
                        }
                        _cleanup_free_ char *l = strv_join(loaded ?: (char *[]) { NULL }, ", ");
                        _cleanup_free_ char *n = strv_join(missing ?: (char *[]) { NULL }, ", ");
                        log_warning("The load of '%s' (origin %s) was cut short: an earlier modctld stopped in the "
                                    "middle of its plan. Of its modules, loaded now: %s; not loaded: %s.",
                                    request ?: "?", origin && *origin ? origin : "unknown",
                                    l && *l ? l : "none", n && *n ? n : "none");
                }
                (void) unlink(path);
        }
}

/* Runs plan for the request identified by key, or joins the identical request in flight. */
static void manager_run(Manager *m, const char *key, Plan *plan_in, unsigned insert_flags, const char *origin,
                        const Requester *who, PolicyRun *policy_in, manager_done_t done, void *userdata) {
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
        q->who = who ? *who : REQUESTER_UNKNOWN;
        q->policy = TAKE_PTR(policy);
        HASH_ADD_KEYPTR(hh, m->requests, q->key, strlen(q->key), q);

        module_registry_begin(m->modules, plan, origin, &q->who);
        timeline_queued(m->timeline, plan, origin, kernel_now(m->kernel));
        if (strncmp(key, "load ", 5) == 0)
                plan_record_write(m, q, plan);
        /* The policy decides on a worker, over the whole plan, before its first step. */
        JobPrepare prepare = { policy_run_evaluate, policy_run_report, q->policy };
        r = scheduler_submit(m->scheduler, plan, insert_flags, streq(origin, ORIGIN_KERNEL),
                             q->policy ? &prepare : NULL, on_job_finished, q);
        if (r < 0) {
                module_registry_end(m->modules, plan, NULL);
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

/* Identical loads share one job whoever asks: the origin is not part of the key. */
static int load_key(const char *name, const char *params, uint64_t flags, char **ret) {
        return asprintf(ret, "load %" PRIx64 " %s %s", flags, name, strempty(params)) < 0 ? -ENOMEM : 0;
}

static bool load_pending(Manager *m, const char *name, const char *params, uint64_t flags) {
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
static void request_failed(Manager *m, const char *name, const char *origin, const Requester *who,
                           bool is_load, int level, const Failure *failure, manager_done_t done,
                           void *userdata) {
        static char *nothing[] = { NULL };

        log_full_errno(level, failure->error, "%s", strempty(failure->message));
        m->counters[MANAGER_COUNTER_FAILED]++;
        if (is_load)
                load_failed(m, name, origin, who, failure);
        done(failure, nothing, userdata);
}

void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  const Requester *who, manager_done_t done, void *userdata) {
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

        refresh_index(m);
        if (resolver_plan_load(m->resolver, m->kernel, name, params, flags, &plan, &failure) < 0) {
                request_failed(m, name, origin, who, true, LOG_NOTICE, &failure, done, userdata);
                return;
        }

        /* Every origin comes through here, and the whole plan is decided before any step runs. */
        PolicyRun *policy = NULL;
        if (policy_run_new(m->policy, flags, origin, on_policy_warning, m, &policy) < 0) {
                plan_free(plan);
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", name);
                request_failed(m, name, origin, who, true, LOG_ERR, &failure, done, userdata);
                return;
        }

        manager_run(m, key, plan, insert_flags_from_load_flags(flags), origin, who, policy, done, userdata);
}

/* The caller's file as the kernel names it (what /proc/self/fd shows), for messages and the
 * plan's "insmod" line; the descriptor, not a path the caller claims. */
static char *fd_file_name(int fd) {
        char proc[64], buf[4096];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n <= 0)
                return strdup("(module file)");
        buf[n] = '\0';
        return strdup(buf);
}

/* What is wrong with a module file, as a sentence that names it. */
static int file_failure(Failure *failure, const char *file, int error) {
        switch (error) {
        case -EBADF:
                return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                   "The descriptor for '%s' is not open for reading (opened with O_PATH or "
                                   "write-only).", file);
        case -EINVAL:
                return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                   "'%s' is not a regular file; only a module file can be loaded.", file);
        case -ENOEXEC:
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "'%s' is not a kernel module: it is empty, or not an ELF relocatable object "
                                   "with a .modinfo section.", file);
        case -EBADMSG:
        case -EMEDIUMTYPE:
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "'%s' is not a kernel module: its compressed data is malformed.", file);
        case -EFBIG:
                return failure_set(failure, FAILURE_BAD_MODULE, "'%s' is implausibly large for a kernel module.",
                                   file);
        case -ENOMSG:
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "'%s' is not a loadable module: its .modinfo has no name= (built for a kernel "
                                   "before 5.3, or not by kbuild).", file);
        case -ENOMEM:
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", file);
        default:
                return failure_set_errno(failure, FAILURE_INTERNAL, error, "Cannot read the module file '%s': %s.",
                                         file, strerror(-error));
        }
}

void manager_load_file(Manager *m, int fd, const char *params, uint64_t flags, const char *origin,
                       const Requester *who, manager_done_t done, void *userdata) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(strv_freep) char **depends = NULL, **lines = NULL;
        _cleanup_free_ char *file = NULL, *key = NULL, *name = NULL;
        _cleanup_(closep) int copy = -EBADF;
        static char *nothing[] = { NULL };
        Plan *plan = NULL;
        int r;

        assert(m);
        assert(origin);
        assert(done);
        m->counters[MANAGER_COUNTER_REQUESTS]++;

        file = fd_file_name(fd);
        if (!file) {
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading a module file.");
                done(&failure, nothing, userdata);
                return;
        }

        r = module_file_copy_fd(fd, &copy);
        if (r >= 0)
                r = module_file_identify(copy, &name, &depends);
        if (r < 0) {
                file_failure(&failure, file, r);
                request_failed(m, file, origin, who, true, r == -ENOMEM ? LOG_ERR : LOG_NOTICE, &failure, done,
                               userdata);
                return;
        }

        refresh_index(m);
        if (resolver_plan_load_file(m->resolver, m->kernel, file, name, depends,
                                    flags & MODCTL_LOAD_DRY_RUN ? -EBADF : copy, params, flags, &plan,
                                    &failure) < 0) {
                request_failed(m, file, origin, who, true, LOG_NOTICE, &failure, done, userdata);
                return;
        }

        if (flags & MODCTL_LOAD_DRY_RUN) {
                r = plan_describe(plan, &lines);
                plan_free(plan);
                if (r < 0) {
                        failure_set(&failure, FAILURE_INTERNAL, "Out of memory while describing '%s'.", file);
                        done(&failure, nothing, userdata);
                        return;
                }
                done(NULL, lines, userdata);
                return;
        }

        PolicyRun *policy = NULL;
        if (policy_run_new(m->policy, flags, origin, on_policy_warning, m, &policy) < 0) {
                plan_free(plan);
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", file);
                request_failed(m, file, origin, who, true, LOG_ERR, &failure, done, userdata);
                return;
        }
        /* Each file is its own request: two files may carry the same module name. */
        if (asprintf(&key, "load file %" PRIu64 " %s", ++m->file_seq, file) < 0) {
                plan_free(plan);
                policy_run_free(policy);
                failure_set(&failure, FAILURE_INTERNAL, "Out of memory while loading '%s'.", file);
                done(&failure, nothing, userdata);
                return;
        }
        manager_run(m, key, plan, insert_flags_from_load_flags(flags), origin, who, policy, done, userdata);
}

void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin, const Requester *who,
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

        refresh_index(m);
        if (resolver_plan_unload(m->resolver, m->kernel, name, flags, &plan, &failure) < 0) {
                request_failed(m, name, origin, who, false, LOG_NOTICE, &failure, done, userdata);
                return;
        }

        manager_run(m, key, plan, 0, origin, who, NULL, done, userdata);
}

/* The one path for "the module index or modprobe.d or modules-load.d changed", whether inotify
 * or a settings change says so: everything that caches what they say drops it. */
static void files_changed(Manager *m) {
        int r;

        settings_service_invalidate(m->settings);
        catalog_service_invalidate(m->catalog);
        inspections_invalidate(m->inspections);
        /* Module objects announce what changed for them. */
        MANAGER_EMIT0(m, settings_changed);
        r = resolver_reload(m->resolver);
        if (r < 0)
                log_warning_errno(r, "Cannot reload the module index and configuration: %m");
        denied_file_update(m->denied, m->policy->config, m->modules_dir);
        MANAGER_EMIT0(m, index_changed);
}

static void on_index_changed(void *userdata) {
        files_changed(userdata);
}

/* Watch what the resolver reads: the module index and the modprobe.d directories. */
static int watch_index(Manager *m, const ManagerConfig *config) {
        static const char *const modprobe_dirs[] = {
                "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d",
                "/usr/lib/modprobe.d", NULL,
        };
        /* The boot list's files too: they are settings that module objects report. */
        static const char *const modules_load_dirs[] = {
                "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
                NULL,
        };
        /* And modctld.conf.d, whose files hold the disabled modules that settings report. */
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

        for (const char *const *p = modctld_conf_dirs; *p; p++) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, "%s%s", strempty(m->config_root), *p) < 0 || strv_extend(&paths, d) < 0)
                        return -ENOMEM;
        }

        IndexWatchOptions opts = { .no_inotify = config->no_index_watch };
        return index_watch_new(m->event, paths, &opts, on_index_changed, m, &m->index_watch);
}

/* The kernel hook's view of the manager (sources/hook.h): what it may ask, and nothing else. */
static sd_event *port_event(void *userdata) {
        Manager *m = userdata;
        return m->event;
}

static void hook_port_load(void *userdata, const char *name, const Requester *who, hook_done_t done,
                           void *done_userdata) {
        manager_load(userdata, name, "", 0, ORIGIN_KERNEL, who, done, done_userdata);
}

static bool hook_port_load_pending(void *userdata, const char *name) {
        return load_pending(userdata, name, "", 0);
}

static bool hook_port_module_in_flight(void *userdata, const char *normalized) {
        Manager *m = userdata;
        return scheduler_module_in_flight(m->scheduler, normalized);
}

static bool hook_port_index_is_watched(void *userdata) {
        Manager *m = userdata;
        return m->index_watch && index_watch_is_active(m->index_watch);
}

static void hook_port_request_done(void *userdata, const char *name, int pid, const Failure *failure) {
        Manager *m = userdata;
        MANAGER_EMIT(m, hook_request, name, pid, failure);
}

static int port_add_listener(void *userdata, const ManagerEvents *events, void *listener) {
        return manager_add_listener(userdata, events, listener);
}

static void port_remove_listener(void *userdata, const ManagerEvents *events, void *listener) {
        manager_remove_listener(userdata, events, listener);
}

static const HookPort hook_port = {
        .event = port_event,
        .load = hook_port_load,
        .load_pending = hook_port_load_pending,
        .module_in_flight = hook_port_module_in_flight,
        .index_is_watched = hook_port_index_is_watched,
        .request_done = hook_port_request_done,
        .add_listener = port_add_listener,
        .remove_listener = port_remove_listener,
};

/* Autoload's view (sources/autoload.h). */
static void autoload_port_load(void *userdata, const char *name, const char *origin, autoload_done_t done,
                               void *done_userdata) {
        manager_load(userdata, name, NULL, 0, origin, NULL, done, done_userdata);
}

static int autoload_port_lookup_alias(void *userdata, const char *alias, char ***ret, Failure *failure) {
        Manager *m = userdata;
        return resolver_lookup(m->resolver, alias, ret, failure);
}

static void autoload_port_refresh_index(void *userdata) {
        refresh_index(userdata);
}

static void check_ready(Manager *m);

static uint64_t autoload_port_now(void *userdata) {
        Manager *m = userdata;
        return kernel_now(m->kernel);
}

static void autoload_port_phase(void *userdata, const char *phase, uint64_t began, uint64_t ended) {
        Manager *m = userdata;
        timeline_phase(m->timeline, phase, began, ended);
}

static void autoload_port_started(void *userdata, const char *batch) {
        Manager *m = userdata;
        timeline_batch_started(m->timeline, batch, kernel_now(m->kernel));
}

static void autoload_port_finished(void *userdata, const char *batch, unsigned requested, unsigned inserted,
                                   unsigned failed, uint64_t usec) {
        Manager *m = userdata;

        timeline_batch_finished(m->timeline, batch, kernel_now(m->kernel));
        MANAGER_EMIT(m, autoload_finished, batch, requested, inserted, failed, usec);
        check_ready(m);
}

static const AutoloadPort autoload_port = {
        .event = port_event,
        .load = autoload_port_load,
        .lookup_alias = autoload_port_lookup_alias,
        .refresh_index = autoload_port_refresh_index,
        .started = autoload_port_started,
        .finished = autoload_port_finished,
        .now = autoload_port_now,
        .phase = autoload_port_phase,
        .add_listener = port_add_listener,
        .remove_listener = port_remove_listener,
};

/* The settings service's view (engine/settings-service.h). */
static const Config *settings_port_config(void *userdata) {
        Manager *m = userdata;
        return m->policy->config;
}

static int settings_port_reload_policy(void *userdata, Failure *failure) {
        return manager_reload_config(userdata, failure);
}

static void settings_port_files_changed(void *userdata) {
        files_changed(userdata);
}

static void settings_port_setting_changed(void *userdata, const char *module, const char *setting,
                                          const char *value, const char *file, const Requester *who) {
        Manager *m = userdata;
        MANAGER_EMIT(m, setting_changed, module, setting, value, file, requester_is_known(who) ? who : NULL);
}

static void port_refresh_index(void *userdata) {
        refresh_index(userdata);
}

static const SettingsServicePort settings_port = {
        .refresh = port_refresh_index,
        .config = settings_port_config,
        .reload_policy = settings_port_reload_policy,
        .files_changed = settings_port_files_changed,
        .setting_changed = settings_port_setting_changed,
};

/* The scheduler's view (core/scheduler.h): what the timeline learns from it. */
static void on_job_checked(const Plan *plan, uint64_t began, uint64_t ended, void *userdata) {
        Manager *m = userdata;
        timeline_checked(m->timeline, plan, ended);
}

static void on_step_inserted(const char *name, uint64_t began, uint64_t ended, int result, void *userdata) {
        Manager *m = userdata;
        timeline_inserted(m->timeline, name, began, ended, result);
}

/* Kernel-enforced ownership's reports: counted, then the listeners hear of them. */
static void on_ownership_report(const OwnershipReport *r, void *userdata) {
        Manager *m = userdata;

        if (r->action == OWNERSHIP_ACTION_REQUEST) {
                if (r->refused)
                        m->counters[MANAGER_COUNTER_KERNEL_REQUESTS_REFUSED]++;
                MANAGER_EMIT(m, kernel_request, r);
                return;
        }
        m->counters[r->refused ? MANAGER_COUNTER_EXTERNAL_REFUSED : MANAGER_COUNTER_EXTERNAL_LOADS]++;
        MANAGER_EMIT(m, external_load, r);
}

/* Records a start-up phase from began until now; returns now, where the next one begins. */
static uint64_t phase_done(Manager *m, const char *phase, uint64_t began) {
        uint64_t now = kernel_now(m->kernel);
        timeline_phase(m->timeline, phase, began, now);
        return now;
}

int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *catalog_cache = NULL;
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
        /* First: the start-up's own phases go into it. */
        r = timeline_new(&m->timeline);
        if (r < 0)
                return log_oom();
        uint64_t phase_began = kernel_now(m->kernel);
        if (config->resolver.kernel_cmdline && !(m->kernel_cmdline = strdup(config->resolver.kernel_cmdline)))
                return log_oom();
        if (config->config_root && !(m->config_root = strdup(config->config_root)))
                return log_oom();

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        r = denied_file_new(m->config_root, &m->denied);
        if (r < 0)
                return log_oom();
        /* The resolvers read modprobe.d without modctld's own file of denied modules. */
        ResolverConfig rc = config->resolver;
        rc.exclude_config = denied_file_path(m->denied);
        r = resolver_new(&rc, &m->resolver);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the module resolver (libkmod): %m");
        const char *release = resolver_kernel_release(m->resolver);
        phase_began = phase_done(m, TIMELINE_PHASE_INDEX, phase_began);

        r = policy_snapshot_load(m->config_root, m->kernel, release, &m->policy, &failure);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %s", strempty(failure.message));

        r = module_registry_new(m->kernel, &m->modules);
        if (r < 0)
                return log_oom();

        r = settings_service_new(m->config_root, (char *const *) config->resolver.config_paths, m->kernel_cmdline,
                                 &settings_port, m, &m->settings);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the settings: %m");
        phase_began = phase_done(m, TIMELINE_PHASE_CONFIG, phase_began);

        /* Inspections (policy checks, dry runs, Info) run on their own thread, with their own
         * libkmod context: libkmod is not thread-safe. */
        r = inspections_new(m->event, &rc, m->kernel, settings_service_paths(m->settings), &m->inspections);
        if (r < 0)
                return log_error_errno(r, "Failed to start the inspection thread: %m");
        inspections_set_policy(m->inspections, m->policy);
        inspections_set_refresh(m->inspections, port_refresh_index, m);

        if (config->resolver.modules_dir)
                m->modules_dir = strdup(config->resolver.modules_dir);
        else if (asprintf(&m->modules_dir, "/lib/modules/%s", release) < 0)
                m->modules_dir = NULL;
        if (!m->modules_dir ||
            asprintf(&catalog_cache, "%s/var/cache/modctl/catalog-%s", strempty(m->config_root), release) < 0)
                return log_oom();
        r = catalog_service_new(m->event, m->modules_dir, catalog_cache, m->resolver, &m->catalog);
        if (r < 0)
                return log_oom();
        r = memory_guard_new(config->memory_cgroup, &m->memory);
        if (r < 0)
                return log_oom();

        /* Command-line settings win over modctld.conf. */
        const Config *c = m->policy->config;
        SchedulerConfig sc = config->scheduler;
        if (sc.n_workers == 0)
                sc.n_workers = c->daemon.workers;
        if (sc.command_timeout_usec == 0)
                sc.command_timeout_usec = c->daemon.command_timeout_usec;
        if (sc.step_timeout_usec == 0)
                sc.step_timeout_usec = c->daemon.load_timeout_usec;
        sc.observer = (SchedulerObserver){ on_job_checked, on_step_inserted, m };
        r = scheduler_new(m->event, m->kernel, &sc, &m->scheduler);
        if (r < 0)
                return log_error_errno(r, "Failed to start the worker threads: %m");

        /* Without inotify (or with --no-index-watch), still correct, just slower: every request
         * checks the files' identity, and the hook does not cache missing names. */
        r = watch_index(m, config);
        if (r < 0)
                log_warning_errno(r, "Cannot watch the module index for changes: %m");
        refresh_index(m);

        HookConfig hc = { .socket_path = config->hook_socket };
        r = hook_new(&hook_port, m, &hc, &m->hook);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the kernel hook: %m");

        AutoloadConfig ac = config->autoload;
        ac.config_root = m->config_root;
        ac.kernel_cmdline = m->kernel_cmdline;
        r = autoload_new(&autoload_port, m, &ac, &m->autoload);
        if (r < 0)
                return r;
        m->started_usec = phase_done(m, TIMELINE_PHASE_SERVICES, phase_began);

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_start(Manager *m) {
        uint64_t began;
        int r;

        assert(m);
        /* From manager_new()'s end: what main() does between counts as starting. */
        began = m->started_usec;

        r = kernel_watch(m->kernel, m->event, on_kernel_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch module events: %m");

        _cleanup_free_ char *first_start = NULL;
        if (asprintf(&first_start, "%s%s", strempty(m->config_root), MANAGER_FIRST_START_FILE) < 0)
                return log_oom();
        r = module_registry_seed(m->modules, first_start);
        if (r < 0)
                return log_error_errno(r, "Failed to list the loaded modules: %m");
        if (asprintf(&m->plans_dir, "%s%s", strempty(m->config_root), MANAGER_PLANS_DIR) < 0)
                return log_oom();
        plan_records_report(m);

        /* Before anything loads: the boot list already runs under the ownership in force. */
        r = ownership_service_new(m->event, m->policy->config, on_ownership_report, m, &m->ownership);
        if (r < 0)
                return log_error_errno(r, "Failed to set up kernel-enforced ownership: %m");

        /* Before anything loads, and before a crash could hand the devices back to udevd. */
        denied_file_update(m->denied, m->policy->config, m->modules_dir);

        r = hook_start(m->hook);
        if (r < 0)
                return r;

        modprobe_handover_install(&m->modprobe, m->kernel, m->policy->config);
        m->started_usec = phase_done(m, TIMELINE_PHASE_START, began);
        /* The device walk needs nothing the bus gives: it runs while we wait for the name. */
        (void) autoload_prewalk(m->autoload);
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

static void start_autoload(Manager *m) {
        if (m->autoload_started)
                return;
        m->autoload_started = true;
        m->name_wait = sd_event_source_disable_unref(m->name_wait);
        if (m->started_usec > 0)
                (void) phase_done(m, TIMELINE_PHASE_BUS, m->started_usec);
        (void) autoload_start(m->autoload);
        /* The device monitor is subscribed now: udevd's coldplug may begin. */
        m->serving = true;
        check_ready(m);
}

/* A bus that exists but does not answer (dbus.socket listening while dbus-daemon waits for
 * units ordered after us) must not hold the boot list back for long. */
#define NAME_WAIT_USEC (5 * USEC_PER_SEC)

static int on_name_wait_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        start_autoload(userdata);
        return 0;
}

int manager_bus_connecting(Manager *m, bool bus_exists) {
        assert(m);

        /* Without systemd, whoever started us brings up the bus: wait for the name as long as it
         * takes, so clients see the boot batch's signals. */
        if (sd_booted() <= 0)
                return 0;
        if (!bus_exists) {
                /* Early boot: nobody can listen to our signals yet, and the bus comes up only
                 * after sysinit.target, which waits for our READY=1. Load the boot list now. */
                log_info("The system bus is not up yet; loading the boot list now, attaching to the bus when it appears.");
                start_autoload(m);
                return 0;
        }
        /* Clients match our signals by the bus name: wait for it, a few seconds at most. */
        return sd_event_add_time_relative(m->event, &m->name_wait, CLOCK_MONOTONIC, NAME_WAIT_USEC, 0,
                                          on_name_wait_timeout, m);
}

void manager_name_acquired(Manager *m) {
        assert(m);

        if (m->name_acquired)
                return;
        m->name_acquired = true;
        log_info("Serving %s on the bus.", MODCTL_BUS_NAME);
        start_autoload(m);
}

/* Sends READY=1 as soon as we serve (kernel hook, devices, bus or private socket), without
 * waiting for the boot list: udevd's coldplug and everything else ordered after modctld.service
 * run beside the boot list, as they run beside systemd-modules-load without modctl. The boot
 * list's end is announced separately (boot_list_loaded); modctld-boot-list.service waits for it,
 * and what needs the boot modules (systemd-sysctl, units After=systemd-modules-load.service)
 * is ordered after that unit. */
static void check_ready(Manager *m) {
        if (!m->serving)
                return;
        if (!m->ready_sent) {
                m->ready_sent = true;
                log_info("modctld %s ready, kernel %s.", MODCTL_VERSION, resolver_kernel_release(m->resolver));
                (void) sd_notify(false, "READY=1\nSTATUS=Loading the boot list; serving kernel requests, devices and "
                                 MODCTL_BUS_NAME);
        }
        if (m->boot_list_loaded || !autoload_boot_done(m->autoload))
                return;
        m->boot_list_loaded = true;
        (void) sd_notify(false, "STATUS=Boot list loaded; serving kernel requests, devices and " MODCTL_BUS_NAME);
        MANAGER_EMIT0(m, boot_list_loaded);
}

bool manager_is_ready(Manager *m) {
        assert(m);
        return m->ready_sent;
}

bool manager_boot_list_loaded(Manager *m) {
        assert(m);
        return m->boot_list_loaded;
}

int manager_reload_config(Manager *m, Failure *failure) {
        _cleanup_(policy_snapshot_unrefp) PolicySnapshot *s = NULL;
        int r;

        assert(m);

        r = policy_snapshot_load(m->config_root, m->kernel, resolver_kernel_release(m->resolver), &s, failure);
        if (r < 0) {
                MANAGER_EMIT(m, config_reloaded, false, failure ? strempty(failure->message) : "");
                return r;
        }
        policy_snapshot_unref(m->policy);
        m->policy = TAKE_PTR(s);
        inspections_set_policy(m->inspections, m->policy);
        if (m->ownership)
                ownership_service_apply(m->ownership, m->policy->config);
        denied_file_update(m->denied, m->policy->config, m->modules_dir);
        /* Autoload listens too: it coldplugs what the new configuration allows. */
        MANAGER_EMIT(m, config_reloaded, true, "");
        /* Deny= and Allow= decide what the modules report as Disabled. */
        MANAGER_EMIT0(m, settings_changed);
        return 0;
}

sd_event *manager_get_event(Manager *m) {
        assert(m);
        return m->event;
}

const char *manager_kernel_release(Manager *m) {
        assert(m);
        return resolver_kernel_release(m->resolver);
}

void manager_read_reports(Manager *m) {
        assert(m);
        ownership_service_drain(m->ownership);
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

PolicySnapshot *manager_policy(Manager *m) {
        assert(m);
        return m->policy;
}

ModuleRegistry *manager_modules(Manager *m) {
        assert(m);
        return m->modules;
}

Inspections *manager_inspections(Manager *m) {
        assert(m);
        return m->inspections;
}

SettingsService *manager_settings(Manager *m) {
        assert(m);
        return m->settings;
}

CatalogService *manager_catalog(Manager *m) {
        assert(m);
        return m->catalog;
}

MemoryGuard *manager_memory(Manager *m) {
        assert(m);
        return m->memory;
}

Timeline *manager_timeline(Manager *m) {
        assert(m);
        return m->timeline;
}

typedef struct InsertVisit {
        Manager *manager;
        manager_insert_t callback;
        void *userdata;
} InsertVisit;

static void visit_insert(const char *name, uint64_t running_usec, bool timed_out, void *userdata) {
        InsertVisit *v = userdata;
        const char *origin = module_registry_loading_origin(v->manager->modules, name);

        v->callback(name, strempty(origin), running_usec, timed_out, v->userdata);
}

void manager_foreach_insert(Manager *m, manager_insert_t callback, void *userdata) {
        assert(m);
        assert(callback);

        InsertVisit v = { m, callback, userdata };
        scheduler_foreach_insert(m->scheduler, visit_insert, &v);
}

uint64_t manager_now(Manager *m) {
        assert(m);
        return kernel_now(m->kernel);
}

OwnershipService *manager_ownership(Manager *m) {
        assert(m);
        return m->ownership;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        /* First, before anything that could wait on a stuck module init: kernel.modprobe must
         * get its previous value back. */
        if (m->kernel)
                modprobe_handover_restore(&m->modprobe, m->kernel);
        /* Workers next: their results would call back into what follows. A worker stuck in a
         * module init is abandoned after a grace period, not waited for. */
        inspections_free(m->inspections);
        bool left_workers = scheduler_free_left_workers(m->scheduler);
        autoload_free(m->autoload);

        Request *q, *qt;
        HASH_ITER(hh, m->requests, q, qt) {
                HASH_DEL(m->requests, q);
                request_free(q);
        }
        /* After the requests: its connections were their waiters. */
        hook_free(m->hook);
        index_watch_free(m->index_watch);
        /* Released (the default): the programs detach here; kept: they stay pinned. */
        ownership_service_free(m->ownership);

        sd_event_source_disable_unref(m->name_wait);
        module_registry_free(m->modules);
        catalog_service_free(m->catalog);
        memory_guard_free(m->memory);
        settings_service_free(m->settings);
        denied_file_free(m->denied);
        timeline_free(m->timeline);
        resolver_free(m->resolver);
        if (!left_workers)
                /* A worker left in a module init returns into the kernel port: keep it. */
                kernel_free(m->kernel);
        sd_event_unref(m->event);
        policy_snapshot_unref(m->policy);
        modprobe_handover_done(&m->modprobe);
        free(m->listeners);
        free(m->plans_dir);
        free(m->config_root);
        free(m->kernel_cmdline);
        free(m->modules_dir);
        free(m);
        return NULL;
}
