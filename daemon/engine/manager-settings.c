/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of the persistent settings and the catalog: where the files are, keeping
 * the parsed state current, and making a change effective (resolver and configuration
 * reloads) and visible to the listeners (setting_changed, settings_changed). */

#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uthash.h>

#include "settings/catalog.h"
#include "common/log.h"
#include "engine/manager-private.h"
#include "common/strv.h"
#include "common/time-util.h"

static void catalog_build_stop(Manager *m);

int manager_settings_init(Manager *m, const ManagerConfig *config) {
        int r;

        r = settings_paths_new(m->config_root, (char * const *) config->resolver.config_paths, m->kernel_cmdline,
                               &m->settings_paths);
        if (r < 0)
                return r;

        if (config->resolver.modules_dir)
                m->modules_dir = strdup(config->resolver.modules_dir);
        else if (asprintf(&m->modules_dir, "/lib/modules/%s", resolver_kernel_release(m->resolver)) < 0)
                m->modules_dir = NULL;
        if (!m->modules_dir)
                return -ENOMEM;
        if (asprintf(&m->catalog_cache, "%s/var/cache/modctl/catalog-%s", strempty(m->config_root),
                     resolver_kernel_release(m->resolver)) < 0)
                return -ENOMEM;
        return 0;
}

/* Anyone may read a loaded module's Description, and without a current catalog that means
 * reading (and decompressing) its file on the event loop: once per module until the index
 * changes, not once per call, so no caller can make the daemon do it over and over. */
#define DESCRIPTIONS_MAX 1024u

struct DescriptionEntry {
        char *name;
        char *description;      /* NULL: the module has none */
        UT_hash_handle hh;
};

static void descriptions_clear(Manager *m) {
        DescriptionEntry *e, *t;

        HASH_ITER(hh, m->descriptions, e, t) {
                HASH_DEL(m->descriptions, e);
                free(e->name);
                free(e->description);
                free(e);
        }
}

/* Best effort: what is not remembered is read again next time. */
static void descriptions_remember(Manager *m, const char *name, const char *description) {
        DescriptionEntry *e;

        if (HASH_COUNT(m->descriptions) >= DESCRIPTIONS_MAX)
                descriptions_clear(m);
        e = calloc(1, sizeof(DescriptionEntry));
        if (!e)
                return;
        e->name = strdup(name);
        e->description = description ? strdup(description) : NULL;
        if (!e->name || (description && !e->description)) {
                free(e->name);
                free(e->description);
                free(e);
                return;
        }
        HASH_ADD_KEYPTR(hh, m->descriptions, e->name, strlen(e->name), e);
}

void manager_settings_free(Manager *m) {
        descriptions_clear(m);
        catalog_build_stop(m);
        m->settings = settings_state_free(m->settings);
        m->settings_paths = settings_paths_free(m->settings_paths);
        m->catalog = catalog_free(m->catalog);
        free(m->modules_dir);
        free(m->catalog_cache);
}

const SettingsState *manager_settings(Manager *m) {
        int r;

        /* Without inotify, a settings read is a request too: the check drops a stale state. */
        if (m->index_watch)
                (void) index_watch_check(m->index_watch);
        if (m->settings)
                return m->settings;
        r = settings_state_load(m->settings_paths, &m->settings);
        if (r < 0) {
                log_warning_errno(r, "Cannot read modprobe.d and modules-load.d: %m");
                return NULL;
        }
        return m->settings;
}

void manager_settings_invalidate(Manager *m) {
        m->settings = settings_state_free(m->settings);
        descriptions_clear(m);
        /* Module objects announce what changed for them. */
        MANAGER_EMIT0(m, settings_changed);
}

int manager_module_settings(Manager *m, const char *name, const Caller *caller, ModuleSettings *ret) {
        const SettingsState *s = manager_settings(m);

        if (!s) {
                *ret = (ModuleSettings) { .options = strdup("") };
                return ret->options ? 0 : -ENOMEM;
        }
        return settings_query_as(s, m->config, name, caller, ret);
}

int manager_describe_settings(Manager *m, const char *name, const Caller *caller, ModuleSettings *ret,
                              SettingSource **ret_sources, size_t *ret_n, Failure *failure) {
        const SettingsState *s = manager_settings(m);
        ModuleSettings ms = {};
        int r;

        if (!s)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the settings of module '%s'.", name);
        r = settings_query_as(s, m->config, name, caller, &ms);
        if (r >= 0)
                r = settings_describe_as(s, m->settings_paths, m->config, name, caller, ret_sources, ret_n);
        if (r < 0) {
                module_settings_done(&ms);
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading the settings of module '%s'.", name);
        }
        *ret = ms;
        return 0;
}

/* After a Deny= change: the configuration must reload, or our files go back as they were. */
static int apply_policy_change(Manager *m, char *old[2], Failure *failure) {
        int r;

        r = manager_reload_config(m, failure);
        if (r >= 0)
                return 0;
        for (size_t i = 0; i < 2; i++) {
                const char *file = m->settings_paths->owned[SETTINGS_FILE_POLICY][i];
                int k = settings_restore(file, old[i]);
                if (k < 0)
                        log_error_errno(k, "Failed to put back %s: %m", file);
        }
        return r;
}

int manager_change_setting(Manager *m, SettingKind kind, const char *name, bool on, const char *options,
                           bool runtime, Failure *failure) {
        _cleanup_free_ char *file = NULL, *value = NULL;
        char *old[2] = {};
        const SettingsState *s;
        bool changed = false;
        int r;

        s = manager_settings(m);
        if (!s)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the current settings of module '%s'.", name);

        /* Snapshot what a Deny= change replaces, to put it back if the policy does not reload. */
        for (size_t i = 0; kind == SETTING_DISABLE && i < 2; i++) {
                const char *target = m->settings_paths->owned[SETTINGS_FILE_POLICY][i];
                r = settings_snapshot(target, &old[i]);
                if (r < 0) {
                        r = failure_set(failure, FAILURE_INTERNAL, "Cannot read %s: %s.", target, strerror(-r));
                        goto finish;
                }
        }

        r = settings_change(s, m->settings_paths, m->config, kind, name, on, options, runtime, &changed, &file, failure);
        if (r < 0)
                goto finish;
        if (!changed) {
                log_debug("Setting %s of module %s is already as asked.", setting_kind_to_string(kind), name);
                goto finish;
        }

        switch (kind) {
        case SETTING_DISABLE:
                r = apply_policy_change(m, old, failure);
                if (r < 0) {
                        manager_settings_invalidate(m);
                        goto finish;
                }
                break;
        case SETTING_BLACKLIST:
        case SETTING_OPTIONS:
                /* The resolver sees the new modprobe.d at once, not only when inotify says so, and
                 * the listeners (the hook's negative cache) hear of it. */
                r = resolver_reload(m->resolver);
                if (r < 0)
                        log_warning_errno(r, "Cannot reload the modprobe configuration: %m");
                MANAGER_EMIT0(m, index_changed);
                break;
        default:
                break;
        }
        manager_settings_invalidate(m);

        if (kind == SETTING_OPTIONS)
                value = strdup(options);
        else
                value = strdup(on ? "yes" : "no");
        if (!value) {
                r = log_oom();
                goto finish;
        }
        log_info("Module %s: %s set to '%s' in %s.", name, setting_kind_to_string(kind), value, file);
        MANAGER_EMIT(m, setting_changed, name, setting_kind_to_string(kind), value, file);
        r = 0;
finish:
        free(old[0]);
        free(old[1]);
        return r;
}

/* The catalog is built on a thread of its own: the first build reads every module file, which
 * takes seconds on a slow machine, and the event loop must keep answering meanwhile. Callers
 * that ask while it runs wait for the same build. */
typedef struct CatalogWaiter {
        manager_catalog_done_t done;
        void *userdata;
} CatalogWaiter;

struct CatalogBuild {
        Manager *manager;
        pthread_t thread;
        int fd;                         /* eventfd: the thread is done */
        sd_event_source *source;
        /* The thread's input and output; the event loop reads them after the eventfd. */
        const Catalog *old;
        Catalog *result;
        CatalogStats stats;
        int error;
        usec_t started;
        CatalogWaiter *waiters;
        size_t n_waiters;
};

static void *catalog_thread(void *userdata) {
        CatalogBuild *b = userdata;
        uint64_t one = 1;

        b->error = catalog_build(b->manager->modules_dir, b->manager->catalog_cache, b->old, &b->result, &b->stats);
        if (write(b->fd, &one, sizeof(one)) < 0)
                abort(); /* an eventfd write cannot fail here; a silent loss would hang every waiter */
        return NULL;
}

static void catalog_build_free(CatalogBuild *b) {
        if (!b)
                return;
        sd_event_source_disable_unref(b->source);
        if (b->fd >= 0)
                close(b->fd);
        catalog_free(b->result);
        free(b->waiters);
        free(b);
}

/* Shutting down: let the thread finish (it only reads files), drop its result, and tell the
 * waiters it was cancelled. */
static void catalog_build_stop(Manager *m) {
        CatalogBuild *b = m->catalog_build;

        if (!b)
                return;
        (void) pthread_join(b->thread, NULL);
        m->catalog_build = NULL;
        for (size_t i = 0; i < b->n_waiters; i++)
                b->waiters[i].done(m, NULL, -ECANCELED, b->waiters[i].userdata);
        catalog_build_free(b);
}

static int on_catalog_built(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CatalogBuild *b = userdata;
        Manager *m = b->manager;
        CatalogWaiter *waiters = b->waiters;
        size_t n = b->n_waiters;
        int error = b->error;

        (void) pthread_join(b->thread, NULL);
        m->catalog_build = NULL;
        if (error < 0)
                log_warning_errno(error, "Cannot build the module catalog of %s: %m", m->modules_dir);
        else {
                log_info("Module catalog: %zu modules (%zu read, %zu from the cache%s) in %llu ms.",
                         catalog_size(b->result), b->stats.parsed, b->stats.reused,
                         b->stats.cache_written ? ", cache written" : "",
                         (unsigned long long) ((now_usec(CLOCK_MONOTONIC) - b->started) / 1000));
                catalog_free(m->catalog);
                m->catalog = TAKE_PTR(b->result);
        }
        b->waiters = NULL;
        catalog_build_free(b);
        for (size_t i = 0; i < n; i++)
                waiters[i].done(m, error < 0 ? NULL : m->catalog, error, waiters[i].userdata);
        free(waiters);
        return 0;
}

static int catalog_build_start(Manager *m) {
        CatalogBuild *b;
        int r;

        b = calloc(1, sizeof(CatalogBuild));
        if (!b)
                return -ENOMEM;
        b->manager = m;
        b->old = m->catalog;
        b->started = now_usec(CLOCK_MONOTONIC);
        b->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (b->fd < 0) {
                r = -errno;
                free(b);
                return r;
        }
        r = sd_event_add_io(m->event, &b->source, b->fd, EPOLLIN, on_catalog_built, b);
        if (r < 0) {
                catalog_build_free(b);
                return r;
        }
        (void) sd_event_source_set_description(b->source, "catalog-build");
        r = -pthread_create(&b->thread, NULL, catalog_thread, b);
        if (r < 0) {
                catalog_build_free(b);
                return r;
        }
        m->catalog_build = b;
        return 0;
}

int manager_catalog(Manager *m, manager_catalog_done_t done, void *userdata) {
        CatalogWaiter *w;
        int r;

        if (m->catalog && !m->catalog_build && !catalog_is_stale(m->catalog)) {
                done(m, m->catalog, 0, userdata);
                return 0;
        }
        if (!m->catalog_build) {
                r = catalog_build_start(m);
                if (r < 0)
                        return log_warning_errno(r, "Cannot start building the module catalog: %m");
        }
        w = realloc(m->catalog_build->waiters, (m->catalog_build->n_waiters + 1) * sizeof(CatalogWaiter));
        if (!w)
                return log_oom();
        m->catalog_build->waiters = w;
        w[m->catalog_build->n_waiters++] = (CatalogWaiter) { done, userdata };
        return 0;
}

int manager_module_description(Manager *m, const char *name, char **ret) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(strv_freep) char **pairs = NULL;
        const CatalogEntry *e;
        int r;

        if (m->catalog && !m->catalog_build && !catalog_is_stale(m->catalog) && (e = catalog_find(m->catalog, name))) {
                *ret = strdup(e->description);
                return *ret ? 0 : -ENOMEM;
        }
        /* Only the index watch tells when a remembered description goes stale. */
        if (manager_index_is_watched(m)) {
                DescriptionEntry *d;
                HASH_FIND_STR(m->descriptions, name, d);
                if (d) {
                        *ret = d->description ? strdup(d->description) : NULL;
                        return !d->description || *ret ? 0 : -ENOMEM;
                }
        }
        r = resolver_module_info(m->resolver, name, &pairs, &failure);
        if (r < 0)
                return r;
        const char *description = NULL;
        for (char **p = pairs; p && p[0] && p[1]; p += 2)
                if (strcmp(p[0], "description") == 0) {
                        description = p[1];
                        break;
                }
        if (manager_index_is_watched(m))
                descriptions_remember(m, name, description);
        *ret = description ? strdup(description) : NULL;
        return !description || *ret ? 0 : -ENOMEM;
}
