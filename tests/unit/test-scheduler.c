/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduler against the fake kernel: order, parallelism, unwinding, optional steps,
 * removal rules and command timeouts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-fake.h"
#include "core/scheduler.h"
#include "time-util.h"
#include "strv.h"
#include "kernel/kernel.h"

#define KO(name) MODCTL_TEST_MODULES_DIR "/src/" name ".ko"

static sd_event *event;
static Kernel *kernel;
static Scheduler *scheduler;

typedef struct Outcome {
        bool finished;
        Failure failure;
        char **changed;
        char **warnings;
} Outcome;

/* No test that expects a step to succeed depends on how fast the host is: the timeouts are far
 * beyond what any step here takes on a loaded host, and what must happen in parallel is awaited
 * (fifos, held inits). Tests of the timeouts themselves ask for short ones. */
#define LONG_TIMEOUT_USEC (120 * USEC_PER_SEC)

static void setup(void) {
        cr_assert_eq(sd_event_new(&event), 0);
        cr_assert_eq(kernel_new_fake(&kernel), 0);
        SchedulerConfig config = { .n_workers = 2, .command_timeout_usec = LONG_TIMEOUT_USEC,
                                   .step_timeout_usec = LONG_TIMEOUT_USEC };
        cr_assert_eq(scheduler_new(event, kernel, &config, &scheduler), 0);
}

/* For the tests whose point is a timeout: a command or an init that never ends, cut after
 * 300 ms or 500 ms. Every other step in those tests is a fake insert of a few microseconds. */
static void use_short_timeouts(void) {
        SchedulerConfig config = { .n_workers = 2, .command_timeout_usec = 300 * 1000,
                                   .step_timeout_usec = 500 * 1000 };
        scheduler = scheduler_free(scheduler);
        cr_assert_eq(scheduler_new(event, kernel, &config, &scheduler), 0);
}

static void teardown(void) {
        scheduler = scheduler_free(scheduler);
        kernel = kernel_free(kernel);
        event = sd_event_unref(event);
}

TestSuite(scheduler, .init = setup, .fini = teardown, .timeout = 60);

static void on_finished(Job *job, void *userdata) {
        Outcome *o = userdata;
        const Failure *f = job_failure(job);

        o->finished = true;
        o->failure.error = f->error;
        o->failure.kind = f->kind;
        o->failure.message = f->message ? strdup(f->message) : NULL;
        STRV_FOREACH(n, job_changed(job))
                cr_assert_eq(strv_extend(&o->changed, *n), 0);
        STRV_FOREACH(n, job_warnings(job))
                cr_assert_eq(strv_extend(&o->warnings, *n), 0);
}

static Outcome run(Plan *plan, unsigned flags) {
        Outcome o = {};
        cr_assert_eq(scheduler_submit(scheduler, plan, flags, false, NULL, on_finished, &o), 0);
        while (!o.finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        return o;
}

static void outcome_done(Outcome *o) {
        failure_done(&o->failure);
        strv_free(o->changed);
        strv_free(o->warnings);
}

static size_t add(Plan *p, PlanStepKind kind, const char *name, const char *path, const char *options,
                  const char *command) {
        size_t i;
        cr_assert_eq(plan_add_step(p, kind, name, path, options, command, &i), 0);
        return i;
}

static bool loaded(const char *name) {
        KernelModuleState s;
        cr_assert_eq(kernel_get_state(kernel, name, &s), 0);
        return s == KERNEL_MODULE_LIVE;
}

static Plan *plan_base_then_dep(void) {
        Plan *p;
        cr_assert_eq(plan_new("modctl_test_dep", &p), 0);
        size_t base = add(p, PLAN_STEP_INSERT, "modctl_test_base", KO("modctl_test_base"), "value=3", NULL);
        size_t dep = add(p, PLAN_STEP_INSERT, "modctl_test_dep", KO("modctl_test_dep"), NULL, NULL);
        cr_assert_eq(plan_step_add_dep(p, dep, base), 0);
        return p;
}

Test(scheduler, inserts_in_dependency_order_with_options) {
        Outcome o = run(plan_base_then_dep(), KERNEL_INSERT_IGNORE_VERMAGIC);

        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        cr_assert_eq(strv_length(o.changed), 2);
        cr_assert_str_eq(o.changed[0], "modctl_test_base");
        cr_assert_str_eq(o.changed[1], "modctl_test_dep");
        cr_assert(loaded("modctl_test_base") && loaded("modctl_test_dep"));

        _cleanup_free_ char *params = NULL;
        unsigned flags;
        cr_assert_eq(kernel_fake_get_params(kernel, "modctl_test_base", &params, &flags), 0);
        cr_assert_str_eq(params, "value=3");
        cr_assert_eq(flags, KERNEL_INSERT_IGNORE_VERMAGIC);
        outcome_done(&o);
}

Test(scheduler, already_loaded_is_success_but_not_reported) {
        Outcome first = run(plan_base_then_dep(), 0);
        outcome_done(&first);

        Outcome o = run(plan_base_then_dep(), 0);
        cr_assert_eq(o.failure.error, 0);
        cr_assert_eq(strv_length(o.changed), 0);
        outcome_done(&o);
}

Test(scheduler, failure_partway_unwinds_what_was_inserted) {
        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_dep", -ENODEV), 0);

        Outcome o = run(plan_base_then_dep(), 0);

        cr_assert_eq(o.failure.kind, FAILURE_KERNEL_REJECTED);
        cr_assert(strstr(o.failure.message, "modctl_test_dep"), "%s", o.failure.message);
        cr_assert(strstr(o.failure.message, "ENODEV"), "%s", o.failure.message);
        cr_assert(strstr(o.failure.message, "Removed again what this request had inserted: modctl_test_base"),
                  "%s", o.failure.message);
        cr_assert_eq(strv_length(o.changed), 0);
        cr_assert(!loaded("modctl_test_base"));
        cr_assert(!loaded("modctl_test_dep"));
        outcome_done(&o);
}

Test(scheduler, failure_first_step_says_nothing_left) {
        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_base", -EINVAL), 0);

        Outcome o = run(plan_base_then_dep(), 0);

        cr_assert_eq(o.failure.kind, FAILURE_KERNEL_REJECTED);
        cr_assert(strstr(o.failure.message, "Nothing was left loaded."), "%s", o.failure.message);
        cr_assert(strstr(o.failure.message, "unknown symbol or parameter"), "%s", o.failure.message);
        /* The dependent step never ran. */
        cr_assert_eq(kernel_fake_insert_calls(kernel), 1);
        outcome_done(&o);
}

Test(scheduler, unwinding_reports_what_stayed) {
        /* Another request holds base meanwhile (refcount), so unwinding cannot remove it. */
        Plan *p;
        cr_assert_eq(plan_new("modctl_test_dep", &p), 0);
        size_t base = add(p, PLAN_STEP_INSERT, "modctl_test_base", KO("modctl_test_base"), NULL, NULL);
        size_t hold = add(p, PLAN_STEP_COMMAND, "holder", NULL, NULL, "true");
        size_t dep = add(p, PLAN_STEP_INSERT, "modctl_test_dep", KO("modctl_test_dep"), NULL, NULL);
        cr_assert_eq(plan_step_add_dep(p, hold, base), 0);
        cr_assert_eq(plan_step_add_dep(p, dep, hold), 0);
        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_dep", -ENODEV), 0);

        /* Pin base as soon as it is in: run the loop until the first step is done. */
        Outcome o = {};
        cr_assert_eq(scheduler_submit(scheduler, p, 0, false, NULL, on_finished, &o), 0);
        while (!loaded("modctl_test_base"))
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(kernel_fake_set_refcount(kernel, "modctl_test_base", 1), 0);
        while (!o.finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);

        cr_assert_eq(o.failure.kind, FAILURE_KERNEL_REJECTED);
        cr_assert(strstr(o.failure.message, "Still loaded, could not be removed: modctl_test_base"),
                  "%s", o.failure.message);
        cr_assert_eq(strv_length(o.changed), 1);
        cr_assert(loaded("modctl_test_base"));
        outcome_done(&o);
}

Test(scheduler, optional_step_failure_is_a_warning) {
        Plan *p;
        cr_assert_eq(plan_new("modctl_test_soft", &p), 0);
        size_t pre = add(p, PLAN_STEP_INSERT, "modctl_test_fail", KO("modctl_test_fail"), NULL, NULL);
        p->steps[pre].optional = true;
        size_t target = add(p, PLAN_STEP_INSERT, "modctl_test_soft", KO("modctl_test_soft"), NULL, NULL);
        cr_assert_eq(plan_step_add_dep(p, target, pre), 0);
        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_fail", -ENODEV), 0);

        Outcome o = run(p, 0);

        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        cr_assert_eq(strv_length(o.changed), 1);
        cr_assert_str_eq(o.changed[0], "modctl_test_soft");
        cr_assert_eq(strv_length(o.warnings), 1);
        cr_assert(strstr(o.warnings[0], "modctl_test_fail"));
        outcome_done(&o);
}

Test(scheduler, independent_steps_run_in_parallel) {
        /* Each command blocks until the other one has run: only concurrent workers finish. */
        char dir[] = "/tmp/modctl-sched-XXXXXX", a[128], b[128];
        cr_assert_not_null(mkdtemp(dir));
        snprintf(a, sizeof(a), "%s/a", dir);
        snprintf(b, sizeof(b), "%s/b", dir);
        cr_assert_eq(mkfifo(a, 0600), 0);
        cr_assert_eq(mkfifo(b, 0600), 0);

        _cleanup_free_ char *one = NULL, *two = NULL;
        cr_assert_geq(asprintf(&one, "echo x > %s && read l < %s", a, b), 0);
        cr_assert_geq(asprintf(&two, "read l < %s && echo y > %s", a, b), 0);

        Plan *p;
        cr_assert_eq(plan_new("pair", &p), 0);
        add(p, PLAN_STEP_COMMAND, "one", NULL, NULL, one);
        add(p, PLAN_STEP_COMMAND, "two", NULL, NULL, two);

        Outcome o = run(p, 0);
        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        outcome_done(&o);
        unlink(a);
        unlink(b);
        rmdir(dir);
}

Test(scheduler, command_failure_and_timeout) {
        Plan *p;
        cr_assert_eq(plan_new("cmd", &p), 0);
        add(p, PLAN_STEP_COMMAND, "modctl_test_base", NULL, NULL, "exit 3");
        Outcome o = run(p, 0);
        cr_assert_eq(o.failure.kind, FAILURE_COMMAND_FAILED);
        cr_assert(strstr(o.failure.message, "exit status 3"), "%s", o.failure.message);
        outcome_done(&o);

        use_short_timeouts();
        cr_assert_eq(plan_new("cmd", &p), 0);
        add(p, PLAN_STEP_COMMAND, "modctl_test_base", NULL, NULL, "exec sleep 30");
        o = run(p, 0);
        cr_assert_eq(o.failure.kind, FAILURE_TIMEOUT);
        cr_assert(strstr(o.failure.message, "did not finish"), "%s", o.failure.message);
        outcome_done(&o);
}

Test(scheduler, command_that_loads_counts_as_inserted) {
        Plan *p;
        cr_assert_eq(plan_new("cmd", &p), 0);
        add(p, PLAN_STEP_COMMAND, "modctl_test_base", NULL, NULL, "test \"$MODPROBE_MODULE\" = modctl_test_base");
        Outcome o = run(p, 0);
        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        /* The command ran with the module's name but loaded nothing, so nothing is reported. */
        cr_assert_eq(strv_length(o.changed), 0);
        outcome_done(&o);
}

Test(scheduler, removal_rules) {
        Outcome o = run(plan_base_then_dep(), 0);
        outcome_done(&o);

        /* In use: the failure names the holder. */
        Plan *p;
        cr_assert_eq(plan_new("modctl_test_base", &p), 0);
        add(p, PLAN_STEP_REMOVE, "modctl_test_base", NULL, NULL, NULL);
        o = run(p, 0);
        cr_assert_eq(o.failure.kind, FAILURE_IN_USE);
        cr_assert(strstr(o.failure.message, "in use by: modctl_test_dep"), "%s", o.failure.message);
        outcome_done(&o);

        /* Like modprobe -r: the target, then dependencies only if nothing else uses them. */
        cr_assert_eq(plan_new("modctl_test_dep", &p), 0);
        size_t dep = add(p, PLAN_STEP_REMOVE, "modctl_test_dep", NULL, NULL, NULL);
        size_t base = add(p, PLAN_STEP_REMOVE, "modctl_test_base", NULL, NULL, NULL);
        p->steps[base].only_if_unused = true;
        cr_assert_eq(plan_step_add_dep(p, base, dep), 0);
        o = run(p, 0);
        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        cr_assert_eq(strv_length(o.changed), 2);
        cr_assert_str_eq(o.changed[0], "modctl_test_dep");
        cr_assert_str_eq(o.changed[1], "modctl_test_base");
        outcome_done(&o);

        /* Not loaded. */
        cr_assert_eq(plan_new("modctl_test_dep", &p), 0);
        add(p, PLAN_STEP_REMOVE, "modctl_test_dep", NULL, NULL, NULL);
        o = run(p, 0);
        cr_assert_eq(o.failure.kind, FAILURE_NOT_LOADED);
        outcome_done(&o);
}

Test(scheduler, unreadable_module_file) {
        Plan *p;
        cr_assert_eq(plan_new("ghost", &p), 0);
        add(p, PLAN_STEP_INSERT, "ghost", "/nonexistent/ghost.ko", NULL, NULL);
        Outcome o = run(p, 0);
        cr_assert_eq(o.failure.kind, FAILURE_BAD_MODULE);
        cr_assert(strstr(o.failure.message, "/nonexistent/ghost.ko"), "%s", o.failure.message);
        outcome_done(&o);
}

static Plan *plan_one(const char *name) {
        Plan *p;
        _cleanup_free_ char *path = NULL;
        cr_assert_geq(asprintf(&path, MODCTL_TEST_MODULES_DIR "/src/%s.ko", name), 0);
        cr_assert_eq(plan_new(name, &p), 0);
        add(p, PLAN_STEP_INSERT, name, path, NULL, NULL);
        return p;
}

static void wait_finished(Outcome *o) {
        while (!o->finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
}

Test(scheduler, module_shared_by_two_plans_is_inserted_once) {
        Outcome a = {}, b = {};

        /* While base's init "runs" for job a, job b needs base too: it must wait, not insert. */
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_base"), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_base"), 0, false, NULL, on_finished, &a), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_base_then_dep(), 0, false, NULL, on_finished, &b), 0);
        cr_assert(scheduler_module_in_flight(scheduler, "modctl_test_base"));
        cr_assert(!scheduler_module_in_flight(scheduler, "modctl_test_dep"));
        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_base"), 0);
        wait_finished(&a);
        wait_finished(&b);

        cr_assert_eq(a.failure.error, 0, "%s", a.failure.message);
        cr_assert_eq(b.failure.error, 0, "%s", b.failure.message);
        cr_assert_eq(strv_length(a.changed), 1);
        cr_assert_str_eq(a.changed[0], "modctl_test_base");
        cr_assert_eq(strv_length(b.changed), 1);
        cr_assert_str_eq(b.changed[0], "modctl_test_dep");
        cr_assert_eq(kernel_fake_insert_calls(kernel), 2u);
        outcome_done(&a);
        outcome_done(&b);
}

Test(scheduler, hanging_init_times_out_and_others_go_on) {
        Outcome hung = {}, other = {};
        use_short_timeouts();

        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_hang"), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_hang"), 0, false, NULL, on_finished, &hung), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_proprietary"), 0, false, NULL, on_finished, &other), 0);
        wait_finished(&other);
        cr_assert_eq(other.failure.error, 0, "%s", other.failure.message);

        wait_finished(&hung);
        cr_assert_eq(hung.failure.kind, FAILURE_TIMEOUT);
        cr_assert(strstr(hung.failure.message, "Module 'modctl_test_hang' did not finish initializing within"),
                  "%s", hung.failure.message);
        /* The init is still running in the kernel: one in-flight marker stays. */
        cr_assert(scheduler_module_in_flight(scheduler, "modctl_test_hang"));

        /* The pool stays usable while the hung worker is stuck... */
        Outcome after = run(plan_one("modctl_test_base"), 0);
        cr_assert_eq(after.failure.error, 0, "%s", after.failure.message);
        outcome_done(&after);

        /* ...and a new request for the stuck module fails at once instead of blocking another
         * worker behind the same init. */
        for (int i = 0; i < 4; i++) {
                Outcome dup = run(plan_one("modctl_test_hang"), 0);
                cr_assert_eq(dup.failure.kind, FAILURE_TIMEOUT);
                cr_assert(strstr(dup.failure.message, "still initializing from an earlier request"), "%s",
                          dup.failure.message);
                outcome_done(&dup);
        }

        /* When the init finally returns, the marker goes and the module is there. */
        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_hang"), 0);
        while (scheduler_module_in_flight(scheduler, "modctl_test_hang"))
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        Outcome again = run(plan_one("modctl_test_hang"), 0);
        cr_assert_eq(again.failure.error, 0, "%s", again.failure.message);
        cr_assert(loaded("modctl_test_hang"));
        outcome_done(&hung);
        outcome_done(&other);
        outcome_done(&again);
}

typedef struct InsertSeen {
        unsigned n;
        char *name;
        uint64_t running_usec;
        bool timed_out;
} InsertSeen;

static void on_insert(const char *name, uint64_t running_usec, bool timed_out, void *userdata) {
        InsertSeen *seen = userdata;

        seen->n++;
        free(seen->name);
        seen->name = strdup(name);
        seen->running_usec = running_usec;
        seen->timed_out = timed_out;
}

/* An init that does not return is reported as running, with how long, also after its request
 * gave up on it; once it returns it is not reported any more. */
Test(scheduler, foreach_insert_reports_a_stuck_init) {
        Outcome hung = {};
        InsertSeen seen = {};
        use_short_timeouts();

        scheduler_foreach_insert(scheduler, on_insert, &seen);
        cr_assert_eq(seen.n, 0);

        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_hang"), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_hang"), 0, false, NULL, on_finished, &hung), 0);
        wait_finished(&hung);
        cr_assert_eq(hung.failure.kind, FAILURE_TIMEOUT);

        scheduler_foreach_insert(scheduler, on_insert, &seen);
        cr_assert_eq(seen.n, 1);
        cr_assert_str_eq(seen.name, "modctl_test_hang");
        cr_assert(seen.timed_out);
        /* The timeout (500 ms) counts from when the worker took the insert. */
        cr_assert_geq(seen.running_usec, 500 * 1000, "running for %llu us", (unsigned long long) seen.running_usec);

        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_hang"), 0);
        while (scheduler_module_in_flight(scheduler, "modctl_test_hang"))
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        seen.n = 0;
        scheduler_foreach_insert(scheduler, on_insert, &seen);
        cr_assert_eq(seen.n, 0, "still reported: %s", seen.name);
        free(seen.name);
        outcome_done(&hung);
}

/* Stopping never waits for a module init that does not return: the stuck worker is left
 * behind after the grace period. */
Test(scheduler, free_abandons_a_stuck_worker) {
        Outcome hung = {};
        use_short_timeouts();

        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_hang"), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_hang"), 0, false, NULL, on_finished, &hung), 0);
        wait_finished(&hung);
        cr_assert_eq(hung.failure.kind, FAILURE_TIMEOUT);
        outcome_done(&hung);

        usec_t start = now_usec(CLOCK_MONOTONIC);
        scheduler = scheduler_free(scheduler);
        usec_t took = now_usec(CLOCK_MONOTONIC) - start;
        /* The grace period is the point; joining the other worker may be slow on a loaded host. */
        cr_assert_lt(took, SCHEDULER_STOP_GRACE_USEC + 20 * USEC_PER_SEC, "stopping took %llu us",
                     (unsigned long long) took);
        cr_assert_geq(took, SCHEDULER_STOP_GRACE_USEC - USEC_PER_SEC / 10);
        /* The stuck worker still runs inside the fake kernel: leave both to the process exit. */
        kernel = NULL;
}

Test(scheduler, urgent_job_gets_a_worker_when_all_are_busy) {
        Outcome a = {}, b = {}, k = {};

        /* Both workers sit in inits that wait for something (as an init waiting on a kernel
         * request would); the kernel's request must still be served. */
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_base"), 0);
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_fail"), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_base"), 0, false, NULL, on_finished, &a), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_fail"), 0, false, NULL, on_finished, &b), 0);
        cr_assert_eq(scheduler_submit(scheduler, plan_one("modctl_test_soft"), 0, true, NULL, on_finished, &k), 0);
        wait_finished(&k);
        cr_assert_eq(k.failure.error, 0, "%s", k.failure.message);
        cr_assert(!a.finished && !b.finished);

        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_base"), 0);
        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_fail"), 0);
        wait_finished(&a);
        wait_finished(&b);
        outcome_done(&a);
        outcome_done(&b);
        outcome_done(&k);
}

typedef struct PrepareProbe {
        int wait_fd;            /* the prepare step blocks on this until the test writes to it */
        FailureKind kind;       /* what the prepare step fails with, 0 to succeed */
        bool done_called;
} PrepareProbe;

static int probe_run(Plan *plan, void *userdata, Failure *failure) {
        PrepareProbe *p = userdata;
        char c;

        if (read(p->wait_fd, &c, 1) != 1)
                return failure_set(failure, FAILURE_INTERNAL, "probe: no byte");
        if (p->kind)
                return failure_set(failure, p->kind, "Policy denies loading '%s'.", plan->request);
        /* Hand the scheduler an already opened file, as the policy does. */
        plan->steps[0].fd = open(KO("modctl_test_base"), O_RDONLY | O_CLOEXEC);
        return plan->steps[0].fd < 0 ? -errno : 0;
}

static void probe_done(void *userdata) {
        ((PrepareProbe *) userdata)->done_called = true;
}

static Outcome run_prepared(PrepareProbe *probe) {
        int pipefd[2];
        Outcome o = {};

        cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
        probe->wait_fd = pipefd[0];
        JobPrepare prepare = { probe_run, probe_done, probe };
        /* The plan names a path that does not exist: only the prepared fd can satisfy it. */
        Plan *p;
        cr_assert_eq(plan_new("modctl_test_base", &p), 0);
        add(p, PLAN_STEP_INSERT, "modctl_test_base", "/nonexistent/modctl_test_base.ko", NULL, NULL);
        /* submit() returns while the prepare step waits: it runs on a worker, not here. */
        cr_assert_eq(scheduler_submit(scheduler, p, 0, false, &prepare, on_finished, &o), 0);
        cr_assert(!o.finished);
        cr_assert_eq(write(pipefd[1], "x", 1), 1);
        wait_finished(&o);
        close(pipefd[0]);
        close(pipefd[1]);
        return o;
}

Test(scheduler, prepare_runs_on_a_worker_and_hands_over_fds) {
        PrepareProbe probe = {};
        Outcome o = run_prepared(&probe);

        cr_assert_eq(o.failure.error, 0, "%s", o.failure.message);
        cr_assert(probe.done_called);
        cr_assert_eq(strv_length(o.changed), 1);
        cr_assert(loaded("modctl_test_base"));
        outcome_done(&o);
}

Test(scheduler, prepare_failure_inserts_nothing) {
        PrepareProbe probe = { .kind = FAILURE_INVALID_ARGUMENT };
        Outcome o = run_prepared(&probe);

        cr_assert_eq(o.failure.kind, FAILURE_INVALID_ARGUMENT);
        cr_assert_str_eq(o.failure.message, "Policy denies loading 'modctl_test_base'.");
        cr_assert(!probe.done_called);
        cr_assert_eq(kernel_fake_insert_calls(kernel), 0u);
        cr_assert_eq(strv_length(o.changed), 0);
        outcome_done(&o);
}

/* With one worker busy, a job whose steps form a long chain goes before a short job submitted
 * earlier: the ready step that starts the longest chain is taken first. */
Test(scheduler, longest_chain_first) {
        char dir[] = "/tmp/modctl-sched-XXXXXX", fifo[128], log[128];
        Scheduler *one = NULL;
        SchedulerConfig config = { .n_workers = 1, .command_timeout_usec = 10 * 1000 * 1000 };
        Outcome blocker = {}, shortjob = {}, chain = {};
        _cleanup_free_ char *wait_cmd = NULL, *cmd[4] = {};
        const char *names[] = { "a1", "b1", "b2", "b3" };
        Plan *p;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(fifo, sizeof(fifo), "%s/go", dir);
        snprintf(log, sizeof(log), "%s/log", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_assert_geq(asprintf(&wait_cmd, "read l < %s", fifo), 0);
        for (size_t i = 0; i < 4; i++)
                cr_assert_geq(asprintf(&cmd[i], "echo %s >> %s", names[i], log), 0);
        cr_assert_eq(scheduler_new(event, kernel, &config, &one), 0);

        /* The only worker waits on the fifo. */
        cr_assert_eq(plan_new("blocker", &p), 0);
        add(p, PLAN_STEP_COMMAND, "blocker", NULL, NULL, wait_cmd);
        cr_assert_eq(scheduler_submit(one, p, 0, false, NULL, on_finished, &blocker), 0);

        /* Then a job of one step, then a chain of three. */
        cr_assert_eq(plan_new("short", &p), 0);
        add(p, PLAN_STEP_COMMAND, "a1", NULL, NULL, cmd[0]);
        cr_assert_eq(scheduler_submit(one, p, 0, false, NULL, on_finished, &shortjob), 0);
        cr_assert_eq(plan_new("chain", &p), 0);
        size_t b1 = add(p, PLAN_STEP_COMMAND, "b1", NULL, NULL, cmd[1]);
        size_t b2 = add(p, PLAN_STEP_COMMAND, "b2", NULL, NULL, cmd[2]);
        size_t b3 = add(p, PLAN_STEP_COMMAND, "b3", NULL, NULL, cmd[3]);
        cr_assert_eq(plan_step_add_dep(p, b2, b1), 0);
        cr_assert_eq(plan_step_add_dep(p, b3, b2), 0);
        cr_assert_eq(scheduler_submit(one, p, 0, false, NULL, on_finished, &chain), 0);

        int fd = open(fifo, O_WRONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "go\n", 3), 3);
        close(fd);
        while (!blocker.finished || !shortjob.finished || !chain.finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(shortjob.failure.error, 0, "%s", shortjob.failure.message);
        cr_assert_eq(chain.failure.error, 0, "%s", chain.failure.message);

        char buf[64] = {};
        FILE *f = fopen(log, "re");
        cr_assert_not_null(f);
        cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
        fclose(f);
        /* b1 starts the longest chain, so it goes first though a1 was queued before it; once b1
         * is done, a1 and b2 race (the worker may take a1 before the loop queues b2). */
        cr_assert(strncmp(buf, "b1\n", 3) == 0, "order: %s", buf);
        cr_assert(strcmp(buf, "b1\na1\nb2\nb3\n") == 0 || strcmp(buf, "b1\nb2\na1\nb3\n") == 0 ||
                  strcmp(buf, "b1\nb2\nb3\na1\n") == 0, "order: %s", buf);

        outcome_done(&blocker);
        outcome_done(&shortjob);
        outcome_done(&chain);
        scheduler_free(one);
        unlink(fifo);
        unlink(log);
        rmdir(dir);
}

/* LoadTimeoutSec= bounds a module's init, not its wait for a worker: with the only worker busy
 * longer than the step timeout (500 ms here), a queued insert still succeeds once it runs. */
Test(scheduler, waiting_for_a_worker_is_not_init_time) {
        Scheduler *one = NULL;
        SchedulerConfig config = { .n_workers = 1, .command_timeout_usec = 10 * 1000 * 1000,
                                   .step_timeout_usec = 500 * 1000 };
        Outcome busy = {}, queued = {};
        Plan *p;

        cr_assert_eq(scheduler_new(event, kernel, &config, &one), 0);
        cr_assert_eq(plan_new("busy", &p), 0);
        add(p, PLAN_STEP_COMMAND, "busy", NULL, NULL, "sleep 1.5");
        cr_assert_eq(scheduler_submit(one, p, 0, false, NULL, on_finished, &busy), 0);
        cr_assert_eq(scheduler_submit(one, plan_one("modctl_test_base"), 0, false, NULL, on_finished, &queued), 0);

        while (!busy.finished || !queued.finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(busy.failure.error, 0, "%s", busy.failure.message);
        cr_assert_eq(queued.failure.error, 0, "%s", queued.failure.message);
        cr_assert(loaded("modctl_test_base"));

        /* An init that does run too long still times out, counted from its start. */
        Outcome hung = {};
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_hang"), 0);
        cr_assert_eq(scheduler_submit(one, plan_one("modctl_test_hang"), 0, false, NULL, on_finished, &hung), 0);
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        while (!hung.finished)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(hung.failure.kind, FAILURE_TIMEOUT, "%s", strempty(hung.failure.message));
        cr_assert_geq(now_usec(CLOCK_MONOTONIC) - t0, 500 * 1000);
        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_hang"), 0);

        outcome_done(&busy);
        outcome_done(&queued);
        outcome_done(&hung);
        scheduler_free(one);
}
