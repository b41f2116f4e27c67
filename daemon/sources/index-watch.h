/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* Tells the owner when the module index (depmod's files in /lib/modules/<release>) or the
 * modprobe configuration may have changed, with inotify: each path is watched itself (a
 * directory's entries), and through its parent directory for the path being created, removed
 * or replaced (editors and depmod write a new file and rename it over the old one). A path
 * that does not exist yet is picked up when it appears. One read of events is one callback.
 * Never logs. */

#include <systemd/sd-event.h>

typedef struct IndexWatch IndexWatch;
typedef void (*index_watch_handler_t)(void *userdata);

/* paths: NULL-terminated. */
int index_watch_new(sd_event *event, char * const *paths, index_watch_handler_t handler, void *userdata,
                    IndexWatch **ret);
IndexWatch *index_watch_free(IndexWatch *w);
static inline void index_watch_freep(IndexWatch **w) { index_watch_free(*w); }
