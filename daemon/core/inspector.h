/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* Runs read-only inspections (a policy check, a dry run, modinfo of a module file) on their own
 * thread, off the event loop and away from the scheduler's workers: anyone on the bus may ask
 * for them, and reading, decompressing and verifying a large module takes a while. So that
 * nobody can queue unbounded work, or crowd out others, the pool is capped and shared out per
 * owner (the caller's uid, never its connection) by fair_share_may_take() (fair-share.h): an
 * owner holds at most max_per_owner, and never more than the slots still free. Over that,
 * inspector_submit() fails with -EBUSY and nothing is queued. Urgent work (from root) goes first
 * and is not capped. Results come back to the event loop through an eventfd,
 * all that are ready per wakeup. */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

typedef struct Inspector Inspector;

/* run() on the inspector thread; done() on the event loop with run()'s result. */
typedef int (*inspect_run_t)(void *userdata);
typedef void (*inspect_done_t)(int result, void *userdata);

typedef struct InspectorConfig {
        unsigned max_queued;     /* queued, running and unanswered, all owners; 0: 32 */
        unsigned max_per_owner;  /* the same, per owner (uid); 0: 4 */
} InspectorConfig;

int inspector_new(sd_event *event, const InspectorConfig *config, Inspector **ret);
/* Waits for the task that is running, unless it does not finish within a grace period; then
 * abandons the thread. Queued tasks get done(-ECANCELED), finished ones their result. */
Inspector *inspector_free(Inspector *i);
static inline void inspector_freep(Inspector **i) { inspector_free(*i); }

/* -EBUSY when owner (a uid) may not take another slot; urgent work is never refused. */
int inspector_submit(Inspector *i, uid_t owner, bool urgent, inspect_run_t run, inspect_done_t done,
                     void *userdata);
/* Queued and running. */
unsigned inspector_pending(Inspector *i);
