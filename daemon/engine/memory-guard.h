/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* modctld's own memory limit: the cgroup v2 directory it runs in (memory.current against the
 * lower of memory.max and memory.high). Near the limit, new work (a load, a search) is refused
 * with FAILURE_MEMORY_SHORT instead of growing until the kernel throttles modctld or kills it;
 * what was already accepted finishes. Page cache and reclaimable slab count as free (the kernel
 * takes them back before it kills): near the limit, memory.stat's "file" and
 * "slab_reclaimable" are taken off memory.current. Without
 * cgroup v2, a memory controller or a limit, nothing is refused. Checked when work arrives, by
 * reading files kept open: no timer, no polling. */

#include <stdint.h>

#include "common/failure.h"

typedef struct MemoryGuard MemoryGuard;

/* cgroup_dir: the cgroup's directory; NULL: modctld's own, from /proc/self/cgroup below
 * /sys/fs/cgroup. A cgroup without the files means no guard (never an error). */
int memory_guard_new(const char *cgroup_dir, MemoryGuard **ret);
MemoryGuard *memory_guard_free(MemoryGuard *g);
static inline void memory_guard_freep(MemoryGuard **g) { memory_guard_free(*g); }

/* 0 when new work may start; FAILURE_MEMORY_SHORT saying so (what: "load module 'x'", "search
 * the catalog") when what modctld uses is within an eighth of its limit. Logs when memory
 * becomes short and when it is no longer short. */
int memory_guard_check(MemoryGuard *g, const char *what, Failure *failure);
