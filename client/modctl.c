/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* modctl: a thin client of modctld. It parses the command line, makes one or two D-Bus calls
 * and formats the replies; all policy and kernel work happens in the daemon. The read-only
 * verbs answer from the kernel and the module index when the daemon cannot be reached.
 *
 * Adding a verb is adding a row to verbs[] (and its options' bits to the row). */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-call.h"
#include "color.h"
#include "exit-status.h"
#include "i18n.h"
#include "macro.h"
#include "modctl.h"
#include "pager.h"
#include "strv.h"
#include "table.h"

/* Options that only some verbs take. Every other option is accepted by every verb. */
enum {
        OPT_DRY_RUN        = 1 << 0,
        OPT_IGNORE_INSTALL = 1 << 1,
        OPT_FORCE          = 1 << 2,
        OPT_REMOVE_UNUSED  = 1 << 3,
        OPT_IGNORE_REMOVE  = 1 << 4,
        OPT_FIRST_TIME     = 1 << 5,
        OPT_FIELD          = 1 << 6,
        OPT_RUNTIME        = 1 << 7,
        OPT_NOW            = 1 << 8,
        OPT_BOOT           = 1 << 9,
        OPT_CLEAR          = 1 << 10,
        OPT_VERDICTS       = 1 << 11,
        OPT_SET_VERSION    = 1 << 12,
        OPT_OUTPUT         = 1 << 13,
        OPT_RAW            = 1 << 14,
        OPT_OFFSET         = 1 << 15,
        OPT_LIMIT          = 1 << 16,
};

/* What a verb needs around it. */
enum {
        VERB_NO_BUS    = 1 << 0,   /* never connects (help) */
        VERB_OFFLINE   = 1 << 1,   /* runs with bus == NULL when modctld cannot be reached */
        VERB_PAGER     = 1 << 2,   /* long output: page it on a terminal */
        VERB_SIGNALS   = 1 << 3,   /* needs the bus's signals: never the private socket */
};

static Options arg = {
        .ask_password = true,
        .legend = true,
        .pager = true,
        .limit = UINT32_MAX,
};
static unsigned arg_seen = 0;
static bool arg_help = false;

typedef int (*verb_func)(sd_bus *bus, const Options *o, char **args, size_t n_args);

typedef struct Verb {
        const char *name;
        size_t min_args;
        size_t max_args;
        unsigned options;
        unsigned flags;
        verb_func run;
        const char *synopsis;   /* after "modctl [OPTIONS...] NAME " */
        const char *summary;
        const char *const *columns; /* the table's column names, for -o; NULL: no table */
} Verb;

static int verb_help(sd_bus *bus, const Options *o, char **args, size_t n_args);

static const Verb verbs[] = {
        { "status", 0, 0, 0, VERB_PAGER, verb_status,
          "", N_("Show the daemon's version, kernel and counters (the default command)") },
        { "list", 0, 0, OPT_OUTPUT | OPT_RAW, VERB_OFFLINE | VERB_PAGER, verb_list,
          "", N_("List the loaded modules (from /proc/modules when modctld is not running)"),
          list_columns },
        { "info", 1, SIZE_MAX, OPT_FIELD, VERB_OFFLINE | VERB_PAGER, verb_info,
          N_("NAME|PATH..."), N_("Show the fields of modules or module files, like modinfo") },
        { "load", 1, SIZE_MAX, OPT_DRY_RUN | OPT_VERDICTS | OPT_SET_VERSION | OPT_IGNORE_INSTALL | OPT_FORCE | OPT_FIRST_TIME,
          VERB_OFFLINE, verb_load,
          N_("NAME... | NAME PARAM=VALUE... | NAME -- PARAM=VALUE..."),
          N_("Load modules or aliases with their dependencies") },
        { "unload", 1, SIZE_MAX, OPT_REMOVE_UNUSED | OPT_IGNORE_REMOVE | OPT_FIRST_TIME, 0, verb_unload,
          N_("NAME..."), N_("Unload modules") },
        { "policy", 1, 2, OPT_OUTPUT | OPT_RAW, VERB_PAGER, verb_policy,
          N_("check NAME | show"), N_("Show the plan and each module's verdict, or the policy in force"),
          policy_columns },
        { "reload", 0, 0, 0, 0, verb_reload,
          "", N_("Reload the daemon's configuration") },
        { "monitor", 0, 0, 0, VERB_SIGNALS, verb_monitor,
          "", N_("Print module loads, unloads and failures as they happen, with their origin") },
        { "enable", 1, 1, OPT_RUNTIME | OPT_NOW | OPT_BOOT, 0, verb_enable,
          N_("NAME"), N_("Load a module at boot (and lift a disable)") },
        { "disable", 1, 1, OPT_RUNTIME | OPT_NOW | OPT_BOOT, 0, verb_disable,
          N_("NAME"), N_("Never load a module (and drop it from boot)") },
        { "blacklist", 1, 1, OPT_RUNTIME, 0, verb_blacklist,
          N_("NAME"), N_("Do not load a module for its aliases (devices)") },
        { "unblacklist", 1, 1, OPT_RUNTIME, 0, verb_unblacklist,
          N_("NAME"), N_("Undo blacklist") },
        { "options", 1, SIZE_MAX, OPT_RUNTIME | OPT_CLEAR | OPT_OUTPUT | OPT_RAW, 0, verb_options,
          N_("NAME [PARAM=VALUE...]"), N_("Show, or set, a module's persistent options"),
          settings_columns },
        { "settings", 1, 1, OPT_OUTPUT | OPT_RAW, 0, verb_settings,
          N_("NAME"), N_("Show a module's persistent settings and the file each comes from"),
          settings_columns },
        { "search", 0, 1, OPT_OFFSET | OPT_LIMIT | OPT_OUTPUT | OPT_RAW, VERB_PAGER, verb_search,
          N_("[TEXT]"), N_("Search the available modules by name and description"),
          search_columns },
        { "analyze", 1, 2, 0, 0, verb_analyze,
          N_("blame|critical-chain|plot [boot|coldplug|all]"),
          N_("Where the boot's module time went: by module, the chain that decided it, or an SVG") },
        { "wait", 1, 1, 0, 0, verb_wait,
          N_("boot"), N_("Wait until modctld has loaded the boot list (modules-load.d)") },
        { "modprobe", 0, SIZE_MAX, 0, VERB_NO_BUS, NULL,
          N_("[MODPROBE OPTIONS...] NAME..."), N_("Act like kmod's modprobe, through modctld (see modctl modprobe --help)") },
        { "help", 0, 1, 0, VERB_NO_BUS, verb_help,
          N_("[COMMAND]"), N_("Show this help, or a command's help") },
};

/* Verb-specific options, for the "not valid for" check and the per-verb help. Indexed by the
 * bit number of OPT_*. */
static const struct {
        const char *name;
        const char *help;
} option_help[] = {
        { "-n --dry-run",        N_("Print the plan's steps (like modprobe -D), insert nothing") },
        { "-i --ignore-install", N_("Skip install and remove commands from modprobe.d") },
        { "-f --force",          N_("Ignore version magic and symbol versions") },
        { "-r --remove-unused",  N_("Also remove dependencies left unused, like modprobe -r") },
        { "   --ignore-remove",  N_("Skip remove commands from modprobe.d") },
        { "   --first-time",     N_("Fail if the module is already loaded (load) or not loaded (unload)") },
        { "-F --field=FIELD",    N_("Print only this field's values, one a line, like modinfo -F") },
        { "   --runtime",        N_("Change the files under /run, lost at reboot") },
        { "   --now",            N_("Also load (enable) or unload (disable) it now") },
        { "   --boot",           N_("Change the boot list only") },
        { "   --clear",          N_("Remove the options modctl set") },
        { "   --verdicts",       N_("With --dry-run, also judge each module and predict its taints") },
        { "-S --set-version=VER", N_("With --dry-run, plan from /lib/modules/VER, without modctld") },
        { "-o --output=COLUMNS", N_("Print these columns (comma-separated), or with +COLUMNS these as well") },
        { "   --raw",            N_("Print the table unaligned, one space between cells") },
        { "   --offset=N",       N_("Skip the first N matches") },
        { "   --limit=N",        N_("Show at most N matches") },
};

static void print_try_help(void) {
        fprintf(stderr, _("Try '%s --help' for more information.\n"), program_invocation_short_name);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s%s: ", color_on(stderr, ANSI_RED), program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "%s\n", color_off(stderr));
        print_try_help();
        return -EINVAL;
}

static void help_common_options(void) {
        fputs(_("  -h --help                Show this help and exit\n"
                "     --version             Show the version and exit\n"
                "     --json=pretty|short|off\n"
                "                           Print JSON instead of text (--json is pretty)\n"
                "  -q --quiet               Print nothing but errors and requested data\n"
                "  -v --verbose             Say more about what is done\n"
                "     --no-pager            Do not pipe long output into a pager\n"
                "     --no-legend           Do not print column headers\n"
                "  -H --host=[USER@]HOST    Talk to modctld on another host, over ssh\n"
                "     --no-ask-password     Do not ask for a password to authorize the operation\n"), stdout);
}

/* In the column of help_common_options()'s descriptions: 2 + 24 + 1. */
static void print_option_help(size_t i) {
        printf("  %-24s %s\n", option_help[i].name, _(option_help[i].help));
}

static void help(void) {
        printf(_("Usage: %s [OPTIONS...] [COMMAND] [ARGS...]\n"
                 "\n"
                 "Load, unload and inspect kernel modules through the modctld daemon.\n"),
               program_invocation_short_name);
        fputs(_("\nCommands:\n"), stdout);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                const char *synopsis = *verbs[i].synopsis ? _(verbs[i].synopsis) : "";
                printf("  %s%s%s\n      %s\n", verbs[i].name, *synopsis ? " " : "", synopsis,
                       _(verbs[i].summary));
        }
        fputs(_("\nOptions:\n"), stdout);
        help_common_options();
        for (size_t i = 0; i < ELEMENTSOF(option_help); i++)
                print_option_help(i);
        fputs(_("\n"
                "Without a command, modctl runs 'status'. Each command has its own --help.\n"
                "\n"
                "Environment:\n"
                "  MODCTL_BUS_ADDRESS       Reach modctld at this D-Bus address instead of\n"
                "                           the system bus\n"
                "  SYSTEMD_PAGER, PAGER     The pager (default: less, with LESS=FRSXMK)\n"
                "  SYSTEMD_COLORS, NO_COLOR Turn colors on or off\n"
                "  MODCTL_MODULES_DIR       Module tree to read when modctld cannot be reached\n"
                "                           (default /lib/modules/$(uname -r))\n"
                "\n"
                "As root, modctl talks to modctld over /run/modctl/private, without the bus.\n"
                "Exit status: 0 on success, 1 on failure, 2 on a usage error, 3 to 8 for the\n"
                "causes listed in modctl(1), EXIT STATUS (policy denial, not found, ...).\n"), stdout);
}

static void help_verb(const Verb *v) {
        const char *synopsis = *v->synopsis ? _(v->synopsis) : "";

        printf(_("Usage: %s [OPTIONS...] %s%s%s\n\n%s\n"), program_invocation_short_name, v->name,
               *synopsis ? " " : "", synopsis, _(v->summary));
        if (v->options) {
                fputs(_("\nOptions for this command:\n"), stdout);
                for (size_t i = 0; i < ELEMENTSOF(option_help); i++)
                        if (v->options & (1u << i))
                                print_option_help(i);
        }
        fputs(_("\nCommon options:\n"), stdout);
        help_common_options();
        if (v->flags & VERB_OFFLINE)
                fputs(_("\nWhen modctld cannot be reached, this command answers from the kernel and the\n"
                        "module index (libkmod) and says so on stderr.\n"), stdout);
}

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(name, verbs[i].name))
                        return verbs + i;
        return NULL;
}

static int verb_help(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        const Verb *v;

        if (n_args == 0) {
                help();
                return 0;
        }
        v = find_verb(args[0]);
        if (!v)
                return usage_error(_("unknown command '%s'"), args[0]);
        help_verb(v);
        return 0;
}

/* A count for --offset or --limit: decimal digits only, below UINT32_MAX (the bus's u; the
 * largest means "no limit"). */
static int parse_count(const char *s, unsigned *ret) {
        unsigned long long v;
        char *end;

        if (!s[0] || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v >= UINT32_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Returns 1 to run a verb, 0 to exit successfully (--help, --version), or -EINVAL. */
static int parse_argv(int argc, char *argv[], const Verb **ret_verb, char ***ret_args, size_t *ret_n_args) {
        enum {
                ARG_VERSION = 0x100,
                ARG_NO_ASK_PASSWORD,
                ARG_JSON,
                ARG_IGNORE_REMOVE,
                ARG_FIRST_TIME,
                ARG_RUNTIME,
                ARG_NOW,
                ARG_BOOT,
                ARG_CLEAR,
                ARG_NO_PAGER,
                ARG_NO_LEGEND,
                ARG_VERDICTS,
                ARG_RAW,
                ARG_OFFSET,
                ARG_LIMIT,
        };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h'                 },
                { "version",         no_argument,       NULL, ARG_VERSION         },
                { "no-ask-password", no_argument,       NULL, ARG_NO_ASK_PASSWORD },
                { "json",            optional_argument, NULL, ARG_JSON            },
                { "quiet",           no_argument,       NULL, 'q'                 },
                { "verbose",         no_argument,       NULL, 'v'                 },
                { "no-pager",        no_argument,       NULL, ARG_NO_PAGER        },
                { "no-legend",       no_argument,       NULL, ARG_NO_LEGEND       },
                { "host",            required_argument, NULL, 'H'                 },
                { "dry-run",         no_argument,       NULL, 'n'                 },
                { "ignore-install",  no_argument,       NULL, 'i'                 },
                { "force",           no_argument,       NULL, 'f'                 },
                { "remove-unused",   no_argument,       NULL, 'r'                 },
                { "ignore-remove",   no_argument,       NULL, ARG_IGNORE_REMOVE   },
                { "first-time",      no_argument,       NULL, ARG_FIRST_TIME      },
                { "runtime",         no_argument,       NULL, ARG_RUNTIME         },
                { "now",             no_argument,       NULL, ARG_NOW             },
                { "boot",            no_argument,       NULL, ARG_BOOT            },
                { "clear",           no_argument,       NULL, ARG_CLEAR           },
                { "field",           required_argument, NULL, 'F'                 },
                { "verdicts",        no_argument,       NULL, ARG_VERDICTS        },
                { "set-version",     required_argument, NULL, 'S'                 },
                { "output",          required_argument, NULL, 'o'                 },
                { "raw",             no_argument,       NULL, ARG_RAW             },
                { "offset",          required_argument, NULL, ARG_OFFSET          },
                { "limit",           required_argument, NULL, ARG_LIMIT           },
                {}
        };
        const Verb *verb;
        int c, r, n_opts = argc;

        /* "--" ends the options and the module names: what follows are parameters. getopt
         * would drop its position, so it is found first. */
        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "--")) {
                        n_opts = i;
                        arg.parameters = argv + i + 1;
                        break;
                }

        /* Report bad options ourselves, in our words and our catalog. */
        opterr = 0;
        while ((c = getopt_long(n_opts, argv, ":hqvH:nifrF:S:o:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        arg_help = true;
                        break;
                case ARG_VERSION:
                        printf("%s %s\n", program_invocation_short_name, MODCTL_VERSION);
                        return 0;
                case ARG_NO_ASK_PASSWORD:
                        arg.ask_password = false;
                        break;
                case ARG_JSON:
                        r = json_mode_from_string(optarg);
                        if (r < 0)
                                return usage_error(_("invalid --json mode '%s': use pretty, short or off"), optarg);
                        arg.json = r;
                        break;
                case 'q':
                        arg.quiet = true;
                        break;
                case 'v':
                        arg.verbose = true;
                        break;
                case ARG_NO_PAGER:
                        arg.pager = false;
                        break;
                case ARG_NO_LEGEND:
                        arg.legend = false;
                        break;
                case 'H':
                        arg.host = optarg;
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
                case ARG_FIRST_TIME:
                        arg.first_time = true;
                        arg_seen |= OPT_FIRST_TIME;
                        break;
                case 'F':
                        arg.field = optarg;
                        arg_seen |= OPT_FIELD;
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
                case ARG_VERDICTS:
                        arg.verdicts = true;
                        arg_seen |= OPT_VERDICTS;
                        break;
                case 'S':
                        arg.release = optarg;
                        arg_seen |= OPT_SET_VERSION;
                        break;
                case 'o':
                        arg.output = optarg;
                        arg_seen |= OPT_OUTPUT;
                        break;
                case ARG_RAW:
                        arg.raw = true;
                        arg_seen |= OPT_RAW;
                        break;
                case ARG_OFFSET:
                case ARG_LIMIT: {
                        unsigned *v = c == ARG_OFFSET ? &arg.offset : &arg.limit;
                        r = parse_count(optarg, v);
                        if (r < 0)
                                return usage_error(_("invalid count '%s' for '--%s': use a number from 0 to %u"),
                                                   optarg, c == ARG_OFFSET ? "offset" : "limit", UINT32_MAX - 1);
                        arg_seen |= c == ARG_OFFSET ? OPT_OFFSET : OPT_LIMIT;
                        break;
                }
                case ':':
                        if (optopt >= 0x100 || optopt == 0)
                                return usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
                        return usage_error(_("option '-%c' needs an argument"), optopt);
                case '?':
                        /* optopt is the character for a short option, 0 (or our code) for a
                         * long one: name the argument as given, never a raw byte. */
                        if (optopt > 0 && optopt < 0x80 && argv[optind - 1][1] != '-')
                                return usage_error(_("invalid option '-%c'"), optopt);
                        return usage_error(_("unrecognized option '%s'"), argv[optind - 1]);
                default:
                        abort();
                }

        if (optind >= n_opts) {
                if (arg_help) {
                        help();
                        return 0;
                }
                verb = find_verb("status");
        } else {
                verb = find_verb(argv[optind]);
                if (!verb)
                        return usage_error(_("unknown command '%s'"), argv[optind]);
                optind++;
        }

        if (arg_help) {
                help_verb(verb);
                return 0;
        }

        if (arg_seen & ~verb->options) {
                unsigned bad = arg_seen & ~verb->options;
                const char *opt = option_help[__builtin_ctz(bad)].name + 3;
                /* The option's name, without the "=VALUE" of its help line. */
                _cleanup_free_ char *name = strndup(opt, strcspn(opt, "="));
                return usage_error(_("option '%s' is not valid for '%s'"), name ?: opt, verb->name);
        }
        if (arg.verdicts && !arg.dry_run)
                return usage_error(_("'--verdicts' is only valid with '--dry-run'"));
        if (arg.release && !arg.dry_run)
                return usage_error(_("'--set-version' is only valid with '--dry-run'"));
        /* Another kernel's tree is not modctld's: nobody there to judge the plan. */
        if (arg.release && arg.verdicts)
                return usage_error(_("'--verdicts' needs modctld, which plans for the running kernel only: "
                                     "not valid with '--set-version'"));
        if (arg.release && (!*arg.release || strchr(arg.release, '/')))
                return usage_error(_("invalid kernel version '%s'"), arg.release);
        if (arg.output) {
                _cleanup_(freep) char *unknown = NULL, *names = NULL;

                r = columns_check(verb->columns, arg.output, &unknown);
                if (r == -EINVAL)
                        names = strv_join((char **) verb->columns, ",");
                if (r == -ENOMEM || (r < 0 && !names))
                        return log_oom();
                if (r < 0)
                        return usage_error(_("unknown column '%s' for '%s' (columns: %s)"), unknown, verb->name,
                                           names);
        }
        if (arg.parameters && !streq(verb->name, "load"))
                return usage_error(_("'--' and parameters are only valid for 'load'"));

        size_t n_args = (size_t) (n_opts - optind);
        if (n_args < verb->min_args)
                return usage_error(_("'%s' needs a module name"), verb->name);
        if (n_args > verb->max_args)
                return usage_error(_("too many arguments for '%s'"), verb->name);

        *ret_verb = verb;
        *ret_args = argv + optind;
        *ret_n_args = n_args;
        return 1;
}

static int run(const Verb *verb, char **args, size_t n_args) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        /* load -n -S VER: libkmod over that tree, like modprobe -D -S; no daemon to ask. */
        if (!(verb->flags & VERB_NO_BUS) && !arg.release) {
                /* With -H there is no local answer to fall back to. */
                bool offline = (verb->flags & VERB_OFFLINE) && !arg.host;

                modctl_bus_set_offline_ok(offline);
                r = modctl_bus_connect(arg.host, !(verb->flags & VERB_SIGNALS), &bus);
                if (r < 0 && !offline)
                        return r;
                if (arg.verbose && bus)
                        fprintf(stderr, _("Connected to modctld over the %s.\n"), modctl_bus_transport_name());
        }

        if ((verb->flags & VERB_PAGER) && arg.pager && arg.json == JSON_OFF) {
                /* Whether stdout gets colors is decided on the terminal, before a pager takes
                 * it; otherwise on first use, so that a quiet load asks nothing of the tty. */
                (void) colors_enabled(stdout);
                (void) pager_open();
        }

        return verb->run(bus, &arg, args, n_args);
}

int main(int argc, char *argv[]) {
        const Verb *verb = NULL;
        char **args = NULL;
        size_t n_args = 0;
        int r;

        /* The locale itself is set on first use (i18n.h). */
        /* MODCTL_LOCALEDIR: the build's catalogs, for the tests (never for a set-uid start). */
        const char *localedir = secure_getenv("MODCTL_LOCALEDIR");
        bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
        textdomain(GETTEXT_PACKAGE);

        /* Installed as .../modprobe, or called as "modctl modprobe ARGS": kmod's command line. */
        if (streq(program_invocation_short_name, "modprobe"))
                return modprobe_main(argc, argv);
        if (argc >= 2 && streq(argv[1], "modprobe")) {
                program_invocation_short_name = (char *) "modprobe";
                argv[1] = (char *) "modprobe";
                return modprobe_main(argc - 1, argv + 1);
        }

        r = parse_argv(argc, argv, &verb, &args, &n_args);
        if (r < 0)
                return EXIT_USAGE;
        if (r > 0)
                r = run(verb, args, n_args);

        if (fflush(stdout) != 0 || ferror(stdout)) {
                if (r >= 0 && errno != EPIPE)
                        log_error_line(_("cannot write the output: %s"), i18n_strerror(errno ?: EIO));
                pager_close();
                return EXIT_FAILURE;
        }
        pager_close();

        if (r == -EINVAL && verb && verb->run == verb_help)
                return EXIT_USAGE;
        return r < 0 ? (int) exit_status_get_failure() : EXIT_SUCCESS;
}
