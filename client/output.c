/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "output.h"

int log_parse_error(int r) {
        fprintf(stderr, _("%s: cannot parse the reply of modctld: %s\n"),
                program_invocation_short_name, strerror(-r));
        return r;
}

int log_oom(void) {
        fprintf(stderr, "%s: %s\n", program_invocation_short_name, strerror(ENOMEM));
        return -ENOMEM;
}

int print_json(json_object *o) {
        const char *s;

        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                       JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return log_oom();

        puts(s);
        return 0;
}

int print_strv_reply(sd_bus_message *reply, bool *ret_empty) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(reply, &l);
        if (r < 0)
                return log_parse_error(r);

        STRV_FOREACH(s, l)
                puts(*s);

        if (ret_empty)
                *ret_empty = strv_length(l) == 0;
        return 0;
}
