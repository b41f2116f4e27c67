/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* info: the modinfo fields of modules, as text or JSON. A path (anything with a '/') is read
 * here, like modinfo ./foo.ko; a name goes to modctld, which adds the signature and taint
 * prediction, or is read here too when modctld cannot be reached. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bus-call.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"
#include "strv.h"
#include "table.h"

static int info_from_daemon(sd_bus *bus, const Options *o, const char *name, char ***ret_pairs) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(strv_freep) char **pairs = NULL;
        const char *key, *value;
        int r;

        r = modctl_new_method_call(bus, "Info", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return log_oom();

        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "(ss)", &key, &value)) > 0)
                if (strv_extend(&pairs, key) < 0 || strv_extend(&pairs, value) < 0)
                        return log_oom();
        if (r < 0)
                return log_parse_error(r);

        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

/* The type of parameter param from the "parmtype" fields ("name:type"), or NULL. */
static const char *parm_type(char **pairs, const char *param, size_t len) {
        for (char **p = pairs; p && p[0] && p[1]; p += 2)
                if (streq(p[0], "parmtype") && strncmp(p[1], param, len) == 0 && p[1][len] == ':')
                        return p[1] + len + 1;
        return NULL;
}

static bool parm_has_description(char **pairs, const char *param, size_t len) {
        for (char **p = pairs; p && p[0] && p[1]; p += 2)
                if (streq(p[0], "parm") && strncmp(p[1], param, len) == 0 && p[1][len] == ':')
                        return true;
        return false;
}

/* modinfo's form of a parameter: "name:description (type)"; parmtype lines of described
 * parameters are folded in (returns NULL for those: print nothing). */
static char *pretty_field(char **pairs, const char *key, const char *value) {
        const char *colon = strchr(value, ':');
        char *s = NULL;

        if (!colon)
                return strdup(value);

        size_t len = (size_t) (colon - value);
        if (streq(key, "parm")) {
                const char *type = parm_type(pairs, value, len);
                if (type && asprintf(&s, "%s (%s)", value, type) < 0)
                        return NULL;
                return s ?: strdup(value);
        }
        if (streq(key, "parmtype")) {
                if (parm_has_description(pairs, value, len))
                        return strdup("");
                if (asprintf(&s, "%.*s: (%s)", (int) len, value, colon + 1) < 0)
                        return NULL;
                return s;
        }
        return strdup(value);
}

/* A field's value as JSON: "depends" is a list of names ([] for none, not [""]); the signature's
 * hex, which modinfo wraps with "\n\t\t", is one string. */
static int json_add_field_value(json_object *values, const char *key, const char *value) {
        if (streq(key, "depends")) {
                for (const char *p = value; *p;) {
                        size_t n = strcspn(p, ",");
                        if (n > 0 && json_object_array_add(values, json_object_new_string_len(p, (int) n)) < 0)
                                return log_oom();
                        p += n;
                        p += *p == ',';
                }
                return 0;
        }
        if (streq(key, "signature") || streq(key, "sig_key")) {
                _cleanup_(freep) char *joined = strdup(value);
                char *w;

                if (!joined)
                        return log_oom();
                w = joined;
                for (const char *p = value; *p; p++)
                        if (!strchr(" \t\n", *p))
                                *w++ = *p;
                *w = '\0';
                return json_object_array_add(values, json_object_new_string(joined)) < 0 ? log_oom() : 0;
        }
        return json_object_array_add(values, json_object_new_string(value)) < 0 ? log_oom() : 0;
}

static int add_module(const Options *o, char **pairs, Table *t, json_object *objects) {
        _cleanup_(json_object_putp) json_object *fields = NULL;
        int r;

        fields = json_object_new_object();
        if (!fields)
                return log_oom();

        for (char **p = pairs; p && p[0] && p[1]; p += 2) {
                const char *key = p[0], *value = p[1];
                _cleanup_(freep) char *pretty = NULL;
                json_object *values;

                if (o->field && strcasecmp(o->field, key) != 0 &&
                    !(strcasecmp(o->field, "parm") == 0 && streq(key, "parmtype")))
                        continue;

                if (!json_object_object_get_ex(fields, key, &values)) {
                        values = json_object_new_array();
                        if (!values || json_object_object_add(fields, key, values) < 0) {
                                json_object_put(values);
                                return log_oom();
                        }
                }
                r = json_add_field_value(values, key, value);
                if (r < 0)
                        return r;

                if (o->json != JSON_OFF)
                        continue;
                pretty = pretty_field(pairs, key, value);
                if (!pretty)
                        return log_oom();
                if (streq(key, "parmtype") && !*pretty)
                        continue;
                if (o->field)
                        r = printf("%s\n", term_escape(pretty)) < 0 ? -EIO : 0;
                else {
                        /* "parm" and "parmtype" are one line, as modinfo shows them. */
                        r = table_add_cellf(t, "%s:", streq(key, "parmtype") ? "parm" : key);
                        if (r >= 0)
                                r = table_add_cell(t, pretty);
                }
                if (r < 0)
                        return log_oom();
        }

        if (json_object_array_add(objects, TAKE_PTR(fields)) < 0)
                return log_oom();
        return 0;
}

int verb_info(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(json_object_putp) json_object *objects = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        bool noticed = false;
        int r = 0;

        objects = json_object_new_array();
        t = table_new(2);
        if (!objects || !t)
                return log_oom();
        /* modinfo pads "key:" to 16 columns; with the two-column separator that is 14. */
        (void) table_set_min_width(t, 0, 14);

        for (size_t i = 0; i < n_args; i++) {
                _cleanup_(strv_freep) char **pairs = NULL;
                int k = -ENOTCONN;

                if (!strchr(args[i], '/') && bus)
                        k = info_from_daemon(bus, o, args[i], &pairs);
                if (k == -ENOTCONN && (modctl_bus_offline_ok() || strchr(args[i], '/'))) {
                        if (!strchr(args[i], '/') && !noticed && !o->quiet)
                                fprintf(stderr, _("%s: modctld is not reachable: reading the module index, without "
                                                  "the signature check and taint prediction\n"),
                                        program_invocation_short_name);
                        noticed = true;
                        k = local_info(args[i], &pairs);
                }
                if (k >= 0)
                        k = add_module(o, pairs, t, objects);
                if (k < 0 && r == 0)
                        r = k;
        }

        if (o->json != JSON_OFF) {
                if (json_object_array_length(objects) == 0)
                        return r;
                /* One module: its object, as before; several: an array of them. */
                int k = print_json(n_args == 1 ? json_object_array_get_idx(objects, 0) : objects, o->json);
                return r < 0 ? r : k;
        }
        if (!o->field) {
                int k = table_print(t, stdout);
                if (r == 0)
                        r = k;
        }
        return r;
}
