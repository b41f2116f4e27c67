/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/proc-cmdline.h"
#include "common/strv.h"
#include "core/kernel-image.h"
#include "engine/policy-snapshot.h"
#include "kernel/kernel.h"
#include "modctl-values.h"

static int kernel_keys(void *userdata, char ***ret) {
        return kernel_trusted_keys(userdata, ret);
}

PolicyContext policy_snapshot_context(const PolicySnapshot *s, uint64_t load_flags) {
        assert(s);

        return (PolicyContext) {
                .kernel_release = s->kernel_release,
                .kernel_decompression = kernel_decompression(s->kernel),
                .trust = s->trust,
                .kernel_trust = s->kernel_trust,
                .kernel_trust_error = s->kernel_trust_error,
                .kernel_keys = kernel_keys,
                .kernel_keys_userdata = s->kernel,
                .forced = load_flags & (MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION),
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
 * later: the secondary keyring, MOK). Without any, kernel_trust_error says why, and
 * Signature=kernel refuses every module with that reason. Only -ENOMEM fails. */
static int load_kernel_trust(PolicySnapshot *s, const char *config_root) {
        _cleanup_(trust_store_unrefp) TrustStore *store = NULL;
        _cleanup_(strv_freep) char **keys = NULL;
        _cleanup_free_ char *image = NULL;
        const Config *c = s->config;
        int r, from_image, from_dir;

        if (c->policy.signature != POLICY_SIGNATURE_KERNEL)
                return 0;

        r = trust_store_new(&store);
        if (r < 0)
                return r;
        r = kernel_trusted_keys(s->kernel, &keys);
        if (r < 0)
                return asprintf(&s->kernel_trust_error, "the kernel's trusted keys cannot be listed (%s)",
                                strerror(-r)) < 0 ? -ENOMEM : 0;
        if (strv_length(keys) == 0)
                return (s->kernel_trust_error = strdup("the kernel lists no trusted keys")) ? 0 : -ENOMEM;

        if (asprintf(&image, "%s/boot/vmlinuz-%s", strempty(config_root), s->kernel_release) < 0)
                return -ENOMEM;
        from_image = kernel_image_add_certificates(image, keys, store);
        if (from_image == -ENOMEM)
                return from_image;
        from_dir = trust_store_add_kernel_keys(store, s->trust, keys);
        if (from_dir < 0)
                return from_dir;

        if (trust_store_size(store) == 0) {
                if (from_image == -EMEDIUMTYPE) {
                        /* armhf's zImage, s390x's image: no certificates to read there. */
                        if (asprintf(&s->kernel_trust_error, "none of the %zu keys it lists has a certificate "
                                     "here: the kernel image %s is in a format modctld cannot read on this "
                                     "architecture, so Signature=kernel needs the kernel's certificates in "
                                     "TrustedCertificates=%s", strv_length(keys), image,
                                     c->policy.trusted_certificates) < 0)
                                return -ENOMEM;
                } else if (asprintf(&s->kernel_trust_error, "none of the %zu keys it lists has a certificate "
                                    "here (%s: %s; %s: none matching)", strv_length(keys), image,
                                    from_image < 0 ? strerror(-from_image) : "none matching",
                                    c->policy.trusted_certificates) < 0)
                        return -ENOMEM;
                log_warning("Signature=kernel: %s; every signed module will be refused.", s->kernel_trust_error);
                return 0;
        }
        log_info("Signature=kernel: %zu certificate(s) the kernel trusts (%d from %s, %d from %s).",
                 trust_store_size(store), MAX(from_image, 0), image, from_dir, c->policy.trusted_certificates);
        s->kernel_trust = TAKE_PTR(store);
        return 0;
}

/* module_blacklist= of the kernel command line: the kernel refuses those names, so the policy
 * does first, and says why. A backend without a command line (or an unreadable one) has none. */
static int load_kernel_blacklist(Config *c, Kernel *kernel) {
        _cleanup_free_ char *cmdline = NULL;
        int r;

        r = kernel_get_cmdline(kernel, &cmdline);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        return proc_cmdline_parse_blacklists(cmdline, &c->policy.kernel_blacklist, NULL);
}

int policy_snapshot_load(const char *config_root, Kernel *kernel, const char *kernel_release, PolicySnapshot **ret,
                         Failure *failure) {
        _cleanup_(policy_snapshot_unrefp) PolicySnapshot *s = NULL;
        int r;

        assert(kernel);
        assert(kernel_release);
        assert(ret);

        s = calloc(1, sizeof(PolicySnapshot));
        if (!s)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading the configuration.");
        s->n_ref = 1;
        s->kernel = kernel;
        s->kernel_release = strdup(kernel_release);
        s->config_root = config_root ? strdup(config_root) : NULL;
        if (!s->kernel_release || (config_root && !s->config_root))
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading the configuration.");

        r = config_load(config_root, &s->config, failure);
        if (r >= 0)
                r = load_trust(s->config, &s->trust, failure);
        if (r < 0) {
                /* Every bad line is a configuration error, whatever errno the parser used. */
                if (failure) {
                        failure->kind = FAILURE_INVALID_CONFIG;
                        failure->error = -failure_kind_to_errno(FAILURE_INVALID_CONFIG);
                }
                return -failure_kind_to_errno(FAILURE_INVALID_CONFIG);
        }
        r = load_kernel_trust(s, config_root);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot load the kernel's certificates: %s.",
                                   strerror(-r));
        r = load_kernel_blacklist(s->config, kernel);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the kernel command line: %s.",
                                   strerror(-r));
        *ret = TAKE_PTR(s);
        return 0;
}

PolicySnapshot *policy_snapshot_ref(PolicySnapshot *s) {
        if (s)
                __atomic_add_fetch(&s->n_ref, 1, __ATOMIC_RELAXED);
        return s;
}

PolicySnapshot *policy_snapshot_unref(PolicySnapshot *s) {
        if (!s || __atomic_sub_fetch(&s->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        config_unref(s->config);
        trust_store_unref(s->trust);
        trust_store_unref(s->kernel_trust);
        free(s->kernel_trust_error);
        free(s->kernel_release);
        free(s->config_root);
        free(s);
        return NULL;
}

int policy_snapshot_describe(const PolicySnapshot *s, const Caller *caller, char **ret) {
        _cleanup_free_ char *text = NULL, *files = NULL;
        int r;

        assert(s);
        assert(caller);
        assert(ret);

        /* The effective configuration merges every file: it is shown only to a caller that
         * could read them all itself. */
        STRV_FOREACH(f, s->config->files)
                if (caller_may_read_path(caller, s->config_root, *f, NULL) <= 0) {
                        if (asprintf(&text, "# " MODCTL_NOT_READABLE ": %s\n", *f) < 0)
                                return -ENOMEM;
                        break;
                }
        if (!text) {
                r = config_format(s->config, &text);
                if (r < 0)
                        return r;
        }
        files = strv_join(s->config->files, " ");
        if (!files)
                return -ENOMEM;
        if (asprintf(ret, "# Read from: %s\n# Trusted certificates loaded: %zu\n%s",
                     *files ? files : "(no files, built-in defaults)", trust_store_size(s->trust), text) < 0)
                return -ENOMEM;
        return 0;
}
