/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* modctl: a thin client of modctld. It parses the command line, makes one or two D-Bus calls
 * and formats the replies; all policy and kernel work happens in the daemon. */

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl.h"

enum {
        OPT_DRY_RUN        = 1 << 0,
        OPT_IGNORE_INSTALL = 1 << 1,
        OPT_FORCE          = 1 << 2,
        OPT_REMOVE_UNUSED  = 1 << 3,
        OPT_IGNORE_REMOVE  = 1 << 4,
        OPT_JSON           = 1 << 5,
        OPT_RUNTIME        = 1 << 6,
        OPT_NOW            = 1 << 7,
        OPT_BOOT           = 1 << 8,
        OPT_CLEAR          = 1 << 9,
};

static Options arg = {
        .ask_password = true,
};
/* Which verb-specific options were given, for the "not valid for" check. */
static unsigned arg_seen = 0;

typedef int (*verb_func)(sd_bus *bus, const Options *o, char **args, size_t n_args);

typedef struct Verb {
        const char *name;
        size_t min_args;
        size_t max_args;
        unsigned options;
        verb_func run;
} Verb;

static void print_try_help(void) {
        fprintf(stderr, _("Try '%s --help' for more information.\n"), program_invocation_short_name);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        print_try_help();
        return -EINVAL;
}

static void help(void) {
        printf(_("Usage: %s [OPTIONS...] COMMAND [ARGS...]\n"
                 "\n"
                 "Load, unload and inspect kernel modules through the modctld daemon.\n"),
               program_invocation_short_name);
        fputs(_("\n"
                "Commands:\n"
                "  load NAME [PARAM=VALUE...]  Load a module or alias with its dependencies\n"
                "  unload NAME                 Unload a module\n"
                "  list                        List the loaded modules\n"
                "  info NAME                   Show the fields of a module, like modinfo\n"
                "  status                      Show the daemon's version and state\n"
                "  policy check NAME           Show the plan and each module's policy verdict\n"
                "  policy show                 Show the policy in force\n"
                "  reload                      Reload the daemon's configuration\n"
                "  monitor                     Print module loads, unloads and failures as\n"
                "                              they happen, with their origin\n"
                "  enable NAME                 Load a module at boot (and lift a disable)\n"
                "  disable NAME                Never load a module (and drop it from boot)\n"
                "  blacklist NAME              Do not load a module for its aliases\n"
                "  unblacklist NAME            Undo blacklist\n"
                "  options NAME [PARAM=VALUE...]\n"
                "                              Show, or set, a module's persistent options\n"
                "  settings NAME               Show a module's persistent settings and the\n"
                "                              file each comes from\n"
                "  search [TEXT]               Search the available modules by name and\n"
                "                              description\n"
                "  help                        Show this help\n"), stdout);
        fputs(_("\n"
                "Options:\n"
                "  -h --help                Show this help and exit\n"
                "     --version             Show the version and exit\n"
                "     --no-ask-password     Do not ask for a password to authorize the operation\n"
                "     --json                list, info, status: print JSON instead of text.\n"
                "                           list prints an array of objects with the keys\n"
                "                           name, size, refcount, holders, state and taint;\n"
                "                           info prints an object that maps each field name\n"
                "                           to the array of its values, in file order;\n"
                "                           status prints one object; policy check prints\n"
                "                           {plan, verdicts}\n"
                "  -n --dry-run             load: print the plan's steps, insert nothing\n"
                "  -i --ignore-install      load: skip install commands from modprobe.d\n"
                "  -f --force               load: ignore version magic and symbol versions\n"
                "  -r --remove-unused       unload: also remove dependencies left unused\n"
                "     --ignore-remove       unload: skip remove commands from modprobe.d\n"
                "     --runtime             enable, disable, blacklist, unblacklist, options:\n"
                "                           change the files under /run, lost at reboot\n"
                "     --now                 enable, disable: also load or unload it now\n"
                "     --boot                enable, disable: change the boot list only\n"
                "     --clear               options: remove the options modctl set\n"), stdout);
        fputs(_("\n"
                "Environment:\n"
                "  MODCTL_BUS_ADDRESS       Reach modctld at this D-Bus address instead of\n"
                "                           the system bus\n"
                "\n"
                "Exit status: 0 on success, 1 on failure, 2 on a usage error.\n"), stdout);
}

/* ---- command line ---- */

static int verb_help(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        help();
        return 0;
}

static const Verb verbs[] = {
        { "load",   1, SIZE_MAX, OPT_DRY_RUN | OPT_IGNORE_INSTALL | OPT_FORCE, verb_load   },
        { "unload", 1, 1,        OPT_REMOVE_UNUSED | OPT_IGNORE_REMOVE,        verb_unload },
        { "list",   0, 0,        OPT_JSON,                                     verb_list   },
        { "info",   1, 1,        OPT_JSON,                                     verb_info   },
        { "status", 0, 0,        OPT_JSON,                                     verb_status },
        { "policy", 1, 2,        OPT_JSON,                                     verb_policy },
        { "reload", 0, 0,        0,                                            verb_reload },
        { "monitor", 0, 0,       0,                                            verb_monitor },
        { "enable", 1, 1,        OPT_RUNTIME | OPT_NOW | OPT_BOOT,             verb_enable },
        { "disable", 1, 1,       OPT_RUNTIME | OPT_NOW | OPT_BOOT,             verb_disable },
        { "blacklist", 1, 1,     OPT_RUNTIME,                                  verb_blacklist },
        { "unblacklist", 1, 1,   OPT_RUNTIME,                                  verb_unblacklist },
        { "options", 1, SIZE_MAX, OPT_RUNTIME | OPT_CLEAR | OPT_JSON,          verb_options },
        { "settings", 1, 1,      OPT_JSON,                                     verb_settings },
        { "search", 0, 1,        OPT_JSON,                                     verb_search },
        { "help",   0, 0,        0,                                            verb_help   },
};

/* Indexed by the bit number of OPT_*. */
static const char * const option_names[] = {
        "--dry-run", "--ignore-install", "--force", "--remove-unused", "--ignore-remove", "--json",
        "--runtime", "--now", "--boot", "--clear",
};

/* Returns 1 to run a verb, 0 to exit successfully (--help, --version), or -EINVAL. */
static int parse_argv(int argc, char *argv[], const Verb **ret_verb, char ***ret_args, size_t *ret_n_args) {
        enum {
                ARG_VERSION = 0x100,
                ARG_NO_ASK_PASSWORD,
                ARG_JSON,
                ARG_IGNORE_REMOVE,
                ARG_RUNTIME,
                ARG_NOW,
                ARG_BOOT,
                ARG_CLEAR,
        };
        static const struct option options[] = {
                { "help",            no_argument, NULL, 'h'                 },
                { "version",         no_argument, NULL, ARG_VERSION         },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "json",            no_argument, NULL, ARG_JSON            },
                { "dry-run",         no_argument, NULL, 'n'                 },
                { "ignore-install",  no_argument, NULL, 'i'                 },
                { "force",           no_argument, NULL, 'f'                 },
                { "remove-unused",   no_argument, NULL, 'r'                 },
                { "ignore-remove",   no_argument, NULL, ARG_IGNORE_REMOVE   },
                { "runtime",         no_argument, NULL, ARG_RUNTIME         },
                { "now",             no_argument, NULL, ARG_NOW             },
                { "boot",            no_argument, NULL, ARG_BOOT            },
                { "clear",           no_argument, NULL, ARG_CLEAR           },
                {}
        };
        const Verb *verb = NULL;
        int c;

        /* Report bad options ourselves, in our words and our catalog. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hnifr", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", program_invocation_short_name, MODCTL_VERSION);
                        return 0;
                case ARG_NO_ASK_PASSWORD:
                        arg.ask_password = false;
                        break;
                case ARG_JSON:
                        arg.json = true;
                        arg_seen |= OPT_JSON;
                        break;
                case 'n':
                        arg.dry_run = true;
                        arg_seen |= OPT_DRY_RUN;
                        break;
                case 'i':
                        arg.ignore_install = true;
                        arg_seen |= OPT_IGNORE_INSTALL;
                        break;
                case 'f':
                        arg.force = true;
                        arg_seen |= OPT_FORCE;
                        break;
                case 'r':
                        arg.remove_unused = true;
                        arg_seen |= OPT_REMOVE_UNUSED;
                        break;
                case ARG_IGNORE_REMOVE:
                        arg.ignore_remove = true;
                        arg_seen |= OPT_IGNORE_REMOVE;
                        break;
                case ARG_RUNTIME:
                        arg.runtime = true;
                        arg_seen |= OPT_RUNTIME;
                        break;
                case ARG_NOW:
                        arg.now = true;
                        arg_seen |= OPT_NOW;
                        break;
                case ARG_BOOT:
                        arg.boot_only = true;
                        arg_seen |= OPT_BOOT;
                        break;
                case ARG_CLEAR:
                        arg.clear = true;
                        arg_seen |= OPT_CLEAR;
                        break;
                case '?':
                        if (optopt != 0)
                                return usage_error(_("invalid option '-%c'"), optopt);
                        return usage_error(_("unrecognized option '%s'"), argv[optind - 1]);
                default:
                        abort();
                }

        if (optind >= argc)
                return usage_error(_("missing command"));

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        verb = verbs + i;
                        break;
                }
        if (!verb)
                return usage_error(_("unknown command '%s'"), argv[optind]);

        if (arg_seen & ~verb->options) {
                unsigned bad = arg_seen & ~verb->options;
                return usage_error(_("option '%s' is not valid for '%s'"),
                                   option_names[__builtin_ctz(bad)], verb->name);
        }

        size_t n_args = (size_t) (argc - optind - 1);
        if (n_args < verb->min_args)
                return usage_error(_("'%s' needs a module name"), verb->name);
        if (n_args > verb->max_args)
                return usage_error(_("too many arguments for '%s'"), verb->name);

        *ret_verb = verb;
        *ret_args = argv + optind + 1;
        *ret_n_args = n_args;
        return 1;
}

static int run(const Verb *verb, char **args, size_t n_args) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (verb->run == verb_help)
                return verb->run(NULL, &arg, args, n_args);

        r = modctl_bus_connect(&bus);
        if (r < 0)
                return r;

        return verb->run(bus, &arg, args, n_args);
}

int main(int argc, char *argv[]) {
        const Verb *verb = NULL;
        char **args = NULL;
        size_t n_args = 0;
        int r;

        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        textdomain(GETTEXT_PACKAGE);

        r = parse_argv(argc, argv, &verb, &args, &n_args);
        if (r < 0)
                return EXIT_USAGE;
        if (r > 0)
                r = run(verb, args, n_args);

        if (fflush(stdout) != 0 || ferror(stdout)) {
                if (r >= 0)
                        fprintf(stderr, _("%s: cannot write the output: %s\n"),
                                program_invocation_short_name, strerror(errno ?: EIO));
                return EXIT_FAILURE;
        }

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

