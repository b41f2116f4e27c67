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

/* Name or alias to plan. Uses libkmod for the indexes (modules.dep, modules.alias,
 * modules.builtin, modules.softdep) and the modprobe.d configuration. Runs on the event loop
 * with a kmod_ctx whose resources are loaded once; it never touches the kernel itself, it asks
 * the Kernel for loaded state. Never logs; errors come back as a Failure. */

#include <stdint.h>

#include "common/failure.h"
#include "kernel/kernel-module.h"

typedef struct Kernel Kernel; /* the kernel port, kernel/kernel.h */
#include "core/plan.h"

typedef struct Resolver Resolver;

typedef struct ResolverConfig {
        const char *modules_dir;     /* NULL: /lib/modules/$(uname -r) */
        const char *const *config_paths; /* NULL: libkmod's defaults (/etc/modprobe.d, /run/..., /lib/...) */
        const char *kernel_cmdline;  /* NULL: read /proc/cmdline (libkmod does); used for mod.param= */
        /* A modprobe.d file that libkmod must not read although it is in one of the directories
         * (modctld's own MODPROBE_DENIED_CONF: the policy judges, not that copy of it); NULL:
         * none. With it, libkmod gets the files themselves (modprobe_config_files()). */
        const char *exclude_config;
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

/* flags are MODCTL_LOAD_* from include/modctl-bus.h. The plan follows kmod's modprobe: libkmod
 * itself computes the order and the install/softdep/blacklist rules (see resolver.c), and the
 * plan lists each module once, with loaded and built-in modules where they fall. An alias whose
 * only matches are blacklisted gives an empty plan (modprobe exits 0 and does nothing), listing
 * them in plan->blacklisted. A required module that has no file (a name modprobe.d knows only
 * from a remove command) is left out of a dry run, as modprobe -D shows nothing for it, and
 * fails a real load with FAILURE_NOT_FOUND, as modprobe's insert does.
 * Errors: FAILURE_INVALID_NAME, FAILURE_NOT_FOUND, FAILURE_DEPENDENCY_CYCLE (only for a
 * modules.dep that contradicts itself), FAILURE_BAD_MODULE. */
int resolver_plan_load(Resolver *r, Kernel *k, const char *name, const char *params, uint64_t flags,
                       Plan **ret, Failure *failure);

/* The plan of a load of a module file (LoadFile, `modctl load ./foo.ko`): file names it in
 * messages and in the plan's steps ("insmod FILE"), name is the module's own name (its
 * .modinfo's name=), depends its depends= entries. Each dependency is resolved by name, as a
 * load of that name would be (loaded and built-in ones are skipped); the file's step comes
 * last, depends on every other step, gets modprobe.d's and the command line's options for name
 * and then params, and holds a duplicate of fd (the verified module; -EBADF: none, in a dry
 * run). The module loaded already by that name: an empty plan (modprobe does nothing either).
 * The file's own install command and softdeps are not applied: it is inserted as given.
 * Errors: FAILURE_BAD_MODULE (a name or dependency that is no module name), FAILURE_NOT_FOUND
 * (a dependency that is not in the tree), FAILURE_INVALID_ARGUMENT, and as
 * resolver_plan_load(). */
int resolver_plan_load_file(Resolver *r, Kernel *k, const char *file, const char *name, char **depends, int fd,
                            const char *params, uint64_t flags, Plan **ret, Failure *failure);

/* What `modprobe -D NAME PARAMS` prints, byte for byte and line by line (without the newlines):
 * "insmod PATH OPTIONS" and "install COMMAND OPTIONS" (both with a trailing space when there are
 * no options, the command as modprobe.d spells it), "builtin NAME", a module listed again each
 * time kmod's order reaches it, nothing for blacklisted alias matches. Loaded modules are shown
 * as if absent (-D implies --ignore-loaded); the builtin test reads /sys/module like modprobe.
 * flags: MODCTL_LOAD_IGNORE_COMMANDS is --ignore-install; the rest are ignored.
 * Errors: FAILURE_INVALID_NAME; FAILURE_NOT_FOUND with modprobe's message ("Module NAME not
 * found in directory DIR"), where modprobe exits 1. This is what the modprobe-compatible mode's
 * -D prints; Load's dry run shows the plan instead (plan_describe()). */
int resolver_show_depends(Resolver *r, const char *name, const char *params, uint64_t flags, char ***ret_lines,
                          Failure *failure);

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
