/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE)
#error "engine/policy-run.h is the manager's: only engine/ may include it"
#endif

/* One policy decision over one plan, run by the scheduler on a worker before any step
 * (JobPrepare): it opens and verifies every module and keeps the fds in the steps. Denial
 * (Mode=enforce) fails the job with FAILURE_POLICY_DENIED; Mode=warn loads, and the verdicts
 * it would have denied are reported on the event loop through warn. It holds the snapshot it
 * started with: a reload meanwhile does not change it under the worker. */

#include "core/plan.h"
#include "engine/policy-snapshot.h"

typedef struct PolicyRun PolicyRun;

/* Mode=warn: module would have been denied by rule for reason; origin is who asked. */
typedef void (*policy_run_warn_t)(const char *module, const char *rule, const char *reason, const char *origin,
                                  void *userdata);

/* *ret is NULL when Mode=off: nothing to decide. */
int policy_run_new(PolicySnapshot *snapshot, uint64_t load_flags, const char *origin, policy_run_warn_t warn,
                   void *userdata, PolicyRun **ret);
PolicyRun *policy_run_free(PolicyRun *p);
static inline void policy_run_freep(PolicyRun **p) { policy_run_free(*p); }

int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure);   /* JobPrepare.run, on a worker */
void policy_run_report(void *userdata);                                  /* JobPrepare.done, on the loop */
