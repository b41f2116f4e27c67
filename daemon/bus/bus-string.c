/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bus/bus-error.h"
#include "bus/bus-string.h"
#include "common/log.h"
#include "common/macro.h"
#include "modctl-bus.h"
#include "common/utf8.h"

static int append_string(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *valid = NULL;

        if (!s)
                s = "";
        if (!utf8_is_valid(s)) {
                valid = utf8_escape_invalid(s);
                if (!valid)
                        return -ENOMEM;
                s = valid;
        }
        return sd_bus_message_append_basic(m, 's', s);
}

/* The contents of the container that opens at types[0] ('(' or '{'): its length up to the
 * matching close, or 0 if it has none. */
static size_t container_length(const char *types) {
        unsigned depth = 0;

        for (size_t i = 0; types[i]; i++) {
                if (types[i] == '(' || types[i] == '{')
                        depth++;
                else if (types[i] == ')' || types[i] == '}') {
                        if (--depth == 0)
                                return i;
                }
        }
        return 0;
}

int bus_appendv(sd_bus_message *m, const char *types, va_list ap) {
        int r = 0;

        assert(m);
        assert(types);

        for (const char *t = types; *t; t++) {
                switch (*t) {
                case 's':
                        r = append_string(m, va_arg(ap, const char *));
                        break;
                case 'o':
                case 'g':
                        r = sd_bus_message_append_basic(m, *t, va_arg(ap, const char *));
                        break;
                case 'b':
                case 'h': {
                        int v = va_arg(ap, int);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case 'y': {
                        uint8_t v = (uint8_t) va_arg(ap, int);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case 'n':
                case 'q': {
                        uint16_t v = (uint16_t) va_arg(ap, int);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case 'i':
                case 'u': {
                        uint32_t v = va_arg(ap, uint32_t);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case 'x':
                case 't': {
                        uint64_t v = va_arg(ap, uint64_t);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case 'd': {
                        double v = va_arg(ap, double);
                        r = sd_bus_message_append_basic(m, *t, &v);
                        break;
                }
                case '(':
                case '{': {
                        size_t n = container_length(t);
                        char contents[n > 0 ? n : 1];

                        if (n == 0)
                                return -EINVAL;
                        memcpy(contents, t + 1, n - 1);
                        contents[n - 1] = '\0';
                        r = sd_bus_message_open_container(m, *t == '(' ? 'r' : 'e', contents);
                        break;
                }
                case ')':
                case '}':
                        r = sd_bus_message_close_container(m);
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_append(sd_bus_message *m, const char *types, ...) {
        va_list ap;
        int r;

        assert(m);
        assert(types);

        va_start(ap, types);
        r = bus_appendv(m, types, ap);
        va_end(ap);
        return r;
}

int bus_append_strv(sd_bus_message *m, char **l) {
        int r;

        assert(m);

        r = sd_bus_message_open_container(m, 'a', "s");
        for (char **s = l; r >= 0 && s && *s; s++)
                r = append_string(m, *s);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int bus_append_valid_string(sd_bus_message *m, const char *s, size_t n) {
        char *space;
        int r;

        assert(m);
        assert(s || n == 0);

        r = sd_bus_message_append_string_space(m, n, &space);
        if (r < 0)
                return r;
        memcpy(space, s, n);
        return 0;
}

int bus_emit(sd_bus *bus, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        assert(bus);
        assert(member);
        assert(types);

        r = sd_bus_message_new_signal(bus, &m, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = bus_appendv(m, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return sd_bus_send(bus, m, NULL);
}

/* Sending fails for good when the caller (or our connection) is gone: nobody waits then. */
static bool caller_gone(int r) {
        return r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE || r == -ESHUTDOWN;
}

static void reply_internal(sd_bus_message *call, int error, const char *what) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        (void) bus_error_setf(&e, FAILURE_INTERNAL, "modctld could not build or send %s: %s.", what,
                              strerror(-error));
        r = sd_bus_reply_method_error(call, &e);
        if (r < 0)
                log_warning_errno(r, "Failed to send %s, and then an error in its place, to %s: %m", what,
                                  sd_bus_message_get_sender(call) ?: "the caller");
        else
                log_warning_errno(error, "Failed to build or send %s to %s; it got an Internal error instead: %m",
                                  what, sd_bus_message_get_sender(call) ?: "the caller");
}

void bus_reply_or_fail(sd_bus_message *call, sd_bus_message *reply, int r, const char *what) {
        assert(call);
        assert(what);

        if (r >= 0 && reply)
                r = sd_bus_send(NULL, reply, NULL);
        else if (r >= 0)
                r = -EINVAL;
        if (r >= 0)
                return;
        if (caller_gone(r)) {
                log_debug_errno(r, "Failed to send %s to %s: %m", what, sd_bus_message_get_sender(call) ?: "the caller");
                return;
        }
        reply_internal(call, r, what);
}

void bus_reply_error_or_fail(sd_bus_message *call, const sd_bus_error *e, const char *what) {
        int r;

        assert(call);
        assert(e);
        assert(what);

        r = sd_bus_reply_method_error(call, e);
        if (r >= 0)
                return;
        if (caller_gone(r)) {
                log_debug_errno(r, "Failed to send %s to %s: %m", what, sd_bus_message_get_sender(call) ?: "the caller");
                return;
        }
        reply_internal(call, r, what);
}
