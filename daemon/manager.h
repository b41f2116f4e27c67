/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The context that owns everything: the event loop, the bus connection, the kernel backend,
 * the resolver, the scheduler, and the record of which origin loaded each module. It knows
 * nothing about D-Bus message formats; bus-manager.c translates. */

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "failure.h"
#include "hook.h"
#include "kernel.h"
#include "resolver.h"
#include "scheduler.h"

/* Who asked: reported in ModuleLoaded/ModuleUnloaded and kept per module. */
#define ORIGIN_USER     "user"
#define ORIGIN_KERNEL   "kernel"
#define ORIGIN_DEVICE   "device"
#define ORIGIN_BOOT     "boot"
#define ORIGIN_EXTERNAL "external"

typedef struct ModuleRecord ModuleRecord;
typedef struct Request Request;

typedef struct ManagerConfig {
        const char *bus_address;        /* NULL: the system bus */
        const char *config_root;        /* read modctld.conf below this directory; NULL: / */
        const char *hook_socket;        /* the kernel hook's socket; NULL: /run/modctl/request.sock */
        ResolverConfig resolver;
        SchedulerConfig scheduler;
} ManagerConfig;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Kernel *kernel;
        Resolver *resolver;
        Scheduler *scheduler;
        Config *config;         /* the configuration in force */
        Hook *hook;             /* the kernel's request_module() requests */
        char *config_root;
        ModuleRecord *records;  /* uthash by module name */
        Request *requests;      /* uthash by request key: identical requests share one job */
        char *bus_address;
} Manager;

/* Called once per request when it is over: failure is NULL on success, changed lists the
 * modules inserted or removed, in order. May be called before manager_load() returns. */
typedef void (*manager_done_t)(const Failure *failure, char **changed, void *userdata);

/* Takes ownership of kernel, also on failure. */
int manager_new(const ManagerConfig *config, Kernel *kernel, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }

/* Connects to the bus, publishes the API, takes the name, watches the kernel. */
int manager_start(Manager *m);

/* flags are MODCTL_LOAD_* without DRY_RUN (use manager_plan_load for that). */
void manager_load(Manager *m, const char *name, const char *params, uint64_t flags, const char *origin,
                  manager_done_t done, void *userdata);
void manager_unload(Manager *m, const char *name, uint64_t flags, const char *origin,
                    manager_done_t done, void *userdata);
/* True if a load with these arguments is in flight, so that manager_load() would join it. */
bool manager_load_pending(Manager *m, const char *name, const char *params, uint64_t flags);
int manager_plan_load(Manager *m, const char *name, const char *params, uint64_t flags, Plan **ret,
                      Failure *failure);

/* The origin recorded for a loaded module, or NULL if unknown. */
const char *manager_module_origin(Manager *m, const char *name);
