/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* load and unload: one call per module, printing what the daemon did. Several names are
 * loaded (or unloaded) in the order given, like modprobe -a (or modprobe -r a b); one name
 * may be followed by PARAM=VALUE arguments, as in modprobe, or by "-- PARAM=VALUE...". */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "bus-call.h"
#include "exit-status.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "module-name.h"
#include "module-params.h"
#include "output.h"
#include "polkit-agent.h"

/* Joins PARAM=VALUE arguments the way the kernel parses them; a value with blanks is quoted. */
static int join_parameters(char **args, size_t n_args, char **ret) {
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        for (size_t i = 0; i < n_args; i++) {
                const char *eq = strchr(args[i], '=');

                if (i > 0)
                        fputc(' ', f);

                if (eq && strpbrk(eq + 1, " \t\n") && !strchr(eq + 1, '"'))
                        fprintf(f, "%.*s=\"%s\"", (int) (eq - args[i]), args[i], eq + 1);
                else
                        fputs(args[i], f);
        }

        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(buf);
        return 0;
}

/* Splits the arguments into names and parameters. Returns the number of names. */
static int split_arguments(const Options *o, char **args, size_t n_args, char **ret_parameters) {
        size_t n_names = 0, n_params = 0;
        int r;

        for (size_t i = 0; i < n_args; i++) {
                if (strchr(args[i], '='))
                        n_params++;
                else if (n_params > 0) {
                        log_error_line(_("'%s' follows a parameter: give parameters after one module name"), args[i]);
                        return -EINVAL;
                } else
                        n_names++;
        }
        if (n_params > 0 && o->parameters && *o->parameters) {
                log_error_line(_("give parameters either after the name or after '--', not both"));
                return -EINVAL;
        }
        if ((n_params > 0 || (o->parameters && *o->parameters)) && n_names != 1) {
                log_error_line(_("parameters need exactly one module name"));
                return -EINVAL;
        }

        if (n_params > 0)
                r = join_parameters(args + n_names, n_params, ret_parameters);
        else
                r = join_parameters(o->parameters, o->parameters ? strv_length(o->parameters) : 0, ret_parameters);
        if (r < 0)
                return log_oom();

        /* The daemon's grammar, checked before the call: the same sentence, and nothing sent. */
        if (n_names == 1) {
                _cleanup_(freep) char *invalid = NULL;

                r = module_params_check(args[0], *ret_parameters, &invalid);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0) {
                        log_error_line("%s", invalid);
                        return -EINVAL;
                }
        }
        return (int) n_names;
}

/* {"name": NAME, "plan": [steps]}, as load_one() makes it from the daemon's reply. */
static int add_offline_plan(json_object *results, const char *name, const char *text) {
        _cleanup_(json_object_putp) json_object *lines = NULL, *steps = NULL, *result = NULL;
        int r;

        lines = json_object_new_array();
        if (!lines)
                return log_oom();
        for (const char *p = text ?: ""; *p;) {
                size_t n = strcspn(p, "\n");
                if (n > 0 && json_object_array_add(lines, json_object_new_string_len(p, (int) n)) < 0)
                        return log_oom();
                p += n;
                p += *p == '\n';
        }
        r = plan_steps_to_json(lines, false, &steps);
        if (r < 0)
                return r;
        result = json_object_new_object();
        if (!result ||
            json_object_object_add(result, "name", json_object_new_string(name)) < 0 ||
            json_object_object_add(result, "plan", TAKE_PTR(steps)) < 0 ||
            json_object_array_add(results, TAKE_PTR(result)) < 0)
                return log_oom();
        return 0;
}

/* load --dry-run without the daemon: libkmod's plan, as modprobe --dry-run would see it. */
static int dry_run_offline(const Options *o, char **names, size_t n_names, const char *parameters) {
        _cleanup_(json_object_putp) json_object *results = NULL;
        unsigned kmod_flags = o->ignore_install ? KMOD_PROBE_IGNORE_COMMAND : 0;
        struct kmod_ctx *ctx;
        int r = 0;

        if (o->json != JSON_OFF) {
                results = json_object_new_array();
                if (!results)
                        return log_oom();
        }

        /* A plain dry run shows what modprobe -D shows, daemon or not: nothing to say. */
        if (o->verdicts && !o->quiet)
                fprintf(stderr, _("%s: modctld is not reachable: showing libkmod's plan without policy verdicts "
                                  "or taint prediction\n"), program_invocation_short_name);

        /* Another kernel's tree: what the running one has loaded does not apply (modprobe -D). */
        if (o->release)
                kmod_flags |= KMOD_PROBE_IGNORE_LOADED;
        ctx = local_kmod_new(o->release ? &(const LocalIndex) { .release = o->release } : NULL);
        if (!ctx)
                return -EOPNOTSUPP;

        for (size_t i = 0; i < n_names; i++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(fclosep) FILE *f = NULL;
                size_t size = 0;
                int k;

                /* For JSON the lines are collected and made the same objects as the daemon's. */
                if (o->json != JSON_OFF) {
                        f = open_memstream(&text, &size);
                        if (!f) {
                                kmod_dl()->kmod_unref(ctx);
                                return log_oom();
                        }
                }
                /* A module file: libkmod's reading of it, as kmod 31's modprobe -n prints it. */
                bool file = module_arg_is_file(names[i]);
                if (file)
                        k = local_show_depends_file(ctx, names[i], parameters, kmod_flags, f ?: stdout);
                else
                        k = local_show_depends(ctx, names[i], parameters, kmod_flags, f ?: stdout);
                if (f) {
                        if (fclose(TAKE_PTR(f)) != 0)
                                k = -ENOMEM;
                        if (k >= 0)
                                k = add_offline_plan(results, names[i], text);
                }
                if (file && k < 0) {
                        log_error_line(_("cannot open the module file '%s': %s"), names[i], i18n_strerror(-k));
                        if (k == -ENOENT)
                                exit_status_note(MODCTL_EXIT_NOT_FOUND);
                } else if (k == -ENOENT) {
                        log_error_line(_("Module '%s' not found in %s."), names[i], local_kmod_dirname(ctx));
                        exit_status_note(MODCTL_EXIT_NOT_FOUND);
                } else if (k < 0)
                        log_error_line(_("cannot resolve '%s': %s"), names[i], i18n_strerror(-k));
                if (k < 0 && r == 0)
                        r = k;
        }
        kmod_dl()->kmod_unref(ctx);
        if (o->json != JSON_OFF) {
                int k = print_json(results, o->json);
                if (r == 0)
                        r = k;
        }
        return r;
}

/* A module file is opened here, with the caller's own rights, and the daemon gets the open
 * descriptor (LoadFile): it never opens a path on the caller's behalf. */
static int load_one(sd_bus *bus, const Options *o, const char *name, const char *parameters, json_object *results) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(json_object_putp) json_object *result = NULL;
        _cleanup_(strv_freep) char **inserted = NULL;
        _cleanup_(closep) int fd = -EBADF;
        bool file = module_arg_is_file(name);
        uint64_t flags = 0;
        size_t n;
        int r;

        if (file) {
                fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        r = -errno;
                        log_error_line(_("cannot open the module file '%s': %s"), name, i18n_strerror(-r));
                        if (r == -ENOENT)
                                exit_status_note(MODCTL_EXIT_NOT_FOUND);
                        return r;
                }
                if (o->verdicts) {
                        log_error_line(_("--verdicts is not available for a module file ('%s')"), name);
                        return -EINVAL;
                }
        }

        if (o->dry_run)
                flags |= MODCTL_LOAD_DRY_RUN;
        if (o->verdicts)
                flags |= MODCTL_LOAD_VERDICTS;
        if (o->ignore_install)
                flags |= MODCTL_LOAD_IGNORE_COMMANDS;
        if (o->force)
                flags |= MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION;

        r = modctl_new_method_call(bus, file ? "LoadFile" : "Load", o->ask_password, &m);
        if (r >= 0 && file)
                r = sd_bus_message_append(m, "hst", fd, parameters, flags);
        else if (r >= 0)
                r = sd_bus_message_append(m, "sst", name, parameters, flags);
        if (r < 0)
                return log_oom();

        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;

        r = sd_bus_message_read_strv(reply, &inserted);
        if (r < 0)
                return log_parse_error(r);
        n = strv_length(inserted);

        /* JSON only when asked: a plain load makes no JSON value, so json-c is never opened. */
        if (o->json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *lines = NULL, *steps = NULL;

                r = strv_to_json(inserted, &lines);
                if (r < 0)
                        return r;
                if (o->dry_run) {
                        r = plan_steps_to_json(lines, o->verdicts, &steps);
                        if (r < 0)
                                return r;
                }
                result = json_object_new_object();
                if (!result ||
                    json_object_object_add(result, "name", json_object_new_string(name)) < 0 ||
                    json_object_object_add(result, o->dry_run ? "plan" : "inserted",
                                           json_object_get(o->dry_run ? steps : lines)) < 0 ||
                    (!o->dry_run &&
                     json_object_object_add(result, "already_loaded", json_object_new_boolean(n == 0)) < 0) ||
                    json_object_array_add(results, TAKE_PTR(result)) < 0)
                        return log_oom();
        } else if (!o->quiet || o->dry_run)
                /* Inserted modules one per line; in a dry run the plan's steps, like modprobe -D. */
                STRV_FOREACH(s, inserted)
                        puts(term_escape(*s));

        if (o->dry_run || n > 0)
                return 0;

        if (o->first_time) {
                log_error_line(_("Module '%s' is already loaded or built into the kernel."), name);
                return -EEXIST;
        }
        if (*parameters)
                fprintf(stderr, _("%s: warning: '%s' is already loaded; the parameters '%s' were not applied. "
                                  "Unload it first, or write to /sys/module/NAME/parameters/.\n"),
                        program_invocation_short_name, name, parameters);
        else if (!o->quiet && o->json == JSON_OFF)
                printf(_("%s: already loaded or built into the kernel\n"), name);
        return 0;
}

int verb_load(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(json_object_putp) json_object *results = NULL;
        _cleanup_(freep) char *parameters = NULL;
        int n_names, r = 0;

        n_names = split_arguments(o, args, n_args, &parameters);
        if (n_names < 0)
                return n_names;

        if (!bus) {
                if (!o->dry_run)
                        return modctl_log_unreachable();
                return dry_run_offline(o, args, (size_t) n_names, parameters);
        }

        if (o->json != JSON_OFF) {
                results = json_object_new_array();
                if (!results)
                        return log_oom();
        }

        /* A dry run changes nothing and needs no authorization, but for a module file: modctld
         * reads the caller's bytes only under org.modctl1.load-file, dry runs too. */
        bool files = false;
        for (int i = 0; i < n_names; i++)
                files = files || module_arg_is_file(args[i]);
        pid_t agent = polkit_agent_open(o->ask_password && (!o->dry_run || files));
        for (int i = 0; i < n_names; i++) {
                int k = load_one(bus, o, args[i], parameters, results);
                if (k == -ENOTCONN && modctl_bus_offline_ok()) {
                        /* The bus is there, the daemon is not. */
                        polkit_agent_close(agent);
                        if (!o->dry_run)
                                return modctl_log_unreachable();
                        return dry_run_offline(o, args + i, (size_t) (n_names - i), parameters);
                }
                if (k < 0 && r == 0)
                        r = k;
        }
        polkit_agent_close(agent);

        if (o->json != JSON_OFF) {
                int k = print_json(results, o->json);
                if (r == 0)
                        r = k;
        }
        return r;
}

static int unload_one(sd_bus *bus, const Options *o, const char *name, json_object *results) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(json_object_putp) json_object *result = NULL;
        _cleanup_(strv_freep) char **removed = NULL;
        uint64_t flags = 0;
        int r;

        if (o->remove_unused)
                flags |= MODCTL_UNLOAD_REMOVE_UNUSED;
        if (o->ignore_remove)
                flags |= MODCTL_UNLOAD_IGNORE_COMMANDS;

        r = modctl_new_method_call(bus, "Unload", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", name, flags);
        if (r < 0)
                return log_oom();

        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &removed);
        if (r < 0)
                return log_parse_error(r);

        if (o->json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *lines = NULL;

                r = strv_to_json(removed, &lines);
                if (r < 0)
                        return r;
                result = json_object_new_object();
                if (!result ||
                    json_object_object_add(result, "name", json_object_new_string(name)) < 0 ||
                    json_object_object_add(result, "removed", TAKE_PTR(lines)) < 0 ||
                    json_object_array_add(results, TAKE_PTR(result)) < 0)
                        return log_oom();
        } else if (!o->quiet)
                STRV_FOREACH(s, removed)
                        puts(term_escape(*s));
        return 0;
}

int verb_unload(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(json_object_putp) json_object *results = NULL;
        int r = 0;

        if (o->json != JSON_OFF) {
                results = json_object_new_array();
                if (!results)
                        return log_oom();
        }

        pid_t agent = polkit_agent_open(o->ask_password);
        for (size_t i = 0; i < n_args; i++) {
                int k = unload_one(bus, o, args[i], results);
                if (k == -ENOTCONN) {
                        r = k;
                        break;
                }
                if (k < 0 && r == 0)
                        r = k;
        }
        polkit_agent_close(agent);

        if (o->json != JSON_OFF) {
                int k = print_json(results, o->json);
                if (r == 0)
                        r = k;
        }
        return r;
}
