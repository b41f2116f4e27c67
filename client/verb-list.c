/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* list: the loaded modules, as an lsmod-like table or JSON. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "bus-call.h"
#include "color.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"
#include "table.h"
#include "verb-list.h"

/* Reads List()'s reply into a JSON array, which is both the --json output and the table's
 * source. */
static int read_module_list(sd_bus_message *reply, json_object **ret) {
        _cleanup_(json_object_putp) json_object *array = NULL;
        int r;

        array = json_object_new_array();
        if (!array)
                return -ENOMEM;

        r = sd_bus_message_enter_container(reply, 'a', "(stiasss)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(reply, 'r', "stiasss")) > 0) {
                _cleanup_(json_object_putp) json_object *o = NULL, *holders = NULL;
                _cleanup_(strv_freep) char **l = NULL;
                const char *name, *state, *taint;
                uint64_t size;
                int32_t refcount;

                r = sd_bus_message_read(reply, "sti", &name, &size, &refcount);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_strv(reply, &l);
                if (r < 0)
                        return r;
                r = sd_bus_message_read(reply, "ss", &state, &taint);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;

                holders = json_object_new_array();
                o = json_object_new_object();
                if (!holders || !o)
                        return -ENOMEM;

                STRV_FOREACH(s, l)
                        if (json_object_array_add(holders, json_object_new_string(*s)) < 0)
                                return -ENOMEM;

                if (json_object_object_add(o, "name", json_object_new_string(name)) < 0 ||
                    json_object_object_add(o, "size", json_object_new_uint64(size)) < 0 ||
                    json_object_object_add(o, "refcount", json_object_new_int(refcount)) < 0 ||
                    json_object_object_add(o, "holders", TAKE_PTR(holders)) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(state)) < 0 ||
                    json_object_object_add(o, "taint", json_object_new_string(taint)) < 0 ||
                    json_object_array_add(array, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(array);
        return 0;
}

int list_modules(sd_bus *bus, bool ask_password, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = modctl_new_method_call(bus, "List", ask_password, &m);
        if (r < 0)
                return log_oom();

        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        r = read_module_list(reply, ret);
        if (r < 0)
                return log_parse_error(r);

        return 0;
}

static const char *json_get_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int64_t json_get_int(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

const char *const list_columns[] = { "module", "size", "state", "taint", "used-by", NULL };

static int add_module_row(Table *t, json_object *o) {
        _cleanup_(freep) char *used_by = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        json_object *holders;
        int64_t refcount;
        const char *taint;
        size_t size;
        int r;

        /* lsmod's "Used by": the refcount, then the holders; "-" when it cannot be unloaded. */
        f = open_memstream(&used_by, &size);
        if (!f)
                return -ENOMEM;

        refcount = json_get_int(o, "refcount");
        if (refcount < 0)
                fputc('-', f);
        else
                fprintf(f, "%" PRIi64, refcount);

        if (json_object_object_get_ex(o, "holders", &holders))
                for (size_t i = 0; i < json_object_array_length(holders); i++)
                        fprintf(f, "%c%s", i == 0 ? ' ' : ',',
                                json_object_get_string(json_object_array_get_idx(holders, i)));

        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        /* An empty taint would leave a hole in the row; "-" keeps the columns countable. */
        taint = json_get_string(o, "taint");

        r = table_add_cell(t, json_get_string(o, "name"));
        if (r >= 0)
                r = table_add_cellf(t, "%" PRIi64, json_get_int(o, "size"));
        if (r >= 0)
                r = table_add_cell_color(t, json_get_string(o, "state"), color_for_word(json_get_string(o, "state")));
        if (r >= 0)
                r = table_add_cell(t, *taint ? taint : "-");
        if (r >= 0)
                r = table_add_cell(t, used_by);
        return r;
}

int verb_list(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(json_object_putp) json_object *modules = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        int r;

        /* lsmod's columns, with "Used by" moved last because its holder list can be long. */
        t = table_new_named(list_columns);
        if (!t || table_apply_options(t, o) < 0)
                return log_oom();
        (void) table_set_align(t, 1, TABLE_ALIGN_RIGHT);

        r = bus ? list_modules(bus, o->ask_password, &modules) : -ENOTCONN;
        if (r == -ENOTCONN && modctl_bus_offline_ok()) {
                /* The kernel's view is all of it but who loaded what. */
                if (!o->quiet)
                        fprintf(stderr, _("%s: modctld is not reachable: listing /proc/modules, without load "
                                          "origins\n"), program_invocation_short_name);
                r = local_list(&modules);
        }
        if (r < 0)
                return r;

        if (o->json != JSON_OFF)
                return print_json(modules, o->json);

        r = table_add_cell(t, _("Module"));
        if (r >= 0)
                r = table_add_cell(t, _("Size"));
        if (r >= 0)
                r = table_add_cell(t, _("State"));
        if (r >= 0)
                r = table_add_cell(t, _("Taint"));
        if (r >= 0)
                r = table_add_cell(t, _("Used by"));
        for (size_t i = 0; r >= 0 && i < json_object_array_length(modules); i++)
                r = add_module_row(t, json_object_array_get_idx(modules, i));
        if (r < 0)
                return log_oom();

        r = table_print(t, stdout);
        if (r < 0)
                return r;

        return 0;
}
