/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "i18n.h"
#include "modctl.h"
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
                r < 0 ? i18n_strerror(ENOMEM) : term_escape(text), color_off(stderr));
}

int log_parse_error(int r) {
        log_error_line(_("cannot parse the reply of modctld: %s"), i18n_strerror(-r));
        return r;
}

int log_oom(void) {
        log_error_line("%s", i18n_strerror(ENOMEM));
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
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(reply, &l);
        if (r < 0)
                return log_parse_error(r);
        return strv_to_json(l, ret);
}

int strv_to_json(char **l, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = NULL;

        a = json_object_new_array();
        if (!a)
                return log_oom();
        STRV_FOREACH(s, l)
                if (json_object_array_add(a, json_object_new_string(*s)) < 0)
                        return log_oom();

        *ret = TAKE_PTR(a);
        return 0;
}

/* The module a file holds, as the kernel names it: "/x/snd-pcm.ko.xz" is snd_pcm. */
static char *module_name_from_path(const char *path) {
        const char *base = strrchr(path, '/');
        char *name, *dot;

        name = strdup(base ? base + 1 : path);
        if (!name)
                return NULL;
        dot = strstr(name, ".ko");
        if (dot)
                *dot = '\0';
        for (char *p = name; *p; p++)
                if (*p == '-')
                        *p = '_';
        return name;
}

static int add_string(json_object *o, const char *key, const char *s, size_t n) {
        json_object *v = s ? json_object_new_string_len(s, (int) n) : json_object_new_null();

        if (s && !v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

int plan_step_to_json(const char *line, json_object **ret) {
        _cleanup_(json_object_putp) json_object *step = NULL;
        _cleanup_(freep) char *module = NULL;
        const char *action = "other", *rest = "", *sp;
        size_t n_action;
        int r = 0;

        step = json_object_new_object();
        if (!step)
                return log_oom();

        sp = strchr(line, ' ');
        n_action = sp ? (size_t) (sp - line) : strlen(line);
        if (sp)
                rest = sp + 1;
        static const char *const actions[] = { "insmod", "install", "builtin", "loaded", "rmmod" };
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (strlen(actions[i]) == n_action && strncmp(line, actions[i], n_action) == 0)
                        action = actions[i];

        r = add_string(step, "action", action, strlen(action));
        if (r >= 0 && streq(action, "insmod")) {
                size_t n_path = strcspn(rest, " ");
                const char *params = rest + n_path + (rest[n_path] == ' ');
                _cleanup_(freep) char *path = strndup(rest, n_path);

                module = path ? module_name_from_path(path) : NULL;
                if (!module)
                        return log_oom();
                r = add_string(step, "module", module, strlen(module));
                if (r >= 0)
                        r = add_string(step, "path", rest, n_path);
                if (r >= 0)
                        r = add_string(step, "params", params, strlen(params));
        } else if (r >= 0 && streq(action, "install")) {
                r = add_string(step, "module", NULL, 0);
                if (r >= 0)
                        r = add_string(step, "command", rest, strlen(rest));
        } else if (r >= 0 && !streq(action, "other"))
                r = add_string(step, "module", rest, strlen(rest));
        if (r >= 0) {
                size_t n = strlen(line);
                while (n > 0 && line[n - 1] == ' ')   /* "insmod PATH " without parameters */
                        n--;
                r = add_string(step, "line", line, n);
        }
        if (r < 0)
                return log_oom();

        *ret = TAKE_PTR(step);
        return 0;
}

/* "taint NAME LETTERS", the daemon's prediction for a module of the plan. */
static bool taint_line(const char *line, char *name, size_t size, const char **ret_letters) {
        const char *p, *sp;

        if (strncmp(line, "taint ", strlen("taint ")) != 0)
                return false;
        p = line + strlen("taint ");
        sp = strchr(p, ' ');
        if (!sp || (size_t) (sp - p) >= size)
                return false;
        memcpy(name, p, sp - p);
        name[sp - p] = '\0';
        *ret_letters = sp + 1;
        return true;
}

int plan_steps_to_json(json_object *lines, bool with_taint, json_object **ret) {
        _cleanup_(json_object_putp) json_object *steps = json_object_new_array();
        size_t n = json_object_array_length(lines);
        char name[256];
        const char *letters;

        if (!steps)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                const char *line = json_object_get_string(json_object_array_get_idx(lines, i));
                json_object *step;
                int r;

                if (taint_line(line, name, sizeof(name), &letters))
                        continue;
                r = plan_step_to_json(line, &step);
                if (r < 0)
                        return r;
                if (json_object_object_add(step, "taint", with_taint ? json_object_new_string("") : NULL) < 0 ||
                    json_object_array_add(steps, step) < 0) {
                        json_object_put(step);
                        return log_oom();
                }
        }
        /* The taint letters go to the step of their module. */
        for (size_t i = 0; i < n; i++) {
                const char *line = json_object_get_string(json_object_array_get_idx(lines, i));

                if (!taint_line(line, name, sizeof(name), &letters))
                        continue;
                for (size_t j = 0; j < json_object_array_length(steps); j++) {
                        json_object *step = json_object_array_get_idx(steps, j), *module;

                        if (json_object_object_get_ex(step, "module", &module) &&
                            streq_ptr(json_object_get_string(module), name) &&
                            json_object_object_add(step, "taint", json_object_new_string(letters)) < 0)
                                return log_oom();
                }
        }
        *ret = TAKE_PTR(steps);
        return 0;
}

int table_apply_options(Table *t, const Options *o) {
        int r;

        r = table_set_header(t, o->legend);
        if (r >= 0)
                r = table_set_raw(t, o->raw);
        /* The spec was checked against the same names when the command line was read. */
        if (r >= 0 && o->output)
                r = table_select_columns(t, o->output);
        return r;
}
