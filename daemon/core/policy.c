/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/array-util.h"
#include "core/elf-modinfo.h"
#include "core/module-file.h"
#include "core/policy.h"
#include "kernel/kernel.h"
#include "common/strv.h"

static const char *const decision_table[] = { "allow", "deny", "warn" };

const char *policy_decision_to_string(PolicyDecision d) {
        return (size_t) d < ELEMENTSOF(decision_table) ? decision_table[d] : NULL;
}

/* include/linux/license.h */
bool license_is_gpl_compatible(const char *license) {
        static const char *const gpl[] = {
                "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL",
        };

        if (!license)
                return false; /* no MODULE_LICENSE() at all */
        for (size_t i = 0; i < ELEMENTSOF(gpl); i++)
                if (strcmp(license, gpl[i]) == 0)
                        return true;
        return false;
}

void policy_context_done(PolicyContext *ctx) {
        if (!ctx)
                return;
        ctx->keys = strv_free(ctx->keys);
        ctx->keys_loaded = false;
}

static int context_keys(PolicyContext *ctx, char ***ret) {
        if (!ctx->keys_loaded) {
                ctx->keys_loaded = true;
                ctx->keys_error = ctx->kernel_keys ? ctx->kernel_keys(ctx->kernel_keys_userdata, &ctx->keys) : -EOPNOTSUPP;
        }
        *ret = ctx->keys;
        return ctx->keys_error < 0 ? ctx->keys_error : 0;
}

void policy_verdict_done(PolicyVerdict *v) {
        if (!v)
                return;
        free(v->module);
        free(v->reason);
        *v = (PolicyVerdict) {};
}

static char *join_globs(char **globs) {
        return strv_join(globs, " ");
}

/* The kernel command line's module_blacklist=, then Deny and Allow. Returns 1 with rule/reason
 * set when the name breaks one, 0 if not. */
static int check_name(const PolicySettings *s, const char *name, const char **ret_rule, char **ret_reason) {
        _cleanup_free_ char *n = strdup(name), *allow = NULL;

        if (!n)
                return -ENOMEM;
        for (char *p = n; *p; p++)
                if (*p == '-')
                        *p = '_';

        /* The kernel compares its entries with the module's (underscored) name as they are. */
        if (strv_contains(s->kernel_blacklist, n)) {
                *ret_rule = POLICY_RULE_KERNEL_BLACKLIST;
                return asprintf(ret_reason,
                                "Module '%s' is blacklisted by module_blacklist= on the kernel command line; "
                                "the kernel refuses to load it.", n) < 0 ? -ENOMEM : 1;
        }

        STRV_FOREACH(g, s->deny)
                if (fnmatch(*g, n, 0) == 0) {
                        *ret_rule = "Deny";
                        return asprintf(ret_reason, "Module '%s' is masked by Deny=%s.", n, *g) < 0 ? -ENOMEM : 1;
                }
        if (strv_length(s->allow) == 0)
                return 0;
        STRV_FOREACH(g, s->allow)
                if (fnmatch(*g, n, 0) == 0)
                        return 0;
        allow = join_globs(s->allow);
        if (!allow)
                return -ENOMEM;
        *ret_rule = "Allow";
        return asprintf(ret_reason, "Module '%s' is not in Allow=%s.", n, allow) < 0 ? -ENOMEM : 1;
}

static int verdict_init(PolicyVerdict *v, const char *name) {
        *v = (PolicyVerdict) { .decision = POLICY_ALLOW };
        v->module = strdup(name);
        return v->module ? 0 : -ENOMEM;
}

static void verdict_decide(const PolicySettings *s, PolicyVerdict *v) {
        if (!v->rule)
                v->decision = POLICY_ALLOW;
        else if (streq(v->rule, POLICY_RULE_KERNEL_BLACKLIST))
                v->decision = POLICY_DENY; /* not ours to waive: the kernel refuses it under any Mode= */
        else if (s->mode == POLICY_MODE_ENFORCE)
                v->decision = POLICY_DENY;
        else if (s->mode == POLICY_MODE_WARN)
                v->decision = POLICY_WARN;
        else
                v->decision = POLICY_ALLOW; /* Mode=off: the rule and reason stay, for `policy check` */
}

int policy_check_name(const PolicySettings *s, const char *name, PolicyVerdict *ret) {
        PolicyVerdict v;
        int r;

        assert(s);
        assert(ret);

        r = verdict_init(&v, name);
        if (r < 0)
                return r;
        r = check_name(s, name, &v.rule, &v.reason);
        if (r < 0) {
                policy_verdict_done(&v);
                return r;
        }
        verdict_decide(s, &v);
        *ret = v;
        return 0;
}

static const char *signer_name(const SignatureSigner *g, char *buf, size_t n) {
        if (g->skid)
                snprintf(buf, n, "the key with subject key id %s", g->skid);
        else
                snprintf(buf, n, "'%s' (serial %s)", g->issuer_cn ?: "(no CN)", strempty(g->serial));
        return buf;
}

/* What the module's signature says, for the Signature rule and the E prediction. */
typedef struct SignatureFacts {
        int trailer;            /* 0, -ENODATA (unsigned) or -EBADMSG */
        int signer_error;       /* 0 or -EBADMSG */
        SignatureTrailer t;
        SignatureSigner signer;
} SignatureFacts;

static int check_signature(const PolicySettings *s, PolicyContext *ctx, const char *name, const uint8_t *data,
                           size_t size, SignatureFacts *f, const char **ret_rule, char **ret_reason) {
        char who[256];
        int r;

        if (s->signature == POLICY_SIGNATURE_ANY)
                return 0;
        *ret_rule = "Signature";
        if (f->trailer == -ENODATA)
                return asprintf(ret_reason, "Module '%s' is not signed, and Signature=%s requires a signature.", name,
                                policy_signature_to_string(s->signature)) < 0 ? -ENOMEM : 1;
        if (f->trailer < 0 || f->signer_error < 0)
                return asprintf(ret_reason, "Module '%s' has a malformed signature (%s).", name,
                                f->trailer < 0 ? "bad signature trailer" : "the PKCS#7 data cannot be parsed") < 0 ? -ENOMEM : 1;

        switch (s->signature) {
        case POLICY_SIGNATURE_SIGNED:
                return 0;
        case POLICY_SIGNATURE_TRUSTED:
                if (trust_store_size(ctx->trust) == 0)
                        return asprintf(ret_reason, "Module '%s' cannot be verified: there are no trusted certificates in %s.",
                                        name, s->trusted_certificates) < 0 ? -ENOMEM : 1;
                r = signature_verify(data, &f->t, ctx->trust);
                if (r == 0)
                        return 0;
                signer_name(&f->signer, who, sizeof(who));
                if (r == -ENOKEY)
                        return asprintf(ret_reason, "Module '%s' is signed by %s, which is not among the trusted certificates in %s.",
                                        name, who, s->trusted_certificates) < 0 ? -ENOMEM : 1;
                if (r == -EKEYREJECTED)
                        return asprintf(ret_reason, "Module '%s' has a signature by %s that does not match its content: "
                                        "the module was changed after it was signed.", name, who) < 0 ? -ENOMEM : 1;
                if (r == -ENOMEM)
                        return r;
                return asprintf(ret_reason, "Module '%s' has a signature that cannot be verified: %s.", name,
                                strerror(-r)) < 0 ? -ENOMEM : 1;
        case POLICY_SIGNATURE_KERNEL:
                /* Verified against the kernel's own certificates, never by a name alone. */
                if (trust_store_size(ctx->kernel_trust) == 0)
                        return asprintf(ret_reason, "Module '%s' cannot be checked against the keys the kernel trusts: "
                                        "%s. Put the kernel's certificates in TrustedCertificates=, or use "
                                        "Signature=trusted.", name,
                                        ctx->kernel_trust_error ?: "none of their certificates could be found") < 0
                                       ? -ENOMEM : 1;
                r = signature_verify(data, &f->t, ctx->kernel_trust);
                if (r == 0)
                        return 0;
                signer_name(&f->signer, who, sizeof(who));
                if (r == -ENOKEY)
                        return asprintf(ret_reason, "Module '%s' is signed by %s, a key the running kernel does not trust.",
                                        name, who) < 0 ? -ENOMEM : 1;
                if (r == -EKEYREJECTED)
                        return asprintf(ret_reason, "Module '%s' has a signature by %s that does not match its content: "
                                        "the module was changed after it was signed.", name, who) < 0 ? -ENOMEM : 1;
                if (r == -ENOMEM)
                        return r;
                return asprintf(ret_reason, "Module '%s' has a signature that cannot be verified: %s.", name,
                                strerror(-r)) < 0 ? -ENOMEM : 1;
        default:
                return 0;
        }
}

/* The kernel's taints for a module: P (license), F (forced), C (staging), O (out of tree),
 * E (signature missing or by a key the kernel does not know; only predicted when the keys
 * could be listed). */
static void predict_taint(PolicyContext *ctx, char **info, const uint8_t *data, SignatureFacts *f,
                          char taint[static POLICY_TAINT_MAX]) {
        const char *intree = elf_modinfo_get(info, "intree"), *staging = elf_modinfo_get(info, "staging");
        size_t n = 0;
        char **keys;

        if (!license_is_gpl_compatible(elf_modinfo_get(info, "license")))
                taint[n++] = 'P';
        if (ctx->forced)
                taint[n++] = 'F';
        if (staging && strcmp(staging, "Y") == 0)
                taint[n++] = 'C';
        if (!intree || strcmp(intree, "Y") != 0)
                taint[n++] = 'O';
        if (f->trailer < 0 || f->signer_error < 0)
                taint[n++] = 'E';
        else if (trust_store_size(ctx->kernel_trust) > 0) {
                /* The kernel's own certificates are known: the prediction is a verification. */
                if (signature_verify(data, &f->t, ctx->kernel_trust) != 0)
                        taint[n++] = 'E';
        } else if (context_keys(ctx, &keys) >= 0 && !signature_match_kernel_key(&f->signer, keys))
                taint[n++] = 'E';
        taint[n] = '\0';
}

static int check_content(const PolicySettings *s, PolicyContext *ctx, const char *name, char **info,
                         const uint8_t *data, size_t size, SignatureFacts *f, const char **ret_rule, char **ret_reason) {
        const char *license = elf_modinfo_get(info, "license");
        const char *intree = elf_modinfo_get(info, "intree"), *staging = elf_modinfo_get(info, "staging");
        const char *vermagic = elf_modinfo_get(info, "vermagic");
        int r;

        if (s->license == POLICY_LICENSE_GPL_COMPATIBLE && !license_is_gpl_compatible(license)) {
                *ret_rule = "License";
                if (!license)
                        return asprintf(ret_reason, "Module '%s' declares no license, and License=gpl-compatible "
                                        "allows only GPL-compatible modules.", name) < 0 ? -ENOMEM : 1;
                return asprintf(ret_reason, "Module '%s' has the license '%s', and License=gpl-compatible allows only "
                                "GPL-compatible modules.", name, license) < 0 ? -ENOMEM : 1;
        }

        r = check_signature(s, ctx, name, data, size, f, ret_rule, ret_reason);
        if (r != 0)
                return r;

        if (!s->out_of_tree && (!intree || strcmp(intree, "Y") != 0)) {
                *ret_rule = "OutOfTree";
                return asprintf(ret_reason, "Module '%s' was built out of the kernel tree, and OutOfTree=no.", name) < 0 ? -ENOMEM : 1;
        }
        if (!s->staging && staging && strcmp(staging, "Y") == 0) {
                *ret_rule = "Staging";
                return asprintf(ret_reason, "Module '%s' is a staging driver, and Staging=no.", name) < 0 ? -ENOMEM : 1;
        }
        /* Also under force: forcing is what Vermagic=check exists to stop; Vermagic=ignore allows it. */
        if (s->vermagic == POLICY_VERMAGIC_CHECK && ctx->kernel_release) {
                size_t n = vermagic ? strcspn(vermagic, " ") : 0;

                *ret_rule = "Vermagic";
                if (!vermagic)
                        return asprintf(ret_reason, "Module '%s' has no vermagic, so it was not built for this kernel.",
                                        name) < 0 ? -ENOMEM : 1;
                if (n != strlen(ctx->kernel_release) || strncmp(vermagic, ctx->kernel_release, n) != 0)
                        return asprintf(ret_reason, "Module '%s' was built for kernel %.*s, not for the running kernel %s "
                                        "(vermagic '%s').", name, (int) n, vermagic, ctx->kernel_release, vermagic) < 0 ? -ENOMEM : 1;
                *ret_rule = NULL;
        }
        return 0;
}

/* What the bytes are needed for: the content rules in force, and the taint prediction. */
static bool signature_rule_in_force(const PolicySettings *s) {
        return s->signature != POLICY_SIGNATURE_ANY;
}

/* Also under force: forcing is what Vermagic=check exists to stop. */
static bool vermagic_rule_in_force(const PolicySettings *s, const PolicyContext *ctx) {
        return s->vermagic == POLICY_VERMAGIC_CHECK && ctx->kernel_release;
}

static bool content_rule_in_force(const PolicySettings *s, const PolicyContext *ctx) {
        return s->license != POLICY_LICENSE_ANY || signature_rule_in_force(s) || !s->out_of_tree || !s->staging ||
               vermagic_rule_in_force(s, ctx);
}

bool policy_needs_content(const PolicySettings *s, const PolicyContext *ctx) {
        assert(s);
        assert(ctx);
        /* Mode=off allows everything; `policy check` and dry runs, which show the rules a module
         * would break even then, ask for the content with POLICY_EVALUATE_TAINT. */
        return s->mode != POLICY_MODE_OFF && content_rule_in_force(s, ctx);
}

static void signature_facts_done(SignatureFacts *f) {
        signature_signer_done(&f->signer);
}

static int check_module(const PolicySettings *s, PolicyContext *ctx, const char *name, const uint8_t *data,
                        size_t size, bool taint, PolicyVerdict *ret) {
        _cleanup_(strv_freep) char **info = NULL;
        _cleanup_(signature_facts_done) SignatureFacts f = {};
        _cleanup_(policy_verdict_done) PolicyVerdict v = {};
        int r;

        r = verdict_init(&v, name);
        if (r < 0)
                return r;
        r = elf_modinfo_parse(data, size, &info);
        if (r < 0)
                return r;

        /* The PKCS#7 signer is parsed (OpenSSL) only for a rule or a prediction that looks at it. */
        f.trailer = signature_trailer_parse(data, size, &f.t);
        if (f.trailer == 0 && (taint || signature_rule_in_force(s)))
                f.signer_error = signature_signer_parse(f.t.pkcs7, f.t.pkcs7_size, &f.signer);
        if (f.signer_error == -ENOMEM)
                return -ENOMEM;

        if (taint)
                predict_taint(ctx, info, data, &f, v.taint);
        r = check_name(s, name, &v.rule, &v.reason);
        if (r == 0)
                r = check_content(s, ctx, v.module, info, data, size, &f, &v.rule, &v.reason);
        if (r < 0)
                return r;
        if (r == 0)
                v.rule = NULL;

        verdict_decide(s, &v);
        *ret = v;
        v = (PolicyVerdict) {};
        return 0;
}

int policy_check_module(const PolicySettings *s, PolicyContext *ctx, const char *name, const uint8_t *data,
                        size_t size, PolicyVerdict *ret) {
        assert(s);
        assert(ret);

        return check_module(s, ctx, name, data, size, true, ret);
}

static int check_fd(const PolicySettings *s, PolicyContext *ctx, const char *name, int fd, bool taint,
                    PolicyVerdict *ret) {
        const uint8_t *data;
        size_t size;
        int r;

        r = module_map_fd(fd, &data, &size);
        if (r < 0)
                return r;
        r = check_module(s, ctx, name, data, size, taint, ret);
        munmap((void *) data, size);
        return r;
}

int policy_check_fd(const PolicySettings *s, PolicyContext *ctx, const char *name, int fd, PolicyVerdict *ret) {
        assert(s);
        assert(ret);

        return check_fd(s, ctx, name, fd, true, ret);
}

static DEFINE_ARRAY_FREE_FUNC(verdict_array_free, PolicyVerdict, policy_verdict_done);

PolicyReport *policy_report_free(PolicyReport *r) {
        if (!r)
                return NULL;
        verdict_array_free(r->verdicts, r->n);
        free(r);
        return NULL;
}

const PolicyVerdict *policy_report_first_objection(const PolicyReport *r) {
        for (size_t i = 0; r && i < r->n; i++)
                if (r->verdicts[i].decision != POLICY_ALLOW)
                        return &r->verdicts[i];
        return NULL;
}

/* Opens the module of an INSERT step for the checks. When its bytes are kept for the insert:
 * under a Signature= rule always a sealed memfd copy; else the file itself when only root can
 * change it (module_file_open_stable()), which saves copying every module of a boot. Not kept:
 * the file itself (or its decompressed bytes), read in place. */
static int open_step(const PolicySettings *s, const PolicyContext *ctx, const PlanStep *step, bool keep,
                     int *ret_fd, unsigned *ret_insert_flags) {
        _cleanup_(closep) int fd = -EBADF;
        unsigned flags = 0, insert_flags = 0;
        bool copied;
        int r;

        if (step->fd >= 0) {
                fd = fcntl(step->fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return -errno;
        } else if (keep && signature_rule_in_force(s)) {
                r = module_file_open_sealed(step->path, &fd);
                if (r < 0)
                        return r;
        } else if (keep) {
                r = module_file_open_stable(step->path, ctx->kernel_decompression, &fd, &copied, &insert_flags);
                if (r < 0)
                        return r;
        } else {
                r = module_file_open(step->path, NULL, &fd, &flags);
                if (r < 0)
                        return r;
        }
        *ret_fd = TAKE_FD(fd);
        *ret_insert_flags = insert_flags;
        return 0;
}

int policy_evaluate_plan(const PolicySettings *s, PolicyContext *ctx, Plan *plan, PolicyEvaluateFlags flags,
                         PolicyReport **ret, Failure *failure) {
        _cleanup_(policy_report_freep) PolicyReport *report = NULL;
        bool taint = flags & POLICY_EVALUATE_TAINT, keep = flags & POLICY_EVALUATE_KEEP_FDS;
        bool content = taint || policy_needs_content(s, ctx);
        int r;

        assert(s);
        assert(ctx);
        assert(plan);
        assert(ret);

        report = calloc(1, sizeof(PolicyReport));
        if (!report || !(report->verdicts = calloc(plan->n_steps + 1, sizeof(PolicyVerdict))))
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while checking the policy for '%s'.",
                                   plan->request);

        for (size_t i = 0; i < plan->n_steps; i++) {
                PlanStep *step = &plan->steps[i];
                PolicyVerdict *v = &report->verdicts[report->n];
                _cleanup_(closep) int fd = -EBADF;

                if (step->kind != PLAN_STEP_COMMAND && step->kind != PLAN_STEP_INSERT)
                        continue;
                /* Install commands (their bytes are not ours to see), and modules whose content no
                 * rule in force needs: the name rules decide, and nothing is opened here (the
                 * scheduler opens the file when it inserts it). */
                if (step->kind == PLAN_STEP_COMMAND || !content) {
                        r = policy_check_name(s, step->name, v);
                        if (r < 0)
                                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while checking the policy for '%s'.",
                                                   step->name);
                        report->n++;
                        continue;
                }

                /* A content rule is in force: the bytes checked are the bytes the scheduler inserts
                 * (for a file the kernel decompresses itself, those bytes decompressed). */
                unsigned insert_flags = 0;
                r = open_step(s, ctx, step, keep, &fd, &insert_flags);
                if (r < 0)
                        return failure_set(failure, r == -ENOENT ? FAILURE_NOT_FOUND : FAILURE_BAD_MODULE,
                                           "Cannot read module '%s' from %s: %s.", step->name, strempty(step->path),
                                           strerror(-r));
                if (insert_flags & KERNEL_INSERT_COMPRESSED_FILE) {
                        _cleanup_(closep) int plain = -EBADF;

                        r = module_file_decompress_fd(fd, &plain);
                        if (r >= 0)
                                r = check_fd(s, ctx, step->name, plain, taint, v);
                } else
                        r = check_fd(s, ctx, step->name, fd, taint, v);
                if (r == -ENOMEM)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory while checking the policy for '%s'.",
                                           step->name);
                if (r < 0)
                        return failure_set(failure, FAILURE_BAD_MODULE, "Module '%s' (%s) is not a valid kernel module: %s.",
                                           step->name, strempty(step->path), r == -ENOEXEC ? "no ELF .modinfo section" : strerror(-r));
                report->n++;
                if (keep && step->fd < 0) {
                        step->fd = TAKE_FD(fd);
                        step->insert_flags = insert_flags;
                }
        }

        *ret = TAKE_PTR(report);
        return 0;
}
