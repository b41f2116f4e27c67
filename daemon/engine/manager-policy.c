/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of the policy: the configuration and certificates in force, reloads,
 * and running policy.c over a plan before the scheduler sees it. */

#include <assert.h>
#include <string.h>

#include "core/kernel-image.h"
#include "common/log.h"
#include "engine/manager-private.h"
#include "core/module-file.h"
#include "modctl-bus.h"
#include "common/strv.h"
#include "kernel/kernel.h"

static int kernel_keys(void *userdata, char ***ret) {
        return kernel_trusted_keys(userdata, ret);
}

static PolicyContext context(Kernel *kernel, const char *kernel_release, const TrustStore *trust,
                             const TrustStore *kernel_trust, const char *kernel_trust_error, uint64_t flags) {
        return (PolicyContext) {
                .kernel_release = kernel_release,
                .trust = trust,
                .kernel_trust = kernel_trust,
                .kernel_trust_error = kernel_trust_error,
                .kernel_keys = kernel_keys,
                .kernel_keys_userdata = kernel,
                .forced = flags & (MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION),
        };
}

static int load_trust(const Config *c, TrustStore **ret, Failure *failure) {
        _cleanup_free_ char *bad = NULL;
        int r;

        r = trust_store_load(c->policy.trusted_certificates, ret, &bad);
        if (r == -EBADMSG)
                return failure_set(failure, FAILURE_INVALID_CONFIG, "%s: not a PEM or DER X.509 certificate "
                                   "(TrustedCertificates=%s).", bad, c->policy.trusted_certificates);
        if (r < 0)
                return failure_set(failure, FAILURE_INVALID_CONFIG, "TrustedCertificates=%s: %s.",
                                   c->policy.trusted_certificates, strerror(-r));
        return 0;
}

/* Signature=kernel: the certificates the running kernel trusts, each confirmed by a key the
 * kernel lists with the same CN and subject key id. They come from the kernel image
 * (/boot/vmlinuz-<release>, its built-in keys) and from TrustedCertificates= (for keys added
 * later: the secondary keyring, MOK). Without any, *ret_error says why, and Signature=kernel
 * refuses every module with that reason. */
static int load_kernel_trust(Manager *m, const Config *c, const TrustStore *trusted, TrustStore **ret,
                             char **ret_error) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        _cleanup_(strv_freep) char **keys = NULL;
        _cleanup_free_ char *image = NULL;
        int r, from_image, from_dir;

        *ret = NULL;
        *ret_error = NULL;
        if (c->policy.signature != POLICY_SIGNATURE_KERNEL)
                return 0;

        r = trust_store_new(&s);
        if (r < 0)
                return r;
        r = kernel_trusted_keys(m->kernel, &keys);
        if (r < 0)
                return asprintf(ret_error, "the kernel's trusted keys cannot be listed (%s)", strerror(-r)) < 0
                       ? -ENOMEM : 0;
        if (strv_length(keys) == 0)
                return (*ret_error = strdup("the kernel lists no trusted keys")) ? 0 : -ENOMEM;

        if (asprintf(&image, "%s/boot/vmlinuz-%s", strempty(m->config_root), resolver_kernel_release(m->resolver)) < 0)
                return -ENOMEM;
        from_image = kernel_image_add_certificates(image, keys, s);
        if (from_image == -ENOMEM)
                return from_image;
        from_dir = trust_store_add_kernel_keys(s, trusted, keys);
        if (from_dir < 0)
                return from_dir;

        if (trust_store_size(s) == 0) {
                if (asprintf(ret_error, "none of the %zu keys it lists has a certificate here (%s: %s; %s: none "
                             "matching)", strv_length(keys), image,
                             from_image < 0 ? strerror(-from_image) : "none matching",
                             c->policy.trusted_certificates) < 0)
                        return -ENOMEM;
                log_warning("Signature=kernel: %s; every signed module will be refused.", *ret_error);
                return 0;
        }
        log_info("Signature=kernel: %zu certificate(s) the kernel trusts (%d from %s, %d from %s).",
                 trust_store_size(s), MAX(from_image, 0), image, from_dir, c->policy.trusted_certificates);
        *ret = TAKE_PTR(s);
        return 0;
}

int manager_policy_init(Manager *m, Failure *failure) {
        assert(m);

        return load_trust(m->config, &m->trust, failure);
}

int manager_policy_start(Manager *m) {
        assert(m);

        return load_kernel_trust(m, m->config, m->trust, &m->kernel_trust, &m->kernel_trust_error);
}

int manager_reload_config(Manager *m, Failure *failure) {
        _cleanup_(config_unrefp) Config *c = NULL;
        _cleanup_(trust_store_unrefp) TrustStore *t = NULL;
        int r;

        assert(m);

        r = config_load(m->config_root, &c, failure);
        if (r >= 0)
                r = load_trust(c, &t, failure);
        if (r < 0) {
                /* Every bad line is a configuration error, whatever errno the parser used. */
                if (failure) {
                        failure->kind = FAILURE_INVALID_CONFIG;
                        failure->error = -failure_kind_to_errno(FAILURE_INVALID_CONFIG);
                }
                log_error("Not reloading the configuration, the previous one stays in force: %s",
                          failure ? strempty(failure->message) : "");
                MANAGER_EMIT(m, config_reloaded, false, failure ? strempty(failure->message) : "");
                return -failure_kind_to_errno(FAILURE_INVALID_CONFIG);
        }

        _cleanup_(trust_store_unrefp) TrustStore *kt = NULL;
        _cleanup_free_ char *kt_error = NULL;
        r = load_kernel_trust(m, c, t, &kt, &kt_error);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot load the kernel's certificates: %s.", strerror(-r));

        config_unref(m->config);
        m->config = TAKE_PTR(c);
        trust_store_unref(m->trust);
        m->trust = TAKE_PTR(t);
        trust_store_unref(m->kernel_trust);
        m->kernel_trust = TAKE_PTR(kt);
        free(m->kernel_trust_error);
        m->kernel_trust_error = TAKE_PTR(kt_error);
        log_info("Configuration reloaded: Mode=%s License=%s Signature=%s, %zu trusted certificate(s).",
                 policy_mode_to_string(m->config->policy.mode), policy_license_to_string(m->config->policy.license),
                 policy_signature_to_string(m->config->policy.signature), trust_store_size(m->trust));
        manager_ownership_reload(m);
        /* Autoload listens too: it coldplugs what the new configuration allows. */
        MANAGER_EMIT(m, config_reloaded, true, "");
        /* Deny= and Allow= decide what the modules report as Disabled. */
        MANAGER_EMIT0(m, settings_changed);
        return 0;
}

/* One policy decision over one plan. It runs on a worker (reading and checking module files
 * takes time), so it holds references to the configuration and certificates it started with:
 * a reload meanwhile does not change them under it. */
struct PolicyRun {
        Manager *manager;         /* event loop side only */
        Config *config;
        TrustStore *trust;
        TrustStore *kernel_trust;
        char *kernel_trust_error;
        Kernel *kernel;           /* thread-safe */
        char *kernel_release;
        uint64_t flags;
        const char *origin;
        PolicyReport *report;     /* the worker's, read once it is done */
};

PolicyRun *policy_run_free(PolicyRun *p) {
        if (!p)
                return NULL;
        config_unref(p->config);
        trust_store_unref(p->trust);
        trust_store_unref(p->kernel_trust);
        free(p->kernel_trust_error);
        free(p->kernel_release);
        policy_report_free(p->report);
        free(p);
        return NULL;
}

int manager_policy_run_new(Manager *m, uint64_t flags, const char *origin, PolicyRun **ret) {
        PolicyRun *p;

        assert(m);
        assert(ret);

        if (m->config->policy.mode == POLICY_MODE_OFF) {
                *ret = NULL;
                return 0;
        }
        p = calloc(1, sizeof(PolicyRun));
        if (!p)
                return -ENOMEM;
        p->kernel_release = strdup(resolver_kernel_release(m->resolver));
        if (!p->kernel_release) {
                free(p);
                return -ENOMEM;
        }
        p->manager = m;
        p->config = config_ref(m->config);
        p->trust = trust_store_ref(m->trust);
        p->kernel_trust = trust_store_ref(m->kernel_trust);
        if (m->kernel_trust_error && !(p->kernel_trust_error = strdup(m->kernel_trust_error))) {
                policy_run_free(p);
                return -ENOMEM;
        }
        p->kernel = m->kernel;
        p->flags = flags;
        p->origin = origin;
        *ret = p;
        return 0;
}

int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure) {
        PolicyRun *p = userdata;

        assert(plan);

        PolicyContext ctx = context(p->kernel, p->kernel_release, p->trust, p->kernel_trust, p->kernel_trust_error, p->flags);
        const PolicyVerdict *v;
        int r;

        r = policy_evaluate_plan(&p->config->policy, &ctx, plan, POLICY_EVALUATE_KEEP_FDS, &p->report, failure);
        policy_context_done(&ctx);
        if (r < 0)
                return r;

        v = policy_report_first_objection(p->report);
        if (v && v->decision == POLICY_DENY)
                return failure_set(failure, FAILURE_POLICY_DENIED,
                                   "Policy denies loading '%s' (rule %s): %s Nothing was inserted.",
                                   plan->request, v->rule, v->reason);
        return 0;
}

void policy_run_report(void *userdata) {
        PolicyRun *p = userdata;

        for (size_t i = 0; p->report && i < p->report->n; i++) {
                const PolicyVerdict *v = &p->report->verdicts[i];
                if (v->decision != POLICY_WARN)
                        continue;
                log_warning("Policy (Mode=warn) would deny module %s, loading it anyway (origin %s), rule %s: %s",
                            v->module, p->origin, v->rule, v->reason);
                MANAGER_EMIT(p->manager, policy_warning, v->module, v->rule, v->reason, p->origin);
        }
}

/* ---- inspections: policy check, dry run and modinfo, on the inspector thread ---- */

/* Everything an inspection uses, taken on the event loop when it is submitted: the thread sees
 * only this and its own resolver (libkmod is not thread-safe). */
struct Inspection {
        Manager *manager;            /* event loop side only */
        Resolver *resolver;          /* the inspector thread's own */
        bool *resolver_stale;        /* set by the index watch; the thread reloads */
        bool refresh;                /* no index watch: check the files' timestamps first */
        Kernel *kernel;              /* thread-safe */
        Config *config;
        TrustStore *trust;
        TrustStore *kernel_trust;
        char *kernel_trust_error;
        InspectKind kind;
        char *name, *params;
        uint64_t flags;
        Caller caller;               /* whom the plan is shown to; gids points to caller_gids */
        gid_t *caller_gids;
        SettingsPaths *settings_paths; /* a copy: where modprobe.d is, to judge what caller may read */
        InspectResult result;
        manager_inspect_done_t done;
        void *userdata;
};

static Inspection *inspection_free(Inspection *x) {
        if (!x)
                return NULL;
        config_unref(x->config);
        trust_store_unref(x->trust);
        trust_store_unref(x->kernel_trust);
        free(x->kernel_trust_error);
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
        for (size_t i = 0; i < plan->n_steps; i++) {
                PlanStep *step = &plan->steps[i];
                const char *file = NULL;
                char *hidden;

                if (step->kind == PLAN_STEP_COMMAND &&
                    settings_line_hidden(s, &x->caller, SETTINGS_LINE_COMMAND, step->name, plan->request,
                                         &file)) {
                        if (asprintf(&hidden, "<" MODCTL_NOT_READABLE ": %s>", file) < 0)
                                goto oom;
                        free(step->command);
                        step->command = hidden;
                        free(step->config_command);
                        step->config_command = strdup(hidden);
                        if (!step->config_command)
                                goto oom;
                }
                if (step->options && step->options[0] &&
                    settings_line_hidden(s, &x->caller, SETTINGS_LINE_OPTIONS, step->name, plan->request,
                                         &file)) {
                        if (asprintf(&hidden, "<options " MODCTL_NOT_READABLE ": %s>", file) < 0)
                                goto oom;
                        free(step->options);
                        step->options = hidden;
                }
        }
        return 0;
oom:
        return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
}

static int inspect_check_policy(Inspection *x, Plan **ret_plan, PolicyReport **ret_report, Failure *failure) {
        _cleanup_(plan_freep) Plan *plan = NULL;
        PolicyContext ctx = context(x->kernel, resolver_kernel_release(x->resolver), x->trust, x->kernel_trust,
                                    x->kernel_trust_error, x->flags);
        int r;

        r = resolver_plan_load(x->resolver, x->kernel, x->name, x->params, x->flags, &plan, failure);
        if (r < 0)
                return r;
        r = policy_evaluate_plan(&x->config->policy, &ctx, plan, POLICY_EVALUATE_TAINT, ret_report, failure);
        policy_context_done(&ctx);
        if (r < 0)
                return r;
        r = hide_unreadable(x, plan, failure);
        if (r < 0) {
                *ret_report = policy_report_free(*ret_report);
                return r;
        }
        *ret_plan = TAKE_PTR(plan);
        return 0;
}

/* Load --dry-run: the plan's steps like modprobe -D, then "taint NAME LETTERS" for each module
 * predicted to taint the kernel; fails like the load would on a policy denial. */
static int inspect_dry_run(Inspection *x, char ***ret_lines, Failure *failure) {
        _cleanup_(policy_report_freep) PolicyReport *report = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        const PolicyVerdict *v;
        int r;

        r = inspect_check_policy(x, &plan, &report, failure);
        if (r < 0)
                return r;
        v = policy_report_first_objection(report);
        if (v && v->decision == POLICY_DENY)
                return failure_set(failure, FAILURE_POLICY_DENIED, "Policy denies loading '%s' (rule %s): %s",
                                   plan->request, v->rule, v->reason);

        r = plan_describe(plan, &lines);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
        for (size_t i = 0; i < report->n; i++) {
                char *line;

                if (!report->verdicts[i].taint[0])
                        continue;
                if (asprintf(&line, "taint %s %s", report->verdicts[i].module, report->verdicts[i].taint) < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
                if (strv_push(&lines, line) < 0) {
                        free(line);
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory while planning '%s'.", x->name);
                }
        }
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

/* The taint letters loading the module file at path would set. */
static int predict_taint(Inspection *x, const char *path, char taint[static POLICY_TAINT_MAX]) {
        _cleanup_(closep) int fd = -EBADF;
        PolicyContext ctx = context(x->kernel, resolver_kernel_release(x->resolver), x->trust, x->kernel_trust,
                                    x->kernel_trust_error, 0);
        PolicyVerdict v = {};
        unsigned flags;
        int r;

        r = module_file_open(path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        r = policy_check_fd(&x->config->policy, &ctx, x->name, fd, &v);
        policy_context_done(&ctx);
        if (r < 0)
                return r;
        memcpy(taint, v.taint, POLICY_TAINT_MAX);
        policy_verdict_done(&v);
        return 0;
}

/* modinfo, then what loading it would taint, from the same checks the policy makes. */
static int inspect_info(Inspection *x, char ***ret_pairs, Failure *failure) {
        _cleanup_(strv_freep) char **pairs = NULL;
        char taint[POLICY_TAINT_MAX];
        int r;

        r = resolver_module_info(x->resolver, x->name, &pairs, failure);
        if (r < 0)
                return r;
        if (pairs && pairs[0] && pairs[1] && strcmp(pairs[0], "filename") == 0 && pairs[1][0] == '/') {
                r = predict_taint(x, pairs[1], taint);
                if (r < 0)
                        log_debug_errno(r, "Cannot predict the taint of %s (%s): %m", x->name, pairs[1]);
                else if (strv_extend(&pairs, "taint_prediction") < 0 || strv_extend(&pairs, taint) < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading '%s'.", x->name);
        }
        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

static int inspection_run(void *userdata) {
        Inspection *x = userdata;
        InspectResult *res = &x->result;

        if (__atomic_exchange_n(x->resolver_stale, false, __ATOMIC_ACQ_REL))
                (void) resolver_reload(x->resolver);
        else if (x->refresh)
                (void) resolver_refresh(x->resolver);

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
        Inspection *x = userdata;

        if (result == -ECANCELED && !x->result.failure.message)
                failure_set(&x->result.failure, FAILURE_INTERNAL, "modctld is stopping; '%s' was not inspected.",
                            x->name);
        else if (result < 0 && !x->result.failure.message)
                failure_set(&x->result.failure, FAILURE_INTERNAL, "Cannot inspect '%s': %s.", x->name,
                            strerror(-result));
        x->done(&x->result, x->userdata);
        inspection_free(x);
}

int manager_inspect(Manager *m, uid_t owner, bool privileged, const Caller *caller, InspectKind kind,
                    const char *name, const char *params, uint64_t flags, manager_inspect_done_t done,
                    void *userdata) {
        Inspection *x;
        int r;

        assert(m);
        assert(caller);
        assert(name);
        assert(done);

        x = calloc(1, sizeof(Inspection));
        if (!x)
                return -ENOMEM;
        x->manager = m;
        x->resolver = m->inspect_resolver;
        x->resolver_stale = &m->inspect_resolver_stale;
        /* Without inotify, the files' identity is checked here, on the loop: a change reloads
         * the main resolver and marks this thread's one stale. */
        manager_refresh_index(m);
        x->refresh = !m->index_watch;
        x->kernel = m->kernel;
        x->config = config_ref(m->config);
        x->trust = trust_store_ref(m->trust);
        x->kernel_trust = trust_store_ref(m->kernel_trust);
        x->kernel_trust_error = m->kernel_trust_error ? strdup(m->kernel_trust_error) : NULL;
        x->kind = kind;
        x->flags = flags;
        x->done = done;
        x->userdata = userdata;
        x->name = strdup(name);
        x->params = params ? strdup(params) : NULL;
        x->caller = *caller;
        x->caller_gids = caller->n_gids ? malloc(caller->n_gids * sizeof(gid_t)) : NULL;
        if (x->caller_gids)
                memcpy(x->caller_gids, caller->gids, caller->n_gids * sizeof(gid_t));
        x->caller.gids = x->caller_gids;
        if (!x->name || (params && !x->params) || (m->kernel_trust_error && !x->kernel_trust_error) ||
            (caller->n_gids && !x->caller_gids)) {
                inspection_free(x);
                return -ENOMEM;
        }
        r = settings_paths_new(m->settings_paths->root, m->settings_paths->modprobe_paths,
                               m->settings_paths->cmdline, &x->settings_paths);
        if (r < 0) {
                inspection_free(x);
                return r;
        }

        r = inspector_submit(m->inspector, owner, privileged, inspection_run, inspection_done, x);
        if (r < 0) {
                inspection_free(x);
                return r;
        }
        return 0;
}

PolicyMode manager_policy_mode(Manager *m) {
        assert(m);
        return m->config->policy.mode;
}

int manager_describe_policy(Manager *m, const Caller *caller, char **ret) {
        _cleanup_free_ char *text = NULL, *files = NULL;
        int r;

        assert(m);
        assert(caller);
        assert(ret);

        /* The effective configuration merges every file: it is shown only to a caller that
         * could read them all itself. */
        STRV_FOREACH(f, m->config->files)
                if (caller_may_read_path(caller, m->config_root, *f, NULL) <= 0) {
                        if (asprintf(&text, "# " MODCTL_NOT_READABLE ": %s\n", *f) < 0)
                                return -ENOMEM;
                        break;
                }
        if (!text) {
                r = config_format(m->config, &text);
                if (r < 0)
                        return r;
        }
        files = strv_join(m->config->files, " ");
        if (!files)
                return -ENOMEM;
        if (asprintf(ret, "# Read from: %s\n# Trusted certificates loaded: %zu\n%s",
                     *files ? files : "(no files, built-in defaults)", trust_store_size(m->trust), text) < 0)
                return -ENOMEM;
        return 0;
}
