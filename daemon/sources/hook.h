/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel's side door: the private socket that modctl-request (kernel.modprobe) talks to,
 * with the wire format of include/modctl-hook.h. Every request becomes manager_load() with
 * origin "kernel". Also owns what makes that fast and safe: the negative cache (names that
 * resolve to nothing, kept only while the manager watches the module index and modprobe.d; it
 * is cleared when the manager reports index_changed). The manager points kernel.modprobe at
 * the helper (manager-modprobe.c). */

#include <stdint.h>

typedef struct Hook Hook;
typedef struct Manager Manager;

typedef struct HookConfig {
        const char *socket_path;   /* NULL: MODCTL_HOOK_SOCKET */
} HookConfig;

typedef struct HookStatistics {
        uint64_t requests;      /* well-formed requests from root */
        uint64_t cache_hits;    /* answered "no such module" from the negative cache */
        uint64_t cache_misses;  /* handed to the manager (resolved and loaded) */
        uint64_t coalesced;     /* of those, joined an identical request already in flight */
        uint64_t in_flight;     /* answered at once: the module is being inserted right now */
        uint64_t refused;       /* peers that are not root */
        uint64_t malformed;     /* short, garbage, oversized, other version, or too slow */
        uint64_t fallbacks;     /* the helper could not reach the daemon (counted by the helper) */
} HookStatistics;

int hook_new(Manager *m, const HookConfig *config, Hook **ret);
/* Listens (socket activation or our own socket). */
int hook_start(Hook *h);
/* Removes a socket we created. */
Hook *hook_free(Hook *h);
static inline void hook_freep(Hook **h) { hook_free(*h); }

void hook_get_statistics(Hook *h, HookStatistics *ret);