/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* Every string that daemon/bus/ puts on the bus goes through here. Strings from modules, files
 * and requesters are bytes; sd-bus refuses to build a message with invalid UTF-8, which would
 * lose a signal (an audit record a requester could suppress) or a reply (a call that times
 * out). Invalid bytes become U+FFFD (utf8_escape_invalid). And a reply that cannot be built
 * still answers the caller, with org.modctl1.Error.Internal. */

#include <stdarg.h>

#include <systemd/sd-bus.h>

/* sd_bus_message_append() for basic types (s o g b y n q i u x t d h) and structs and dict
 * entries of them, "(...)" and "{...}"; every 's' is made valid UTF-8 first. Arrays and
 * variants are not taken (-EINVAL): append them element by element. */
int bus_append(sd_bus_message *m, const char *types, ...);
int bus_appendv(sd_bus_message *m, const char *types, va_list ap);
/* An "as" of l (NULL is empty), each string made valid. */
int bus_append_strv(sd_bus_message *m, char **l);
/* An 's' of the n bytes at s, which the caller knows to be valid UTF-8 without a NUL (the module
 * catalog's strings, catalog.h): copied into the message without a check, sd-bus's included.
 * For text sent in bulk; anything else goes through bus_append(). */
int bus_append_valid_string(sd_bus_message *m, const char *s, size_t n);

/* A signal of org.modctl1.Manager on /org/modctl1, built with bus_appendv(). */
int bus_emit(sd_bus *bus, const char *member, const char *types, ...);

/* Ends an asynchronous call: sends reply, which was built with result r. When r < 0 (the reply
 * could not be built) or sending fails while the caller is still there, the caller gets
 * org.modctl1.Error.Internal with a sentence that names what (for example "the Info reply for
 * module 'snd'") instead of waiting for its timeout. Logs what it could not send; returns
 * nothing to act on. */
void bus_reply_or_fail(sd_bus_message *call, sd_bus_message *reply, int r, const char *what);
/* The same for an error reply: when it cannot be sent as is, an Internal error says so. */
void bus_reply_error_or_fail(sd_bus_message *call, const sd_bus_error *e, const char *what);
