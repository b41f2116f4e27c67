/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/fair-share.h"
#include "core/inspector.h"
#include "common/log.h"
#include "common/macro.h"

#define INSPECTOR_MAX_QUEUED_DEFAULT    32u
#define INSPECTOR_MAX_PER_OWNER_DEFAULT 4u
#define INSPECTOR_STOP_GRACE_SEC        2

typedef struct Item {
        uid_t owner;
        bool urgent;
        inspect_run_t run;
        inspect_done_t done;
        void *userdata;
        int result;
        struct Item *next;
} Item;

struct Inspector {
        sd_event_source *source;
        int fd;                 /* eventfd: results are waiting */
        unsigned max_queued, max_per_owner;

        pthread_t thread;
        bool thread_started;
        pthread_mutex_t lock;
        pthread_cond_t wakeup;
        pthread_cond_t exited_cond;
        Item *pending;          /* guarded by lock; urgent ones first */
        Item *running;          /* guarded by lock */
        Item *completed;        /* guarded by lock */
        unsigned n_capped;      /* guarded by lock: non-urgent items queued, running or completed */
        bool quit, exited;      /* guarded by lock */
};

static Item *item_free(Item *it) {
        if (!it)
                return NULL;
        free(it);
        return NULL;
}

static void *inspector_thread(void *userdata) {
        Inspector *i = userdata;

        pthread_mutex_lock(&i->lock);
        for (;;) {
                while (!i->quit && !i->pending)
                        pthread_cond_wait(&i->wakeup, &i->lock);
                if (i->quit)
                        break;
                Item *it = i->pending;
                i->pending = it->next;
                i->running = it;
                pthread_mutex_unlock(&i->lock);

                it->result = it->run(it->userdata);

                pthread_mutex_lock(&i->lock);
                i->running = NULL;
                it->next = i->completed;
                i->completed = it;
                uint64_t one = 1;
                (void) !write(i->fd, &one, sizeof(one));
        }
        i->exited = true;
        pthread_cond_broadcast(&i->exited_cond);
        pthread_mutex_unlock(&i->lock);
        return NULL;
}

static int on_results(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Inspector *i = userdata;
        Item *batch, *ordered = NULL;
        uint64_t n;

        (void) !read(fd, &n, sizeof(n));
        pthread_mutex_lock(&i->lock);
        batch = i->completed;
        i->completed = NULL;
        for (Item *it = batch; it; it = it->next)
                if (!it->urgent)
                        i->n_capped--;
        pthread_mutex_unlock(&i->lock);

        /* Completed is a stack: answer in the order the work finished. */
        while (batch) {
                Item *it = batch;
                batch = it->next;
                it->next = ordered;
                ordered = it;
        }
        while (ordered) {
                Item *it = ordered;
                ordered = it->next;
                it->done(it->result, it->userdata);
                item_free(it);
        }
        return 0;
}

int inspector_new(sd_event *event, const InspectorConfig *config, Inspector **ret) {
        _cleanup_(inspector_freep) Inspector *i = NULL;
        int r;

        assert(event);
        assert(ret);

        i = calloc(1, sizeof(Inspector));
        if (!i)
                return -ENOMEM;
        i->max_queued = config && config->max_queued ? config->max_queued : INSPECTOR_MAX_QUEUED_DEFAULT;
        i->max_per_owner = config && config->max_per_owner ? config->max_per_owner : INSPECTOR_MAX_PER_OWNER_DEFAULT;
        pthread_mutex_init(&i->lock, NULL);
        pthread_cond_init(&i->wakeup, NULL);
        pthread_cond_init(&i->exited_cond, NULL);

        i->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (i->fd < 0)
                return -errno;
        r = sd_event_add_io(event, &i->source, i->fd, EPOLLIN, on_results, i);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(i->source, "inspector-results");

        r = -pthread_create(&i->thread, NULL, inspector_thread, i);
        if (r < 0)
                return r;
        i->thread_started = true;

        *ret = TAKE_PTR(i);
        return 0;
}

/* What owner holds of the capped pool: queued, running, or completed and not yet answered, the
 * same items that n_capped counts. */
static unsigned owner_count(Inspector *i, uid_t owner) {
        unsigned n = 0;
        for (Item *l = i->pending; l; l = l->next)
                n += !l->urgent && l->owner == owner;
        if (i->running && !i->running->urgent && i->running->owner == owner)
                n++;
        for (Item *l = i->completed; l; l = l->next)
                n += !l->urgent && l->owner == owner;
        return n;
}

int inspector_submit(Inspector *i, uid_t owner, bool urgent, inspect_run_t run, inspect_done_t done,
                     void *userdata) {
        Item *it;

        assert(i);
        assert(run);
        assert(done);

        it = calloc(1, sizeof(Item));
        if (!it)
                return -ENOMEM;
        it->owner = owner;
        it->urgent = urgent;
        it->run = run;
        it->done = done;
        it->userdata = userdata;

        pthread_mutex_lock(&i->lock);
        if (!urgent &&
            !fair_share_may_take(owner_count(i, owner), i->n_capped, i->max_per_owner, i->max_queued)) {
                pthread_mutex_unlock(&i->lock);
                item_free(it);
                return -EBUSY;
        }
        if (urgent) {
                /* After the other urgent ones, before everyone else. */
                Item **p = &i->pending;
                while (*p && (*p)->urgent)
                        p = &(*p)->next;
                it->next = *p;
                *p = it;
        } else {
                Item **p = &i->pending;
                while (*p)
                        p = &(*p)->next;
                *p = it;
                i->n_capped++;
        }
        pthread_cond_signal(&i->wakeup);
        pthread_mutex_unlock(&i->lock);
        return 0;
}

unsigned inspector_pending(Inspector *i) {
        unsigned n = 0;

        assert(i);

        pthread_mutex_lock(&i->lock);
        for (Item *l = i->pending; l; l = l->next)
                n++;
        n += !!i->running;
        pthread_mutex_unlock(&i->lock);
        return n;
}

Inspector *inspector_free(Inspector *i) {
        bool stuck = false;

        if (!i)
                return NULL;

        if (i->thread_started) {
                struct timespec deadline;
                clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_sec += INSPECTOR_STOP_GRACE_SEC;

                pthread_mutex_lock(&i->lock);
                i->quit = true;
                pthread_cond_broadcast(&i->wakeup);
                while (!i->exited)
                        if (pthread_cond_timedwait(&i->exited_cond, &i->lock, &deadline) == ETIMEDOUT)
                                break;
                stuck = !i->exited;
                pthread_mutex_unlock(&i->lock);
                if (stuck) {
                        log_warning("Abandoning the inspection thread, still busy after %d s.", INSPECTOR_STOP_GRACE_SEC);
                        (void) pthread_detach(i->thread);
                } else
                        pthread_join(i->thread, NULL);
        }

        i->source = sd_event_source_disable_unref(i->source);
        /* Queued work is cancelled, finished work delivered: either way done() frees what it owns. */
        for (Item *l = i->completed, *n; l; l = n) {
                n = l->next;
                l->done(l->result, l->userdata);
                item_free(l);
        }
        i->completed = NULL;
        for (Item *l = i->pending, *n; l; l = n) {
                n = l->next;
                l->done(-ECANCELED, l->userdata);
                item_free(l);
        }
        i->pending = NULL;
        if (stuck)
                return NULL;  /* the thread still uses i */

        safe_close(i->fd);
        pthread_mutex_destroy(&i->lock);
        pthread_cond_destroy(&i->wakeup);
        pthread_cond_destroy(&i->exited_cond);
        free(i);
        return NULL;
}
