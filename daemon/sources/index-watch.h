/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* Tells the owner when the module index (depmod's files in /lib/modules/<release>) or the
 * configuration (modprobe.d, modules-load.d, modctld.conf.d) may have changed.
 *
 * With inotify: each path is watched itself (a directory's entries), and through its parent
 * directory for the path being created, removed or replaced (editors and depmod write a new file
 * and rename it over the old one). A path whose parent does not exist yet is watched through its
 * nearest existing ancestor, and picked up when it appears. One read of events is one callback.
 * A queue overflow sets every watch up again and calls back once.
 *
 * Without inotify (inotify_init1() or a watch failed, e.g. fs.inotify.max_user_instances or
 * max_user_watches used up, or opts->no_inotify): the watch is "off". index_watch_check(), which
 * the owner calls before each request resolves, then compares the identity (inode, size, mtime)
 * of every path and of the entries of every directory path with what it saw last, and calls back
 * on a difference. A timer tries inotify again, with backoff (1 s doubling to 5 min); when it
 * works, the watch is on again and calls back once. Going off is logged once per 10 minutes at
 * warning level, coming back at info level. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "common/time-util.h"

typedef struct IndexWatch IndexWatch;
typedef void (*index_watch_handler_t)(void *userdata);

typedef struct IndexWatchOptions {
        bool no_inotify;                /* never use inotify, never retry (--no-index-watch) */
        usec_t retry_first_usec;        /* 0: 1 s */
        usec_t retry_max_usec;          /* 0: 5 min */
        /* Tests: stand in for inotify_init1() and inotify_add_watch(); NULL: the real ones. */
        int (*inotify_init)(void);
        int (*add_watch)(int fd, const char *path, uint32_t mask);
} IndexWatchOptions;

/* paths: NULL-terminated. opts may be NULL. Fails only for lack of memory or of an event source:
 * a watch that inotify cannot set up is created "off". */
int index_watch_new(sd_event *event, char * const *paths, const IndexWatchOptions *opts,
                    index_watch_handler_t handler, void *userdata, IndexWatch **ret);
IndexWatch *index_watch_free(IndexWatch *w);
static inline void index_watch_freep(IndexWatch **w) { index_watch_free(*w); }

/* True while inotify sees every path: what it does not report has not changed. */
bool index_watch_is_active(IndexWatch *w);

/* While the watch is off: compare the files' identity with the last check and call the handler
 * (before returning) if it differs. Returns 1 if it called the handler, 0 if not. Does nothing
 * while the watch is on. */
int index_watch_check(IndexWatch *w);
