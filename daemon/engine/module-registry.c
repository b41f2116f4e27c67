/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "common/array-util.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/strv.h"
#include "core/first-start.h"
#include "engine/module-registry.h"
#include "kernel/kernel.h"

/* What the daemon knows about a module beyond the kernel's own state: who asked for it. */
typedef struct ModuleRecord {
        char *name;
        const char *origin;          /* who loaded it, or who is loading it */
        const char *removing_origin; /* set while one of our jobs may remove it */
        Requester who;               /* who asked for it to be loaded (with origin) */
        Requester removing_who;      /* who asked the job that may remove it */
        bool live;                   /* its "add" uevent has been seen */
        uint64_t loaded_at;          /* CLOCK_REALTIME usec of that uevent */
        UT_hash_handle hh;
} ModuleRecord;

struct ModuleRegistry {
        Kernel *kernel;
        ModuleRecord *records;       /* uthash by module name */
};

static ModuleRecord *record_free(ModuleRecord *r) {
        if (!r)
                return NULL;
        free(r->name);
        free(r);
        return NULL;
}

static ModuleRecord *record_get(ModuleRegistry *g, const char *name) {
        ModuleRecord *r = NULL;
        HASH_FIND_STR(g->records, name, r);
        return r;
}

static ModuleRecord *record_ensure(ModuleRegistry *g, const char *name, const char *origin) {
        ModuleRecord *r = record_get(g, name);
        if (r)
                return r;

        r = calloc(1, sizeof(ModuleRecord));
        if (!r)
                return NULL;
        r->name = strdup(name);
        if (!r->name)
                return record_free(r);
        r->origin = origin;
        r->who = REQUESTER_UNKNOWN;
        r->removing_who = REQUESTER_UNKNOWN;
        HASH_ADD_KEYPTR(hh, g->records, r->name, strlen(r->name), r);
        return r;
}

static void record_drop(ModuleRegistry *g, ModuleRecord *r) {
        HASH_DEL(g->records, r);
        record_free(r);
}

int module_registry_new(Kernel *kernel, ModuleRegistry **ret) {
        ModuleRegistry *g;

        assert(kernel);
        assert(ret);

        g = calloc(1, sizeof(ModuleRegistry));
        if (!g)
                return -ENOMEM;
        g->kernel = kernel;
        *ret = g;
        return 0;
}

ModuleRegistry *module_registry_free(ModuleRegistry *g) {
        ModuleRecord *r, *t;

        if (!g)
                return NULL;
        HASH_ITER(hh, g->records, r, t)
                record_drop(g, r);
        free(g);
        return NULL;
}

int module_registry_seed(ModuleRegistry *g, const char *first_start_path) {
        _cleanup_(strv_freep) char **now = NULL, **before = NULL;
        KernelModule *l = NULL;
        bool restart = false;
        size_t n = 0;
        CLEANUP_ARRAY(l, n, kernel_module_array_free);
        int r;

        assert(g);
        assert(first_start_path);

        r = kernel_list(g->kernel, &l, &n);
        if (r < 0)
                return r;
        FOREACH_ARRAY(km, l, n) {
                r = strv_extend(&now, km->name);
                if (r < 0)
                        return r;
        }
        r = first_start_modules(first_start_path, now, &before, &restart);
        if (r < 0)
                log_warning_errno(r, "Cannot keep the modules loaded before the first start in %s, all loaded "
                                  "modules count as loaded before this start: %m", first_start_path);
        FOREACH_ARRAY(km, l, n) {
                bool external = restart && !strv_contains(before, km->name);
                ModuleRecord *rec = record_ensure(g, km->name, external ? ORIGIN_EXTERNAL : NULL);
                if (!rec)
                        return -ENOMEM;
                rec->live = true;
        }
        return 0;
}

bool module_registry_observe(ModuleRegistry *g, bool added, const char *name, uint64_t now,
                             const char **ret_origin, Requester *ret_who) {
        ModuleRecord *r;

        assert(g);
        assert(name);
        assert(ret_origin);

        r = record_get(g, name);
        if (!added) {
                *ret_origin = r && r->removing_origin ? r->removing_origin : ORIGIN_EXTERNAL;
                if (ret_who)
                        *ret_who = r && r->removing_origin ? r->removing_who : REQUESTER_UNKNOWN;
                if (r)
                        record_drop(g, r);
                return true;
        }

        /* An "add" replayed for a module that is there already (udevadm trigger at boot writes
         * "add" to every /sys/module/NAME/uevent, built-ins included) is no load. */
        if (r && r->live)
                return false;
        if (!r) {
                KernelModuleState state;
                if (kernel_get_state(g->kernel, name, &state) >= 0 && state == KERNEL_MODULE_BUILTIN)
                        return false;
        }
        *ret_origin = r && r->origin ? r->origin : ORIGIN_EXTERNAL;
        if (ret_who)
                *ret_who = r ? r->who : REQUESTER_UNKNOWN;
        if (!r)
                r = record_ensure(g, name, ORIGIN_EXTERNAL);
        if (r) {
                r->live = true;
                r->loaded_at = now;
        }
        return true;
}

void module_registry_begin(ModuleRegistry *g, const Plan *plan, const char *origin, const Requester *who) {
        assert(g);
        assert(plan);

        for (size_t i = 0; i < plan->n_steps; i++) {
                ModuleRecord *r = record_ensure(g, plan->steps[i].name, origin);
                if (!r)
                        continue; /* without a record the event is reported as external; harmless */
                if (plan->steps[i].kind != PLAN_STEP_REMOVE && !r->live) {
                        r->origin = origin;
                        r->who = who ? *who : REQUESTER_UNKNOWN;
                }
                r->removing_origin = origin; /* a load job may unwind what it inserted */
                r->removing_who = who ? *who : REQUESTER_UNKNOWN;
        }
}

/* One it did insert keeps its record even if the "add" uevent has not been dispatched yet: the
 * completions of several steps can reach the event loop in one batch, ahead of the later
 * steps' uevents. */
void module_registry_end(ModuleRegistry *g, const Plan *plan, char **changed) {
        assert(g);
        assert(plan);

        for (size_t i = 0; i < plan->n_steps; i++) {
                ModuleRecord *r = record_get(g, plan->steps[i].name);
                if (!r)
                        continue;
                r->removing_origin = NULL;
                if (!r->live && !strv_contains(changed, r->name))
                        record_drop(g, r);
        }
}

const char *module_registry_origin(ModuleRegistry *g, const char *name) {
        assert(g);
        assert(name);
        ModuleRecord *r = record_get(g, name);
        return r && r->live ? r->origin : NULL;
}

const char *module_registry_loading_origin(ModuleRegistry *g, const char *name) {
        assert(g);
        assert(name);
        ModuleRecord *r = record_get(g, name);
        return r ? r->origin : NULL;
}

uint64_t module_registry_loaded_at(ModuleRegistry *g, const char *name) {
        assert(g);
        assert(name);
        ModuleRecord *r = record_get(g, name);
        return r && r->live ? r->loaded_at : 0;
}

int module_registry_list(ModuleRegistry *g, KernelModule **ret, size_t *ret_n) {
        assert(g);
        assert(ret);
        assert(ret_n);
        return kernel_list(g->kernel, ret, ret_n);
}

int module_registry_get(ModuleRegistry *g, const char *name, KernelModule *ret) {
        assert(g);
        assert(name);
        assert(ret);
        return kernel_get(g->kernel, name, ret);
}

int module_registry_parameters(ModuleRegistry *g, const char *name, bool world_readable_only, char ***ret) {
        assert(g);
        assert(name);
        assert(ret);
        return kernel_get_parameters(g->kernel, name, world_readable_only, ret);
}
