/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* modctld.conf: systemd-style INI with drop-ins. The main file is the first of
 * /etc/modctl/modctld.conf, /run/modctl/modctld.conf, /usr/lib/modctl/modctld.conf (vendor
 * defaults); then *.conf drop-ins from /etc, /run, /usr/local/lib and /usr/lib
 * modctl/modctld.conf.d/, in file-name order, where a name in an earlier directory hides the
 * same name in a later one, and a drop-in linked to /dev/null or empty masks it. Later
 * assignments win; for list keys (Deny=, Allow=) they append and an empty value resets.
 * Any unknown section, key or invalid value makes the whole load fail with file:line, so the
 * caller keeps its previous configuration. Plain C, never logs. */

#include <stdbool.h>
#include <stdint.h>

#include "failure.h"

typedef enum HookFallback {
        HOOK_FALLBACK_MODPROBE,
        HOOK_FALLBACK_DENY,
        _HOOK_FALLBACK_MAX,
} HookFallback;

typedef enum PolicyMode {
        POLICY_MODE_ENFORCE,
        POLICY_MODE_WARN,
        POLICY_MODE_OFF,
        _POLICY_MODE_MAX,
} PolicyMode;

typedef enum PolicyLicense {
        POLICY_LICENSE_ANY,
        POLICY_LICENSE_GPL_COMPATIBLE,
        _POLICY_LICENSE_MAX,
} PolicyLicense;

typedef enum PolicySignature {
        POLICY_SIGNATURE_ANY,
        POLICY_SIGNATURE_SIGNED,
        POLICY_SIGNATURE_TRUSTED,
        POLICY_SIGNATURE_KERNEL,
        _POLICY_SIGNATURE_MAX,
} PolicySignature;

typedef enum PolicyVermagic {
        POLICY_VERMAGIC_CHECK,
        POLICY_VERMAGIC_IGNORE,
        _POLICY_VERMAGIC_MAX,
} PolicyVermagic;

/* The most Workers= may ask for. The pool grows beyond it for the kernel's own requests (up to
 * SCHEDULER_WORKERS_MAX, 256), so the configured size leaves room for that. */
#define CONFIG_WORKERS_MAX_N 128
#define CONFIG_WORKERS_MAX ((unsigned) CONFIG_WORKERS_MAX_N)
/* [Daemon] Ownership=: who may insert modules (the BPF LSM programs, daemon/kernel/bpf/). */
typedef enum OwnershipMode {
        OWNERSHIP_SHARED,               /* anyone, as without modctl (default) */
        OWNERSHIP_AUDIT,                /* anyone, and inserts by others are reported */
        OWNERSHIP_EXCLUSIVE,            /* only modctld; others get EPERM and are reported */
        _OWNERSHIP_MAX,
} OwnershipMode;

/* [Daemon] OwnershipOnExit=: what happens to the programs when modctld exits. */
typedef enum OwnershipOnExit {
        OWNERSHIP_ON_EXIT_RELEASE,      /* they detach with the daemon's fds: fail open */
        OWNERSHIP_ON_EXIT_KEEP,         /* pinned in bpffs until the next modctld adopts them */
        _OWNERSHIP_ON_EXIT_MAX,
} OwnershipOnExit;

/* [Policy] KernelRequests=: which tasks may make the kernel autoload (request_module()). */
typedef enum KernelRequests {
        KERNEL_REQUESTS_ANY,
        KERNEL_REQUESTS_PRIVILEGED,     /* CAP_SYS_MODULE in the initial user namespace */
        KERNEL_REQUESTS_NONE,           /* nobody but modctld itself */
        _KERNEL_REQUESTS_MAX,
} KernelRequests;

typedef struct DaemonSettings {
        HookFallback hook_fallback;     /* HookFallback=modprobe|deny, default deny */
        char *hook_modprobe;            /* HookModprobe=, default /sbin/modprobe */
        bool hook_install;              /* HookInstall=yes|no: point kernel.modprobe at the helper */
        char *hook_helper;              /* HookHelper=, default LIBEXECDIR/modctl-request */
        uint64_t load_timeout_usec;     /* LoadTimeoutSec=, 0 for none; default 120 s */
        uint64_t command_timeout_usec;  /* CommandTimeoutSec=, install/remove commands; default 60 s */
        unsigned workers;               /* Workers=, 0 for the number of CPUs */
        OwnershipMode ownership;        /* Ownership=shared|audit|exclusive */
        OwnershipOnExit ownership_on_exit; /* OwnershipOnExit=release|keep */
} DaemonSettings;

typedef struct PolicySettings {
        PolicyMode mode;                /* Mode=enforce|warn|off, default enforce */
        PolicyLicense license;          /* License=any|gpl-compatible */
        PolicySignature signature;      /* Signature=any|signed|trusted|kernel */
        char *trusted_certificates;     /* TrustedCertificates=, default /etc/modctl/keys/ */
        char **deny;                    /* Deny=, module-name globs */
        char **allow;                   /* Allow=, when non-empty the only modules allowed */
        char **deny_files;              /* parallel to deny: the file each glob was read from */
        char **allow_files;             /* parallel to allow */
        char *deny_reset_file;          /* the file of the last empty Deny= (it dropped the globs before it) */
        char *allow_reset_file;         /* likewise for Allow= */
        bool out_of_tree;               /* OutOfTree=yes|no, default yes (allowed) */
        bool staging;                   /* Staging=yes|no, default yes (allowed) */
        PolicyVermagic vermagic;        /* Vermagic=check|ignore, default check */
        KernelRequests kernel_requests; /* KernelRequests=any|privileged|none */
        /* Not from a file: module_blacklist= of the kernel command line, which the kernel itself
         * refuses to load (set by the daemon from its kernel port; proc-cmdline.h). Denied
         * under every Mode=, since the kernel would refuse them anyway. */
        char **kernel_blacklist;
} PolicySettings;

typedef struct Config {
        unsigned n_ref;                 /* a policy check on a worker keeps the one it started with */
        DaemonSettings daemon;
        PolicySettings policy;
        char **files;                   /* the files that were read, in order */
} Config;

int config_new_default(Config **ret);
Config *config_ref(Config *c);
Config *config_unref(Config *c);
static inline void config_unrefp(Config **c) { config_unref(*c); }

/* Loads from the standard directories below root ("" or NULL for /). Errors:
 * FAILURE_INVALID_ARGUMENT with "FILE:LINE: ..." for bad content, others for I/O. */
int config_load(const char *root, Config **ret, Failure *failure);
/* Loads one file on top of c (for tests and for the parser fuzzer). */
int config_parse_file(Config *c, const char *path, Failure *failure);
int config_parse_string(Config *c, const char *name, const char *text, Failure *failure);

const char *hook_fallback_to_string(HookFallback v);
const char *policy_mode_to_string(PolicyMode v);
const char *policy_license_to_string(PolicyLicense v);
const char *policy_signature_to_string(PolicySignature v);
const char *policy_vermagic_to_string(PolicyVermagic v);
const char *ownership_mode_to_string(OwnershipMode v);
const char *ownership_on_exit_to_string(OwnershipOnExit v);
const char *kernel_requests_to_string(KernelRequests v);

/* The effective configuration as INI text, as `modctl policy show` prints it. */
int config_format(const Config *c, char **ret);
