/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* Where each module's time went, like systemd-analyze for units: for every module the daemon
 * inserted, when its request was queued, when the policy had checked its plan, when a worker
 * began inserting it, when the kernel returned, and when its "add" uevent arrived, with who
 * asked and which modules its insert waited for; and when each autoload batch began and ended.
 * Times are kernel_now()'s (CLOCK_MONOTONIC: near the kernel's start). The newest
 * TIMELINE_MAX entries are kept. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/plan.h"

#define TIMELINE_MAX 4096u

typedef struct TimelineEntry {
        char *module;
        const char *origin;     /* ORIGIN_* of the request that queued it */
        uint64_t queued;        /* 0: a phase not reached */
        uint64_t checked;
        uint64_t started;
        uint64_t inserted;
        uint64_t live;
        int error;              /* < 0: the insert failed */
        char **after;           /* the modules its insert waited for (its plan's dependencies) */
} TimelineEntry;

typedef struct TimelineBatch {
        char *name;             /* "boot", "coldplug" */
        uint64_t started;
        uint64_t finished;      /* 0 while it runs */
} TimelineBatch;

/* The daemon's own work before and beside the boot's inserts, so that the time between its
 * start and the first insert, and the planning that runs between inserts, can be read off too.
 * A phase that ran in pieces (planning, one load per event-loop turn) spans from its first
 * piece's start to its last one's end; busy is the pieces' sum. Only the first of each is kept:
 * the daemon's start and its first boot and coldplug batches. */
#define TIMELINE_PHASE_INDEX "index"                 /* libkmod's context and index */
#define TIMELINE_PHASE_CONFIG "config"               /* modctld.conf, settings, policy */
#define TIMELINE_PHASE_SERVICES "services"           /* threads, catalog, index watch, hook socket */
#define TIMELINE_PHASE_START "start"                 /* module events, loaded modules, ownership, hook */
#define TIMELINE_PHASE_BUS "bus"                     /* until the bus name (or early boot without bus) */
#define TIMELINE_PHASE_BOOT_LIST "boot-list"         /* reading modules-load.d */
#define TIMELINE_PHASE_PLAN_BOOT "plan-boot"         /* planning the boot list's loads */
#define TIMELINE_PHASE_DEVICE_WALK "device-walk"     /* the walk over /sys/devices (a thread) */
#define TIMELINE_PHASE_DEVICE_LOOKUP "device-lookup" /* the walk's aliases to module names */
#define TIMELINE_PHASE_PLAN_COLDPLUG "plan-coldplug" /* planning the coldplug loads */

typedef struct TimelinePhase {
        char *name;
        uint64_t began;
        uint64_t ended;
        uint64_t busy;
        unsigned count; /* pieces */
} TimelinePhase;

typedef struct Timeline Timeline;

int timeline_new(Timeline **ret);
Timeline *timeline_free(Timeline *t);
static inline void timeline_freep(Timeline **t) { timeline_free(*t); }

/* A job is submitted: an entry for each module it inserts (a module already queued keeps its
 * first entry). origin must be an ORIGIN_* constant. */
void timeline_queued(Timeline *t, const Plan *plan, const char *origin, uint64_t now);
void timeline_checked(Timeline *t, const Plan *plan, uint64_t now);
void timeline_inserted(Timeline *t, const char *module, uint64_t began, uint64_t ended, int result);
void timeline_live(Timeline *t, const char *module, uint64_t now);
void timeline_batch_started(Timeline *t, const char *batch, uint64_t now);
void timeline_batch_finished(Timeline *t, const char *batch, uint64_t now);
/* One piece of a phase: the first call creates it, later ones extend it. */
void timeline_phase(Timeline *t, const char *phase, uint64_t began, uint64_t ended);

/* Oldest first; valid until the next call that changes the timeline. */
const TimelineEntry *timeline_entries(Timeline *t, size_t *ret_n);
const TimelineBatch *timeline_batches(Timeline *t, size_t *ret_n);
/* In the order they began. */
const TimelinePhase *timeline_phases(Timeline *t, size_t *ret_n);
