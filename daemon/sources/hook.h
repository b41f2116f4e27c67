/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* The kernel's side door: the private socket that modctl-request (kernel.modprobe) talks to,
 * with the wire format of include/modctl-hook.h. Every request becomes a load with origin
 * "kernel" through the HookPort its owner gives it. Also owns what makes that fast and safe: the negative cache (names that
 * resolve to nothing, kept only while the manager watches the module index and modprobe.d; it
 * is cleared when the manager reports index_changed). The manager points kernel.modprobe at
 * the helper (engine/modprobe-handover.c). */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/failure.h"
#include "engine/manager-events.h"
#include "engine/manager-sources.h"

typedef struct Hook Hook;

/* Called once when a load the hook asked for is over (failure NULL on success); may be called
 * before HookPort.load returns. The manager's manager_done_t. */
typedef void (*hook_done_t)(const Failure *failure, char **changed, void *userdata);

/* What the hook needs from whoever owns it, given to hook_new() with that owner as userdata:
 * the manager in modctld (engine/manager.c), a recording double in the unit tests. */
typedef struct HookPort {
        sd_event *(*event)(void *userdata);
        /* Loads name with origin "kernel", joining an identical load in flight. */
        void (*load)(void *userdata, const char *name, hook_done_t done, void *done_userdata);
        /* Whether load() of name would join one that is running now (for the statistics). */
        bool (*load_pending)(void *userdata, const char *name);
        /* Whether the module (normalized name) is being inserted right now: a module's init
         * asking for itself, or for what another job inserts, is answered at once. */
        bool (*module_in_flight)(void *userdata, const char *normalized);
        /* Whether the owner reports index_changed: only then are missing names cached. */
        bool (*index_is_watched)(void *userdata);
        /* After every load the hook asked for: the owner's audit of kernel requests. */
        void (*request_done)(void *userdata, const char *name, int pid, const Failure *failure);
        int (*add_listener)(void *userdata, const ManagerEvents *events, void *listener);
        void (*remove_listener)(void *userdata, const ManagerEvents *events, void *listener);
} HookPort;

int hook_new(const HookPort *port, void *userdata, const HookConfig *config, Hook **ret);
/* Listens (socket activation or our own socket). */
int hook_start(Hook *h);
/* Removes a socket we created. */
Hook *hook_free(Hook *h);
static inline void hook_freep(Hook **h) { hook_free(*h); }

void hook_get_statistics(Hook *h, HookStatistics *ret);