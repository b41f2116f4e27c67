/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of the policy: the configuration and certificates in force, reloads,
 * and running policy.c over a plan before the scheduler sees it. */

#include <assert.h>
#include <string.h>

#include "log.h"
#include "manager-private.h"
#include "module-file.h"
#include "modctl-bus.h"
#include "strv.h"

static int kernel_keys(void *userdata, char ***ret) {
        return kernel_trusted_keys(userdata, ret);
}

static PolicyContext context(Kernel *kernel, const char *kernel_release, const TrustStore *trust, uint64_t flags) {
        return (PolicyContext) {
                .kernel_release = kernel_release,
                .trust = trust,
                .kernel_keys = kernel_keys,
                .kernel_keys_userdata = kernel,
                .forced = flags & (MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION),
        };
}

static PolicyContext manager_context(Manager *m, uint64_t flags) {
        return context(m->kernel, resolver_kernel_release(m->resolver), m->trust, flags);
}

static int load_trust(const Config *c, TrustStore **ret, Failure *failure) {
        _cleanup_free_ char *bad = NULL;
        int r;

        r = trust_store_load(c->policy.trusted_certificates, ret, &bad);
        if (r == -EBADMSG)
                return failure_set(failure, -FAILURE_INVALID_CONFIG, "%s: not a PEM or DER X.509 certificate "
                                   "(TrustedCertificates=%s).", bad, c->policy.trusted_certificates);
        if (r < 0)
                return failure_set(failure, -FAILURE_INVALID_CONFIG, "TrustedCertificates=%s: %s.",
                                   c->policy.trusted_certificates, strerror(-r));
        return 0;
}

int manager_policy_init(Manager *m, Failure *failure) {
        assert(m);
        return load_trust(m->config, &m->trust, failure);
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
                if (failure)
                        failure->error = -FAILURE_INVALID_CONFIG;
                log_error("Not reloading the configuration, the previous one stays in force: %s",
                          failure ? strempty(failure->message) : "");
                MANAGER_EMIT(m, config_reloaded, false, failure ? strempty(failure->message) : "");
                return -FAILURE_INVALID_CONFIG;
        }

        config_unref(m->config);
        m->config = TAKE_PTR(c);
        trust_store_unref(m->trust);
        m->trust = TAKE_PTR(t);
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
        p->kernel = m->kernel;
        p->flags = flags;
        p->origin = origin;
        *ret = p;
        return 0;
}

int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure) {
        PolicyRun *p = userdata;
        PolicyContext ctx = context(p->kernel, p->kernel_release, p->trust, p->flags);
        const PolicyVerdict *v;
        int r;

        assert(plan);
        assert(p);

        r = policy_evaluate_plan(&p->config->policy, &ctx, plan, POLICY_EVALUATE_KEEP_FDS, &p->report, failure);
        policy_context_done(&ctx);
        if (r < 0)
                return r;

        v = policy_report_first_objection(p->report);
        if (v && v->decision == POLICY_DENY)
                return failure_set(failure, -FAILURE_POLICY_DENIED,
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

int manager_check_policy(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret_plan,
                         PolicyReport **ret_report, Failure *failure) {
        _cleanup_(plan_freep) Plan *plan = NULL;
        PolicyContext ctx;
        int r;

        assert(m);
        assert(name);
        assert(ret_plan);
        assert(ret_report);

        ctx = manager_context(m, flags);
        manager_refresh_index(m);
        r = manager_plan_load(m, name, params, flags, &plan, failure);
        if (r < 0)
                return r;
        r = policy_evaluate_plan(&m->config->policy, &ctx, plan, POLICY_EVALUATE_TAINT, ret_report, failure);
        policy_context_done(&ctx);
        if (r < 0)
                return r;
        *ret_plan = TAKE_PTR(plan);
        return 0;
}

int manager_dry_run(Manager *m, const char *name, const char *params, uint64_t flags, char ***ret_lines,
                    Failure *failure) {
        _cleanup_(policy_report_freep) PolicyReport *report = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        const PolicyVerdict *v;
        int r;

        assert(m);
        assert(name);
        assert(ret_lines);

        r = manager_check_policy(m, name, params, flags, &plan, &report, failure);
        if (r < 0)
                return r;
        v = policy_report_first_objection(report);
        if (v && v->decision == POLICY_DENY)
                return failure_set(failure, -FAILURE_POLICY_DENIED, "Policy denies loading '%s' (rule %s): %s",
                                   plan->request, v->rule, v->reason);

        r = plan_describe(plan, &lines);
        if (r < 0)
                return failure_set(failure, -FAILURE_INTERNAL, "Out of memory while planning '%s'.", name);
        for (size_t i = 0; i < report->n; i++) {
                char *line;

                if (!report->verdicts[i].taint[0])
                        continue;
                if (asprintf(&line, "taint %s %s", report->verdicts[i].module, report->verdicts[i].taint) < 0)
                        return failure_set(failure, -FAILURE_INTERNAL, "Out of memory while planning '%s'.", name);
                if (strv_push(&lines, line) < 0) {
                        free(line);
                        return failure_set(failure, -FAILURE_INTERNAL, "Out of memory while planning '%s'.", name);
                }
        }
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

int manager_predict_taint(Manager *m, const char *name, const char *path, char taint[static POLICY_TAINT_MAX]) {
        _cleanup_(closep) int fd = -EBADF;
        PolicyContext ctx;
        PolicyVerdict v = {};
        unsigned flags;
        int r;

        assert(m);
        assert(name);
        assert(path);

        r = module_file_open(path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        ctx = manager_context(m, 0);
        r = policy_check_fd(&m->config->policy, &ctx, name, fd, &v);
        policy_context_done(&ctx);
        if (r < 0)
                return r;
        memcpy(taint, v.taint, POLICY_TAINT_MAX);
        policy_verdict_done(&v);
        return 0;
}

PolicyMode manager_policy_mode(Manager *m) {
        assert(m);
        return m->config->policy.mode;
}

int manager_describe_policy(Manager *m, char **ret) {
        _cleanup_free_ char *text = NULL, *files = NULL;
        int r;

        assert(m);
        assert(ret);

        r = config_format(m->config, &text);
        if (r < 0)
                return r;
        files = strv_join(m->config->files, " ");
        if (!files)
                return -ENOMEM;
        if (asprintf(ret, "# Read from: %s\n# Trusted certificates loaded: %zu\n%s",
                     *files ? files : "(no files, built-in defaults)", trust_store_size(m->trust), text) < 0)
                return -ENOMEM;
        return 0;
}
