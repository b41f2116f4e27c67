/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* status: the daemon's properties and a few derived values. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl.h"
#include "output.h"
#include "table.h"
#include "verb-list.h"

/* Each line of 'modctl status' is one field: a property or a derived value, read into a JSON
 * value so that the text and --json outputs share one source. Adding a property is adding a
 * row here (and a reader, if it is not a string). */
typedef int (*status_reader)(sd_bus *bus, const Options *o, const char *property, json_object **ret);

typedef struct StatusField {
        const char *json_key;
        const char *label;
        const char *property;
        status_reader read;
} StatusField;

static int read_string_property(sd_bus *bus, const Options *o, const char *property, json_object **ret) {
        _cleanup_(freep) char *s = NULL;
        int r;

        r = modctl_get_property_string(bus, property, &s);
        if (r < 0)
                return r;

        *ret = json_object_new_string(s);
        return *ret ? 0 : log_oom();
}

static int read_loaded_count(sd_bus *bus, const Options *o, const char *property, json_object **ret) {
        _cleanup_(json_object_putp) json_object *modules = NULL;
        int r;

        r = list_modules(bus, o->ask_password, &modules);
        if (r < 0)
                return r;

        *ret = json_object_new_int64((int64_t) json_object_array_length(modules));
        return *ret ? 0 : log_oom();
}

/* A dictionary of counters (a{st}) as a JSON object, keys as the daemon names them. */
static int read_counters_property(sd_bus *bus, const Options *o, const char *property, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *obj = NULL;
        const char *key;
        uint64_t value;
        int r;

        r = modctl_get_property(bus, property, "a{st}", &reply);
        if (r < 0)
                return r;

        obj = json_object_new_object();
        if (!obj)
                return log_oom();
        r = sd_bus_message_enter_container(reply, 'a', "{st}");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "{st}", &key, &value)) > 0) {
                json_object *v = json_object_new_int64((int64_t) value);
                if (!v || json_object_object_add(obj, key, v) < 0) {
                        json_object_put(v);
                        return log_oom();
                }
        }
        if (r < 0)
                return log_parse_error(r);

        *ret = TAKE_PTR(obj);
        return 0;
}

/* Manager.Inserting: the module inits under way, as an array of {name, origin, running_usec,
 * timed_out}. */
static int read_inserting_property(sd_bus *bus, const Options *o, const char *property, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *array = NULL;
        const char *name, *origin;
        uint64_t running;
        int timed_out, r;

        r = modctl_get_property(bus, property, "a(sstb)", &reply);
        if (r < 0)
                return r;

        array = json_object_new_array();
        if (!array)
                return log_oom();
        r = sd_bus_message_enter_container(reply, 'a', "(sstb)");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "(sstb)", &name, &origin, &running, &timed_out)) > 0) {
                json_object *e = json_object_new_object();
                if (!e || json_object_array_add(array, e) < 0) {
                        json_object_put(e);
                        return log_oom();
                }
                if (json_object_object_add(e, "name", json_object_new_string(name)) < 0 ||
                    json_object_object_add(e, "origin", json_object_new_string(origin)) < 0 ||
                    json_object_object_add(e, "running_usec", json_object_new_int64((int64_t) running)) < 0 ||
                    json_object_object_add(e, "timed_out", json_object_new_boolean(timed_out)) < 0)
                        return log_oom();
        }
        if (r < 0)
                return log_parse_error(r);

        *ret = TAKE_PTR(array);
        return 0;
}

/* Labels for the keys of counter dictionaries; unknown keys print as they are. */
static const struct {
        const char *key;
        const char *label;
} counter_labels[] = {
        { "operations",           N_("Operations (all origins)") },
        { "operations-coalesced", N_("Operations coalesced") },
        { "operations-failed",    N_("Operations failed") },
        { "requests",     N_("Kernel requests") },
        { "cache-hits",   N_("Negative cache hits") },
        { "cache-misses", N_("Negative cache misses") },
        { "coalesced",    N_("Coalesced") },
        { "in-flight",    N_("Answered while inserting") },
        { "refused",      N_("Refused (not root)") },
        { "malformed",    N_("Malformed") },
        { "fallbacks",    N_("Fallbacks (daemon unreachable)") },
        { "external-loads",          N_("External loads (reported)") },
        { "external-refused",        N_("External loads refused") },
        { "kernel-requests-refused", N_("Kernel requests refused") },
};

static const char *counter_label(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(counter_labels); i++)
                if (strcmp(counter_labels[i].key, key) == 0)
                        return _(counter_labels[i].label);
        return key;
}

static const StatusField status_fields[] = {
        { "version",        N_("Version"),        "Version",       read_string_property },
        { "kernel_release", N_("Kernel release"), "KernelRelease", read_string_property },
        { "loaded_modules", N_("Loaded modules"), NULL,            read_loaded_count    },
        { "ownership",      N_("Ownership"),      "Ownership",     read_string_property },
        { "kernel_requests", N_("Kernel requests allowed"), "KernelRequests", read_string_property },
        { "enforcement",    N_("Kernel enforcement"), "OwnershipEnforcement", read_string_property },
        { "inserting",      N_("Module inits running"), "Inserting", read_inserting_property },
        { "statistics",     N_("Statistics"),     "Statistics",    read_counters_property },
};

/* One line per module init under way: "NAME: init running for N s (origin ORIGIN)". */
static int add_inserting_rows(Table *t, const char *label, json_object *v) {
        size_t n = json_object_array_length(v);
        int r;

        r = table_add_cellf(t, "%s:", label);
        if (r >= 0)
                r = table_add_cell(t, n == 0 ? _("none") : "");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i), *name, *origin, *running, *timed_out;
                const char *o;

                if (!json_object_object_get_ex(e, "name", &name) || !json_object_object_get_ex(e, "origin", &origin) ||
                    !json_object_object_get_ex(e, "running_usec", &running) ||
                    !json_object_object_get_ex(e, "timed_out", &timed_out))
                        continue;
                o = json_object_get_string(origin);
                r = table_add_cellf(t, "  %s:", json_object_get_string(name));
                if (r >= 0)
                        r = table_add_cellf(t, _("init running for %lld s (origin %s)%s"),
                                            (long long) (json_object_get_int64(running) / 1000000),
                                            *o ? o : _("unknown"),
                                            json_object_get_boolean(timed_out) ? _(", its request timed out") : "");
        }
        return r;
}

/* Plain values print as they are; an object (say, statistics) prints one indented line per key. */
static int add_status_row(Table *t, const char *label, json_object *v, const char *indent) {
        int r;

        if (json_object_is_type(v, json_type_array))
                return add_inserting_rows(t, label, v);
        if (json_object_is_type(v, json_type_object)) {
                r = table_add_cellf(t, "%s%s:", indent, label);
                if (r >= 0)
                        r = table_add_cell(t, "");
                json_object_object_foreach(v, k, sub) {
                        if (r < 0)
                                break;
                        r = add_status_row(t, counter_label(k), sub, "  ");
                }
                return r;
        }

        r = table_add_cellf(t, "%s%s:", indent, label);
        if (r >= 0)
                r = table_add_cell(t, json_object_get_string(v));
        return r;
}

int verb_status(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(json_object_putp) json_object *status = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        int r;

        status = json_object_new_object();
        t = table_new(2);
        if (!status || !t)
                return log_oom();

        for (size_t i = 0; i < ELEMENTSOF(status_fields); i++) {
                const StatusField *field = status_fields + i;
                json_object *v = NULL;

                r = field->read(bus, o, field->property, &v);
                if (r < 0)
                        return r;

                if (json_object_object_add(status, field->json_key, v) < 0) {
                        json_object_put(v);
                        return log_oom();
                }

                r = add_status_row(t, _(field->label), v, "");
                if (r < 0)
                        return log_oom();
        }

        if (o->json != JSON_OFF)
                return print_json(status, o->json);

        return table_print(t, stdout);
}
