/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "i18n.h"
#include "output.h"
#include "utf8.h"

int json_mode_from_string(const char *s) {
        if (!s || streq(s, "pretty"))
                return JSON_PRETTY;
        if (streq(s, "short"))
                return JSON_SHORT;
        if (streq(s, "off"))
                return JSON_OFF;
        return -EINVAL;
}

const char *term_escape(const char *s) {
        static char *ring[8];
        static unsigned next;
        char **slot = &ring[next++ % ELEMENTSOF(ring)];

        free(*slot);
        *slot = utf8_escape_terminal(strempty(s));
        return *slot ?: "?";
}

/* Messages carry the daemon's errors, which name what modules and files say. */
void log_error_line(const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        fprintf(stderr, "%s%s: %s%s\n", color_on(stderr, ANSI_RED), program_invocation_short_name,
                r < 0 ? strerror(ENOMEM) : term_escape(text), color_off(stderr));
}

int log_parse_error(int r) {
        log_error_line(_("cannot parse the reply of modctld: %s"), strerror(-r));
        return r;
}

int log_oom(void) {
        log_error_line("%s", strerror(ENOMEM));
        return -ENOMEM;
}

int print_json(json_object *o, JsonMode mode) {
        const char *s;
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        flags |= mode == JSON_SHORT ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        s = json_object_to_json_string_ext(o, flags);
        if (!s)
                return log_oom();

        puts(s);
        return 0;
}

int read_strv_reply(sd_bus_message *reply, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = NULL;
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(reply, &l);
        if (r < 0)
                return log_parse_error(r);

        a = json_object_new_array();
        if (!a)
                return log_oom();
        STRV_FOREACH(s, l)
                if (json_object_array_add(a, json_object_new_string(*s)) < 0)
                        return log_oom();

        *ret = TAKE_PTR(a);
        return 0;
}
