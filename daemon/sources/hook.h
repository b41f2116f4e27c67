/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* The kernel's side door: the private socket that modctl-request (kernel.modprobe) talks to,
 * with the wire format of include/modctl-hook.h. Every request becomes manager_load() with
 * origin "kernel". Also owns what makes that fast and safe: the negative cache (names that
 * resolve to nothing, kept only while the manager watches the module index and modprobe.d; it
 * is cleared when the manager reports index_changed). The manager points kernel.modprobe at
 * the helper (manager-modprobe.c). */

#include <stdint.h>

#include "engine/manager-sources.h"

typedef struct Hook Hook;
typedef struct Manager Manager;


int hook_new(Manager *m, const HookConfig *config, Hook **ret);
/* Listens (socket activation or our own socket). */
int hook_start(Hook *h);
/* Removes a socket we created. */
Hook *hook_free(Hook *h);
static inline void hook_freep(Hook **h) { hook_free(*h); }

void hook_get_statistics(Hook *h, HookStatistics *ret);