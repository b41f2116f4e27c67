/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The persistent settings and the catalog: enable, disable, blacklist, unblacklist, options,
 * settings and search. Each setter is one call (two with --now); the daemon writes its own
 * files and says why when an admin's file decides instead. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "module-params.h"
#include "output.h"
#include "polkit-agent.h"
#include "strv.h"
#include "table.h"

/* Calls Set*(name, on, flags) or SetOptions(name, options, flags). */
static int set_setting(sd_bus *bus, const Options *o, const char *method, const char *name, int on,
                       const char *options) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        uint64_t flags = o->runtime ? MODCTL_SETTING_RUNTIME : 0;
        int r;

        r = modctl_new_method_call(bus, method, o->ask_password, &m);
        if (r >= 0)
                r = options ? sd_bus_message_append(m, "sst", name, options, flags)
                            : sd_bus_message_append(m, "sbt", name, on, flags);
        if (r < 0)
                return log_oom();

        pid_t agent = polkit_agent_open(o->ask_password);
        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        polkit_agent_close(agent);
        return r;
}

static int load_or_unload(sd_bus *bus, const Options *o, const char *name, bool load) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = modctl_new_method_call(bus, load ? "Load" : "Unload", o->ask_password, &m);
        if (r >= 0)
                r = load ? sd_bus_message_append(m, "sst", name, "", UINT64_C(0))
                         : sd_bus_message_append(m, "st", name, UINT64_C(0));
        if (r < 0)
                return log_oom();
        pid_t agent = polkit_agent_open(o->ask_password);
        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        polkit_agent_close(agent);
        if (r < 0)
                return r;
        /* The modules inserted or removed, one a line. */
        char **l = NULL;
        r = sd_bus_message_read_strv(reply, &l);
        if (r < 0)
                return log_parse_error(r);
        STRV_FOREACH(x, l)
                printf("%s\n", term_escape(*x));
        strv_free(l);
        return 0;
}

/* enable: loaded at boot, and no longer disabled by modctld's Deny=. --boot: the boot list only. */
int verb_enable(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        int r;

        if (!o->boot_only) {
                r = set_setting(bus, o, "SetDisabled", args[0], false, NULL);
                if (r < 0)
                        return r;
        }
        r = set_setting(bus, o, "SetBootLoad", args[0], true, NULL);
        if (r < 0)
                return r;
        return o->now ? load_or_unload(bus, o, args[0], true) : 0;
}

/* disable: never loaded (Deny=) and out of modctld's boot list. --boot: the boot list only. */
int verb_disable(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        int r;

        r = set_setting(bus, o, "SetBootLoad", args[0], false, NULL);
        if (r < 0)
                return r;
        if (!o->boot_only) {
                r = set_setting(bus, o, "SetDisabled", args[0], true, NULL);
                if (r < 0)
                        return r;
        }
        return o->now ? load_or_unload(bus, o, args[0], false) : 0;
}

int verb_blacklist(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        return set_setting(bus, o, "SetBlacklisted", args[0], true, NULL);
}

int verb_unblacklist(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        return set_setting(bus, o, "SetBlacklisted", args[0], false, NULL);
}

/* Prints the effective settings and where each comes from. */
const char *const settings_columns[] = { "setting", "value", "managed-by", "file", NULL };

static int show_settings(sd_bus *bus, const Options *o, const char *name, bool options_only) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(json_object_putp) json_object *js = NULL, *sources = NULL;
        const char *options, *setting, *value, *file;
        int boot, blacklisted, disabled, owned;
        int r;

        r = modctl_new_method_call(bus, "GetModuleSettings", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return log_oom();
        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bbbs", &boot, &blacklisted, &disabled, &options);
        if (r < 0)
                return log_parse_error(r);

        if (options_only && o->json == JSON_OFF) {
                if (*options)
                        printf("%s\n", term_escape(options));
        } else if (o->json == JSON_OFF) {
                printf(_("boot:        %s\n"), boot ? _("yes") : _("no"));
                printf(_("blacklisted: %s\n"), blacklisted ? _("yes") : _("no"));
                printf(_("disabled:    %s\n"), disabled ? _("yes") : _("no"));
                printf(_("options:     %s\n"), term_escape(options));
        }
        t = table_new_named(settings_columns);
        js = json_object_new_object();
        sources = json_object_new_array();
        if (!t || !js || !sources || table_apply_options(t, o) < 0)
                return log_oom();
        if (table_add_cell(t, _("SETTING")) < 0 || table_add_cell(t, _("VALUE")) < 0 ||
            table_add_cell(t, _("MANAGED BY")) < 0 || table_add_cell(t, _("FILE")) < 0)
                return log_oom();

        r = sd_bus_message_enter_container(reply, 'a', "(sssb)");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "(sssb)", &setting, &value, &file, &owned)) > 0) {
                if (options_only && strcmp(setting, "options") != 0)
                        continue;
                json_object *s = json_object_new_object();
                if (!s || json_object_array_add(sources, s) < 0)
                        return log_oom();
                json_object_object_add(s, "setting", json_object_new_string(setting));
                json_object_object_add(s, "value", json_object_new_string(value));
                json_object_object_add(s, "file", json_object_new_string(file));
                json_object_object_add(s, "managed", json_object_new_boolean(owned));
                if (table_add_cell(t, setting) < 0 || table_add_cell(t, value) < 0 ||
                    table_add_cell(t, owned ? "modctl" : _("admin")) < 0 || table_add_cell(t, file) < 0)
                        return log_oom();
        }
        if (r < 0)
                return log_parse_error(r);

        if (o->json != JSON_OFF) {
                json_object_object_add(js, "module", json_object_new_string(name));
                json_object_object_add(js, "boot", json_object_new_boolean(boot));
                json_object_object_add(js, "blacklisted", json_object_new_boolean(blacklisted));
                json_object_object_add(js, "disabled", json_object_new_boolean(disabled));
                json_object_object_add(js, "options", json_object_new_string(options));
                json_object_object_add(js, "sources", TAKE_PTR(sources));
                return print_json(js, o->json);
        }
        if (table_get_rows(t) > 1) {
                if (!options_only)
                        putchar('\n');
                r = table_print(t, stdout);
                if (r < 0)
                        return r;
        }
        return 0;
}

int verb_settings(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        return show_settings(bus, o, args[0], false);
}

/* options NAME: show; options NAME P=V...: set modctld's line; --clear: remove it. */
int verb_options(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(freep) char *joined = NULL;
        size_t len = 0;

        if (n_args == 1 && !o->clear)
                return show_settings(bus, o, args[0], true);
        if (n_args > 1 && o->clear) {
                fprintf(stderr, _("%s: --clear takes no PARAM=VALUE arguments\n"), program_invocation_short_name);
                return -EINVAL;
        }
        for (size_t i = 1; i < n_args; i++)
                len += strlen(args[i]) + 1;
        joined = calloc(1, len + 1);
        if (!joined)
                return log_oom();
        for (size_t i = 1; i < n_args; i++) {
                if (i > 1)
                        strcat(joined, " ");
                strcat(joined, args[i]);
        }

        /* The daemon's grammar, checked before the call. */
        _cleanup_(freep) char *invalid = NULL;
        int r = module_params_check(args[0], joined, &invalid);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                log_error_line("%s", invalid);
                return -EINVAL;
        }
        return set_setting(bus, o, "SetOptions", args[0], 0, joined);
}

const char *const search_columns[] = { "name", "state", "description", NULL };

/* Matches asked for per SearchPage call: a page of the whole catalog (4000 modules) is about
 * 100 kB on the bus, and the first rows can be formatted while modctld reads the rest's
 * settings. */
#define SEARCH_PAGE_SIZE 1000u

/* One page from offset: appends its rows to t or array; *ret_total is the number of all
 * matches, *ret_n the rows this page had. */
static int search_page(sd_bus *bus, const Options *o, const char *text, unsigned offset, unsigned limit, Table *t,
                       json_object *array, unsigned *ret_total, unsigned *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *name, *description;
        int loaded, boot, blacklisted, disabled;
        uint32_t total;
        unsigned n = 0;
        int r;

        r = modctl_new_method_call(bus, "SearchPage", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "suu", text, (uint32_t) offset, (uint32_t) limit);
        if (r < 0)
                return log_oom();
        r = modctl_call(bus, m, MODCTL_DEFAULT_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "u", &total);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssbbbb)");
        if (r < 0)
                return log_parse_error(r);
        while ((r = sd_bus_message_read(reply, "(ssbbbb)", &name, &description, &loaded, &boot, &blacklisted,
                                        &disabled)) > 0) {
                char state[64] = "";

                n++;
                if (o->json != JSON_OFF) {
                        json_object *e = json_object_new_object();
                        if (!e || json_object_array_add(array, e) < 0)
                                return log_oom();
                        json_object_object_add(e, "name", json_object_new_string(name));
                        json_object_object_add(e, "description", json_object_new_string(description));
                        json_object_object_add(e, "loaded", json_object_new_boolean(loaded));
                        json_object_object_add(e, "boot", json_object_new_boolean(boot));
                        json_object_object_add(e, "blacklisted", json_object_new_boolean(blacklisted));
                        json_object_object_add(e, "disabled", json_object_new_boolean(disabled));
                        continue;
                }
                /* The same words as the JSON keys, for scripts that read the table. */
                if (loaded)
                        strcat(state, "loaded,");
                if (boot)
                        strcat(state, "boot,");
                if (blacklisted)
                        strcat(state, "blacklisted,");
                if (disabled)
                        strcat(state, "disabled,");
                if (*state)
                        state[strlen(state) - 1] = '\0';
                else
                        strcpy(state, "-");
                if (table_add_cell(t, name) < 0 || table_add_cell(t, state) < 0 || table_add_cell(t, description) < 0)
                        return log_oom();
        }
        if (r < 0)
                return log_parse_error(r);
        *ret_total = total;
        *ret_n = n;
        return 0;
}

/* search [TEXT] [--offset N] [--limit N]: the matches from offset, at most limit of them (all by
 * default), fetched a page at a time with SearchPage, which carries only what this list shows;
 * license, signer and aliases are in info. */
int verb_search(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(json_object_putp) json_object *array = NULL;
        const char *text = n_args > 0 ? args[0] : "";
        unsigned offset = o->offset, left = o->limit, total = 0, page = SEARCH_PAGE_SIZE;
        const char *e = getenv("MODCTL_SEARCH_PAGE_SIZE");
        int r;

        /* For the tests, which page a catalog of a few modules. */
        if (e && atoi(e) > 0)
                page = (unsigned) atoi(e);

        t = table_new_named(search_columns);
        array = json_object_new_array();
        if (!t || !array || table_apply_options(t, o) < 0)
                return log_oom();
        if (table_add_cell(t, _("NAME")) < 0 || table_add_cell(t, _("STATE")) < 0 ||
            table_add_cell(t, _("DESCRIPTION")) < 0)
                return log_oom();

        for (;;) {
                unsigned n = 0, ask = MIN(left, page);

                r = search_page(bus, o, text, offset, ask, t, array, &total, &n);
                if (r < 0)
                        return r;
                if (left != UINT32_MAX)
                        left -= MIN(n, left);
                offset += n;
                /* A short page is the last; so is one that reached the end or the limit. */
                if (n < ask || offset >= total || left == 0)
                        break;
        }

        if (total == 0 && o->json == JSON_OFF) {
                fprintf(stderr, _("No module matches '%s'.\n"), text);
                return -ENOENT;
        }
        if (o->json != JSON_OFF)
                return print_json(array, o->json);
        if (table_get_rows(t) == 1)
                return 0;       /* --offset past the matches, or --limit=0 */
        return table_print(t, stdout);
}
