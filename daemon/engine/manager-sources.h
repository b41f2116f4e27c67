/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* What the manager and its readers know of the request sources that main.c wires to it (the
 * kernel hook, sources/hook.h, and autoload, sources/autoload.h): their configuration and
 * counters, as plain data. Here rather than in the sources' own headers, so that manager.h and
 * the bus layer include no source header and the sources, which call the manager, form no
 * include cycle with it. */

#include <stdbool.h>
#include <stdint.h>

typedef struct AutoloadConfig {
        bool disabled;          /* no boot list, no coldplug, no device monitor */
        const char *sysfs;      /* coldplug from here; NULL: /sys. Another tree gets no uevent monitor */
        const char *config_root; /* modules-load.d and /run/modctl below this; NULL: / (set by the manager) */
        const char *kernel_cmdline; /* modules_load=; NULL: /proc/cmdline (set by the manager) */
} AutoloadConfig;

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
