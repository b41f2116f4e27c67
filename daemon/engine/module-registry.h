/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* The loaded modules as the daemon knows them: the kernel's own state (read through the kernel
 * backend, which nothing above the engine reaches) and, for each module, who asked for it and
 * when it went live. The bus layer's only view of kernel state. */

#include <stdbool.h>
#include <stdint.h>

#include "common/requester.h"
#include "core/plan.h"
#include "kernel/kernel-module.h"

typedef struct Kernel Kernel;
typedef struct ModuleRegistry ModuleRegistry;

/* Who asked: reported in ModuleLoaded/ModuleUnloaded and kept per module. */
#define ORIGIN_USER     "user"
#define ORIGIN_KERNEL   "kernel"
#define ORIGIN_DEVICE   "device"
#define ORIGIN_BOOT     "boot"
#define ORIGIN_EXTERNAL "external"

/* kernel is not owned. */
int module_registry_new(Kernel *kernel, ModuleRegistry **ret);
ModuleRegistry *module_registry_free(ModuleRegistry *g);
static inline void module_registry_freep(ModuleRegistry **g) { module_registry_free(*g); }

/* The modules loaded before modctld first started in this boot (core/first-start.h). */
#define MANAGER_FIRST_START_FILE "/run/modctl/modules-before-first-start"

/* The modules loaded before we started watching, as live records: a replayed "add" for one of
 * them must not read as a new load. Only those loaded before the first start of this boot
 * (first_start_path keeps them) have no origin; what came since (an earlier modctld killed
 * mid-plan, another tool while none ran) is external. */
int module_registry_seed(ModuleRegistry *g, const char *first_start_path);

/* A module's "add" (added) or "remove" uevent at now (CLOCK_REALTIME usec). Returns false when
 * it is no news (an "add" replayed for a module that is there, or a built-in); else *ret_origin
 * is who did it (ORIGIN_EXTERNAL when not one of our jobs), and *ret_who (if not NULL) who
 * asked that job (REQUESTER_UNKNOWN for external ones). */
bool module_registry_observe(ModuleRegistry *g, bool added, const char *name, uint64_t now,
                             const char **ret_origin, Requester *ret_who);
/* Before a job runs: remember who is loading or may remove each module of plan. origin must
 * outlive the records (an ORIGIN_* constant); who is copied (NULL: unknown). */
void module_registry_begin(ModuleRegistry *g, const Plan *plan, const char *origin, const Requester *who);
/* After it: forget the modules it meant to insert but did not (changed: what it did). */
void module_registry_end(ModuleRegistry *g, const Plan *plan, char **changed);

/* The origin recorded for a loaded module, or NULL if unknown. */
const char *module_registry_origin(ModuleRegistry *g, const char *name);
/* Who loaded it or, while one of our jobs inserts it, who is loading it; NULL if unknown. */
const char *module_registry_loading_origin(ModuleRegistry *g, const char *name);
/* When the module's "add" uevent was seen (CLOCK_REALTIME usec), or 0 if before we started. */
uint64_t module_registry_loaded_at(ModuleRegistry *g, const char *name);

/* The kernel's loaded modules and their readable parameters (see kernel.h). */
int module_registry_list(ModuleRegistry *g, KernelModule **ret, size_t *ret_n);
int module_registry_get(ModuleRegistry *g, const char *name, KernelModule *ret);
int module_registry_parameters(ModuleRegistry *g, const char *name, bool world_readable_only, char ***ret);
