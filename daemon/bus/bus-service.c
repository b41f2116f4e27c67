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

static void on_module_loaded(const char *name, const char *origin, const Requester *who, void *userdata) {
        BusContext *b = userdata;

        bus_manager_emit_module_event(b, true, name, origin);
        bus_module_added(b, name);
}

static void on_module_unloaded(const char *name, const char *origin, const Requester *who, void *userdata) {
        BusContext *b = userdata;

        bus_manager_emit_module_event(b, false, name, origin);
        bus_module_removed(b, name);
}

static void on_load_failed(const char *name, const char *origin, const Requester *who,
                           const Failure *failure, void *userdata) {
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

static void on_boot_list_loaded(void *userdata) {
        bus_timeline_boot_list_loaded(userdata);
}

static void on_external_load(const OwnershipReport *report, void *userdata) {
        bus_ownership_emit_external_load(userdata, report);
}

static void on_kernel_request(const OwnershipReport *report, void *userdata) {
        bus_ownership_emit_kernel_request(userdata, report);
}

static void on_setting_changed(const char *module, const char *setting, const char *value, const char *file,
                               const Requester *who, void *userdata) {
        bus_manager_emit_setting_changed(userdata, module, setting, value, file);
}

static void on_settings_changed(void *userdata) {
        bus_modules_settings_changed(userdata);
}

static const ManagerEvents bus_events = {
        .boot_list_loaded = on_boot_list_loaded,
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
        sd_event_source_disable_unref(b->reconnect);
        /* They hold messages and slots of the bus. */
        bus_auth_flush(b);
        b->modules = bus_modules_free(b->modules);
        bus_timeline_free_waiters(b);
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

        /* The connection works: a later loss reconnects at once again. */
        b->reconnect_delay = 0;
        if (b->lost) {
                b->lost = false;
                log_info("Back on the bus: serving %s again.", MODCTL_BUS_NAME);
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

/* The system bus is opened with watch-bind: while its socket does not exist (or refuses, as a
 * dead dbus-daemon's does), sd-bus waits for it (inotify) and connects when it appears, like
 * networkd and resolved do. Calls and signals made meanwhile are queued. A configured address
 * (tests) fails at once on the first connection, and waits the same way on a reconnection. */
static int bus_open(BusContext *b, bool watch_bind, sd_bus **ret) {
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
        if (!b->address || watch_bind) {
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

static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error);

/* Opens the connection, publishes the objects on it, asks for the name and attaches it to the
 * event loop: at start, and again each time the bus came back. */
static int bus_connect(BusContext *b, bool reconnecting) {
        int r;

        r = bus_open(b, reconnecting, &b->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", b->address ? "configured" : "system");

        r = publish_manager(b->bus, b);
        if (r < 0)
                return log_error_errno(r, "Failed to publish %s: %m", MODCTL_BUS_PATH);

        r = bus_modules_start(b);
        if (r < 0)
                return r;

        /* dbus-daemon restarting or dying ends the connection; we carry on without it. */
        r = sd_bus_match_signal(b->bus, NULL, NULL, "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus connection: %m");

        r = sd_bus_request_name_async(b->bus, NULL, MODCTL_BUS_NAME, 0, on_name_acquired, b);
        if (r < 0)
                return log_error_errno(r, "Failed to request bus name %s: %m", MODCTL_BUS_NAME);

        r = sd_bus_attach_event(b->bus, manager_get_event(b->manager), SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}

/* Everything the old connection held goes with it: the polkit queries (their callers are gone
 * too), the module objects and their slots. */
static void bus_drop_connection(BusContext *b) {
        bus_auth_flush(b);
        b->modules = bus_modules_free(b->modules);
        b->bus = sd_bus_flush_close_unref(b->bus);
}

#define RECONNECT_DELAY_MIN_USEC (100 * USEC_PER_MSEC)
#define RECONNECT_DELAY_MAX_USEC (30 * USEC_PER_SEC)

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        BusContext *b = userdata;
        int r;

        bus_drop_connection(b);
        /* A connection that is lost again before the name is ours backs off: 0.1 s, doubling,
         * up to 30 s. Waiting for the bus's socket to come back is sd-bus's watch-bind (an
         * inotify event); the backoff is only for a bus that comes up and drops us at once. */
        b->reconnect_delay = b->reconnect_delay == 0 ? RECONNECT_DELAY_MIN_USEC :
                MIN(b->reconnect_delay * 2, RECONNECT_DELAY_MAX_USEC);
        r = bus_connect(b, true);
        if (r >= 0) {
                log_info("Reconnecting to the bus: %s is taken up again when the bus answers.",
                         MODCTL_BUS_NAME);
                return 0;
        }
        bus_drop_connection(b);
        r = sd_event_source_set_time_relative(s, b->reconnect_delay);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                return log_error_errno(r, "Cannot retry connecting to the bus, it stays off until modctld "
                                       "restarts: %m");
        return 0;
}

/* sd-bus closed the connection (dbus-daemon died or restarted). Kernel requests and devices
 * never went through the bus and are served all along; the bus API comes back by itself. The
 * connection is replaced from the event loop, not inside its own callback. */
static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        BusContext *b = userdata;
        int r;

        log_warning("Lost the connection to the bus: %s is off the bus until it returns; kernel requests "
                    "and device loads go on.", MODCTL_BUS_NAME);
        b->lost = true;
        if (!b->reconnect) {
                r = sd_event_add_time_relative(manager_get_event(b->manager), &b->reconnect, CLOCK_MONOTONIC,
                                               b->reconnect_delay, 0, on_reconnect, b);
                if (r >= 0)
                        (void) sd_event_source_set_description(b->reconnect, "bus-reconnect");
        } else {
                r = sd_event_source_set_time_relative(b->reconnect, b->reconnect_delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(b->reconnect, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_error_errno(r, "Cannot reconnect to the bus, it stays off until modctld restarts: %m");
        return 0;
}

int bus_service_start(BusContext *b) {
        bool exists;
        int r;

        assert(b);

        r = sd_bus_error_add_map(modctl_bus_error_map);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus error map: %m");

        exists = bus_exists(b);
        r = bus_connect(b, false);
        if (r < 0)
                return r;

        /* Root's direct path. Without it root's modctl still works over the bus, so a failure
         * here is a warning. Tests on a private bus only get one when they name a path. */
        if (b->private_socket || !b->address)
                (void) bus_private_start(manager_get_event(b->manager), b->private_socket, publish_manager, b,
                                         &b->private);

        /* When the boot list starts is the manager's decision; it needs to know whether the bus
         * was up. */
        r = manager_bus_connecting(b->manager, exists);
        if (r < 0)
                return log_error_errno(r, "Failed to set up a timer: %m");
        return 0;
}
