/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* load and unload: one call each, printing the modules the daemon reports. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
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

int verb_load(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(freep) char *parameters = NULL;
        uint64_t flags = 0;
        bool empty;
        int r;

        r = join_parameters(args + 1, n_args - 1, &parameters);
        if (r < 0)
                return log_oom();

        if (o->dry_run)
                flags |= MODCTL_LOAD_DRY_RUN;
        if (o->ignore_install)
                flags |= MODCTL_LOAD_IGNORE_COMMANDS;
        if (o->force)
                flags |= MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION;

        r = modctl_new_method_call(bus, "Load", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "sst", args[0], parameters, flags);
        if (r < 0)
                return log_oom();

        /* A dry run changes nothing and needs no authorization. */
        pid_t agent = polkit_agent_open(o->ask_password && !o->dry_run);
        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        polkit_agent_close(agent);
        if (r < 0)
                return r;

        /* Inserted modules one per line; in a dry run the plan's steps, like modprobe -D. */
        r = print_strv_reply(reply, &empty);
        if (r < 0)
                return r;

        if (empty && !o->dry_run)
                printf(_("%s: already loaded or built into the kernel\n"), args[0]);

        return 0;
}

int verb_unload(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        uint64_t flags = 0;
        int r;

        if (o->remove_unused)
                flags |= MODCTL_UNLOAD_REMOVE_UNUSED;
        if (o->ignore_remove)
                flags |= MODCTL_UNLOAD_IGNORE_COMMANDS;

        r = modctl_new_method_call(bus, "Unload", o->ask_password, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", args[0], flags);
        if (r < 0)
                return log_oom();

        pid_t agent = polkit_agent_open(o->ask_password);
        r = modctl_call(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &reply);
        polkit_agent_close(agent);
        if (r < 0)
                return r;

        return print_strv_reply(reply, NULL);
}
