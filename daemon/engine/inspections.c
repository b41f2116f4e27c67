/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strv.h"
#include "core/inspector.h"
#include "core/module-file.h"
#include "engine/inspections.h"
#include "modctl-values.h"

struct Inspections {
        Inspector *inspector;
        Resolver *resolver;          /* the inspector thread's own */
        bool resolver_stale;         /* atomic: the index changed, the thread reloads first */
        bool refresh;                /* no index watch: check the files' timestamps first */
        Kernel *kernel;              /* not owned, thread-safe */
        PolicySnapshot *policy;
        SettingsPaths *settings_paths;
        void (*check_files)(void *userdata);
        void *check_files_userdata;
};

/* Everything one inspection uses, taken on the event loop when it is submitted: the thread sees
 * only this and the resolver. */
typedef struct Inspection {
        Inspections *owner;
        PolicySnapshot *policy;
        InspectKind kind;
        char *name, *params;
        uint64_t flags;
        Caller caller;               /* whom the plan is shown to; gids points to caller_gids */
        gid_t *caller_gids;
        SettingsPaths *settings_paths; /* a copy: the thread reads modprobe.d to judge what caller may see */
        InspectResult result;
        inspect_result_t done;
        void *userdata;
} Inspection;

static Inspection *inspection_free(Inspection *x) {
        if (!x)
                return NULL;
        policy_snapshot_unref(x->policy);
        free(x->name);
        free(x->params);
        free(x->caller_gids);
        settings_paths_free(x->settings_paths);
        failure_done(&x->result.failure);
        plan_free(x->result.plan);
        policy_report_free(x->result.report);
        strv_free(x->result.lines);
        strv_free(x->result.pairs);
        free(x);
        return NULL;
}
static inline void inspection_freep(Inspection **x) { inspection_free(*x); }

static int hide_step(const SettingsState *s, const Caller *caller, const Plan *plan, PlanStep *step) {
        const char *file = NULL;
        char *hidden;

        if (step->kind == PLAN_STEP_COMMAND &&
            settings_line_hidden(s, caller, SETTINGS_LINE_COMMAND, step->name, plan->request, &file)) {
                if (asprintf(&hidden, "<" MODCTL_NOT_READABLE ": %s>", file) < 0)
                        return -ENOMEM;
                free(step->command);
                step->command = hidden;
                free(step->config_command);
                step->config_command = strdup(hidden);
                if (!step->config_command)
                        return -ENOMEM;
        }
        if (step->options && step->options[0] &&
            settings_line_hidden(s, caller, SETTINGS_LINE_OPTIONS, step->name, plan->request, &file)) {
                if (asprintf(&hidden, "<options " MODCTL_NOT_READABLE ": %s>", file) < 0)
                        return -ENOMEM;
                free(step->options);
                step->options = hidden;
        }
        return 0;
}

/* A plan is shown only as far as its caller could read the modprobe.d files it comes from: an
 * install command, or the options, that a line of a file the caller cannot read may have made
 * show as MODCTL_NOT_READABLE and that file's name. The plan of an inspection is never run. */
static int hide_unreadable(Inspection *x, Plan *plan, Failure *failure) {
        _cleanup_(settings_state_freep) SettingsState *s = NULL;
        int r;

        if (caller_is_privileged(&x->caller))
                return 0;
        r = settings_state_load(x->settings_paths, &s);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot read modprobe.d to tell what "
                                         "the plan of '%s' may show: %s.", x->name, strerror(-r));
        for (size_t i = 0; i < plan->n_steps; i++)
                if (hide_step(s, &x->caller, plan, &plan->steps[i]) < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.",
                                           x->name);
        return 0;
}

static int inspect_check_policy(Inspection *x, Plan **ret_plan, PolicyReport **ret_report, Failure *failure) {
        _cleanup_(policy_report_freep) PolicyReport *report = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        PolicyContext ctx = policy_snapshot_context(x->policy, x->flags);
        int r;

        r = resolver_plan_load(x->owner->resolver, x->owner->kernel, x->name, x->params, x->flags, &plan, failure);
        if (r >= 0)
                r = policy_evaluate_plan(&x->policy->config->policy, &ctx, plan, POLICY_EVALUATE_TAINT, &report,
                                         failure);
        policy_context_done(&ctx);
        if (r >= 0)
                r = hide_unreadable(x, plan, failure);
        if (r < 0)
                return r;
        *ret_plan = TAKE_PTR(plan);
        *ret_report = TAKE_PTR(report);
        return 0;
}

static int push_taint_line(char ***lines, const PolicyVerdict *v) {
        char *line;

        if (asprintf(&line, "taint %s %s", v->module, v->taint) < 0)
                return -ENOMEM;
        if (strv_push(lines, line) < 0) {
                free(line);
                return -ENOMEM;
        }
        return 0;
}

/* Load --dry-run: the plan's steps like modprobe -D, and no more: no module file is opened and
 * no rule is judged. */
static int inspect_plan_only(Inspection *x, char ***ret_lines, Failure *failure) {
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        int r;

        r = resolver_plan_load(x->owner->resolver, x->owner->kernel, x->name, x->params, x->flags, &plan, failure);
        if (r >= 0)
                r = hide_unreadable(x, plan, failure);
        if (r < 0)
                return r;
        if (plan_describe(plan, &lines) < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

/* Load --dry-run with MODCTL_LOAD_VERDICTS: the plan's steps like modprobe -D, then "taint NAME
 * LETTERS" for each module predicted to taint the kernel; fails like the load would on a
 * policy denial. Without the flag, only the steps (inspect_plan_only()). */
static int inspect_dry_run(Inspection *x, char ***ret_lines, Failure *failure) {
        _cleanup_(policy_report_freep) PolicyReport *report = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        const PolicyVerdict *v;
        int r;

        if (!(x->flags & MODCTL_LOAD_VERDICTS))
                return inspect_plan_only(x, ret_lines, failure);

        r = inspect_check_policy(x, &plan, &report, failure);
        if (r < 0)
                return r;
        v = policy_report_first_objection(report);
        if (v && v->decision == POLICY_DENY)
                return failure_set(failure, FAILURE_POLICY_DENIED, "Policy denies loading '%s' (rule %s): %s",
                                   plan->request, v->rule, v->reason);

        r = plan_describe(plan, &lines);
        for (size_t i = 0; r >= 0 && i < report->n; i++)
                if (report->verdicts[i].taint[0])
                        r = push_taint_line(&lines, &report->verdicts[i]);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

/* The taint letters loading the module file at path would set. */
static int predict_taint(Inspection *x, const char *path, char taint[static POLICY_TAINT_MAX]) {
        _cleanup_(closep) int fd = -EBADF;
        PolicyVerdict v = {};
        unsigned flags;
        int r;

        r = module_file_open(path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        PolicyContext ctx = policy_snapshot_context(x->policy, 0);
        r = policy_check_fd(&x->policy->config->policy, &ctx, x->name, fd, &v);
        policy_context_done(&ctx);
        if (r < 0)
                return r;
        memcpy(taint, v.taint, POLICY_TAINT_MAX);
        policy_verdict_done(&v);
        return 0;
}

/* "refused": why a load of the module would be refused by its name whatever its bytes (the
 * kernel command line's module_blacklist=, Deny=, Allow=), in the policy's own sentence. */
static int add_refusal(Inspection *x, char ***pairs) {
        _cleanup_(policy_verdict_done) PolicyVerdict v = {};
        const char *name = x->name;
        int r;

        for (char **p = *pairs; p && p[0] && p[1]; p += 2)
                if (strcmp(p[0], "name") == 0 && p[1][0])
                        name = p[1];
        r = policy_check_name(&x->policy->config->policy, name, &v);
        if (r < 0)
                return r;
        if (v.decision != POLICY_DENY || !v.reason)
                return 0;
        if (strv_extend(pairs, "refused") < 0 || strv_extend(pairs, v.reason) < 0)
                return -ENOMEM;
        return 0;
}

/* modinfo, then what loading it would taint, from the same checks the policy makes, and why the
 * policy would refuse it. */
static int inspect_info(Inspection *x, char ***ret_pairs, Failure *failure) {
        _cleanup_(strv_freep) char **pairs = NULL;
        char taint[POLICY_TAINT_MAX];
        int r;

        r = resolver_module_info(x->owner->resolver, x->name, &pairs, failure);
        if (r < 0)
                return r;
        if (pairs && pairs[0] && pairs[1] && strcmp(pairs[0], "filename") == 0 && pairs[1][0] == '/') {
                r = predict_taint(x, pairs[1], taint);
                if (r < 0)
                        log_debug_errno(r, "Cannot predict the taint of %s (%s): %m", x->name, pairs[1]);
                else if (strv_extend(&pairs, "taint_prediction") < 0 || strv_extend(&pairs, taint) < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading '%s'.", x->name);
        }
        r = add_refusal(x, &pairs);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading '%s'.", x->name);
        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

static int inspection_run(void *userdata) {
        Inspection *x = userdata;
        InspectResult *res = &x->result;

        if (__atomic_exchange_n(&x->owner->resolver_stale, false, __ATOMIC_ACQ_REL))
                (void) resolver_reload(x->owner->resolver);
        else if (__atomic_load_n(&x->owner->refresh, __ATOMIC_ACQUIRE))
                (void) resolver_refresh(x->owner->resolver);

        switch (x->kind) {
        case INSPECT_CHECK_POLICY:
                return inspect_check_policy(x, &res->plan, &res->report, &res->failure);
        case INSPECT_DRY_RUN:
                return inspect_dry_run(x, &res->lines, &res->failure);
        case INSPECT_INFO:
                return inspect_info(x, &res->pairs, &res->failure);
        }
        return failure_set(&res->failure, FAILURE_INTERNAL, "Unknown inspection of '%s'.", x->name);
}

static void inspection_done(int result, void *userdata) {
        _cleanup_(inspection_freep) Inspection *x = userdata;

        if (result == -ECANCELED && !x->result.failure.message)
                failure_set(&x->result.failure, FAILURE_INTERNAL, "modctld is stopping; '%s' was not inspected.",
                            x->name);
        else if (result < 0 && !x->result.failure.message)
                failure_set(&x->result.failure, FAILURE_INTERNAL, "Cannot inspect '%s': %s.", x->name,
                            strerror(-result));
        x->done(&x->result, x->userdata);
}

static int inspection_new(Inspections *owner, const Caller *caller, InspectKind kind, const char *name,
                          const char *params, uint64_t flags, Inspection **ret) {
        _cleanup_(inspection_freep) Inspection *x = NULL;
        const SettingsPaths *p = owner->settings_paths;

        x = calloc(1, sizeof(Inspection));
        if (!x)
                return -ENOMEM;
        x->owner = owner;
        x->policy = policy_snapshot_ref(owner->policy);
        x->kind = kind;
        x->flags = flags;
        x->name = strdup(name);
        x->params = params ? strdup(params) : NULL;
        x->caller = *caller;
        if (caller->n_gids) {
                x->caller_gids = malloc(caller->n_gids * sizeof(gid_t));
                if (!x->caller_gids)
                        return -ENOMEM;
                memcpy(x->caller_gids, caller->gids, caller->n_gids * sizeof(gid_t));
        }
        x->caller.gids = x->caller_gids;
        if (!x->name || (params && !x->params))
                return -ENOMEM;
        int r = settings_paths_new(p->root, p->modprobe_paths, p->cmdline, &x->settings_paths);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(x);
        return 0;
}

int inspections_submit(Inspections *x, uid_t owner, bool privileged, const Caller *caller, InspectKind kind,
                       const char *name, const char *params, uint64_t flags, inspect_result_t done, void *userdata) {
        _cleanup_(inspection_freep) Inspection *i = NULL;
        int r;

        assert(x);
        assert(x->policy);
        assert(caller);
        assert(name);
        assert(done);

        if (x->check_files)
                x->check_files(x->check_files_userdata);
        r = inspection_new(x, caller, kind, name, params, flags, &i);
        if (r < 0)
                return r;
        i->done = done;
        i->userdata = userdata;
        r = inspector_submit(x->inspector, owner, privileged, inspection_run, inspection_done, i);
        if (r < 0)
                return r;
        TAKE_PTR(i); /* inspection_done() frees it */
        return 0;
}

int inspections_new(sd_event *event, const ResolverConfig *resolver, Kernel *kernel,
                    const SettingsPaths *settings_paths, Inspections **ret) {
        _cleanup_(inspections_freep) Inspections *x = NULL;
        int r;

        assert(event);
        assert(resolver);
        assert(kernel);
        assert(settings_paths);
        assert(ret);

        x = calloc(1, sizeof(Inspections));
        if (!x)
                return -ENOMEM;
        x->kernel = kernel;
        x->refresh = true;
        r = settings_paths_new(settings_paths->root, settings_paths->modprobe_paths, settings_paths->cmdline,
                               &x->settings_paths);
        if (r < 0)
                return r;
        r = resolver_new(resolver, &x->resolver);
        if (r < 0)
                return r;
        r = inspector_new(event,
                          &(const InspectorConfig) { .max_queued = INSPECTIONS_MAX,
                                                     .max_per_owner = INSPECTIONS_PER_UID_MAX },
                          &x->inspector);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(x);
        return 0;
}

Inspections *inspections_free(Inspections *x) {
        if (!x)
                return NULL;
        /* The thread first: a running inspection uses the rest. */
        inspector_free(x->inspector);
        resolver_free(x->resolver);
        policy_snapshot_unref(x->policy);
        settings_paths_free(x->settings_paths);
        free(x);
        return NULL;
}

void inspections_set_policy(Inspections *x, PolicySnapshot *snapshot) {
        assert(x);
        assert(snapshot);

        policy_snapshot_unref(x->policy);
        x->policy = policy_snapshot_ref(snapshot);
}

void inspections_set_refresh(Inspections *x, void (*refresh)(void *userdata), void *userdata) {
        assert(x);
        x->check_files = refresh;
        x->check_files_userdata = userdata;
}

void inspections_set_index_watched(Inspections *x, bool watched) {
        assert(x);
        __atomic_store_n(&x->refresh, !watched, __ATOMIC_RELEASE);
}

void inspections_invalidate(Inspections *x) {
        assert(x);
        __atomic_store_n(&x->resolver_stale, true, __ATOMIC_RELEASE);
}
