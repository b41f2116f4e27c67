/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uthash.h>

#include "common/log.h"
#include "common/strv.h"
#include "common/time-util.h"
#include "engine/catalog-service.h"

typedef struct CatalogBuild CatalogBuild;
typedef struct DescriptionEntry DescriptionEntry;

struct CatalogService {
        sd_event *event;
        Resolver *resolver;             /* not owned: the event loop's */
        char *modules_dir;              /* where modules.dep is */
        char *cache_path;               /* the catalog's cache file */
        Catalog *catalog;               /* the available modules; NULL until needed */
        CatalogBuild *build;            /* a build running on its own thread, or NULL */
        DescriptionEntry *descriptions; /* read from module files, by name, until the index changes */
        bool index_watched;
};

/* Anyone may read a loaded module's Description, and without a current catalog that means
 * reading (and decompressing) its file on the event loop: once per module until the index
 * changes, not once per call, so no caller can make the daemon do it over and over. */
#define DESCRIPTIONS_MAX 1024u

struct DescriptionEntry {
        char *name;
        char *description;      /* NULL: the module has none */
        UT_hash_handle hh;
};

static void descriptions_clear(CatalogService *c) {
        DescriptionEntry *e, *t;

        HASH_ITER(hh, c->descriptions, e, t) {
                HASH_DEL(c->descriptions, e);
                free(e->name);
                free(e->description);
                free(e);
        }
}

/* Best effort: what is not remembered is read again next time. */
static void descriptions_remember(CatalogService *c, const char *name, const char *description) {
        DescriptionEntry *e;

        if (HASH_COUNT(c->descriptions) >= DESCRIPTIONS_MAX)
                descriptions_clear(c);
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
        HASH_ADD_KEYPTR(hh, c->descriptions, e->name, strlen(e->name), e);
}

/* The catalog is built on a thread of its own: the first build reads every module file, which
 * takes seconds on a slow machine, and the event loop must keep answering meanwhile. Callers
 * that ask while it runs wait for the same build. */
typedef struct CatalogWaiter {
        catalog_service_done_t done;
        void *userdata;
} CatalogWaiter;

struct CatalogBuild {
        CatalogService *owner;
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

        b->error = catalog_build(b->owner->modules_dir, b->owner->cache_path, b->old, &b->result, &b->stats);
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
static void catalog_build_stop(CatalogService *c) {
        CatalogBuild *b = c->build;

        if (!b)
                return;
        (void) pthread_join(b->thread, NULL);
        c->build = NULL;
        for (size_t i = 0; i < b->n_waiters; i++)
                b->waiters[i].done(NULL, -ECANCELED, b->waiters[i].userdata);
        catalog_build_free(b);
}

static int on_catalog_built(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CatalogBuild *b = userdata;
        CatalogService *c = b->owner;
        CatalogWaiter *waiters = b->waiters;
        size_t n = b->n_waiters;
        int error = b->error;

        (void) pthread_join(b->thread, NULL);
        c->build = NULL;
        if (error < 0)
                log_warning_errno(error, "Cannot build the module catalog of %s: %m", c->modules_dir);
        else {
                log_info("Module catalog: %zu modules (%zu read, %zu from the cache%s) in %llu ms.",
                         catalog_size(b->result), b->stats.parsed, b->stats.reused,
                         b->stats.cache_written ? ", cache written" : "",
                         (unsigned long long) ((now_usec(CLOCK_MONOTONIC) - b->started) / 1000));
                catalog_free(c->catalog);
                c->catalog = TAKE_PTR(b->result);
        }
        b->waiters = NULL;
        catalog_build_free(b);
        for (size_t i = 0; i < n; i++)
                waiters[i].done(error < 0 ? NULL : c->catalog, error, waiters[i].userdata);
        free(waiters);
        return 0;
}

static int catalog_build_start(CatalogService *c) {
        CatalogBuild *b;
        int r;

        b = calloc(1, sizeof(CatalogBuild));
        if (!b)
                return -ENOMEM;
        b->owner = c;
        b->old = c->catalog;
        b->started = now_usec(CLOCK_MONOTONIC);
        b->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (b->fd < 0) {
                r = -errno;
                free(b);
                return r;
        }
        r = sd_event_add_io(c->event, &b->source, b->fd, EPOLLIN, on_catalog_built, b);
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
        c->build = b;
        return 0;
}

int catalog_service_get(CatalogService *c, catalog_service_done_t done, void *userdata) {
        CatalogWaiter *w;
        int r;

        if (c->catalog && !c->build && !catalog_is_stale(c->catalog)) {
                done(c->catalog, 0, userdata);
                return 0;
        }
        if (!c->build) {
                r = catalog_build_start(c);
                if (r < 0)
                        return log_warning_errno(r, "Cannot start building the module catalog: %m");
        }
        w = realloc(c->build->waiters, (c->build->n_waiters + 1) * sizeof(CatalogWaiter));
        if (!w)
                return -ENOMEM;
        c->build->waiters = w;
        w[c->build->n_waiters++] = (CatalogWaiter) { done, userdata };
        return 0;
}

int catalog_service_description(CatalogService *c, const char *name, char **ret) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(strv_freep) char **pairs = NULL;
        const CatalogEntry *e;
        int r;

        if (c->catalog && !c->build && !catalog_is_stale(c->catalog) && (e = catalog_find(c->catalog, name))) {
                *ret = strdup(e->description);
                return *ret ? 0 : -ENOMEM;
        }
        /* Only the index watch tells when a remembered description goes stale. */
        if (c->index_watched) {
                DescriptionEntry *d;
                HASH_FIND_STR(c->descriptions, name, d);
                if (d) {
                        *ret = d->description ? strdup(d->description) : NULL;
                        return !d->description || *ret ? 0 : -ENOMEM;
                }
        }
        r = resolver_module_info(c->resolver, name, &pairs, &failure);
        if (r < 0)
                return r;
        const char *description = NULL;
        for (char **p = pairs; p && p[0] && p[1]; p += 2)
                if (strcmp(p[0], "description") == 0) {
                        description = p[1];
                        break;
                }
        if (c->index_watched)
                descriptions_remember(c, name, description);
        *ret = description ? strdup(description) : NULL;
        return !description || *ret ? 0 : -ENOMEM;
}

int catalog_service_new(sd_event *event, const char *modules_dir, const char *cache_path, Resolver *resolver,
                        CatalogService **ret) {
        _cleanup_(catalog_service_freep) CatalogService *c = NULL;

        assert(event);
        assert(modules_dir);
        assert(cache_path);
        assert(resolver);
        assert(ret);

        c = calloc(1, sizeof(CatalogService));
        if (!c)
                return -ENOMEM;
        c->event = event;
        c->resolver = resolver;
        c->modules_dir = strdup(modules_dir);
        c->cache_path = strdup(cache_path);
        if (!c->modules_dir || !c->cache_path)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

CatalogService *catalog_service_free(CatalogService *c) {
        if (!c)
                return NULL;
        descriptions_clear(c);
        catalog_build_stop(c);
        catalog_free(c->catalog);
        free(c->modules_dir);
        free(c->cache_path);
        free(c);
        return NULL;
}

void catalog_service_set_index_watched(CatalogService *c, bool watched) {
        assert(c);
        c->index_watched = watched;
        if (!watched)
                descriptions_clear(c);
}

void catalog_service_invalidate(CatalogService *c) {
        assert(c);
        descriptions_clear(c);
}
