/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reaching modctld: the connection, method calls, and how their failures read. All but
 * modctl_new_method_call() print their failures (it can only run out of memory), except that
 * "modctld cannot be reached" is only remembered while modctl_bus_set_offline_ok(true) is in
 * force: the caller then answers without the daemon, or calls modctl_log_unreachable(). */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* Loads run install commands and module init functions, which can be slow. */
#define MODCTL_SLOW_CALL_TIMEOUT_USEC (UINT64_C(5) * 60 * 1000 * 1000)
#define MODCTL_DEFAULT_TIMEOUT_USEC UINT64_C(0) /* sd-bus default */

/* The root-only socket on which modctld speaks org.modctl1 peer to peer. */
#define MODCTL_PRIVATE_SOCKET "/run/modctl/private"

typedef enum BusTransport {
        BUS_TRANSPORT_PRIVATE,  /* root: MODCTL_PRIVATE_SOCKET, no dbus-daemon in between */
        BUS_TRANSPORT_BUS,      /* the system bus, or $MODCTL_BUS_ADDRESS */
        BUS_TRANSPORT_REMOTE,   /* -H: the system bus of another host, over ssh */
} BusTransport;

/* Connects. host: -H [USER@]HOST or NULL. allow_private: root may use the private socket
 * (not for monitor, whose signals come from the bus). Returns -ENOTCONN when modctld cannot
 * be reached (printed unless offline_ok). */
int modctl_bus_connect(const char *host, bool allow_private, sd_bus **ret);
BusTransport modctl_bus_transport(void);
const char *modctl_bus_transport_name(void);

void modctl_bus_set_offline_ok(bool b);
/* Whether a verb may answer without the daemon (never with -H). */
bool modctl_bus_offline_ok(void);
/* "cannot reach modctld ...: REASON" and how to start it. Returns -ENOTCONN. */
int modctl_log_unreachable(void);
/* True when the error means nobody serves org.modctl1 (as opposed to a refusal). */
bool modctl_error_is_unreachable(const sd_bus_error *error);

int modctl_new_method_call(sd_bus *bus, const char *member, bool ask_password, sd_bus_message **ret);
/* Returns -ENOTCONN when the daemon is not there, another negative errno on its error. With
 * ret_error the error is handed back unprinted (it is still printed when ret_error is NULL). */
int modctl_call(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **ret_reply);
int modctl_call_full(sd_bus *bus, sd_bus_message *m, uint64_t timeout_usec, sd_bus_error *ret_error,
                     sd_bus_message **ret_reply);
/* Prints an error a call returned, in the user's language where we have more to say. */
int modctl_log_call_error(const sd_bus_error *error, int r);
int modctl_get_property_string(sd_bus *bus, const char *property, char **ret);
/* Any property: *ret_reply is positioned at the value of type (sd_bus_get_property). */
int modctl_get_property(sd_bus *bus, const char *property, const char *type, sd_bus_message **ret_reply);
