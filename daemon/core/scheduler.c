/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "core/module-file.h"
#include "core/scheduler.h"
#include "common/strv.h"
#include "common/time-util.h"
#include "kernel/kernel.h"

typedef enum StepState {
        STEP_WAITING,
        STEP_SHARED,     /* another job is inserting the same module: wait for its result */
        STEP_RUNNING,
        STEP_DONE,
        STEP_FAILED,
} StepState;

/* One unit of work for a worker: a step of a job, or the unwinding of a failed job. The task
 * carries its own copy of the step, so a worker never reads the job, which the event loop may
 * finish without it when the step times out. */
typedef struct Task {
        Job *job;              /* NULL once abandoned after a timeout */
        size_t step;           /* a step index, TASK_PREPARE or TASK_UNWIND */
        Plan *plan;            /* TASK_PREPARE: the job's plan, not yet shared with anyone */
        JobPrepare prepare;    /* TASK_PREPARE */
        PlanStepKind kind;
        unsigned rank;         /* steps: the longest chain of its job's steps that starts here */
        char *name, *path, *options, *command;
        bool only_if_unused;
        int fd;                /* INSERT: verified module, or -EBADF to open path */
        unsigned insert_flags;
        int result;
        bool changed;          /* the step inserted or removed the module */
        Failure failure;
        char **unwound;        /* unwinding: to remove, then what was removed again */
        char **stayed;         /* unwinding: could not be removed, with the reason */
        sd_event_source *timer;
        uint64_t started_usec;  /* guarded by the scheduler's lock: CLOCK_MONOTONIC when a worker took it, or 0 */
        uint64_t began, ended;  /* kernel_now() around the work, for the observer */
        struct Task *next;
        bool abandoned;        /* its job gave up on it (timeout); it marks the module in flight */
        struct Task *abandoned_next;
        char *request;         /* what its job was asked for, for the log when stopping */
        struct Task *running_next; /* guarded by the scheduler's lock: on its running list */
} Task;

#define TASK_UNWIND SIZE_MAX
#define TASK_PREPARE (SIZE_MAX - 1)
#define TASK_IS_STEP(step) ((step) < TASK_PREPARE)

struct Job {
        Scheduler *scheduler;
        Plan *plan;
        unsigned insert_flags;
        bool urgent;
        JobPrepare prepare;
        StepState *states;
        unsigned *ranks;      /* of each step, see Task.rank */
        Task **tasks;         /* the running task of each step */
        unsigned n_running;
        bool failed;
        bool unwinding;
        Failure failure;
        char **changed;
        char **warnings;
        job_finished_t finished;
        void *userdata;
        Job *next_job;        /* all jobs of the scheduler, so free can drop them */
};

typedef struct TaskQueue {
        Task *head, *tail;
} TaskQueue;

struct Scheduler {
        sd_event *event;
        Kernel *kernel;
        uint64_t command_timeout_usec;
        uint64_t step_timeout_usec;
        SchedulerObserver observer;

        pthread_mutex_t lock;
        pthread_cond_t wakeup;       /* workers wait here for pending tasks */
        TaskQueue pending;           /* guarded by lock: steps and unwinding */
        TaskQueue preparing;         /* guarded by lock: TASK_PREPARE, taken when pending is empty */
        TaskQueue completed;         /* guarded by lock */
        unsigned n_pending;          /* guarded by lock */
        unsigned n_idle;             /* guarded by lock: workers waiting for a task */
        unsigned n_exited;           /* guarded by lock: workers that returned after quit */
        bool quit;                   /* guarded by lock */
        pthread_cond_t exited;       /* signalled when a worker returns after quit */

        pthread_t *workers;          /* event loop only */
        unsigned n_workers;

        int completed_fd;            /* eventfd: completed tasks are waiting for the event loop */
        sd_event_source *completed_source;
        Job *jobs;
        Task *abandoned_list;        /* inserts whose request timed out, still in the module's init */
        Task *running;               /* guarded by lock: the tasks workers run now */
};

static void queue_push(TaskQueue *q, Task *t) {
        t->next = NULL;
        if (q->tail)
                q->tail->next = t;
        else
                q->head = t;
        q->tail = t;
}

static void queue_push_front(TaskQueue *q, Task *t) {
        t->next = q->head;
        q->head = t;
        if (!q->tail)
                q->tail = t;
}

/* Behind the tasks of the same or a higher rank, ahead of the lower ones. */
static void queue_insert_ranked(TaskQueue *q, Task *t) {
        Task **p = &q->head;

        while (*p && (*p)->rank >= t->rank)
                p = &(*p)->next;
        t->next = *p;
        *p = t;
        if (!t->next)
                q->tail = t;
}

static Task *queue_pop(TaskQueue *q) {
        Task *t = q->head;
        if (t) {
                q->head = t->next;
                if (!q->head)
                        q->tail = NULL;
        }
        return t;
}

static Task *task_free(Task *t) {
        if (!t)
                return NULL;
        free(t->name);
        free(t->path);
        free(t->options);
        free(t->command);
        free(t->request);
        safe_close(t->fd);
        failure_done(&t->failure);
        strv_free(t->unwound);
        strv_free(t->stayed);
        sd_event_source_disable_unref(t->timer);
        free(t);
        return NULL;
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

static int task_new(Job *j, size_t step, Task **ret) {
        Task *t = calloc(1, sizeof(Task));
        if (!t)
                return -ENOMEM;
        t->job = j;
        t->step = step;
        t->fd = -EBADF;
        if (strdup_or_null(j->plan->request, &t->request) < 0)
                return task_free(t), -ENOMEM;
        if (step == TASK_PREPARE) {
                t->plan = j->plan;
                t->prepare = j->prepare;
        } else if (step != TASK_UNWIND) {
                const PlanStep *p = &j->plan->steps[step];
                t->kind = p->kind;
                t->rank = j->ranks[step];
                t->only_if_unused = p->only_if_unused;
                t->insert_flags = p->insert_flags | j->insert_flags;
                if (strdup_or_null(p->name, &t->name) < 0 || strdup_or_null(p->path, &t->path) < 0 ||
                    strdup_or_null(p->options, &t->options) < 0 || strdup_or_null(p->command, &t->command) < 0)
                        return task_free(t), -ENOMEM;
                if (p->fd >= 0) {
                        t->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 3);
                        if (t->fd < 0)
                                return task_free(t), -errno;
                }
        }
        *ret = t;
        return 0;
}

/* ---- worker side: touches only the kernel and its task ---- */

static int run_insert(Scheduler *s, Task *t) {
        _cleanup_(closep) int fd = TAKE_FD(t->fd);
        unsigned flags = t->insert_flags;
        int r;

        /* Policy may have opened and verified the file already: insert exactly those bytes. */
        if (fd < 0) {
                unsigned file_flags = 0;
                r = module_file_open(t->path, kernel_decompression(s->kernel), &fd, &file_flags);
                if (r < 0)
                        return failure_set(&t->failure, FAILURE_BAD_MODULE,
                                           "Cannot read module '%s' from '%s': %s.", t->name, t->path, strerror(-r));
                flags |= file_flags;
        }

        r = kernel_insert(s->kernel, t->name, fd, strempty(t->options), flags);
        if ((r == -EINVAL || r == -EOPNOTSUPP) && (flags & KERNEL_INSERT_COMPRESSED_FILE)) {
                /* The kernel names this algorithm in /sys/module/compression, but its decoder
                 * refuses some streams: 6.12's xz reads only CRC32 or no check, and xz(1) writes
                 * CRC64 unless told otherwise. It then fails with EINVAL (EOPNOTSUPP without
                 * CONFIG_MODULE_DECOMPRESS) before reading the module, so decompress it here and
                 * insert once more. Should the EINVAL have come from the module's own init,
                 * that init runs a second time and fails the same way. */
                _cleanup_(closep) int plain = -EBADF;

                if (module_file_decompress_fd(fd, &plain) >= 0) {
                        log_debug("The kernel refused to decompress module '%s' (%s), inserting it "
                                  "decompressed in user space.", t->name, strerrorname_np(-r) ?: "?");
                        flags &= ~KERNEL_INSERT_COMPRESSED_FILE;
                        r = kernel_insert(s->kernel, t->name, plain, strempty(t->options), flags);
                }
        }
        if (r == -EEXIST)
                return 0;  /* someone else loaded it meanwhile: fine, but not ours to unwind */
        if (r < 0)
                return failure_set_errno(&t->failure, FAILURE_KERNEL_REJECTED, r,
                                   "The kernel rejected module '%s': %s (%s): %s.",
                                   t->name, strerror(-r), strerrorname_np(-r) ?: "?", kernel_insert_error_hint(r));
        t->changed = true;
        return 0;
}

static int run_command(Scheduler *s, Task *t) {
        KernelModuleState before = KERNEL_MODULE_ABSENT, after = KERNEL_MODULE_ABSENT;
        int r, status = 0;

        (void) kernel_get_state(s->kernel, t->name, &before);

        /* The failure goes to the caller and to everyone in ModuleLoadFailed, so it names the
         * module, never the command: the line may come from a file only root can read. */
        r = kernel_run_command(s->kernel, t->command, t->name, t->options, s->command_timeout_usec, &status);
        if (r == -ETIMEDOUT)
                return failure_set(&t->failure, FAILURE_TIMEOUT,
                                   "The modprobe.d command for module '%s' did not finish within %llu s and "
                                   "was killed.",
                                   t->name, (unsigned long long) (s->command_timeout_usec / 1000000));
        if (r == -ECHILD)
                return failure_set(&t->failure, FAILURE_COMMAND_FAILED,
                                   "The modprobe.d command for module '%s' failed (%s %d).",
                                   t->name, WIFEXITED(status) ? "exit status" : "signal",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        if (r == -EINVAL)
                return failure_set(&t->failure, FAILURE_INVALID_PARAMETERS,
                                   "The modprobe.d command for module '%s' was not run: its parameters are outside "
                                   "the parameter grammar (a word starting with '-', or a shell or glob byte), and "
                                   "it would get them as $CMDLINE_OPTS.", t->name);
        if (r < 0)
                return failure_set(&t->failure, FAILURE_COMMAND_FAILED,
                                   "Cannot run the modprobe.d command for module '%s': %s.", t->name, strerror(-r));

        /* The command may or may not have loaded (or removed) the module it stands for. */
        (void) kernel_get_state(s->kernel, t->name, &after);
        t->changed = (before == KERNEL_MODULE_ABSENT) != (after == KERNEL_MODULE_ABSENT);
        return 0;
}

static int run_remove(Scheduler *s, Task *t) {
        _cleanup_(kernel_module_done) KernelModule m = {};
        int r;

        r = kernel_get(s->kernel, t->name, &m);
        if (r == -ENOENT && t->only_if_unused)
                return 0;
        if (r < 0 && r != -ENOENT)
                return failure_set(&t->failure, FAILURE_INTERNAL,
                                   "Cannot read the state of module '%s': %s.", t->name, strerror(-r));
        if (r >= 0 && t->only_if_unused && (m.refcount > 0 || strv_length(m.holders) > 0))
                return 0;

        r = kernel_remove(s->kernel, t->name);
        if (r == -ENOENT && t->only_if_unused)
                return 0;
        if (r == -ENOENT)
                return failure_set(&t->failure, FAILURE_NOT_LOADED, "Module '%s' is not loaded.", t->name);
        if (r == -EBUSY || r == -EWOULDBLOCK) {
                /* Read again: the holders are what stands in the way now. */
                kernel_module_done(&m);
                if (kernel_get(s->kernel, t->name, &m) >= 0 && strv_length(m.holders) > 0) {
                        _cleanup_free_ char *holders = strv_join(m.holders, ", ");
                        return failure_set(&t->failure, FAILURE_IN_USE,
                                           "Module '%s' is in use by: %s.", t->name, strempty(holders));
                }
                return failure_set(&t->failure, FAILURE_IN_USE,
                                   "Module '%s' is in use (reference count %d).", t->name, MAX(m.refcount, 1));
        }
        if (r < 0)
                return failure_set_errno(&t->failure, FAILURE_KERNEL_REJECTED, r,
                                   "The kernel refused to remove module '%s': %s.", t->name, strerror(-r));
        t->changed = true;
        return 0;
}

/* Remove what the failed job inserted, newest first. */
static void run_unwind(Scheduler *s, Task *t) {
        strv_reverse(t->unwound);
        char **names = TAKE_PTR(t->unwound);

        STRV_FOREACH(n, names) {
                int r = kernel_remove(s->kernel, *n);
                if (r >= 0 || r == -ENOENT) {
                        (void) strv_extend(&t->unwound, *n);
                        continue;
                }
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line, "%s (%s)", *n, strerror(-r)) >= 0)
                        (void) strv_push(&t->stayed, TAKE_PTR(line));
        }
        strv_free(names);
}

static void run_task(Scheduler *s, Task *t) {
        if (t->step == TASK_UNWIND) {
                run_unwind(s, t);
                return;
        }
        if (t->step == TASK_PREPARE) {
                t->result = t->prepare.run(t->plan, t->prepare.userdata, &t->failure);
                if (t->result < 0 && !t->failure.message)
                        failure_set(&t->failure, FAILURE_INTERNAL, "Cannot prepare loading '%s': %s.",
                                    t->plan->request, strerror(-t->result));
                return;
        }

        switch (t->kind) {
        case PLAN_STEP_INSERT:
                t->result = run_insert(s, t);
                break;
        case PLAN_STEP_COMMAND:
                t->result = run_command(s, t);
                break;
        case PLAN_STEP_REMOVE:
                t->result = run_remove(s, t);
                break;
        default:
                t->result = failure_set(&t->failure, FAILURE_INTERNAL, "Unknown plan step for '%s'.", t->name);
        }
}

static void *worker_main(void *userdata) {
        Scheduler *s = userdata;

        for (;;) {
                pthread_mutex_lock(&s->lock);
                s->n_idle++;
                while (!s->quit && !s->pending.head && !s->preparing.head)
                        pthread_cond_wait(&s->wakeup, &s->lock);
                s->n_idle--;
                if (s->quit) {
                        s->n_exited++;
                        pthread_cond_broadcast(&s->exited);
                        pthread_mutex_unlock(&s->lock);
                        return NULL;
                }
                Task *t = queue_pop(&s->pending) ?: queue_pop(&s->preparing);
                s->n_pending--;
                t->started_usec = MAX(now_usec(CLOCK_MONOTONIC), (uint64_t) 1);
                t->running_next = s->running;
                s->running = t;
                pthread_mutex_unlock(&s->lock);

                t->began = kernel_now(s->kernel);
                run_task(s, t);
                t->ended = kernel_now(s->kernel);

                pthread_mutex_lock(&s->lock);
                for (Task **p = &s->running; *p; p = &(*p)->running_next)
                        if (*p == t) {
                                *p = t->running_next;
                                break;
                        }
                queue_push(&s->completed, t);
                pthread_mutex_unlock(&s->lock);

                uint64_t one = 1;
                (void) !write(s->completed_fd, &one, sizeof(one));
        }
}

/* ---- event loop side: owns the jobs ---- */

/* ranks[i]: the number of steps on the longest chain from step i to a step nothing depends on
 * (1 for those). Plans are DAGs; n rounds of relaxing every edge settle any order of steps. */
static void plan_rank_steps(const Plan *plan, unsigned *ranks) {
        for (size_t i = 0; i < plan->n_steps; i++)
                ranks[i] = 1;
        for (size_t round = 0; round < plan->n_steps; round++) {
                bool changed = false;

                for (size_t k = 0; k < plan->n_steps; k++)
                        for (size_t d = 0; d < plan->steps[k].n_deps; d++) {
                                size_t dep = plan->steps[k].deps[d];

                                if (dep < plan->n_steps && ranks[dep] < ranks[k] + 1) {
                                        ranks[dep] = ranks[k] + 1;
                                        changed = true;
                                }
                        }
                if (!changed)
                        break;
        }
}

static int spawn_worker(Scheduler *s) {
        if (s->n_workers >= SCHEDULER_WORKERS_MAX)
                return -EAGAIN;
        pthread_t *w = realloc(s->workers, sizeof(pthread_t) * (s->n_workers + 1));
        if (!w)
                return -ENOMEM;
        s->workers = w;
        int r = -pthread_create(&s->workers[s->n_workers], NULL, worker_main, s);
        if (r < 0)
                return r;
        s->n_workers++;
        return 0;
}

static void dispatch(Scheduler *s, Task *t, bool urgent) {
        bool need_worker;

        pthread_mutex_lock(&s->lock);
        /* Steps of jobs that are under way go before the preparation of jobs that have not
         * started: a batch (the boot list) then inserts from its first prepared job on while
         * the other worker prepares the next, instead of preparing every job first. */
        if (urgent)
                queue_push_front(&s->pending, t);
        else if (t->step == TASK_PREPARE)
                queue_push(&s->preparing, t);
        else
                /* The step that starts the longest chain first (critical path first): a job
                 * with ten modules in a row (a sound card's driver and its stack) must not
                 * wait behind every short job submitted before it, or it finishes last. */
                queue_insert_ranked(&s->pending, t);
        s->n_pending++;
        need_worker = s->n_pending > s->n_idle;
        pthread_cond_signal(&s->wakeup);
        pthread_mutex_unlock(&s->lock);

        /* A module's init can wait on a kernel request that only a free worker can serve, so
         * urgent work (kernel requests) never waits for a busy pool: it gets a new worker. */
        if (urgent && need_worker)
                (void) spawn_worker(s);
}

static int on_step_timeout(sd_event_source *source, uint64_t usec, void *userdata);

static int enqueue(Scheduler *s, Job *j, size_t step, char **unwind_names) {
        Task *t = NULL;
        int r;

        r = task_new(j, step, &t);
        if (r < 0)
                return r;
        t->unwound = unwind_names;

        if (TASK_IS_STEP(step) && t->kind == PLAN_STEP_INSERT && s->step_timeout_usec > 0) {
                r = sd_event_add_time_relative(s->event, &t->timer, CLOCK_MONOTONIC, s->step_timeout_usec, 0,
                                               on_step_timeout, t);
                if (r < 0) {
                        t->unwound = NULL;
                        task_free(t);
                        return r;
                }
        }

        if (TASK_IS_STEP(step))
                j->tasks[step] = t;
        j->n_running++;
        dispatch(s, t, j->urgent);
        return 0;
}

static Job *job_free(Job *j) {
        if (!j)
                return NULL;
        plan_free(j->plan);
        free(j->states);
        free(j->ranks);
        free(j->tasks);
        failure_done(&j->failure);
        strv_free(j->changed);
        strv_free(j->warnings);
        free(j);
        return NULL;
}

static bool job_alive(Scheduler *s, Job *j) {
        for (Job *i = s->jobs; i; i = i->next_job)
                if (i == j)
                        return true;
        return false;
}

static void job_unlink(Job *j) {
        for (Job **p = &j->scheduler->jobs; *p; p = &(*p)->next_job)
                if (*p == j) {
                        *p = j->next_job;
                        return;
                }
}

static void job_finish(Job *j) {
        job_unlink(j);
        if (j->finished)
                j->finished(j, j->userdata);
        job_free(j);
}

static bool step_ready(const Job *j, size_t i) {
        const PlanStep *step = &j->plan->steps[i];
        for (size_t k = 0; k < step->n_deps; k++)
                if (j->states[step->deps[k]] != STEP_DONE)
                        return false;
        return true;
}

static bool abandoned_in_flight(Scheduler *s, const char *name) {
        for (Task *t = s->abandoned_list; t; t = t->abandoned_next)
                if (strcmp(t->name, name) == 0)
                        return true;
        return false;
}

/* Is another job inserting this module right now? Then this step waits for that result. */
static bool inserted_elsewhere(Scheduler *s, const Job *self, const char *name) {
        for (Job *j = s->jobs; j; j = j->next_job) {
                if (j == self)
                        continue;
                for (size_t i = 0; i < j->plan->n_steps; i++)
                        if (j->states[i] == STEP_RUNNING && j->plan->steps[i].kind != PLAN_STEP_REMOVE &&
                            strcmp(j->plan->steps[i].name, name) == 0)
                                return true;
        }
        return false;
}

bool scheduler_module_in_flight(Scheduler *s, const char *name) {
        assert(s);

        return inserted_elsewhere(s, NULL, name) || abandoned_in_flight(s, name);
}

static void job_advance(Job *j);

/* Another job's insertion of name is over: steps that waited for it go on. If it worked, the
 * module is there and the waiting step is done; if not, the step tries on its own. */
static void release_shared(Scheduler *s, const char *name, bool inserted) {
        Job **affected = NULL;
        size_t n = 0;

        for (Job *j = s->jobs; j; j = j->next_job)
                for (size_t i = 0; i < j->plan->n_steps; i++) {
                        if (j->states[i] != STEP_SHARED || strcmp(j->plan->steps[i].name, name) != 0)
                                continue;
                        j->states[i] = inserted ? STEP_DONE : STEP_WAITING;
                        Job **a = realloc(affected, sizeof(Job *) * (n + 1));
                        if (a) {
                                affected = a;
                                affected[n++] = j;
                        }
                }

        for (size_t i = 0; i < n; i++)
                if (job_alive(s, affected[i]))
                        job_advance(affected[i]);
        free(affected);
}

/* Start what can start; finish or unwind the job when nothing more will run. */
static void job_advance(Job *j) {
        Scheduler *s = j->scheduler;
        bool all_done = true, shared = false;
        int r;

        if (!j->failed)
                for (size_t i = 0; i < j->plan->n_steps; i++) {
                        if (j->states[i] == STEP_SHARED)
                                shared = true;
                        if (j->states[i] != STEP_DONE)
                                all_done = false;
                        if (j->states[i] != STEP_WAITING || !step_ready(j, i))
                                continue;
                        if (j->plan->steps[i].kind != PLAN_STEP_REMOVE &&
                            abandoned_in_flight(s, j->plan->steps[i].name)) {
                                /* One marker per module whose init is stuck: another insert would
                                 * only block another worker in the kernel behind it. */
                                failure_set(&j->failure, FAILURE_TIMEOUT,
                                            "Module '%s' is still initializing from an earlier request that timed "
                                            "out (LoadTimeoutSec=); not starting another insert until it finishes.",
                                            j->plan->steps[i].name);
                                j->states[i] = STEP_FAILED;
                                j->failed = true;
                                break;
                        }
                        if (j->plan->steps[i].kind != PLAN_STEP_REMOVE &&
                            inserted_elsewhere(s, j, j->plan->steps[i].name)) {
                                j->states[i] = STEP_SHARED;
                                shared = true;
                                continue;
                        }
                        r = enqueue(s, j, i, NULL);
                        if (r < 0) {
                                failure_set(&j->failure, FAILURE_INTERNAL, "Cannot queue module '%s': %s.",
                                            j->plan->steps[i].name, strerror(-r));
                                j->failed = true;
                                break;
                        }
                        j->states[i] = STEP_RUNNING;
                }

        if (j->n_running > 0 || (shared && !j->failed))
                return;

        if (!j->failed) {
                if (!all_done) {
                        /* Nothing runs and nothing can start: the plan is not a DAG. The resolver
                         * prevents this; be safe. */
                        failure_set(&j->failure, FAILURE_DEPENDENCY_CYCLE,
                                    "The plan for '%s' cannot make progress.", j->plan->request);
                        j->failed = true;
                } else {
                        job_finish(j);
                        return;
                }
        }

        /* Failed. A load job removes what it inserted; the failure then says what happened. */
        bool is_load = j->plan->n_steps > 0 && j->plan->steps[0].kind != PLAN_STEP_REMOVE;
        if (is_load && !j->unwinding && strv_length(j->changed) > 0) {
                char **names = NULL;
                STRV_FOREACH(n, j->changed)
                        if (strv_extend(&names, *n) < 0)
                                break;
                j->unwinding = true;
                if (enqueue(s, j, TASK_UNWIND, names) >= 0)
                        return;
                strv_free(names);
        }

        if (is_load && !j->unwinding && j->failure.message) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "%s Nothing was left loaded.", j->failure.message) >= 0) {
                        free(j->failure.message);
                        j->failure.message = TAKE_PTR(m);
                }
        }
        job_finish(j);
}

static void job_unwound(Job *j, Task *t) {
        _cleanup_free_ char *unwound = strv_join(t->unwound, ", ");
        _cleanup_free_ char *stayed = strv_join(t->stayed, ", ");
        _cleanup_free_ char *m = NULL;
        int r;

        if (strv_length(t->stayed) > 0)
                r = asprintf(&m, "%s Removed again: %s. Still loaded, could not be removed: %s.",
                             strempty(j->failure.message), unwound && *unwound ? unwound : "none", strempty(stayed));
        else
                r = asprintf(&m, "%s Removed again what this request had inserted: %s; nothing was left loaded.",
                             strempty(j->failure.message), strempty(unwound));
        if (r >= 0) {
                free(j->failure.message);
                j->failure.message = TAKE_PTR(m);
        }

        /* What was removed again no longer counts as inserted. */
        char **kept = NULL;
        STRV_FOREACH(n, j->changed)
                if (!strv_contains(t->unwound, *n))
                        (void) strv_extend(&kept, *n);
        strv_free(j->changed);
        j->changed = kept;
        job_finish(j);
}

/* The step's module init runs too long: fail the job now and let it go on without the task.
 * The worker stays blocked in the kernel until the init returns, so another takes its place. */
static int on_step_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        Task *t = userdata;
        Job *j = t->job;
        Scheduler *s = j->scheduler;
        uint64_t started;

        /* LoadTimeoutSec= is how long a module's init may run, not how long its step waited for
         * a free worker (a busy boot queues dozens): count from when a worker took it. */
        pthread_mutex_lock(&s->lock);
        started = t->started_usec;
        pthread_mutex_unlock(&s->lock);
        if (sd_event_now(s->event, CLOCK_MONOTONIC, &usec) < 0)
                usec = now_usec(CLOCK_MONOTONIC);
        if (started == 0 || started + s->step_timeout_usec > usec) {
                uint64_t next = started == 0 ? usec + s->step_timeout_usec : started + s->step_timeout_usec;
                if (sd_event_source_set_time(source, next) >= 0 &&
                    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT) >= 0)
                        return 0;
                /* Cannot wait longer: time out now rather than never. */
        }

        t->timer = sd_event_source_disable_unref(t->timer);
        t->job = NULL;
        t->abandoned = true;
        t->abandoned_next = s->abandoned_list;
        s->abandoned_list = t;
        j->tasks[t->step] = NULL;
        j->n_running--;
        j->states[t->step] = STEP_FAILED;
        if (!j->failed)
                failure_set(&j->failure, FAILURE_TIMEOUT,
                            "Module '%s' did not finish initializing within %llu s (LoadTimeoutSec=); "
                            "the request gave up on it, the kernel may still complete it.",
                            t->name, (unsigned long long) (s->step_timeout_usec / 1000000));
        j->failed = true;
        (void) spawn_worker(s);

        /* Steps of other jobs that waited for this insertion try on their own now. */
        _cleanup_free_ char *name = strdup(t->name);
        job_advance(j);
        if (name)
                release_shared(s, name, false);
        return 0;
}

static void task_completed(Scheduler *s, Task *t) {
        Job *j = t->job;

        if (!j) {
                /* Abandoned after a timeout: the init finished after all. */
                for (Task **p = &s->abandoned_list; *p; p = &(*p)->abandoned_next)
                        if (*p == t) {
                                *p = t->abandoned_next;
                                break;
                        }
                if (t->result >= 0 && t->changed)
                        log_warning("Module %s finished initializing after its request timed out; it stays loaded.",
                                    t->name);
                if (t->kind != PLAN_STEP_REMOVE)
                        release_shared(s, t->name, t->result >= 0);
                return;
        }

        j->n_running--;
        if (t->step == TASK_UNWIND) {
                job_unwound(j, t);
                return;
        }
        if (t->step == TASK_PREPARE) {
                if (t->result < 0) {
                        /* Nothing ran, so there is nothing to unwind. */
                        failure_move(&j->failure, &t->failure);
                        j->failed = true;
                        job_finish(j);
                        return;
                }
                if (s->observer.prepared)
                        s->observer.prepared(j->plan, t->began, t->ended, s->observer.userdata);
                if (j->prepare.done)
                        j->prepare.done(j->prepare.userdata);
                j->prepare = (JobPrepare) {};
                job_advance(j);
                return;
        }

        j->tasks[t->step] = NULL;
        const PlanStep *step = &j->plan->steps[t->step];
        if (step->kind == PLAN_STEP_INSERT && s->observer.inserted)
                s->observer.inserted(step->name, t->began, t->ended, t->result, s->observer.userdata);
        bool inserted = t->result >= 0 && step->kind != PLAN_STEP_REMOVE;
        if (t->result >= 0) {
                j->states[t->step] = STEP_DONE;
                if (t->changed)
                        (void) strv_extend(&j->changed, step->name);
        } else if (step->optional) {
                /* Like modprobe, a softdep that fails does not stop the module that wanted it. */
                j->states[t->step] = STEP_DONE;
                (void) strv_extend(&j->warnings, strempty(t->failure.message));
        } else {
                j->states[t->step] = STEP_FAILED;
                if (!j->failed)
                        failure_move(&j->failure, &t->failure);
                j->failed = true;
        }

        _cleanup_free_ char *name = step->kind != PLAN_STEP_REMOVE ? strdup(step->name) : NULL;
        job_advance(j);
        if (name)
                release_shared(s, name, inserted);
}

/* Every result queued at wakeup is handled in one dispatch, so results never wait behind new
 * work. Module events queued meanwhile are handled first: a module's event is queued before
 * finit_module()/delete_module() return, so each result's event is seen before the result,
 * and the event can be attributed to the job that caused it. */
static int on_completed(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Scheduler *s = userdata;
        TaskQueue batch;
        uint64_t n;

        /* Reset the counter before taking the queue: a result queued meanwhile wakes us again. */
        (void) !read(fd, &n, sizeof(n));

        pthread_mutex_lock(&s->lock);
        batch = s->completed;
        s->completed = (TaskQueue) {};
        pthread_mutex_unlock(&s->lock);
        if (!batch.head)
                return 0;

        kernel_dispatch_events(s->kernel);

        for (Task *t; (t = queue_pop(&batch)); ) {
                t->timer = sd_event_source_disable_unref(t->timer);
                task_completed(s, t);
                task_free(t);
        }
        return 0;
}

void scheduler_foreach_insert(Scheduler *s, scheduler_insert_t callback, void *userdata) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        assert(s);
        assert(callback);

        pthread_mutex_lock(&s->lock);
        for (Task *t = s->running; t; t = t->running_next)
                if (TASK_IS_STEP(t->step) && t->kind == PLAN_STEP_INSERT)
                        callback(t->name, now > t->started_usec ? now - t->started_usec : 0, t->abandoned, userdata);
        pthread_mutex_unlock(&s->lock);
}

/* What a worker still busy at stop is doing, for the log: the load it leaves behind. */
static void log_left_behind(const Task *t, uint64_t now) {
        unsigned long long secs = now > t->started_usec ? (now - t->started_usec) / 1000000 : 0;

        if (t->step == TASK_UNWIND)
                log_warning("Stopping while the failed load of '%s' is still removing what it inserted (for %llu s); "
                            "leaving the removal to the kernel.", strempty(t->request), secs);
        else if (t->step == TASK_PREPARE)
                log_warning("Stopping while the load of '%s' is still being prepared (for %llu s).",
                            strempty(t->request), secs);
        else if (t->kind == PLAN_STEP_INSERT)
                log_warning("Stopping while module '%s' is still in its init (for %llu s, the load of '%s'%s); "
                            "leaving the load to the kernel.", t->name, secs, strempty(t->request),
                            t->abandoned ? ", which timed out" : "");
        else if (t->kind == PLAN_STEP_REMOVE)
                log_warning("Stopping while module '%s' is still being removed (for %llu s, the unload of '%s'); "
                            "leaving the removal to the kernel.", t->name, secs, strempty(t->request));
        else
                log_warning("Stopping while the modprobe.d command for module '%s' still runs (for %llu s, the load "
                            "of '%s').", t->name, secs, strempty(t->request));
}

int scheduler_submit(Scheduler *s, Plan *plan, unsigned insert_flags, bool urgent, const JobPrepare *prepare,
                     job_finished_t finished, void *userdata) {
        Job *j = calloc(1, sizeof(Job));

        assert(s);
        assert(plan);

        if (!j)
                return -ENOMEM;
        j->states = calloc(MAX(plan->n_steps, 1u), sizeof(StepState));
        j->ranks = calloc(MAX(plan->n_steps, 1u), sizeof(unsigned));
        j->tasks = calloc(MAX(plan->n_steps, 1u), sizeof(Task *));
        if (!j->states || !j->ranks || !j->tasks) {
                free(j->states);
                free(j->ranks);
                free(j->tasks);
                free(j);
                return -ENOMEM;
        }
        plan_rank_steps(plan, j->ranks);

        j->scheduler = s;
        j->plan = plan;
        j->insert_flags = insert_flags;
        j->urgent = urgent;
        j->finished = finished;
        j->userdata = userdata;
        j->next_job = s->jobs;
        s->jobs = j;

        if (prepare && prepare->run) {
                int r;

                j->prepare = *prepare;
                r = enqueue(s, j, TASK_PREPARE, NULL);
                if (r < 0) {
                        job_unlink(j);
                        j->plan = NULL; /* stays the caller's on failure */
                        job_free(j);
                        return r;
                }
                return 0;
        }

        job_advance(j);
        return 0;
}

const Plan *job_plan(const Job *j) {
        assert(j);

        return j->plan;
}

char **job_changed(const Job *j) {
        assert(j);

        static char *empty[] = { NULL };
        return j->changed ?: empty;
}

const Failure *job_failure(const Job *j) {
        assert(j);

        return &j->failure;
}

char **job_warnings(const Job *j) {
        assert(j);

        static char *empty[] = { NULL };
        return j->warnings ?: empty;
}

static unsigned default_workers(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return (unsigned) MAX(n, 2L);
}

int scheduler_new(sd_event *event, Kernel *kernel, const SchedulerConfig *config, Scheduler **ret) {
        _cleanup_(scheduler_freep) Scheduler *s = NULL;
        int r;

        assert(ret);

        s = calloc(1, sizeof(Scheduler));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->kernel = kernel;
        s->completed_fd = -EBADF;
        s->step_timeout_usec = config ? config->step_timeout_usec : 0;
        s->observer = config ? config->observer : (SchedulerObserver) {};
        s->command_timeout_usec = config && config->command_timeout_usec ? config->command_timeout_usec
                                                                           : UINT64_C(60) * 1000000;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->wakeup, NULL);
        pthread_cond_init(&s->exited, NULL);

        s->completed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->completed_fd < 0)
                return -errno;
        r = sd_event_add_io(event, &s->completed_source, s->completed_fd, EPOLLIN, on_completed, s);
        if (r < 0)
                return r;
        r = sd_event_source_set_priority(s->completed_source, SCHEDULER_COMPLETION_PRIORITY);
        if (r < 0)
                return r;

        unsigned n = config && config->n_workers ? config->n_workers : default_workers();
        while (s->n_workers < n) {
                r = spawn_worker(s);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

Scheduler *scheduler_free(Scheduler *s) {
        (void) scheduler_free_left_workers(s);
        return NULL;
}

bool scheduler_free_left_workers(Scheduler *s) {
        if (!s)
                return false;

        /* Idle workers return at once; busy ones after their task. A worker stuck in a module
         * init that never returns is abandoned after a grace period, with the shared state it
         * would touch when it wakes: stopping must not hang, and what follows (restoring
         * kernel.modprobe) must run. */
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t) (SCHEDULER_STOP_GRACE_USEC / 1000000);

        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_cond_broadcast(&s->wakeup);
        while (s->n_exited < s->n_workers)
                if (pthread_cond_timedwait(&s->exited, &s->lock, &deadline) == ETIMEDOUT)
                        break;
        unsigned stuck = s->n_workers - s->n_exited;
        pthread_mutex_unlock(&s->lock);

        if (stuck > 0) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);

                pthread_mutex_lock(&s->lock);
                for (Task *t = s->running; t; t = t->running_next)
                        log_left_behind(t, now);
                pthread_mutex_unlock(&s->lock);
                log_warning("Abandoning %u worker thread(s) still busy (a module init or exit that does not return).",
                            stuck);
                for (unsigned i = 0; i < s->n_workers; i++)
                        (void) pthread_detach(s->workers[i]);
        } else
                for (unsigned i = 0; i < s->n_workers; i++)
                        pthread_join(s->workers[i], NULL);
        free(s->workers);
        s->workers = NULL;

        /* Completed tasks and queued ones are ours in any case. */
        pthread_mutex_lock(&s->lock);
        for (Task *t; (t = queue_pop(&s->pending)); )
                task_free(t);
        for (Task *t; (t = queue_pop(&s->preparing)); )
                task_free(t);
        for (Task *t; (t = queue_pop(&s->completed)); )
                task_free(t);
        pthread_mutex_unlock(&s->lock);
        while (s->jobs) {
                Job *j = s->jobs;
                s->jobs = j->next_job;
                job_free(j);
        }

        s->completed_source = sd_event_source_disable_unref(s->completed_source);
        sd_event_unref(s->event);
        if (stuck > 0)
                /* The stuck workers still hold s (its lock, queues and eventfd): leave them be.
                 * The process is exiting. */
                return true;

        safe_close(s->completed_fd);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wakeup);
        pthread_cond_destroy(&s->exited);
        free(s);
        return false;
}
