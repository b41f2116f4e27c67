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

/* Runs plans. A job is one plan; each step starts as soon as the steps it depends on have
 * succeeded, on a pool of worker threads, so the event loop stays free while module inits
 * run. Results come back to the event loop through an eventfd. When a step fails, no new step
 * of that job starts; once the running ones finish, everything the job inserted is removed
 * again (in reverse order) and the job's Failure says what was unwound or what stayed. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/failure.h"
#include "kernel/kernel-module.h"

typedef struct Kernel Kernel; /* the kernel port, kernel/kernel.h */
#include "core/plan.h"

/* Results are as urgent as new work (the bus and the kernel hook, priority 0): a flood of new
 * requests must not starve the completions that answer earlier ones. Module events are handled
 * before each batch of results (kernel_dispatch_events), so they still come first. */
#define SCHEDULER_COMPLETION_PRIORITY SD_EVENT_PRIORITY_NORMAL

/* The most worker threads, configured ones plus those added for the kernel's own requests. */
#define SCHEDULER_WORKERS_MAX 256u
/* On free, how long to wait for workers busy with a task before abandoning them (a module init
 * that hangs never returns). */
#define SCHEDULER_STOP_GRACE_USEC (2 * UINT64_C(1000000))

typedef struct Scheduler Scheduler;
typedef struct Job Job;

/* Called on the event loop when the job is over; the job is freed after it returns. */
typedef void (*job_finished_t)(Job *job, void *userdata);

/* What the boot timeline learns from the scheduler, on the event loop. Times are kernel_now()'s,
 * taken on the worker right before and after the work. */
typedef struct SchedulerObserver {
        /* A job's prepare (the policy check of its whole plan) ran. */
        void (*prepared)(const Plan *plan, uint64_t began, uint64_t ended, void *userdata);
        /* An insert step ran: result < 0 if it failed. */
        void (*inserted)(const char *name, uint64_t began, uint64_t ended, int result, void *userdata);
        void *userdata;
} SchedulerObserver;

typedef struct SchedulerConfig {
        unsigned n_workers;             /* 0: number of CPUs, at least 2 */
        uint64_t command_timeout_usec;  /* install/remove commands; 0: 60 s */
        uint64_t step_timeout_usec;     /* a module init running longer fails its job; 0: no limit */
        SchedulerObserver observer;     /* optional */
} SchedulerConfig;

int scheduler_new(sd_event *event, Kernel *kernel, const SchedulerConfig *config, Scheduler **ret);
/* Workers still stuck in a task (a hanging module init) after SCHEDULER_STOP_GRACE_USEC are
 * abandoned, not joined, with what they use: freeing never hangs. */
Scheduler *scheduler_free(Scheduler *s);
/* The same; true if workers were left behind. They still use the kernel port: its owner must
 * then not free it (the process is about to exit). */
bool scheduler_free_left_workers(Scheduler *s);
static inline void scheduler_freep(Scheduler **s) { scheduler_free(*s); }

/* Work on the whole plan before any step runs, e.g. reading and checking every module file:
 * run() is called on a worker thread and may fill in the plan's steps (their fds); it must not
 * touch anything the event loop changes. A failure ends the job with that failure and nothing
 * inserted. done(), if set, runs on the event loop after run() succeeded. */
typedef struct JobPrepare {
        int (*run)(Plan *plan, void *userdata, Failure *failure);
        void (*done)(void *userdata);
        void *userdata;
} JobPrepare;

/* Takes ownership of plan. insert_flags are KERNEL_INSERT_* flags for every INSERT step.
 * urgent jobs (the kernel's own requests) go first and get a new worker when every worker is
 * busy, because a module init that waits for them may be what keeps the workers busy.
 * prepare may be NULL. */
int scheduler_submit(Scheduler *s, Plan *plan, unsigned insert_flags, bool urgent, const JobPrepare *prepare,
                     job_finished_t finished, void *userdata);

/* True while one of our jobs is inserting name (its step is running), or an insertion whose
 * request timed out is still stuck in the module's init. A module's init may ask the kernel
 * for itself or for a module that is being inserted right now; such requests must be answered
 * at once instead of waiting for a worker. */
bool scheduler_module_in_flight(Scheduler *s, const char *name);

/* Every insert a worker runs now (a module init under way), also those whose request gave up on
 * it after LoadTimeoutSec= (timed_out): the module and how long its init has run. On the event
 * loop; callback runs under the scheduler's lock and must not call into the scheduler. On stop,
 * workers still busy after SCHEDULER_STOP_GRACE_USEC are logged by what they were doing. */
typedef void (*scheduler_insert_t)(const char *name, uint64_t running_usec, bool timed_out, void *userdata);
void scheduler_foreach_insert(Scheduler *s, scheduler_insert_t callback, void *userdata);

const Plan *job_plan(const Job *j);
/* Names inserted (load) or removed (unload), in the order it happened. Never NULL. */
char **job_changed(const Job *j);
/* error == 0 on success. */
const Failure *job_failure(const Job *j);
/* Steps that failed but were optional (softdeps), as "name: message" lines. */
char **job_warnings(const Job *j);
