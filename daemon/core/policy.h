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

/* Policy: whether the modules of a plan may be inserted, decided for the whole plan before any
 * step runs, from the exact bytes that will be inserted (see module_file_open_stable()). Also
 * predicts the taint letters each module would set. Plain C, never logs.
 *
 * Rules, checked in this order; the first one a module breaks is its verdict's rule:
 *   module_blacklist (the kernel command line's, PolicySettings.kernel_blacklist: denied under
 *   every Mode=, as the kernel refuses it anyway), Deny, Allow (by name: also for modprobe.d install commands), License, Signature,
 *   OutOfTree, Staging, Vermagic (from the module's bytes). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/daemon-config.h"
#include "common/failure.h"
#include "core/plan.h"
#include "core/signature.h"

/* The rule of a verdict for a name in the kernel command line's module_blacklist=. */
#define POLICY_RULE_KERNEL_BLACKLIST "module_blacklist"

typedef enum PolicyDecision {
        POLICY_ALLOW,
        POLICY_DENY,
        POLICY_WARN,    /* would be denied, but Mode=warn */
        _POLICY_DECISION_MAX,
} PolicyDecision;

/* Taint letters in the kernel's order: P F C O E, and the NUL. */
#define POLICY_TAINT_MAX 6

typedef struct PolicyVerdict {
        char *module;
        PolicyDecision decision;
        const char *rule;       /* the rule the module breaks ("Deny", "License", ...), or NULL */
        char *reason;           /* a sentence naming the module; NULL when no rule is broken */
        char taint[POLICY_TAINT_MAX]; /* predicted taint letters, "" for none (or not predicted) */
} PolicyVerdict;

typedef struct PolicyReport {
        PolicyVerdict *verdicts; /* one per INSERT and COMMAND step, in plan order */
        size_t n;
} PolicyReport;

/* Lists the descriptions of the keys in the kernel's trusted keyrings (kernel_trusted_keys()). */
typedef int (*policy_kernel_keys_t)(void *userdata, char ***ret);

typedef struct PolicyContext {
        const char *kernel_release;     /* for Vermagic=check */
        /* The algorithm the kernel decompresses itself (/sys/module/compression; NULL: none):
         * a kept module in it stays compressed for finit_module(). */
        const char *kernel_decompression;
        const TrustStore *trust;        /* TrustedCertificates= for Signature=trusted */
        /* The certificates the kernel trusts (see trust_store_add_kernel_keys()), for
         * Signature=kernel and the E prediction; NULL or empty: kernel_trust_error says why. */
        const TrustStore *kernel_trust;
        const char *kernel_trust_error;
        policy_kernel_keys_t kernel_keys; /* for the E prediction without kernel_trust; may be NULL */
        void *kernel_keys_userdata;
        bool forced;                    /* the caller ignores vermagic/modversions: F taint (Vermagic= still applies) */

        /* Filled lazily from kernel_keys, owned by the context: call policy_context_done(). */
        char **keys;
        int keys_error;
        bool keys_loaded;
} PolicyContext;

void policy_context_done(PolicyContext *ctx);

const char *policy_decision_to_string(PolicyDecision d);
bool license_is_gpl_compatible(const char *license);

/* The verdict for one module from its bytes, with its taint prediction (name is used for
 * Deny/Allow and messages). */
int policy_check_module(const PolicySettings *s, PolicyContext *ctx, const char *name, const uint8_t *data,
                        size_t size, PolicyVerdict *ret);
/* The same from an fd (mapped read-only). */
int policy_check_fd(const PolicySettings *s, PolicyContext *ctx, const char *name, int fd, PolicyVerdict *ret);
/* Name rules only (Deny, Allow), for steps whose bytes we never see. */
int policy_check_name(const PolicySettings *s, const char *name, PolicyVerdict *ret);
void policy_verdict_done(PolicyVerdict *v);

/* Whether the rules in force look at a module's bytes (License, Signature, OutOfTree, Staging,
 * Vermagic), rather than at its name only (Deny, Allow) or at nothing (Mode=off). */
bool policy_needs_content(const PolicySettings *s, const PolicyContext *ctx);

typedef enum PolicyEvaluateFlags {
        /* For a load: the fd of each module the policy reads is stored in the step for the
         * scheduler to insert, so the bytes checked are the bytes loaded. It is the file itself
         * when only root can change it (module_file_open_stable()), else a sealed memfd copy;
         * always a sealed copy under a Signature= rule. Without the flag the files are read in
         * place and nothing is kept. */
        POLICY_EVALUATE_KEEP_FDS = 1 << 0,
        /* Predict every module's taint letters (policy check, dry run): read every module, also
         * when no rule in force needs its content. */
        POLICY_EVALUATE_TAINT    = 1 << 1,
} PolicyEvaluateFlags;

/* Evaluates every step of plan. A module is opened only when a rule in force or the taint
 * prediction needs its content (see the flags); otherwise its verdict comes from the name rules
 * and the step's fd stays unset. Errors (FAILURE_NOT_FOUND, FAILURE_BAD_MODULE,
 * FAILURE_INTERNAL) when a module that has to be read cannot be. */
int policy_evaluate_plan(const PolicySettings *s, PolicyContext *ctx, Plan *plan, PolicyEvaluateFlags flags,
                         PolicyReport **ret, Failure *failure);
/* The first verdict that is not ALLOW, or NULL. */
const PolicyVerdict *policy_report_first_objection(const PolicyReport *r);
PolicyReport *policy_report_free(PolicyReport *r);
static inline void policy_report_freep(PolicyReport **r) { policy_report_free(*r); }
