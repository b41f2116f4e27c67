/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"

static bool error_is_unreachable(const sd_bus_error *error) {
        return sd_bus_error_has_names(error,
                                      SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_DISCONNECTED) ||
                (error->name && strncmp(error->name, "org.freedesktop.DBus.Error.Spawn.",
                                        strlen("org.freedesktop.DBus.Error.Spawn.")) == 0);
}

static const char *bus_description(void) {
        const char *address = getenv("MODCTL_BUS_ADDRESS");
        return address && *address ? address : NULL;
}

static void log_unreachable(const char *reason) {
        const char *address = bus_description();

        if (address)
                fprintf(stderr, _("%s: cannot reach modctld on the bus at %s: %s\n"),
                        program_invocation_short_name, address, reason);
        else
                fprintf(stderr, _("%s: cannot reach modctld on the system bus: %s\n"),
                        program_invocation_short_name, reason);
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

/* The daemon's messages already name the module; print them as they are. */
static int log_call_error(const sd_bus_error *error, int r) {
        if (error_is_unreachable(error))
                log_unreachable(error->message ?: error->name);
        else if (error->message && *error->message)
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, error->message);
        else if (error->name)
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, error->name);
        else
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, strerror(-r));
        log_authorization_hint(error);
        return r;
}

int modctl_bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *address = bus_description();
        int r;

        if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_unreachable(strerror(-r));
                return r;
        }

        *ret = TAKE_PTR(bus);
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

int modctl_call(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(bus, m, timeout_usec, &error, ret_reply);
        if (r < 0)
                return log_call_error(&error, r);

        return 0;
}

int modctl_get_property_string(sd_bus *bus, const char *property, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                       property, &error, ret);
        if (r < 0)
                return log_call_error(&error, r);

        return 0;
}

int modctl_get_property(sd_bus *bus, const char *property, const char *type, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(bus, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE, property, &error,
                                ret_reply, type);
        if (r < 0)
                return log_call_error(&error, r);

        return 0;
}
