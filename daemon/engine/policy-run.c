/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>

#include "common/log.h"
#include "engine/policy-run.h"

struct PolicyRun {
        PolicySnapshot *snapshot;
        uint64_t flags;
        const char *origin;
        policy_run_warn_t warn;   /* event loop side only */
        void *userdata;
        PolicyReport *report;     /* the worker's, read once it is done */
};

PolicyRun *policy_run_free(PolicyRun *p) {
        if (!p)
                return NULL;
        policy_snapshot_unref(p->snapshot);
        policy_report_free(p->report);
        free(p);
        return NULL;
}

int policy_run_new(PolicySnapshot *snapshot, uint64_t load_flags, const char *origin, policy_run_warn_t warn,
                   void *userdata, PolicyRun **ret) {
        PolicyRun *p;

        assert(snapshot);
        assert(origin);
        assert(ret);

        /* Mode=off still refuses what the kernel would: its command line's module_blacklist=. */
        if (snapshot->config->policy.mode == POLICY_MODE_OFF && !snapshot->config->policy.kernel_blacklist) {
                *ret = NULL;
                return 0;
        }
        p = calloc(1, sizeof(PolicyRun));
        if (!p)
                return -ENOMEM;
        *p = (PolicyRun) {
                .snapshot = policy_snapshot_ref(snapshot),
                .flags = load_flags,
                .origin = origin,
                .warn = warn,
                .userdata = userdata,
        };
        *ret = p;
        return 0;
}

int policy_run_evaluate(Plan *plan, void *userdata, Failure *failure) {
        PolicyRun *p = userdata;
        const PolicyVerdict *v;
        int r;

        assert(plan);
        assert(p);

        PolicyContext ctx = policy_snapshot_context(p->snapshot, p->flags);
        r = policy_evaluate_plan(&p->snapshot->config->policy, &ctx, plan, POLICY_EVALUATE_KEEP_FDS, &p->report,
                                 failure);
        policy_context_done(&ctx);
        if (r < 0)
                return r;

        /* The first denial, also after a module that Mode=warn only warns about. */
        v = NULL;
        for (size_t i = 0; p->report && i < p->report->n && !v; i++)
                if (p->report->verdicts[i].decision == POLICY_DENY)
                        v = &p->report->verdicts[i];
        if (v)
                return failure_set(failure, FAILURE_POLICY_DENIED,
                                   "Policy denies loading '%s' (rule %s): %s Nothing was inserted.",
                                   plan->request, v->rule, v->reason);
        return 0;
}

void policy_run_report(void *userdata) {
        PolicyRun *p = userdata;

        assert(p);

        for (size_t i = 0; p->report && i < p->report->n; i++) {
                const PolicyVerdict *v = &p->report->verdicts[i];
                if (v->decision != POLICY_WARN)
                        continue;
                log_warning("Policy (Mode=warn) would deny module %s, loading it anyway (origin %s), rule %s: %s",
                            v->module, p->origin, v->rule, v->reason);
                if (p->warn)
                        p->warn(v->module, v->rule, v->reason, p->origin, p->userdata);
        }
}
