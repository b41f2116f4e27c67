/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "bus/bus-error.h"
#include "bus/bus-module.h"
#include "bus/bus-caller.h"
#include "bus/bus-object.h"
#include "bus/bus-string.h"
#include "common/log.h"
#include "modctl-bus.h"
#include "common/strv.h"

/* A module as last announced on the bus. */
typedef struct Announced {
        char *name;
        KernelModuleState state;
        int refcount;
        char *holders;          /* joined, for comparison */
        char *taint;
        bool boot, blacklisted, disabled;
        char *options;
        unsigned generation;    /* the pass that last saw it loaded */
        UT_hash_handle hh;
} Announced;

/* The last event per module since the previous pass: a "remove" wins over a stale
 * /proc/modules line of a module that is going away. */
typedef struct PendingEvent {
        char *name;
        bool removed;
        UT_hash_handle hh;
} PendingEvent;

struct BusModules {
        BusContext *context;
        Announced *announced;
        PendingEvent *pending;
        sd_event_source *sync_source;   /* a oneshot defer: one pass per loop iteration */
        unsigned generation;
        KernelModule current;           /* the module the last object lookup found */
        sd_bus_slot *slots[3];
};

static Announced *announced_free(BusModules *b, Announced *a) {
        if (!a)
                return NULL;
        HASH_DEL(b->announced, a);
        free(a->name);
        free(a->holders);
        free(a->taint);
        free(a->options);
        free(a);
        return NULL;
}

static void pending_clear(BusModules *b) {
        PendingEvent *e, *t;

        HASH_ITER(hh, b->pending, e, t) {
                HASH_DEL(b->pending, e);
                free(e->name);
                free(e);
        }
}

BusModules *bus_modules_free(BusModules *b) {
        Announced *a, *t;

        if (!b)
                return NULL;
        HASH_ITER(hh, b->announced, a, t)
                announced_free(b, a);
        pending_clear(b);
        sd_event_source_disable_unref(b->sync_source);
        kernel_module_done(&b->current);
        for (size_t i = 0; i < ELEMENTSOF(b->slots); i++)
                sd_bus_slot_unref(b->slots[i]);
        free(b);
        return NULL;
}

/* ---- the objects ---- */

static int module_path(const char *name, char **ret) {
        return sd_bus_path_encode(MODCTL_MODULE_PATH_PREFIX, name, ret);
}

static int module_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                       sd_bus_error *error) {
        BusModules *b = userdata;
        _cleanup_free_ char *name = NULL;
        KernelModule km = {};
        int r;

        r = sd_bus_path_decode(path, MODCTL_MODULE_PATH_PREFIX, &name);
        if (r <= 0)
                return r;
        r = module_registry_get(manager_modules(b->context->manager), name, &km);
        if (r == -ENOENT || r == -EINVAL)
                return 0;
        if (r < 0)
                return r;

        /* The getters that follow in this dispatch read from here, so GetAll reads the kernel once. */
        kernel_module_done(&b->current);
        b->current = km;
        *ret_found = b;
        return 1;
}

static int module_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        BusModules *b = userdata;
        _cleanup_(strv_freep) char **nodes = NULL;
        KernelModule *modules = NULL;
        size_t n = 0;
        int r;

        r = module_registry_list(manager_modules(b->context->manager), &modules, &n);
        if (r < 0)
                return r;
        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes) {
                kernel_module_array_free(modules, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                r = module_path(modules[i].name, &nodes[i]);
                if (r < 0)
                        break;
        }
        kernel_module_array_free(modules, n);
        if (r < 0)
                return r;
        *ret_nodes = TAKE_PTR(nodes);
        return 0;
}

static int property_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return bus_append(reply, "s", b->current.name);
}

static int property_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return sd_bus_message_append(reply, "s", kernel_module_state_to_string(b->current.state));
}

static int property_size(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return sd_bus_message_append(reply, "t", b->current.size);
}

static int property_refcount(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return sd_bus_message_append(reply, "i", (int32_t) b->current.refcount);
}

static int property_holders(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return bus_append_strv(reply, b->current.holders);
}

static int property_taint(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return bus_append(reply, "s", strempty(b->current.taint));
}

static int property_origin(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return bus_append(reply, "s", strempty(module_registry_origin(manager_modules(b->context->manager), b->current.name)));
}

static int property_loaded_at(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        return sd_bus_message_append(reply, "t", module_registry_loaded_at(manager_modules(b->context->manager), b->current.name));
}

#ifndef UID_INVALID
#define UID_INVALID ((uid_t) -1)
#endif

static int property_parameters(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        BusModules *b = userdata;
        _cleanup_(strv_freep) char **pairs = NULL;
        uid_t euid = UID_INVALID;
        int r;

        /* The daemon reads sysfs as root; a caller that is not sees what it could read itself.
         * Without credentials, assume the caller is not root. */
        sd_bus_message *call = sd_bus_get_current_message(bus);
        if (call && sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds) >= 0)
                (void) sd_bus_creds_get_euid(creds, &euid);

        r = module_registry_parameters(manager_modules(b->context->manager), b->current.name, euid != 0, &pairs);
        if (r == -ENOENT)
                pairs = NULL; /* gone meanwhile: no parameters to show */
        else if (r < 0)
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot read the parameters of module '%s': %s.",
                                      b->current.name, strerror(-r));

        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        for (char **p = pairs; p && p[0] && p[1]; p += 2) {
                r = bus_append(reply, "{ss}", p[0], p[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_description(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusModules *b = userdata;
        _cleanup_free_ char *d = NULL;

        (void) catalog_service_description(manager_catalog(b->context->manager), b->current.name, &d);
        return bus_append(reply, "s", strempty(d));
}

static int property_setting(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_(bus_caller_done) BusCaller caller = {};
        BusModules *b = userdata;
        ModuleSettings ms = {};
        int r;

        /* Options shows only what the caller of Get or GetAll could read itself: a signal (the
         * InterfacesAdded that every mirror sees) is built for nobody in particular. */
        bus_caller_from_message(sd_bus_message_is_signal(reply, NULL, NULL) > 0 ? NULL :
                                sd_bus_get_current_message(bus), &caller);
        r = settings_service_query(manager_settings(b->context->manager), b->current.name, &caller.caller, &ms);
        if (r < 0)
                return r;
        if (strcmp(property, "BootLoad") == 0)
                r = sd_bus_message_append(reply, "b", ms.boot);
        else if (strcmp(property, "Blacklisted") == 0)
                r = sd_bus_message_append(reply, "b", ms.blacklisted);
        else if (strcmp(property, "Disabled") == 0)
                r = sd_bus_message_append(reply, "b", ms.disabled);
        else
                r = bus_append(reply, "s", ms.options);
        module_settings_done(&ms);
        return r;
}

static const sd_bus_vtable module_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Size", "t", property_size, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RefCount", "i", property_refcount, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Holders", "as", property_holders, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Taint", "s", property_taint, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Origin", "s", property_origin, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LoadedAt", "t", property_loaded_at, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* Writable through sysfs behind our back: no change signal, read it when needed. */
        SD_BUS_PROPERTY("Parameters", "a{ss}", property_parameters, 0, 0),
        SD_BUS_PROPERTY("Description", "s", property_description, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BootLoad", "b", property_setting, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Blacklisted", "b", property_setting, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Disabled", "b", property_setting, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Each caller sees its own view of it: the change signal carries no value. */
        SD_BUS_PROPERTY("Options", "s", property_setting, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_VTABLE_END
};

/* ---- keeping clients' mirrors current ---- */

#define ANNOUNCED_MAX 9

static int announced_set(BusModules *b, Announced *a, const KernelModule *km, char **ret_changed) {
        _cleanup_free_ char *holders = strv_join(km->holders, ",");
        _cleanup_free_ char *taint = strdup(strempty(km->taint));
        ModuleSettings ms = {};
        size_t n = 0;
        int r;

        if (!holders || !taint)
                return -ENOMEM;
        r = settings_service_query(manager_settings(b->context->manager), km->name, NULL, &ms);
        if (r < 0)
                return r;
        if (a->boot != ms.boot)
                ret_changed[n++] = (char *) "BootLoad";
        if (a->blacklisted != ms.blacklisted)
                ret_changed[n++] = (char *) "Blacklisted";
        if (a->disabled != ms.disabled)
                ret_changed[n++] = (char *) "Disabled";
        if (!a->options || strcmp(a->options, ms.options) != 0)
                ret_changed[n++] = (char *) "Options";
        a->boot = ms.boot;
        a->blacklisted = ms.blacklisted;
        a->disabled = ms.disabled;
        free(a->options);
        a->options = TAKE_PTR(ms.options);
        if (a->state != km->state)
                ret_changed[n++] = (char *) "State";
        if (a->refcount != km->refcount)
                ret_changed[n++] = (char *) "RefCount";
        if (!a->holders || strcmp(a->holders, holders) != 0)
                ret_changed[n++] = (char *) "Holders";
        if (!a->taint || strcmp(a->taint, taint) != 0)
                ret_changed[n++] = (char *) "Taint";
        ret_changed[n] = NULL;

        a->state = km->state;
        a->refcount = km->refcount;
        free(a->holders);
        a->holders = TAKE_PTR(holders);
        free(a->taint);
        a->taint = TAKE_PTR(taint);
        return 0;
}

static void sync_one(BusModules *b, const KernelModule *km) {
        sd_bus *bus = b->context->bus;
        _cleanup_free_ char *path = NULL;
        char *changed[ANNOUNCED_MAX];
        Announced *a = NULL;
        int r;

        r = module_path(km->name, &path);
        if (r < 0) {
                log_oom();
                return;
        }

        HASH_FIND_STR(b->announced, km->name, a);
        if (!a) {
                a = calloc(1, sizeof(Announced));
                if (!a || !(a->name = strdup(km->name)) || announced_set(b, a, km, changed) < 0) {
                        if (a) {
                                free(a->name);
                                free(a->holders);
                                free(a->taint);
                                free(a->options);
                                free(a);
                        }
                        log_oom();
                        return;
                }
                r = sd_bus_emit_interfaces_added(bus, path, MODCTL_MODULE_INTERFACE, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to announce module %s: %m", km->name);
                HASH_ADD_KEYPTR(hh, b->announced, a->name, strlen(a->name), a);
        } else {
                if (announced_set(b, a, km, changed) < 0) {
                        log_oom();
                        return;
                }
                if (changed[0]) {
                        r = sd_bus_emit_properties_changed_strv(bus, path, MODCTL_MODULE_INTERFACE, changed);
                        if (r < 0)
                                log_debug_errno(r, "Failed to announce the changes of module %s: %m", km->name);
                }
        }
        a->generation = b->generation;
}

static void sync_gone(BusModules *b, Announced *a) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = module_path(a->name, &path);
        if (r >= 0)
                r = sd_bus_emit_interfaces_removed(b->context->bus, path, MODCTL_MODULE_INTERFACE, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to announce that module %s is gone: %m", a->name);
        announced_free(b, a);
}

/* Compares the kernel with what was announced and announces the difference. With emit false
 * it only takes the snapshot (at start, when nobody can have a mirror yet). */
static int modules_sync(BusModules *b, bool emit) {
        KernelModule *modules = NULL;
        Announced *a, *t;
        size_t n = 0;
        int r;

        r = module_registry_list(manager_modules(b->context->manager), &modules, &n);
        if (r < 0)
                return log_warning_errno(r, "Failed to read the loaded modules: %m");

        b->generation++;
        for (size_t i = 0; i < n; i++) {
                PendingEvent *e = NULL;

                HASH_FIND_STR(b->pending, modules[i].name, e);
                if (e && e->removed)
                        continue;
                if (emit)
                        sync_one(b, &modules[i]);
                else {
                        char *changed[ANNOUNCED_MAX];
                        a = calloc(1, sizeof(Announced));
                        if (!a || !(a->name = strdup(modules[i].name)) || announced_set(b, a, &modules[i], changed) < 0) {
                                if (a) {
                                        free(a->name);
                                        free(a->holders);
                                        free(a->taint);
                                        free(a->options);
                                }
                                free(a);
                                r = log_oom();
                                break;
                        }
                        a->generation = b->generation;
                        HASH_ADD_KEYPTR(hh, b->announced, a->name, strlen(a->name), a);
                }
        }
        kernel_module_array_free(modules, n);
        pending_clear(b);
        if (r < 0)
                return r;

        HASH_ITER(hh, b->announced, a, t)
                if (a->generation != b->generation)
                        sync_gone(b, a);
        return 0;
}

static int on_sync(sd_event_source *s, void *userdata) {
        (void) modules_sync(userdata, true);
        return 0;
}

static void module_event(BusContext *c, const char *name, bool removed) {
        BusModules *b = c->modules;
        PendingEvent *e = NULL;
        int r;

        if (!b)
                return;
        HASH_FIND_STR(b->pending, name, e);
        if (!e) {
                e = calloc(1, sizeof(PendingEvent));
                if (e && !(e->name = strdup(name))) {
                        free(e);
                        e = NULL;
                }
                if (e)
                        HASH_ADD_KEYPTR(hh, b->pending, e->name, strlen(e->name), e);
        }
        if (e)
                e->removed = removed;

        r = sd_event_source_set_enabled(b->sync_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule the update of the module objects: %m");
}

void bus_modules_settings_changed(BusContext *c) {
        BusModules *b = c->modules;
        int r;

        assert(c);

        if (!b || !b->sync_source)
                return;
        r = sd_event_source_set_enabled(b->sync_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule the update of the module objects: %m");
}

void bus_module_added(BusContext *c, const char *name) {
        assert(c);
        assert(name);
        module_event(c, name, false);
}

void bus_module_removed(BusContext *c, const char *name) {
        assert(c);
        assert(name);
        module_event(c, name, true);
}

static const BusObjectImplementation module_object = {
        .path = MODCTL_MODULE_PATH_PREFIX,
        .interface = MODCTL_MODULE_INTERFACE,
        .vtable = module_vtable,
        .find = module_find,
        .enumerator = module_enumerate,
        .object_manager = MODCTL_BUS_PATH,
};

int bus_modules_start(BusContext *c) {
        BusModules *b;
        int r;

        assert(c);

        b = calloc(1, sizeof(BusModules));
        if (!b)
                return log_oom();
        b->context = c;
        c->modules = b;

        r = bus_add_implementation(c->bus, &module_object, b, b->slots);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the module objects: %m");

        r = sd_event_add_defer(manager_get_event(c->manager), &b->sync_source, on_sync, b);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the module object updates: %m");
        (void) sd_event_source_set_enabled(b->sync_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(b->sync_source, "bus-module-sync");

        /* Without a snapshot the first pass announces every module as new; harmless. */
        (void) modules_sync(b, false);
        return 0;
}
