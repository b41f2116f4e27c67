/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bus/bus-auth.h"
#include "bus/bus-object.h"
#include "bus/bus-service.h"
#include "bus/bus-settings.h"
#include "bus/bus-timeline.h"
#include "bus/bus-private.h"
#include "bus/bus-quota.h"
#include "bus/bus-error.h"
#include "bus/bus-manager.h"
#include "bus/bus-module.h"
#include "bus/bus-ownership.h"
#include "common/log.h"
#include "modctl-bus.h"
#include "common/time-util.h"

static void on_module_loaded(const char *name, const char *origin, void *userdata) {
        BusContext *b = userdata;

        bus_manager_emit_module_event(b, true, name, origin);
        bus_module_added(b, name);
}

static void on_module_unloaded(const char *name, const char *origin, void *userdata) {
        BusContext *b = userdata;

        bus_manager_emit_module_event(b, false, name, origin);
        bus_module_removed(b, name);
}

static void on_load_failed(const char *name, const char *origin, const Failure *failure, void *userdata) {
        bus_manager_emit_load_failed(userdata, name, origin, failure);
}

static void on_policy_warning(const char *module, const char *rule, const char *reason, const char *origin,
                              void *userdata) {
        bus_manager_emit_policy_warning(userdata, module, rule, reason);
}

static void on_config_reloaded(bool applied, const char *message, void *userdata) {
        bus_manager_emit_config_reloaded(userdata, applied, message);
}

static void on_autoload_finished(const char *batch, unsigned requested, unsigned inserted, unsigned failed,
                                 uint64_t usec, void *userdata) {
        bus_manager_emit_autoload_finished(userdata, batch, requested, inserted, failed, usec);
}

static void on_external_load(const OwnershipReport *report, void *userdata) {
        bus_ownership_emit_external_load(userdata, report);
}

static void on_kernel_request(const OwnershipReport *report, void *userdata) {
        bus_ownership_emit_kernel_request(userdata, report);
}

static void on_setting_changed(const char *module, const char *setting, const char *value, const char *file,
                               void *userdata) {
        bus_manager_emit_setting_changed(userdata, module, setting, value, file);
}

static void on_settings_changed(void *userdata) {
        bus_modules_settings_changed(userdata);
}

static const ManagerEvents bus_events = {
        .module_loaded = on_module_loaded,
        .module_unloaded = on_module_unloaded,
        .load_failed = on_load_failed,
        .policy_warning = on_policy_warning,
        .config_reloaded = on_config_reloaded,
        .autoload_finished = on_autoload_finished,
        .external_load = on_external_load,
        .kernel_request = on_kernel_request,
        .setting_changed = on_setting_changed,
        .settings_changed = on_settings_changed,
};

int bus_service_new(Manager *m, const char *address, BusContext **ret) {
        _cleanup_(bus_service_freep) BusContext *b = NULL;
        int r;

        assert(m);
        assert(ret);

        b = calloc(1, sizeof(BusContext));
        if (!b)
                return log_oom();
        b->manager = m;
        if (address) {
                b->address = strdup(address);
                if (!b->address)
                        return log_oom();
        }
        r = manager_add_listener(m, &bus_events, b);
        if (r < 0)
                return log_oom();

        *ret = TAKE_PTR(b);
        return 0;
}

BusContext *bus_service_free(BusContext *b) {
        if (!b)
                return NULL;

        manager_remove_listener(b->manager, &bus_events, b);
        /* They hold messages and slots of the bus. */
        bus_auth_flush(b);
        b->modules = bus_modules_free(b->modules);
        b->private = bus_private_free(b->private);
        bus_quota_free(&b->search_quota);
        sd_bus_flush_close_unref(b->bus);
        free(b->address);
        free(b->private_socket);
        free(b);
        return NULL;
}

static int on_name_acquired(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        BusContext *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(message);

        if (e) {
                log_error("Failed to acquire bus name %s: %s", MODCTL_BUS_NAME, e->message ?: e->name);
                return sd_event_exit(manager_get_event(b->manager), -EADDRINUSE);
        }

        manager_name_acquired(b->manager);
        return 1;
}

#define SYSTEM_BUS_PATH "/run/dbus/system_bus_socket"

static const char *system_bus_address(void) {
        return secure_getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: "unix:path=" SYSTEM_BUS_PATH;
}

/* False in early boot, before dbus.socket exists (modctld runs before sysinit.target). */
static bool bus_exists(BusContext *b) {
        if (b->address || secure_getenv("DBUS_SYSTEM_BUS_ADDRESS"))
                return true;
        return access(SYSTEM_BUS_PATH, F_OK) >= 0;
}

/* The system bus is opened with watch-bind: while its socket does not exist, sd-bus waits for
 * it (inotify) and connects when it appears, like networkd and resolved do. Calls and signals
 * made meanwhile are queued. */
static int bus_open(BusContext *b, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_description(bus, "modctld");
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, b->address ?: system_bus_address());
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        if (!b->address) {
                r = sd_bus_set_watch_bind(bus, true);
                if (r < 0)
                        return r;
        }
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Everything org.modctl1.Manager serves at MODCTL_BUS_PATH, on the system bus and on each of
 * root's private connections (the module objects are on the system bus only: bus-module.c). */
static const BusObjectImplementation *const manager_objects[] = {
        &bus_manager_object,
        &bus_settings_object,
        &bus_ownership_object,
        &bus_timeline_object,
};

static int publish_manager(sd_bus *bus, void *userdata) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(manager_objects); i++) {
                r = bus_add_implementation(bus, manager_objects[i], userdata, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_service_set_private_socket(BusContext *b, const char *path) {
        assert(b);

        free(b->private_socket);
        b->private_socket = path ? strdup(path) : NULL;
        return !path || b->private_socket ? 0 : -ENOMEM;
}

int bus_service_start(BusContext *b) {
        bool exists;
        int r;

        assert(b);

        r = sd_bus_error_add_map(modctl_bus_error_map);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus error map: %m");

        exists = bus_exists(b);
        r = bus_open(b, &b->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", b->address ? "configured" : "system");

        r = publish_manager(b->bus, b);
        if (r < 0)
                return log_error_errno(r, "Failed to publish %s: %m", MODCTL_BUS_PATH);

        r = bus_modules_start(b);
        if (r < 0)
                return r;

        /* Root's direct path. Without it root's modctl still works over the bus, so a failure
         * here is a warning. Tests on a private bus only get one when they name a path. */
        if (b->private_socket || !b->address)
                (void) bus_private_start(manager_get_event(b->manager), b->private_socket, publish_manager, b,
                                         &b->private);

        r = sd_bus_request_name_async(b->bus, NULL, MODCTL_BUS_NAME, 0, on_name_acquired, b);
        if (r < 0)
                return log_error_errno(r, "Failed to request bus name %s: %m", MODCTL_BUS_NAME);

        r = sd_bus_attach_event(b->bus, manager_get_event(b->manager), SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* When the boot list starts is the manager's decision; it needs to know whether the bus
         * was up. */
        r = manager_bus_connecting(b->manager, exists);
        if (r < 0)
                return log_error_errno(r, "Failed to set up a timer: %m");
        return 0;
}
