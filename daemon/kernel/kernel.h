/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_KERNEL) && \
    !defined(MODCTL_LAYER_MAIN)
#error "kernel/kernel.h is the kernel port: the bus layer reads kernel state through the manager"
#endif

/* The narrow interface between modctld and the kernel. Everything that inserts, removes or
 * observes modules goes through a Kernel. The real backend (kernel.c) uses finit_module(),
 * delete_module(), /proc/modules, /sys/module and module uevents; the fake backend
 * (tests/fake-kernel/) keeps the same state in memory so that unit and integration tests can drive
 * the daemon without a kernel. All functions return 0 or a negative errno and never log.
 * insert, remove, get_state and list may be called from worker threads concurrently. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "kernel/kernel-module.h"

typedef enum KernelEvent {
        KERNEL_EVENT_ADD,
        KERNEL_EVENT_REMOVE,
} KernelEvent;

/* Called on the event loop for every module that appears or goes away, whoever caused it. */
typedef void (*kernel_event_handler_t)(KernelEvent event, const char *name, void *userdata);

typedef struct Kernel Kernel;

typedef struct KernelOps {
        const char *backend;
        /* Insert the module behind fd. flags are finit_module() flags. */
        int (*insert)(Kernel *k, const char *name, int fd, const char *params, unsigned flags);
        /* Remove a module without waiting for its users (O_NONBLOCK semantics). */
        int (*remove)(Kernel *k, const char *name);
        int (*get_state)(Kernel *k, const char *name, KernelModuleState *ret);
        /* One module's details; -ENOENT if not loaded. */
        int (*get)(Kernel *k, const char *name, KernelModule *ret);
        int (*list)(Kernel *k, KernelModule **ret, size_t *ret_n);
        /* A loaded module's readable parameters as name, value, name, value, ..., NULL, sorted by
         * name; an empty list when it has none; -ENOENT if not loaded. world_readable_only: only
         * those any user may read (mode o+r), for callers that are not root. */
        int (*get_parameters)(Kernel *k, const char *name, bool world_readable_only, char ***ret);
        /* The algorithm the kernel decompresses in finit_module() ("xz", "zstd", "gzip"), or NULL. */
        const char *(*decompression)(Kernel *k);
        int (*watch)(Kernel *k, sd_event *event, kernel_event_handler_t handler, void *userdata);
        /* Hands every event queued right now to the watch's handler, on the event loop, without
         * waiting for its turn (a no-op when not watching). The kernel queues a module's event
         * before finit_module()/delete_module() return, so a caller that calls this after a
         * worker's result arrived has seen that module's event first. */
        void (*dispatch_events)(Kernel *k);
        /* Descriptions ("<CN>: <subject key id>") of the keys the kernel trusts for module
         * signatures: those reachable from .secondary_trusted_keys (or .builtin_trusted_keys),
         * which include .machine only where the kernel links it, and never .platform
         * (trusted-keys.h). */
        int (*trusted_keys)(Kernel *k, char ***ret);
        /* kernel.modprobe: what request_module() runs. */
        int (*get_modprobe_path)(Kernel *k, char **ret);
        /* Runs a modprobe.d install or remove command for module, with options as
         * $CMDLINE_OPTS (kernel/command.h), bounded by timeout_usec; *ret_status is its wait
         * status. The core reaches commands only through here, never by running them itself. */
        int (*run_command)(Kernel *k, const char *command, const char *module, const char *options,
                           uint64_t timeout_usec, int *ret_status);
        int (*set_modprobe_path)(Kernel *k, const char *path);
        /* The kernel command line (/proc/cmdline) without its newline, "" when empty: the
         * kernel's module_blacklist= and kmod's modprobe.blacklist= are read from it. */
        int (*get_cmdline)(Kernel *k, char **ret);
        /* The clock that the boot timeline is kept in (usec); NULL: CLOCK_MONOTONIC, which
         * starts near the kernel's own start, as systemd-analyze's does. The fake kernel's
         * virtual clock makes timelines exact in tests. Thread-safe. */
        uint64_t (*now)(Kernel *k);
        void (*free)(Kernel *k);
} KernelOps;

struct Kernel {
        const KernelOps *ops;
};

/* finit_module() flags */
#define KERNEL_INSERT_IGNORE_MODVERSIONS 1u
#define KERNEL_INSERT_IGNORE_VERMAGIC    2u
#define KERNEL_INSERT_COMPRESSED_FILE    4u

int kernel_new_real(Kernel **ret);
/* The real backend, reading /proc and /sys below root instead of "/" (root may be NULL).
 * insert and remove still go to the running kernel. */
int kernel_new_real_at(const char *root, Kernel **ret);

static inline Kernel *kernel_free(Kernel *k) {
        if (k)
                k->ops->free(k);
        return NULL;
}

static inline void kernel_freep(Kernel **k) {
        kernel_free(*k);
}

/* A sentence fragment explaining what an errno from finit_module() usually means. */
const char *kernel_insert_error_hint(int error);

static inline uint64_t kernel_now(Kernel *k) {
        struct timespec ts;

        if (k->ops->now)
                return k->ops->now(k);
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static inline int kernel_insert(Kernel *k, const char *name, int fd, const char *params, unsigned flags) {
        return k->ops->insert(k, name, fd, params, flags);
}
static inline int kernel_remove(Kernel *k, const char *name) {
        return k->ops->remove(k, name);
}
static inline int kernel_get_state(Kernel *k, const char *name, KernelModuleState *ret) {
        return k->ops->get_state(k, name, ret);
}
static inline int kernel_get(Kernel *k, const char *name, KernelModule *ret) {
        return k->ops->get(k, name, ret);
}
static inline int kernel_list(Kernel *k, KernelModule **ret, size_t *ret_n) {
        return k->ops->list(k, ret, ret_n);
}
static inline int kernel_get_parameters(Kernel *k, const char *name, bool world_readable_only, char ***ret) {
        return k->ops->get_parameters(k, name, world_readable_only, ret);
}
static inline const char *kernel_decompression(Kernel *k) {
        return k->ops->decompression(k);
}
static inline int kernel_trusted_keys(Kernel *k, char ***ret) {
        return k->ops->trusted_keys(k, ret);
}
static inline int kernel_watch(Kernel *k, sd_event *e, kernel_event_handler_t h, void *userdata) {
        return k->ops->watch(k, e, h, userdata);
}
static inline void kernel_dispatch_events(Kernel *k) {
        if (k->ops->dispatch_events)
                k->ops->dispatch_events(k);
}
static inline int kernel_get_modprobe_path(Kernel *k, char **ret) {
        return k->ops->get_modprobe_path(k, ret);
}
static inline int kernel_set_modprobe_path(Kernel *k, const char *path) {
        return k->ops->set_modprobe_path(k, path);
}
/* -EOPNOTSUPP from a backend that has no command line (the unit tests' stubs). */
static inline int kernel_get_cmdline(Kernel *k, char **ret) {
        if (!k->ops->get_cmdline)
                return -EOPNOTSUPP;
        return k->ops->get_cmdline(k, ret);
}
static inline int kernel_run_command(Kernel *k, const char *command, const char *module, const char *options,
                                     uint64_t timeout_usec, int *ret_status) {
        if (!k->ops->run_command)
                return -EOPNOTSUPP;
        return k->ops->run_command(k, command, module, options, timeout_usec, ret_status);
}
