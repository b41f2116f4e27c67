/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Name or alias to plan. Uses libkmod for the indexes (modules.dep, modules.alias,
 * modules.builtin, modules.softdep) and the modprobe.d configuration. Runs on the event loop
 * with a kmod_ctx whose resources are loaded once; it never touches the kernel itself, it asks
 * the Kernel for loaded state. Never logs; errors come back as a Failure. */

#include <stdint.h>

#include "failure.h"
#include "kernel.h"
#include "plan.h"

typedef struct Resolver Resolver;

typedef struct ResolverConfig {
        const char *modules_dir;     /* NULL: /lib/modules/$(uname -r) */
        const char *const *config_paths; /* NULL: libkmod's defaults (/etc/modprobe.d, /run/..., /lib/...) */
        const char *kernel_cmdline;  /* NULL: read /proc/cmdline (libkmod does); used for mod.param= */
} ResolverConfig;

int resolver_new(const ResolverConfig *config, Resolver **ret);
Resolver *resolver_free(Resolver *r);
static inline void resolver_freep(Resolver **r) { resolver_free(*r); }

/* Reload indexes and configuration if they changed on disk (kmod_validate_resources). */
int resolver_refresh(Resolver *r);
/* Reload them unconditionally: libkmod does not notice a configuration directory that did not
 * exist when it loaded (the kernel hook calls this when inotify says something changed). */
int resolver_reload(Resolver *r);

const char *resolver_kernel_release(Resolver *r);

/* flags are MODCTL_LOAD_* from include/modctl-bus.h.
 * Errors: FAILURE_INVALID_NAME, FAILURE_NOT_FOUND (also when an alias only matches
 * blacklisted modules), FAILURE_DEPENDENCY_CYCLE, FAILURE_BAD_MODULE. */
int resolver_plan_load(Resolver *r, Kernel *k, const char *name, const char *params, uint64_t flags,
                       Plan **ret, Failure *failure);

/* The modules a name or alias (a device's modalias) matches, with modprobe's blacklist rule,
 * in libkmod's order. Errors: FAILURE_INVALID_NAME, FAILURE_NOT_FOUND (nothing matches, or
 * only blacklisted modules). */
int resolver_lookup(Resolver *r, const char *name, char ***ret_names, Failure *failure);

/* flags are MODCTL_UNLOAD_*. Errors: FAILURE_INVALID_NAME, FAILURE_NOT_FOUND,
 * FAILURE_NOT_LOADED, FAILURE_BUILT_IN, FAILURE_IN_USE (names the holders). */
int resolver_plan_unload(Resolver *r, Kernel *k, const char *name, uint64_t flags, Plan **ret, Failure *failure);

/* modinfo fields as key/value pairs: filename first, then the .modinfo section in order, then
 * signer, sig_key, sig_hashalgo when signed. Errors: FAILURE_NOT_FOUND, FAILURE_BUILT_IN is
 * not an error: a built-in module reports "filename" "(builtin)". */
int resolver_module_info(Resolver *r, const char *name, char ***ret_pairs, Failure *failure);
