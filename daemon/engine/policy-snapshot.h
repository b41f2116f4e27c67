/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* The policy in force, as one immutable, reference-counted value: modctld.conf, the
 * certificates of TrustedCertificates= and, under Signature=kernel, the certificates the running
 * kernel trusts. A reload makes a new snapshot; a policy run or an inspection that started with
 * the old one keeps it until it is done, on whichever thread it runs. */

#include <stdint.h>

#include "common/daemon-config.h"
#include "common/failure.h"
#include "core/policy.h"
#include "core/signature.h"
#include "settings/file-access.h"

typedef struct Kernel Kernel;

typedef struct PolicySnapshot {
        unsigned n_ref;                 /* atomic: snapshots are released on worker threads too */
        Config *config;
        TrustStore *trust;              /* TrustedCertificates= */
        TrustStore *kernel_trust;       /* Signature=kernel: what the kernel trusts, or NULL */
        char *kernel_trust_error;       /* why kernel_trust is NULL under Signature=kernel */
        char *kernel_release;
        char *config_root;              /* where modctld.conf was read; NULL: / */
        Kernel *kernel;                 /* not owned, thread-safe: the kernel's key list */
} PolicySnapshot;

/* Reads modctld.conf below config_root (NULL: /) and the certificates. On a bad file, failure
 * says FILE:LINE (FAILURE_INVALID_CONFIG). Logs nothing. */
int policy_snapshot_load(const char *config_root, Kernel *kernel, const char *kernel_release, PolicySnapshot **ret,
                         Failure *failure);
PolicySnapshot *policy_snapshot_ref(PolicySnapshot *s);
PolicySnapshot *policy_snapshot_unref(PolicySnapshot *s);
static inline void policy_snapshot_unrefp(PolicySnapshot **s) { policy_snapshot_unref(*s); }

/* What policy.c needs to judge a module under this snapshot; policy_context_done() after. */
PolicyContext policy_snapshot_context(const PolicySnapshot *s, uint64_t load_flags);

/* GetPolicy: the files read, the number of trusted certificates, then the effective
 * configuration as modctld.conf text; for a caller that could not read one of the files itself,
 * MODCTL_NOT_READABLE and that file's name instead of the configuration. */
int policy_snapshot_describe(const PolicySnapshot *s, const Caller *caller, char **ret);
