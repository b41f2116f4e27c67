/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* info: the modinfo fields of one module, as text or JSON. */

#include <errno.h>
#include <stdio.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"
#include "table.h"

int verb_info(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(json_object_putp) json_object *fields = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        const char *key, *value;
        int r;

        r = modctl_new_method_call(bus, "Info", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", args[0]);
        if (r < 0)
                return log_oom();

        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        /* Text: one "key: value" line per field in file order, keys padded like modinfo's.
         * JSON: an object mapping each key to the array of its values; json-c keeps the keys in
         * the order they first appear. */
        fields = json_object_new_object();
        t = table_new(2);
        if (!fields || !t)
                return log_oom();

        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        if (r < 0)
                return log_parse_error(r);

        while ((r = sd_bus_message_read(reply, "(ss)", &key, &value)) > 0) {
                json_object *values;

                if (!json_object_object_get_ex(fields, key, &values)) {
                        values = json_object_new_array();
                        if (!values || json_object_object_add(fields, key, values) < 0) {
                                json_object_put(values);
                                return log_oom();
                        }
                }
                if (json_object_array_add(values, json_object_new_string(value)) < 0)
                        return log_oom();

                r = table_add_cellf(t, "%s:", key);
                if (r >= 0)
                        r = table_add_cell(t, value);
                if (r < 0)
                        return log_oom();
        }
        if (r < 0)
                return log_parse_error(r);

        if (o->json)
                return print_json(fields);

        /* modinfo pads "key:" to 16 columns; with the two-column separator that is 14. */
        (void) table_set_min_width(t, 0, 14);
        return table_print(t, stdout);
}
