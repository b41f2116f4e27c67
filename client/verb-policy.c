/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* policy check NAME, policy show, reload: the daemon's policy, queried and reloaded. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-call.h"
#include "color.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"
#include "table.h"

const char *const policy_columns[] = { "module", "verdict", "taint", "rule", "reason", NULL };

static int policy_check(sd_bus *bus, const Options *o, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        json_object *plan, *verdicts;
        const char *module, *verdict, *rule, *reason, *taint, *step;
        bool denied = false;
        int r;

        r = modctl_new_method_call(bus, "CheckPolicy", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "sst", name, "", UINT64_C(0));
        if (r < 0)
                return log_oom();
        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        root = json_object_new_object();
        plan = json_object_new_array();
        verdicts = json_object_new_array();
        t = table_new_named(policy_columns);
        if (!root || !plan || !verdicts || !t ||
            json_object_object_add(root, "plan", plan) < 0 || json_object_object_add(root, "verdicts", verdicts) < 0)
                return log_oom();

        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "s", &step)) > 0) {
                if (json_object_array_add(plan, json_object_new_string(step)) < 0)
                        return log_oom();
                if (o->json == JSON_OFF)
                        printf("%s\n", term_escape(step));
        }
        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                return log_parse_error(r);

        if (table_add_cell(t, _("MODULE")) < 0 || table_add_cell(t, _("VERDICT")) < 0 ||
            table_add_cell(t, _("TAINT")) < 0 || table_add_cell(t, _("RULE")) < 0 || table_add_cell(t, _("REASON")) < 0)
                return log_oom();
        r = sd_bus_message_enter_container(reply, 'a', "(sssss)");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "(sssss)", &module, &verdict, &rule, &reason, &taint)) > 0) {
                json_object *v = json_object_new_object();

                if (!v || json_object_array_add(verdicts, v) < 0) {
                        json_object_put(v);
                        return log_oom();
                }
                json_object_object_add(v, "module", json_object_new_string(module));
                json_object_object_add(v, "verdict", json_object_new_string(verdict));
                json_object_object_add(v, "rule", json_object_new_string(rule));
                json_object_object_add(v, "reason", json_object_new_string(reason));
                json_object_object_add(v, "taint", json_object_new_string(taint));
                if (strcmp(verdict, "deny") == 0)
                        denied = true;

                if (table_add_cell(t, module) < 0 || table_add_cell_color(t, verdict, color_for_word(verdict)) < 0 ||
                    table_add_cell(t, *taint ? taint : "-") < 0 || table_add_cell(t, *rule ? rule : "-") < 0 ||
                    table_add_cell(t, *reason ? reason : "-") < 0)
                        return log_oom();
        }
        if (r < 0)
                return log_parse_error(r);

        if (table_apply_options(t, o) < 0)
                return log_oom();
        if (o->json != JSON_OFF)
                r = print_json(root, o->json);
        else {
                if (json_object_array_length(plan) > 0)
                        putchar('\n');
                if (table_get_rows(t) > 1)
                        r = table_print(t, stdout);
                else
                        printf(_("%s: nothing to insert\n"), name);
        }
        if (r < 0)
                return r;
        /* Like the load it previews: a denial is a failure, for scripts. */
        return denied ? -EPERM : 0;
}

/* The INI text as {"Section": {"Key": "value"}}; list keys (assigned once per entry, an empty
 * assignment resetting the list) become arrays. */
static bool is_list_key(const char *key) {
        return streq(key, "Deny") || streq(key, "Allow");
}

static int print_policy_json(const char *text, JsonMode mode) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_(freep) char *copy = NULL;
        json_object *section = NULL;
        char *p, *line;

        root = json_object_new_object();
        copy = strdup(text);
        if (!root || !copy)
                return log_oom();

        p = copy;
        while ((line = strsep(&p, "\n"))) {
                char *eq, *key, *value;

                line += strspn(line, " \t");
                if (*line == '\0' || *line == '#' || *line == ';')
                        continue;
                if (*line == '[') {
                        line[strcspn(line, "]")] = '\0';
                        section = json_object_new_object();
                        if (!section || json_object_object_add(root, line + 1, section) < 0) {
                                json_object_put(section);
                                return log_oom();
                        }
                        continue;
                }
                eq = strchr(line, '=');
                if (!eq || !section)
                        continue;
                *eq = '\0';
                key = line;
                value = eq + 1;
                if (is_list_key(key)) {
                        json_object *list;
                        if (!json_object_object_get_ex(section, key, &list) || *value == '\0') {
                                list = json_object_new_array();
                                if (!list || json_object_object_add(section, key, list) < 0) {
                                        json_object_put(list);
                                        return log_oom();
                                }
                        }
                        if (*value && json_object_array_add(list, json_object_new_string(value)) < 0)
                                return log_oom();
                } else if (json_object_object_add(section, key, json_object_new_string(value)) < 0)
                        return log_oom();
        }

        return print_json(root, mode);
}

static int policy_show(sd_bus *bus, const Options *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *text;
        int r;

        r = modctl_new_method_call(bus, "GetPolicy", o->ask_password, &m);
        if (r < 0)
                return log_oom();
        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return log_parse_error(r);
        if (o->json != JSON_OFF)
                return print_policy_json(text, o->json);
        fputs(text, stdout);
        return 0;
}

int verb_policy(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        if (n_args == 2 && strcmp(args[0], "check") == 0)
                return policy_check(bus, o, args[1]);
        if (n_args == 1 && strcmp(args[0], "show") == 0)
                return policy_show(bus, o);

        fprintf(stderr, _("%s: usage: policy check NAME | policy show\n"), program_invocation_short_name);
        return -EINVAL;
}

int verb_reload(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = modctl_new_method_call(bus, "ReloadConfig", o->ask_password, &m);
        if (r < 0)
                return log_oom();
        return modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
}
