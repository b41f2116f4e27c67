/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "module-file.h"
#include "scheduler.h"
#include "strv.h"

typedef enum StepState {
        STEP_WAITING,
        STEP_RUNNING,
        STEP_DONE,
        STEP_FAILED,
} StepState;

/* One unit of work for a worker: a step of a job, or the unwinding of a failed job. */
typedef struct Task {
        Job *job;
        size_t step;           /* TASK_UNWIND for unwinding */
        int result;
        bool changed;          /* the step inserted or removed the module */
        Failure failure;
        char **unwound;        /* unwinding: removed again */
        char **stayed;         /* unwinding: could not be removed, with the reason */
        struct Task *next;
} Task;

#define TASK_UNWIND SIZE_MAX

struct Job {
        Scheduler *scheduler;
        Plan *plan;
        unsigned insert_flags;
        StepState *states;
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

        pthread_mutex_t lock;
        pthread_cond_t wakeup;       /* workers wait here for pending tasks */
        TaskQueue pending;           /* guarded by lock */
        TaskQueue completed;         /* guarded by lock */
        bool quit;                   /* guarded by lock */

        pthread_t *workers;
        unsigned n_workers;

        int completed_fd;            /* eventfd: completed tasks are waiting for the event loop */
        sd_event_source *completed_source;
        Job *jobs;
};

static void queue_push(TaskQueue *q, Task *t) {
        t->next = NULL;
        if (q->tail)
                q->tail->next = t;
        else
                q->head = t;
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
        failure_done(&t->failure);
        strv_free(t->unwound);
        strv_free(t->stayed);
        free(t);
        return NULL;
}

/* ---- worker side: touches only the kernel and the task, never the job's shared state ---- */

static int run_insert(Scheduler *s, Task *t, const PlanStep *step) {
        _cleanup_(closep) int fd = -EBADF;
        unsigned flags = 0;
        int r;

        /* Policy may have opened and verified the file already: insert exactly those bytes. */
        if (step->fd >= 0) {
                fd = fcntl(step->fd, F_DUPFD_CLOEXEC, 3);
                flags = step->insert_flags;
                r = fd < 0 ? -errno : 0;
        } else
                r = module_file_open(step->path, kernel_decompression(s->kernel), &fd, &flags);
        if (r < 0)
                return failure_set(&t->failure, -FAILURE_BAD_MODULE,
                                   "Cannot read module '%s' from '%s': %s.", step->name, step->path, strerror(-r));

        r = kernel_insert(s->kernel, step->name, fd, strempty(step->options), flags | t->job->insert_flags);
        if (r == -EEXIST)
                return 0;  /* someone else loaded it meanwhile: fine, but not ours to unwind */
        if (r < 0)
                return failure_set(&t->failure, -FAILURE_KERNEL_REJECTED,
                                   "The kernel rejected module '%s': %s (%s): %s.",
                                   step->name, strerror(-r), strerrorname_np(-r) ?: "?", kernel_insert_error_hint(r));
        t->changed = true;
        return 0;
}

static int run_command(Scheduler *s, Task *t, const PlanStep *step) {
        KernelModuleState before = KERNEL_MODULE_ABSENT, after = KERNEL_MODULE_ABSENT;
        int r, status = 0;

        (void) kernel_get_state(s->kernel, step->name, &before);

        r = command_run(step->command, step->name, s->command_timeout_usec, &status);
        if (r == -ETIMEDOUT)
                return failure_set(&t->failure, -FAILURE_TIMEOUT,
                                   "The modprobe.d command for module '%s' did not finish within %llu s and was killed: %s",
                                   step->name, (unsigned long long) (s->command_timeout_usec / 1000000), step->command);
        if (r == -ECHILD)
                return failure_set(&t->failure, -FAILURE_COMMAND_FAILED,
                                   "The modprobe.d command for module '%s' failed (%s %d): %s",
                                   step->name, WIFEXITED(status) ? "exit status" : "signal",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), step->command);
        if (r < 0)
                return failure_set(&t->failure, -FAILURE_COMMAND_FAILED,
                                   "Cannot run the modprobe.d command for module '%s': %s.", step->name, strerror(-r));

        /* The command may or may not have loaded (or removed) the module it stands for. */
        (void) kernel_get_state(s->kernel, step->name, &after);
        t->changed = (before == KERNEL_MODULE_ABSENT) != (after == KERNEL_MODULE_ABSENT);
        return 0;
}

static int describe_holders(Scheduler *s, const char *name, char **ret) {
        _cleanup_(kernel_module_done) KernelModule m = {};
        int r = kernel_get(s->kernel, name, &m);
        if (r < 0)
                return r;
        char *j = strv_length(m.holders) > 0 ? strv_join(m.holders, ", ") : strdup("");
        if (!j)
                return -ENOMEM;
        *ret = j;
        return m.refcount;
}

static int run_remove(Scheduler *s, Task *t, const PlanStep *step) {
        _cleanup_free_ char *holders = NULL;
        int r;

        if (step->only_if_unused) {
                KernelModule m = {};
                r = kernel_get(s->kernel, step->name, &m);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return failure_set(&t->failure, -FAILURE_INTERNAL,
                                           "Cannot read the state of module '%s': %s.", step->name, strerror(-r));
                bool used = m.refcount != 0 || strv_length(m.holders) > 0;
                kernel_module_done(&m);
                if (used)
                        return 0;
        }

        r = kernel_remove(s->kernel, step->name);
        if (r == -ENOENT && step->only_if_unused)
                return 0;
        if (r == -ENOENT)
                return failure_set(&t->failure, -FAILURE_NOT_LOADED, "Module '%s' is not loaded.", step->name);
        if (r == -EBUSY || r == -EWOULDBLOCK) {
                int refcount = describe_holders(s, step->name, &holders);
                if (holders && *holders)
                        return failure_set(&t->failure, -FAILURE_IN_USE,
                                           "Module '%s' is in use by: %s.", step->name, holders);
                return failure_set(&t->failure, -FAILURE_IN_USE,
                                   "Module '%s' is in use (reference count %d).", step->name, MAX(refcount, 1));
        }
        if (r < 0)
                return failure_set(&t->failure, -FAILURE_KERNEL_REJECTED,
                                   "The kernel refused to remove module '%s': %s.", step->name, strerror(-r));
        t->changed = true;
        return 0;
}

/* Remove what the failed job inserted, newest first. Works on a copy of the names that the
 * event loop made before queueing, so nothing is shared. */
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

        const PlanStep *step = &t->job->plan->steps[t->step];
        switch (step->kind) {
        case PLAN_STEP_INSERT:
                t->result = run_insert(s, t, step);
                break;
        case PLAN_STEP_COMMAND:
                t->result = run_command(s, t, step);
                break;
        case PLAN_STEP_REMOVE:
                t->result = run_remove(s, t, step);
                break;
        default:
                t->result = failure_set(&t->failure, -FAILURE_INTERNAL, "Unknown plan step for '%s'.", step->name);
        }
}

static void *worker_main(void *userdata) {
        Scheduler *s = userdata;

        for (;;) {
                pthread_mutex_lock(&s->lock);
                while (!s->quit && !s->pending.head)
                        pthread_cond_wait(&s->wakeup, &s->lock);
                if (s->quit) {
                        pthread_mutex_unlock(&s->lock);
                        return NULL;
                }
                Task *t = queue_pop(&s->pending);
                pthread_mutex_unlock(&s->lock);

                run_task(s, t);

                pthread_mutex_lock(&s->lock);
                queue_push(&s->completed, t);
                pthread_mutex_unlock(&s->lock);

                uint64_t one = 1;
                (void) !write(s->completed_fd, &one, sizeof(one));
        }
}

/* ---- event loop side: owns the jobs ---- */

static int enqueue(Scheduler *s, Job *j, size_t step, char **unwind_names) {
        Task *t = calloc(1, sizeof(Task));
        if (!t)
                return -ENOMEM;
        t->job = j;
        t->step = step;
        t->unwound = unwind_names;

        pthread_mutex_lock(&s->lock);
        queue_push(&s->pending, t);
        pthread_cond_signal(&s->wakeup);
        pthread_mutex_unlock(&s->lock);

        j->n_running++;
        return 0;
}

static Job *job_free(Job *j) {
        if (!j)
                return NULL;
        plan_free(j->plan);
        free(j->states);
        failure_done(&j->failure);
        strv_free(j->changed);
        strv_free(j->warnings);
        free(j);
        return NULL;
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

/* Start what can start; finish or unwind the job when nothing more will run. */
static void job_advance(Job *j) {
        Scheduler *s = j->scheduler;
        bool all_done = true;
        int r;

        if (!j->failed)
                for (size_t i = 0; i < j->plan->n_steps; i++) {
                        if (j->states[i] != STEP_DONE)
                                all_done = false;
                        if (j->states[i] != STEP_WAITING || !step_ready(j, i))
                                continue;
                        r = enqueue(s, j, i, NULL);
                        if (r < 0) {
                                failure_set(&j->failure, -FAILURE_INTERNAL, "Cannot queue module '%s': %s.",
                                            j->plan->steps[i].name, strerror(-r));
                                j->failed = true;
                                break;
                        }
                        j->states[i] = STEP_RUNNING;
                }

        if (j->n_running > 0)
                return;

        if (!j->failed) {
                if (!all_done) {
                        /* Nothing runs and nothing can start: a step waits on a failed optional step's
                         * dependents or the plan is not a DAG. The resolver prevents this; be safe. */
                        failure_set(&j->failure, -FAILURE_DEPENDENCY_CYCLE,
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

static void task_completed(Task *t) {
        Job *j = t->job;

        j->n_running--;

        if (t->step == TASK_UNWIND) {
                job_unwound(j, t);
                return;
        }

        const PlanStep *step = &j->plan->steps[t->step];
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

        job_advance(j);
}

static int on_completed(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Scheduler *s = userdata;
        uint64_t n;

        (void) !read(fd, &n, sizeof(n));

        for (;;) {
                pthread_mutex_lock(&s->lock);
                Task *t = queue_pop(&s->completed);
                pthread_mutex_unlock(&s->lock);
                if (!t)
                        return 0;
                task_completed(t);
                task_free(t);
        }
}

int scheduler_submit(Scheduler *s, Plan *plan, unsigned insert_flags, job_finished_t finished, void *userdata) {
        Job *j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->states = calloc(MAX(plan->n_steps, 1u), sizeof(StepState));
        if (!j->states) {
                free(j);
                return -ENOMEM;
        }

        j->scheduler = s;
        j->plan = plan;
        j->insert_flags = insert_flags;
        j->finished = finished;
        j->userdata = userdata;
        j->next_job = s->jobs;
        s->jobs = j;

        job_advance(j);
        return 0;
}

bool scheduler_module_in_flight(Scheduler *s, const char *name) {
        for (Job *j = s->jobs; j; j = j->next_job)
                for (size_t i = 0; i < j->plan->n_steps; i++)
                        if (j->states[i] == STEP_RUNNING && j->plan->steps[i].kind != PLAN_STEP_REMOVE &&
                            strcmp(j->plan->steps[i].name, name) == 0)
                                return true;
        return false;
}

const Plan *job_plan(const Job *j) {
        return j->plan;
}

char **job_changed(const Job *j) {
        static char *empty[] = { NULL };
        return j->changed ?: empty;
}

const Failure *job_failure(const Job *j) {
        return &j->failure;
}

char **job_warnings(const Job *j) {
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

        s = calloc(1, sizeof(Scheduler));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->kernel = kernel;
        s->completed_fd = -EBADF;
        s->command_timeout_usec = config && config->command_timeout_usec ? config->command_timeout_usec
                                                                           : UINT64_C(60) * 1000000;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->wakeup, NULL);

        s->completed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->completed_fd < 0)
                return -errno;
        r = sd_event_add_io(event, &s->completed_source, s->completed_fd, EPOLLIN, on_completed, s);
        if (r < 0)
                return r;
        /* The kernel queues a module's uevent before finit_module()/delete_module() return, so
         * with results ranked below uevents the event loop always sees "module added" before
         * "step done", and can attribute the event to the job that caused it. */
        r = sd_event_source_set_priority(s->completed_source, SCHEDULER_COMPLETION_PRIORITY);
        if (r < 0)
                return r;

        unsigned n = config && config->n_workers ? config->n_workers : default_workers();
        s->workers = calloc(n, sizeof(pthread_t));
        if (!s->workers)
                return -ENOMEM;
        for (; s->n_workers < n; s->n_workers++) {
                r = -pthread_create(&s->workers[s->n_workers], NULL, worker_main, s);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

Scheduler *scheduler_free(Scheduler *s) {
        if (!s)
                return NULL;

        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_cond_broadcast(&s->wakeup);
        pthread_mutex_unlock(&s->lock);
        for (unsigned i = 0; i < s->n_workers; i++)
                pthread_join(s->workers[i], NULL);
        free(s->workers);

        for (Task *t; (t = queue_pop(&s->pending)); )
                task_free(t);
        for (Task *t; (t = queue_pop(&s->completed)); )
                task_free(t);
        while (s->jobs) {
                Job *j = s->jobs;
                s->jobs = j->next_job;
                job_free(j);
        }

        sd_event_source_disable_unref(s->completed_source);
        safe_close(s->completed_fd);
        sd_event_unref(s->event);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wakeup);
        free(s);
        return NULL;
}
