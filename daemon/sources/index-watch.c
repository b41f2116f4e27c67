/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/index-watch.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/ratelimit.h"

#define SELF_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define PARENT_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR)

#define RETRY_FIRST_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (300 * USEC_PER_SEC)
#define OFF_LOG_INTERVAL_USEC (600 * USEC_PER_SEC)

typedef struct Watched {
        char *path;
        const char *base;       /* points into path */
        int wd_self;            /* -1 when the path is not a directory or does not exist */
        int wd_parent;          /* the parent, or the nearest ancestor that exists */
        size_t anc_len;         /* length of the ancestor's path in path ("/" is 0) */
        bool exists;            /* the path existed at the last setup */
} Watched;

struct IndexWatch {
        sd_event *event;
        int fd;
        bool active;
        sd_event_source *source;
        sd_event_source *retry;
        usec_t retry_usec;
        uint64_t digest;        /* identity of every path at the last check, while off */
        RateLimit off_log;
        IndexWatchOptions opts;
        Watched *watched;
        size_t n_watched;
        index_watch_handler_t handler;
        void *userdata;
};

static int default_inotify_init(void) {
        return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

static int add_watch(IndexWatch *w, const char *path, uint32_t mask) {
        return (w->opts.add_watch ?: inotify_add_watch)(w->fd, path, mask);
}

/* ---- the identity of the files, for when inotify is off ---- */

static void fnv(uint64_t *h, const void *p, size_t n) {
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++) {
                *h ^= c[i];
                *h *= UINT64_C(0x100000001b3);
        }
}

static void fnv_stat(uint64_t *h, int r, const struct stat *st) {
        if (r < 0) {
                fnv(h, "-", 1);
                return;
        }
        uint64_t v[] = { st->st_dev, st->st_ino, st->st_mode, (uint64_t) st->st_size,
                         (uint64_t) st->st_mtim.tv_sec, (uint64_t) st->st_mtim.tv_nsec,
                         (uint64_t) st->st_ctim.tv_sec, (uint64_t) st->st_ctim.tv_nsec };
        fnv(h, v, sizeof(v));
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* A directory's entries, each by name and identity (what a symlink points to, else the link). */
static void fnv_dir(uint64_t *h, const char *path) {
        DIR *d = opendir(path);
        char **names = NULL;
        size_t n = 0;

        if (!d) {
                fnv(h, "!", 1);
                return;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                char **a = realloc(names, sizeof(char *) * (n + 1));
                char *s = strdup(de->d_name);
                if (!a || !s) {
                        free(s);
                        names = a ?: names;
                        /* Cannot tell: count it as a change, so that nothing is missed. */
                        static uint64_t unknown;
                        unknown++;
                        fnv(h, &unknown, sizeof(unknown));
                        break;
                }
                names = a;
                names[n++] = s;
        }
        qsort(names, n, sizeof(char *), cmp_names);
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                int r = fstatat(dirfd(d), names[i], &st, 0);
                if (r < 0)
                        r = fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW);
                fnv(h, names[i], strlen(names[i]) + 1);
                fnv_stat(h, r, &st);
                free(names[i]);
        }
        free(names);
        closedir(d);
}

static uint64_t identity_digest(IndexWatch *w) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < w->n_watched; i++) {
                struct stat st;
                int r = stat(w->watched[i].path, &st);
                fnv(&h, w->watched[i].path, strlen(w->watched[i].path) + 1);
                fnv_stat(&h, r, &st);
                if (r >= 0 && S_ISDIR(st.st_mode))
                        fnv_dir(&h, w->watched[i].path);
        }
        return h;
}

/* ---- inotify ---- */

/* Errors that say a path is not there (or not a directory), rather than that inotify failed. */
static bool missing_errno(int e) {
        return e == ENOENT || e == ENOTDIR || e == EACCES;
}

/* Watch the path's parent, or the nearest ancestor that exists, and the path itself if it is a
 * directory. Fails for what inotify cannot do (ENOSPC: max_user_watches), not for what is
 * missing. */
static int watch_setup(IndexWatch *w, Watched *x) {
        _cleanup_free_ char *anc = strdup(x->path);
        if (!anc)
                return -ENOMEM;

        x->wd_self = -1;
        x->wd_parent = -1;
        for (;;) {
                char *slash = strrchr(anc, '/');
                if (!slash)
                        return -EINVAL;
                if (slash == anc)
                        slash[1] = '\0';        /* "/" itself */
                else
                        slash[0] = '\0';
                int wd = add_watch(w, anc, PARENT_MASK);
                if (wd >= 0) {
                        x->wd_parent = wd;
                        x->anc_len = slash == anc ? 0 : strlen(anc);
                        break;
                }
                if (!missing_errno(errno) || slash == anc)
                        return -errno;
        }

        x->exists = false;
        if (x->path + x->anc_len != x->base - 1)
                return 0;       /* the parent is missing: the path cannot exist */
        x->exists = access(x->path, F_OK) == 0;
        /* A plain file (a modprobe.d file given on the command line) is covered by its parent. */
        x->wd_self = add_watch(w, x->path, SELF_MASK);
        if (x->wd_self < 0 && !missing_errno(errno))
                return -errno;
        return 0;
}

/* Is name the entry under x's watched ancestor that leads to x->path? */
static bool watched_component(const Watched *x, const char *name) {
        const char *c = x->path + x->anc_len + 1;
        size_t n = strcspn(c, "/");
        return strlen(name) == n && strncmp(c, name, n) == 0;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static void arm_retry(IndexWatch *w);

static int watch_on(IndexWatch *w) {
        int r;

        assert(w->fd < 0);

        w->fd = (w->opts.inotify_init ?: default_inotify_init)();
        if (w->fd < 0)
                return -errno;
        for (size_t i = 0; i < w->n_watched; i++) {
                r = watch_setup(w, &w->watched[i]);
                if (r < 0)
                        goto fail;
        }
        r = sd_event_add_io(w->event, &w->source, w->fd, EPOLLIN, on_inotify, w);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(w->source, "index-watch");
        /* Ahead of the requests that are ready at the same time: a change made before a request
         * arrived must be seen by that request. */
        r = sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                goto fail;
        w->active = true;
        return 0;

fail:
        w->source = sd_event_source_disable_unref(w->source);
        w->fd = safe_close(w->fd);
        return r;
}

static void watch_off(IndexWatch *w, int error) {
        unsigned suppressed = 0;

        w->active = false;
        w->source = sd_event_source_disable_unref(w->source);
        w->fd = safe_close(w->fd);
        /* From here on the files' identity stands in for the events. */
        w->digest = identity_digest(w);
        if (w->opts.no_inotify) {
                log_info("Not watching the module index and configuration: every request checks the files.");
                return;
        }
        if (ratelimit_below(&w->off_log, &suppressed))
                log_warning_errno(error,
                                  "Cannot watch the module index and configuration with inotify (%m): every request "
                                  "checks the files instead, and the watch is tried again%s.",
                                  suppressed > 0 ? " (it was lost again since the last message)" : "");
        arm_retry(w);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        IndexWatch *w = userdata;
        int r;

        r = watch_on(w);
        if (r < 0) {
                log_debug_errno(r, "Still cannot watch the module index and configuration: %m");
                w->retry_usec = MIN(w->retry_usec * 2, w->opts.retry_max_usec ?: RETRY_MAX_USEC);
                arm_retry(w);
                return 0;
        }
        w->retry = sd_event_source_disable_unref(w->retry);
        w->retry_usec = 0;
        log_info("Watching the module index and configuration with inotify again.");
        /* What changed since the last request's check has not been seen yet. */
        w->handler(w->userdata);
        return 0;
}

static void arm_retry(IndexWatch *w) {
        int r;

        if (w->retry_usec == 0)
                w->retry_usec = w->opts.retry_first_usec ?: RETRY_FIRST_USEC;
        if (w->retry) {
                r = sd_event_source_set_time_relative(w->retry, w->retry_usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(w->retry, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(w->event, &w->retry, CLOCK_MONOTONIC, w->retry_usec, 0,
                                               on_retry, w);
        if (r < 0)
                /* Still correct: the requests check the files. */
                log_warning_errno(r, "Cannot arm the timer that tries the index watch again: %m");
        else
                (void) sd_event_source_set_description(w->retry, "index-watch-retry");
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        IndexWatch *w = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool changed = false;
        int r = 0;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        r = -errno;
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n && r >= 0; ) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        p += sizeof(*e) + e->len;

                        if (e->mask & IN_Q_OVERFLOW) {
                                /* Events were lost, a replaced directory's among them maybe: set
                                 * every watch up again, and reload everything. */
                                log_debug("The index watch's queue overflowed; watching every path again.");
                                for (size_t i = 0; i < w->n_watched && r >= 0; i++)
                                        r = watch_setup(w, &w->watched[i]);
                                changed = true;
                                continue;
                        }
                        for (size_t i = 0; i < w->n_watched && r >= 0; i++) {
                                Watched *x = &w->watched[i];
                                if (e->wd == x->wd_self) {
                                        if (e->mask & IN_IGNORED)
                                                x->wd_self = -1;        /* the parent reports the rest */
                                        else
                                                changed = true;
                                } else if (e->wd == x->wd_parent &&
                                           ((e->mask & IN_IGNORED) || (e->len > 0 && watched_component(x, e->name)))) {
                                        /* Created, removed or replaced, or the ancestor went away:
                                         * watch whatever is there now. Directories made on the way
                                         * to a path that does not exist yet change nothing. */
                                        bool existed = x->exists;
                                        r = watch_setup(w, x);
                                        if (existed || x->exists)
                                                changed = true;
                                }
                        }
                }
                if (r < 0)
                        break;
        }

        if (r < 0) {
                watch_off(w, r);
                changed = true;
        }
        if (changed)
                w->handler(w->userdata);
        return 0;
}

static int watched_add(IndexWatch *w, const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;

        /* Without trailing slashes, so that the parent and the base name are right. */
        size_t n = strlen(copy);
        while (n > 1 && copy[n - 1] == '/')
                copy[--n] = '\0';
        char *slash = strrchr(copy, '/');
        if (!slash || slash[1] == '\0')
                return -EINVAL;

        Watched *a = realloc(w->watched, sizeof(Watched) * (w->n_watched + 1));
        if (!a)
                return -ENOMEM;
        w->watched = a;

        Watched *x = &w->watched[w->n_watched++];
        *x = (Watched) { .path = TAKE_PTR(copy), .wd_self = -1, .wd_parent = -1 };
        x->base = strrchr(x->path, '/') + 1;
        return 0;
}

int index_watch_new(sd_event *event, char * const *paths, const IndexWatchOptions *opts,
                    index_watch_handler_t handler, void *userdata, IndexWatch **ret) {
        _cleanup_(index_watch_freep) IndexWatch *w = NULL;
        int r;

        assert(event);
        assert(handler);
        assert(ret);

        w = calloc(1, sizeof(IndexWatch));
        if (!w)
                return -ENOMEM;
        w->event = sd_event_ref(event);
        w->fd = -1;
        w->handler = handler;
        w->userdata = userdata;
        w->off_log = RATELIMIT_INIT(OFF_LOG_INTERVAL_USEC, 1);
        if (opts)
                w->opts = *opts;

        STRV_FOREACH(p, (char **) paths) {
                r = watched_add(w, *p);
                if (r < 0)
                        return r;
        }

        r = w->opts.no_inotify ? -ECANCELED : watch_on(w);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                /* The owner loaded everything just now: what it saw is what the digest says. */
                watch_off(w, r);

        *ret = TAKE_PTR(w);
        return 0;
}

IndexWatch *index_watch_free(IndexWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        sd_event_source_disable_unref(w->retry);
        safe_close(w->fd);
        sd_event_unref(w->event);
        for (size_t i = 0; i < w->n_watched; i++)
                free(w->watched[i].path);
        free(w->watched);
        free(w);
        return NULL;
}

bool index_watch_is_active(IndexWatch *w) {
        return w && w->active;
}

int index_watch_check(IndexWatch *w) {
        assert(w);

        if (w->active)
                return 0;
        uint64_t d = identity_digest(w);
        if (d == w->digest)
                return 0;
        w->digest = d;
        w->handler(w->userdata);
        return 1;
}
