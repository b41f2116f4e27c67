/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* What the manager tells the rest of the daemon: the event sink. The bus layer turns these into
 * signals and module objects, the kernel hook and autoload keep their caches and sticky set
 * current, tests record them. The manager knows its listeners only through this table, so the
 * core never includes a bus header.
 *
 * Every callback is optional (NULL: not interested) and runs on the event loop, in the order
 * the listeners registered. A callback may start new requests, but must not remove a listener. */

#include <stdbool.h>
#include <stdint.h>

#include "common/failure.h"
#include "common/requester.h"
#include "kernel/bpf/ownership-report.h"

typedef struct ManagerEvents {
        /* A module's "add" or "remove" uevent: any load or unload on the host. origin is who
         * asked for it (ORIGIN_*), "external" for tools other than modctld; who is the caller
         * of the load or unload (NULL: nobody we know of, as for boot, device or external). */
        void (*module_loaded)(const char *name, const char *origin, const Requester *who, void *userdata);
        void (*module_unloaded)(const char *name, const char *origin, const Requester *who, void *userdata);
        /* A load request failed, before or while its job ran. name is what was asked for, who
         * asked it (NULL: unknown). */
        void (*load_failed)(const char *name, const char *origin, const Requester *who,
                            const Failure *failure, void *userdata);
        /* An unload request finished: removed lists the modules it removed, in order. */
        void (*unload_finished)(const char *origin, char **removed, void *userdata);
        /* Mode=warn let a module load that the policy would have denied. */
        void (*policy_warning)(const char *module, const char *rule, const char *reason, const char *origin,
                               void *userdata);
        /* A reload was applied (message "") or refused (message says FILE:LINE; the previous
         * configuration stays in force). */
        void (*config_reloaded)(bool applied, const char *message, void *userdata);
        /* A batch nobody asked for by name is done: "boot" or "coldplug". */
        void (*autoload_finished)(const char *batch, unsigned requested, unsigned inserted, unsigned failed,
                                  uint64_t usec, void *userdata);
        /* The boot list is loaded (every load of the "boot" batch has finished, successfully or
         * not), or there is none to load (autoload off): once per daemon run, after READY=1. */
        void (*boot_list_loaded)(void *userdata);
        /* The kernel hook (modctl-request) answered a request_module() for name from helper
         * pid; failure is NULL when the module is loaded. */
        void (*hook_request)(const char *name, int pid, const Failure *failure, void *userdata);
        /* The module index or modprobe.d changed; the resolver has reloaded. */
        void (*index_changed)(void *userdata);
        /* Kernel-enforced ownership's programs saw a module insert by another process
         * (Ownership=audit or exclusive; report->refused under exclusive). */
        void (*external_load)(const OwnershipReport *report, void *userdata);
        /* They saw a request_module() (report->name), allowed or refused by KernelRequests=. */
        void (*kernel_request)(const OwnershipReport *report, void *userdata);
        /* A persistent setting changed through the API: setting is "boot", "blacklist",
         * "disable" or "options", value "yes", "no" or the options, file the file written, who
         * the caller (NULL: unknown). */
        void (*setting_changed)(const char *module, const char *setting, const char *value, const char *file,
                                const Requester *who, void *userdata);
        /* Some module's effective settings may have changed (a settings file or the policy
         * changed): what a module reports as BootLoad, Blacklisted, Disabled, Options. */
        void (*settings_changed)(void *userdata);
} ManagerEvents;
