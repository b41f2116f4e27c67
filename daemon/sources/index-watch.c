/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "sources/index-watch.h"
#include "common/macro.h"

#define SELF_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define PARENT_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR)

typedef struct Watched {
        char *path;
        const char *base;       /* points into path */
        int wd_self;            /* -1 when the path is not a directory or does not exist */
        int wd_parent;
} Watched;

struct IndexWatch {
        int fd;
        sd_event_source *source;
        Watched *watched;
        size_t n_watched;
        index_watch_handler_t handler;
        void *userdata;
};

static void watch_self(IndexWatch *w, Watched *x) {
        /* A plain file (a modprobe.d file given on the command line) is covered by its parent. */
        x->wd_self = inotify_add_watch(w->fd, x->path, SELF_MASK);
}

static int watch_path(IndexWatch *w, const char *path) {
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

        Watched *x = &w->watched[w->n_watched];
        *x = (Watched) { .path = TAKE_PTR(copy), .wd_self = -1, .wd_parent = -1 };
        slash = strrchr(x->path, '/');
        x->base = slash + 1;
        w->n_watched++;

        if (slash == x->path)
                x->wd_parent = inotify_add_watch(w->fd, "/", PARENT_MASK);
        else {
                *slash = '\0';
                x->wd_parent = inotify_add_watch(w->fd, x->path, PARENT_MASK);
                *slash = '/';
        }
        watch_self(w, x);
        return 0;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        IndexWatch *w = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool changed = false;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n; ) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        p += sizeof(*e) + e->len;

                        if (e->mask & IN_Q_OVERFLOW) {
                                changed = true;
                                continue;
                        }
                        for (size_t i = 0; i < w->n_watched; i++) {
                                Watched *x = &w->watched[i];
                                if (e->wd == x->wd_self && !(e->mask & IN_IGNORED))
                                        changed = true;
                                else if (e->wd == x->wd_parent && e->len > 0 && strcmp(e->name, x->base) == 0) {
                                        /* Created, removed or replaced: watch whatever is there now. */
                                        watch_self(w, x);
                                        changed = true;
                                }
                        }
                }
        }

        if (changed)
                w->handler(w->userdata);
        return 0;
}

int index_watch_new(sd_event *event, char * const *paths, index_watch_handler_t handler, void *userdata,
                    IndexWatch **ret) {
        _cleanup_(index_watch_freep) IndexWatch *w = NULL;
        int r;

        assert(ret);

        w = calloc(1, sizeof(IndexWatch));
        if (!w)
                return -ENOMEM;
        w->handler = handler;
        w->userdata = userdata;
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd < 0)
                return -errno;

        STRV_FOREACH(p, (char **) paths) {
                r = watch_path(w, *p);
                if (r < 0)
                        return r;
        }

        r = sd_event_add_io(event, &w->source, w->fd, EPOLLIN, on_inotify, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->source, "index-watch");
        /* Ahead of the requests that are ready at the same time: a change made before a request
         * arrived must be seen by that request. */
        r = sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(w);
        return 0;
}

IndexWatch *index_watch_free(IndexWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        safe_close(w->fd);
        for (size_t i = 0; i < w->n_watched; i++)
                free(w->watched[i].path);
        free(w->watched);
        free(w);
        return NULL;
}
