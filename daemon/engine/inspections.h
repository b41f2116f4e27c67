/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* Inspections: read-only work that anyone on the bus may ask for (a policy check, a dry run,
 * modinfo), run on a thread of their own with their own resolver (libkmod is not thread-safe),
 * capped in all and per uid. Each takes the policy snapshot in force when it is submitted. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "common/failure.h"
#include "core/plan.h"
#include "core/policy.h"
#include "core/resolver.h"
#include "engine/policy-snapshot.h"
#include "settings/file-access.h"
#include "settings/settings.h"

typedef struct Inspections Inspections;

typedef enum InspectKind {
        INSPECT_CHECK_POLICY,   /* the plan and every module's verdict (result.plan, result.report) */
        INSPECT_DRY_RUN,        /* Load --dry-run: modprobe -D lines and "taint NAME LETTERS" (result.lines) */
        INSPECT_INFO,           /* modinfo pairs, then taint_prediction (result.pairs) */
} InspectKind;

typedef struct InspectResult {
        Failure failure;        /* error == 0 on success */
        Plan *plan;
        PolicyReport *report;
        char **lines;
        char **pairs;
} InspectResult;

/* Called on the event loop; the result is freed after it returns. */
typedef void (*inspect_result_t)(const InspectResult *result, void *userdata);

/* The pool: at most this many inspections in all, and per uid (core/inspector.h). */
#define INSPECTIONS_MAX         32u
#define INSPECTIONS_PER_UID_MAX 4u

/* settings_paths (copied) tell which modprobe.d lines a caller may see. */
int inspections_new(sd_event *event, const ResolverConfig *resolver, Kernel *kernel,
                    const SettingsPaths *settings_paths, Inspections **ret);
Inspections *inspections_free(Inspections *x);
static inline void inspections_freep(Inspections **x) { inspections_free(*x); }

/* The policy that inspections submitted from now on judge by (referenced). */
void inspections_set_policy(Inspections *x, PolicySnapshot *snapshot);
/* Without the index watch, each inspection checks the files' timestamps first. */
void inspections_set_index_watched(Inspections *x, bool watched);
/* Called on the loop before each submission: without inotify the owner compares the files'
 * identity there, and a change comes back as inspections_invalidate(). */
void inspections_set_refresh(Inspections *x, void (*refresh)(void *userdata), void *userdata);
/* The module index or modprobe.d changed: the thread reloads its resolver before the next one. */
void inspections_invalidate(Inspections *x);

/* -EBUSY when owner (the caller's uid) has its share of the pool; privileged (root) requests go
 * first and are not capped. caller (copied): who the plan is shown to; options and install
 * commands from modprobe.d files it could not read show as MODCTL_NOT_READABLE with the file's
 * name (see settings_line_hidden()). */
int inspections_submit(Inspections *x, uid_t owner, bool privileged, const Caller *caller, InspectKind kind,
                       const char *name, const char *params, uint64_t flags, inspect_result_t done, void *userdata);
