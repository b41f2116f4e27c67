/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-call.h"
#include "error-text.h"
#include "exit-status.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "output.h"

static BusTransport transport = BUS_TRANSPORT_BUS;
static const char *remote_host;
static bool offline_ok;
static char unreachable_reason[256];

void modctl_bus_set_offline_ok(bool b) {
        offline_ok = b;
}

bool modctl_bus_offline_ok(void) {
        return offline_ok;
}

BusTransport modctl_bus_transport(void) {
        return transport;
}

const char *modctl_bus_transport_name(void) {
        switch (transport) {
        case BUS_TRANSPORT_PRIVATE:
                return "private socket";
        case BUS_TRANSPORT_REMOTE:
                return "remote system bus";
        default:
                return "system bus";
        }
}

bool modctl_error_is_unreachable(const sd_bus_error *error) {
        return sd_bus_error_has_names(error,
                                      SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_SERVER,
                                      SD_BUS_ERROR_DISCONNECTED) ||
                (error->name && strncmp(error->name, "org.freedesktop.DBus.Error.Spawn.",
                                        strlen("org.freedesktop.DBus.Error.Spawn.")) == 0) ||
                /* Activation through systemd of a disabled (no dbus-org.modctl1.service alias)
                 * or masked modctld: systemd's reason, passed on by the bus. */
                sd_bus_error_has_names(error,
                                       "org.freedesktop.systemd1.NoSuchUnit",
                                       "org.freedesktop.systemd1.UnitMasked",
                                       "org.freedesktop.systemd1.LoadFailed");
}

static const char *bus_address(void) {
        const char *address = getenv("MODCTL_BUS_ADDRESS");
        return address && *address ? address : NULL;
}

static const char *private_socket(void) {
        const char *path = getenv("MODCTL_PRIVATE_SOCKET");
        return path && *path ? path : MODCTL_PRIVATE_SOCKET;
}

int modctl_log_unreachable(void) {
        const char *address = bus_address();
        const char *reason = *unreachable_reason ? unreachable_reason : strerror(ENOTCONN);

        exit_status_note(MODCTL_EXIT_UNREACHABLE);
        if (remote_host)
                log_error_line(_("cannot reach modctld on %s: %s"), remote_host, reason);
        else if (address)
                log_error_line(_("cannot reach modctld on the bus at %s: %s"), address, reason);
        else
                log_error_line(_("cannot reach modctld on the system bus: %s"), reason);
        if (!remote_host)
                fprintf(stderr, _("Is modctld running? Start it with: systemctl start modctld.service\n"));
        return -ENOTCONN;
}

static int unreachable(const char *reason) {
        snprintf(unreachable_reason, sizeof(unreachable_reason), "%s", reason);
        if (!offline_ok)
                modctl_log_unreachable();
        return -ENOTCONN;
}

/* What to do about a refusal, in the user's language (the daemon's sentence is English). */
static void log_authorization_hint(const sd_bus_error *error) {
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                fprintf(stderr, _("%s: authentication is required: run modctl in a terminal without "
                                  "--no-ask-password, or as root.\n"), program_invocation_short_name);
        else if (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED))
                fprintf(stderr, _("%s: loading and unloading modules needs root, or authorization by polkit "
                                  "(actions org.modctl1.load and org.modctl1.unload).\n"),
                        program_invocation_short_name);
}

/* The daemon's messages name the module: print them as they are, or our translation of the kind. */
int modctl_log_call_error(const sd_bus_error *error, int r) {
        char text[512];

        if (modctl_error_is_unreachable(error)) {
                snprintf(unreachable_reason, sizeof(unreachable_reason), "%s", error->message ?: error->name);
                return modctl_log_unreachable();
        }
        exit_status_note_error_name(error->name);
        if (error_text_translate(error, text, sizeof(text))) {
                /* The gist in the user's language, then the daemon's own sentence with its detail. */
                log_error_line("%s", text);
                if (error->message && *error->message)
                        fprintf(stderr, "  %s\n", term_escape(error->message));
        } else if (error->message && *error->message)
                log_error_line("%s", error->message);
        else if (error->name)
                log_error_line("%s", error->name);
        else
                log_error_line("%s", strerror(-r));
        log_authorization_hint(error);
        return r;
}

static int connect_address(const char *address, bool bus_client, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, bus_client);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Root talks to modctld directly, as systemctl does over /run/systemd/private: one hop less
 * (no dbus-daemon) and no Hello. Any failure falls back to the bus. */
static int connect_private(sd_bus **ret) {
        char address[sizeof("unix:path=") + 108];
        const char *path = private_socket();

        if (geteuid() != 0)
                return -EPERM;
        /* A private bus for tests ($MODCTL_BUS_ADDRESS) means no private socket unless the
         * test names one too. */
        if (bus_address() && !getenv("MODCTL_PRIVATE_SOCKET"))
                return -ENOENT;
        if (access(path, F_OK) < 0)
                return -errno;
        if ((size_t) snprintf(address, sizeof(address), "unix:path=%s", path) >= sizeof(address))
                return -ENAMETOOLONG;

        return connect_address(address, false, ret);
}

int modctl_bus_connect(const char *host, bool allow_private, sd_bus **ret) {
        const char *address = bus_address();
        int r;

        remote_host = host;
        if (host) {
                transport = BUS_TRANSPORT_REMOTE;
                r = sd_bus_open_system_remote(ret, host);
                return r < 0 ? unreachable(strerror(-r)) : 0;
        }

        if (allow_private && connect_private(ret) >= 0) {
                transport = BUS_TRANSPORT_PRIVATE;
                return 0;
        }

        transport = BUS_TRANSPORT_BUS;
        if (address)
                r = connect_address(address, true, ret);
        else
                r = sd_bus_open_system(ret);
        if (r < 0)
                return unreachable(strerror(-r));
        return 0;
}

int modctl_new_method_call(sd_bus *bus, const char *member, bool ask_password, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, MODCTL_BUS_NAME, MODCTL_BUS_PATH,
                                           MODCTL_BUS_INTERFACE, member);
        if (r < 0)
                return r;

        /* Lets polkit ask the user on the terminal when the action needs authentication. */
        r = sd_bus_message_set_allow_interactive_authorization(m, ask_password);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

/* A call to a name nobody owns fails with whatever systemd said when the bus asked it to
 * activate the service: a masked modctld whose enablement alias is still there gives
 * "Unit dbus-org.modctl1.service failed to load properly ...: File exists", an errno's name.
 * modctld's own errors are org.modctl1.Error.*; any other error while the name has no owner
 * means that modctld is not running. */
static bool activation_failed(sd_bus *bus, const sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has_owner = 0;

        if (transport != BUS_TRANSPORT_BUS || !sd_bus_error_is_set(error) ||
            strncmp(error->name, "org.modctl1.", strlen("org.modctl1.")) == 0)
                return false;
        if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", MODCTL_BUS_NAME) < 0 ||
            sd_bus_message_read(reply, "b", &has_owner) < 0)
                return false;
        return !has_owner;
}

int modctl_call_full(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_error *ret_error,
                     sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(bus, m, timeout_usec, &error, ret_reply);
        if (r >= 0)
                return 0;

        /* No reply at all because the connection broke is unreachable too. */
        if (modctl_error_is_unreachable(&error) || r == -ECONNRESET || r == -ENOTCONN ||
            activation_failed(bus, &error))
                return unreachable(error.message ?: strerror(-r));

        if (ret_error) {
                *ret_error = error;
                error = SD_BUS_ERROR_NULL;
                return r;
        }
        return modctl_log_call_error(&error, r);
}

int modctl_call(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **ret_reply) {
        return modctl_call_full(bus, m, timeout_usec, NULL, ret_reply);
}

int modctl_get_property_string(sd_bus *bus, const char *property, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                       property, &error, ret);
        if (r < 0) {
                if (modctl_error_is_unreachable(&error) || activation_failed(bus, &error))
                        return unreachable(error.message ?: error.name);
                return modctl_log_call_error(&error, r);
        }

        return 0;
}

int modctl_get_property(sd_bus *bus, const char *property, const char *type, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(bus, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE, property, &error,
                                ret_reply, type);
        if (r < 0) {
                if (modctl_error_is_unreachable(&error) || activation_failed(bus, &error))
                        return unreachable(error.message ?: error.name);
                return modctl_log_call_error(&error, r);
        }

        return 0;
}
