/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The modprobe-compatible mode: kmod modprobe's command line and exit status, with loads and
 * unloads sent to modctld so that its policy applies. -D, -c, -R and -n are answered here
 * from the module index (libkmod), like modprobe does. When modctld cannot be reached,
 * [Daemon] HookFallback= in modctld.conf decides, as for the kernel's requests: run
 * HookModprobe= (kmod's modprobe) with the same arguments, or refuse.
 *
 * Installed as /usr/libexec/modctl/modprobe and reachable as `modctl modprobe ARGS`. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bus-call.h"
#include "daemon-config.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "module-params.h"
#include "output.h"

/* Set in the environment of the modprobe we fall back to, so a diverted /sbin/modprobe that
 * leads back here cannot loop. */
#define FALLBACK_ENV "MODCTL_MODPROBE_FALLBACK"

typedef struct ModprobeArgs {
        bool all, remove, resolve, show_depends, show_config, dry_run, quiet, first_time;
        bool ignore_commands, use_blacklist;
        bool force_vermagic, force_modversion;
        int verbose;
        LocalIndex index;
        char **argv;            /* the original command line, for the fallback */
} ModprobeArgs;

_printf_(2, 3) static void mlog(const ModprobeArgs *a, const char *fmt, ...) {
        va_list ap;

        if (a->quiet)
                return;
        fputs("modprobe: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
}

static void modprobe_help(void) {
        printf(_("Usage:\n"
                 "\tmodprobe [options] [-i] [-b] modulename [PARAM=VALUE...]\n"
                 "\tmodprobe [options] -a [-i] [-b] modulename [modulename...]\n"
                 "\tmodprobe [options] -r [-i] modulename [modulename...]\n"
                 "\tmodprobe [options] -c\n"
                 "\n"
                 "modctl's modprobe: loads and unloads go through modctld, so its policy applies;\n"
                 "-D, -R, -c and -n read the module index here.\n"
                 "\n"
                 "Management Options:\n"
                 "\t-a, --all                   Consider every non-argument to be a module name\n"
                 "\t-r, --remove                Remove modules instead of inserting\n"
                 "\t    --first-time            Fail if module already inserted or removed\n"
                 "\t-i, --ignore-install        Ignore install commands\n"
                 "\t-i, --ignore-remove         Ignore remove commands\n"
                 "\t-b, --use-blacklist         Apply blacklist to resolved alias.\n"
                 "\t-f, --force                 Ignore module version and version magic\n"
                 "\t    --force-modversion      Ignore module's version\n"
                 "\t    --force-vermagic        Ignore module's version magic\n"
                 "\n"
                 "Query Options:\n"
                 "\t-R, --resolve-alias         Only lookup and print alias and exit\n"
                 "\t-D, --show-depends          Only print module dependencies and exit\n"
                 "\t-c, --showconfig            Print out known configuration and exit\n"
                 "\n"
                 "General Options:\n"
                 "\t-n, --dry-run               Do not execute operations, just print out\n"
                 "\t-C, --config=FILE           Use FILE instead of default search paths\n"
                 "\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n"
                 "\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
                 "\t-s, --syslog                Accepted for compatibility; messages go to stderr\n"
                 "\t-q, --quiet                 disable messages\n"
                 "\t-v, --verbose               enables more messages\n"
                 "\t-V, --version               show version\n"
                 "\t-h, --help                  show this help\n"
                 "\n"
                 "When modctld cannot be reached, [Daemon] HookFallback= in modctld.conf decides:\n"
                 "deny (the default) or modprobe (run HookModprobe=, default /sbin/modprobe).\n"));
}

/* Returns 1 to go on, 0 to exit 0, negative for a usage error (printed). */
static int parse_modprobe_argv(int argc, char *argv[], ModprobeArgs *a) {
        enum {
                ARG_FIRST_TIME = 0x100,
                ARG_FORCE_VERMAGIC,
                ARG_FORCE_MODVERSION,
                ARG_UNSUPPORTED,
        };
        static const struct option options[] = {
                { "all",                 no_argument,       NULL, 'a' },
                { "remove",              no_argument,       NULL, 'r' },
                { "resolve-alias",       no_argument,       NULL, 'R' },
                { "first-time",          no_argument,       NULL, ARG_FIRST_TIME },
                { "ignore-install",      no_argument,       NULL, 'i' },
                { "ignore-remove",       no_argument,       NULL, 'i' },
                { "use-blacklist",       no_argument,       NULL, 'b' },
                { "force",               no_argument,       NULL, 'f' },
                { "force-modversion",    no_argument,       NULL, ARG_FORCE_MODVERSION },
                { "force-vermagic",      no_argument,       NULL, ARG_FORCE_VERMAGIC },
                { "show-depends",        no_argument,       NULL, 'D' },
                { "showconfig",          no_argument,       NULL, 'c' },
                { "show-config",         no_argument,       NULL, 'c' },
                { "dry-run",             no_argument,       NULL, 'n' },
                { "show",                no_argument,       NULL, 'n' },
                { "config",              required_argument, NULL, 'C' },
                { "dirname",             required_argument, NULL, 'd' },
                { "set-version",         required_argument, NULL, 'S' },
                { "syslog",              no_argument,       NULL, 's' },
                { "quiet",               no_argument,       NULL, 'q' },
                { "verbose",             no_argument,       NULL, 'v' },
                { "version",             no_argument,       NULL, 'V' },
                { "help",                no_argument,       NULL, 'h' },
                { "remove-dependencies", no_argument,       NULL, ARG_UNSUPPORTED },
                { "remove-holders",      no_argument,       NULL, ARG_UNSUPPORTED },
                { "show-modversions",    no_argument,       NULL, ARG_UNSUPPORTED },
                { "dump-modversions",    no_argument,       NULL, ARG_UNSUPPORTED },
                { "show-exports",        no_argument,       NULL, ARG_UNSUPPORTED },
                {}
        };
        int c;

        /* getopt's own messages are what modprobe prints too. */
        opterr = 1;
        while ((c = getopt_long(argc, argv, "arRibfDcnC:d:S:sqvVh", options, NULL)) >= 0)
                switch (c) {
                case 'a': a->all = true; break;
                case 'r': a->remove = true; break;
                case 'R': a->resolve = true; break;
                case ARG_FIRST_TIME: a->first_time = true; break;
                case 'i': a->ignore_commands = true; break;
                case 'b': a->use_blacklist = true; break;
                case 'f': a->force_vermagic = a->force_modversion = true; break;
                case ARG_FORCE_VERMAGIC: a->force_vermagic = true; break;
                case ARG_FORCE_MODVERSION: a->force_modversion = true; break;
                case 'D': a->show_depends = true; break;
                case 'c': a->show_config = true; break;
                case 'n': a->dry_run = true; break;
                case 'C': a->index.config = optarg; break;
                case 'd': a->index.root = optarg; break;
                case 'S': a->index.release = optarg; break;
                case 's': break;
                case 'q': a->quiet = true; break;
                case 'v': a->verbose++; break;
                case 'V':
                        printf("modctl %s (modprobe mode)\n", MODCTL_VERSION);
                        return 0;
                case 'h':
                        modprobe_help();
                        return 0;
                case ARG_UNSUPPORTED:
                        fprintf(stderr, _("modprobe: ERROR: option '%s' is not supported by modctl's modprobe\n"),
                                argv[optind - 1]);
                        return -EINVAL;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

/* The module directory messages name, as modprobe does. */
static const char *module_dir(const ModprobeArgs *a, char *buf, size_t size) {
        struct utsname u;

        if (uname(&u) < 0)
                u.release[0] = '\0';
        snprintf(buf, size, "%s/lib/modules/%s", a->index.root ?: "", a->index.release ?: u.release);
        return buf;
}

static int run_local(const ModprobeArgs *a, char **names, size_t n_names, const char *options) {
        _cleanup_(local_kmod_unrefp) struct kmod_ctx *ctx = NULL;
        char dir[PATH_MAX];
        int r;

        ctx = local_kmod_new(&a->index);
        if (!ctx)
                return -EOPNOTSUPP;

        if (a->show_config)
                return local_show_config(ctx, stdout);

        for (size_t i = 0; i < n_names; i++) {
                unsigned flags = KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;

                if (a->resolve) {
                        r = local_resolve(ctx, names[i], a->use_blacklist, stdout);
                        if (r == -ENOENT)
                                mlog(a, "FATAL: Module %s not found in directory %s\n", names[i],
                                     module_dir(a, dir, sizeof(dir)));
                        if (r < 0)
                                return r;
                        continue;
                }

                if (a->show_depends)
                        flags |= KMOD_PROBE_IGNORE_LOADED;
                if (a->ignore_commands)
                        flags |= KMOD_PROBE_IGNORE_COMMAND;
                if (a->use_blacklist)
                        flags |= KMOD_PROBE_APPLY_BLACKLIST;
                if (a->first_time)
                        flags |= KMOD_PROBE_FAIL_ON_LOADED;

                /* -n prints only with -v, as in kmod. */
                FILE *out = a->show_depends || a->verbose ? stdout : fopen("/dev/null", "we");
                r = local_show_depends(ctx, names[i], options, flags, out ?: stdout);
                if (out && out != stdout)
                        fclose(out);
                if (r == -ENOENT)
                        mlog(a, "FATAL: Module %s not found in directory %s\n", names[i],
                             module_dir(a, dir, sizeof(dir)));
                else if (r == -EEXIST)
                        mlog(a, "ERROR: could not insert '%s': Module already in kernel\n", names[i]);
                else if (r < 0)
                        mlog(a, "ERROR: could not insert '%s': %s\n", names[i], strerror(-r));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Is path this very program? Then falling back to it would loop. */
static bool is_self(const char *path) {
        struct stat a, b;

        return stat(path, &a) >= 0 && stat("/proc/self/exe", &b) >= 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* modctld is not there: do what modctld.conf says. Returns only on failure. */
static int fallback(const ModprobeArgs *a) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(config_unrefp) Config *config = NULL;
        const char *root = getenv("MODCTL_CONFIG_ROOT");
        int r;

        r = config_load(root, &config, &failure);
        if (r < 0) {
                mlog(a, "ERROR: modctld is not running and its configuration cannot be read: %s\n",
                     failure.message ?: strerror(-r));
                return r;
        }
        if (config->daemon.hook_fallback == HOOK_FALLBACK_DENY) {
                mlog(a, "ERROR: modctld is not running and HookFallback=deny: refusing. "
                        "Start it with: systemctl start modctld.service\n");
                return -EHOSTDOWN;
        }

        const char *modprobe = config->daemon.hook_modprobe;
        if (getenv(FALLBACK_ENV) || is_self(modprobe)) {
                mlog(a, "ERROR: modctld is not running, and HookModprobe=%s leads back to modctl: refusing "
                        "(point HookModprobe= at kmod's modprobe, e.g. /sbin/modprobe.kmod after dpkg-divert)\n",
                     modprobe);
                return -ELOOP;
        }
        if (a->verbose)
                mlog(a, "modctld is not running: running %s (HookFallback=modprobe)\n", modprobe);
        (void) setenv(FALLBACK_ENV, "1", 1);
        fflush(NULL);
        execv(modprobe, a->argv);
        r = -errno;
        mlog(a, "ERROR: modctld is not running and %s cannot be run: %s\n", modprobe, strerror(-r));
        return r;
}

/* One insertion through modctld. Returns 0, -ENOTCONN, or another negative errno (printed). */
static int load_one(sd_bus *bus, const ModprobeArgs *a, const char *name, const char *options) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(strv_freep) char **inserted = NULL;
        uint64_t flags = 0;
        char dir[PATH_MAX];
        int r;

        if (a->ignore_commands)
                flags |= MODCTL_LOAD_IGNORE_COMMANDS;
        if (a->force_vermagic)
                flags |= MODCTL_LOAD_FORCE_VERMAGIC;
        if (a->force_modversion)
                flags |= MODCTL_LOAD_FORCE_MODVERSION;

        r = modctl_new_method_call(bus, "Load", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "sst", name, options, flags);
        if (r < 0)
                return log_oom();

        r = modctl_call_full(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &error, &reply);
        if (r == -ENOTCONN)
                return r;
        if (r < 0) {
                if (sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_FOUND))
                        mlog(a, "FATAL: Module %s not found in directory %s\n", name, module_dir(a, dir, sizeof(dir)));
                else
                        mlog(a, "ERROR: could not insert '%s': %s\n", name, error.message ?: strerror(-r));
                return r;
        }

        r = sd_bus_message_read_strv(reply, &inserted);
        if (r < 0)
                return log_parse_error(r);

        if (!inserted || !*inserted) {
                if (a->first_time) {
                        mlog(a, "ERROR: could not insert '%s': Module already in kernel\n", name);
                        return -EEXIST;
                }
                if (*options)
                        mlog(a, "WARNING: '%s' is already loaded: the parameters '%s' were not applied\n", name, options);
                return 0;
        }

        if (a->verbose) {
                /* kmod prints the insmod lines; the paths come from the index. */
                struct kmod_ctx *ctx = local_kmod_new(&a->index);
                STRV_FOREACH(s, inserted) {
                        _cleanup_(freep) char *path = NULL;
                        bool target = !s[1];
                        if (ctx && local_module_path(ctx, *s, &path) >= 0)
                                printf("insmod %s %s\n", path, target ? options : "");
                        else
                                printf("insmod %s %s\n", *s, target ? options : "");
                }
                if (ctx)
                        kmod_dl()->kmod_unref(ctx);
        }
        return 0;
}

static int unload_one(sd_bus *bus, const ModprobeArgs *a, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(strv_freep) char **removed = NULL;
        uint64_t flags = MODCTL_UNLOAD_REMOVE_UNUSED;
        int r;

        if (a->ignore_commands)
                flags |= MODCTL_UNLOAD_IGNORE_COMMANDS;

        r = modctl_new_method_call(bus, "Unload", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", name, flags);
        if (r < 0)
                return log_oom();

        r = modctl_call_full(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &error, &reply);
        if (r == -ENOTCONN)
                return r;
        if (r < 0) {
                if (sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_LOADED)) {
                        if (!a->first_time)
                                return 0;
                        mlog(a, "FATAL: Module %s is not in kernel.\n", name);
                } else if (sd_bus_error_has_name(&error, MODCTL_ERROR_IN_USE))
                        mlog(a, "FATAL: Module %s is in use.\n", name);
                else if (sd_bus_error_has_name(&error, MODCTL_ERROR_BUILT_IN))
                        mlog(a, "FATAL: Module %s is builtin.\n", name);
                else if (sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_FOUND))
                        mlog(a, "FATAL: Module %s not found.\n", name);
                else
                        mlog(a, "FATAL: could not remove '%s': %s\n", name, error.message ?: strerror(-r));
                return r;
        }

        r = sd_bus_message_read_strv(reply, &removed);
        if (r < 0)
                return log_parse_error(r);
        if (a->verbose)
                STRV_FOREACH(s, removed)
                        printf("rmmod %s\n", *s);
        return 0;
}

/* Joins PARAM=VALUE arguments with blanks, as modprobe passes them to the kernel. */
static int join_options(char **args, size_t n, char **ret) {
        size_t len = 1;
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(args[i]) + 1;
        s = p = malloc(len);
        if (!s)
                return -ENOMEM;
        *p = '\0';
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i > 0 ? " " : "", args[i]);
        *ret = s;
        return 0;
}

static int run_daemon(const ModprobeArgs *a, char **names, size_t n_names, const char *options) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct utsname u;
        int r = 0;

        /* Loads happen in the running kernel: another release or tree is for the queries. */
        if (a->index.root || a->index.config || (a->index.release && uname(&u) >= 0 && !streq(u.release, a->index.release))) {
                mlog(a, "ERROR: -d, -C and -S only work with -D, -R, -c and -n in modctl's modprobe\n");
                return -EINVAL;
        }

        modctl_bus_set_offline_ok(true);
        r = modctl_bus_connect(NULL, true, &bus);
        if (r == -ENOTCONN)
                return fallback(a);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_names; i++) {
                int k;

                if (!a->remove && a->use_blacklist) {
                        /* -b: a blacklisted module name is skipped, successfully, as in kmod. */
                        struct kmod_ctx *ctx = local_kmod_new(&a->index);
                        int b = ctx ? local_is_blacklisted(ctx, names[i]) : 0;
                        if (ctx)
                                kmod_dl()->kmod_unref(ctx);
                        if (b > 0)
                                continue;
                }

                k = a->remove ? unload_one(bus, a, names[i]) : load_one(bus, a, names[i], options);
                if (k == -ENOTCONN)
                        return fallback(a);
                if (k < 0) {
                        r = k;
                        break; /* kmod stops at the first failure too */
                }
        }
        return r;
}

int modprobe_main(int argc, char *argv[]) {
        _cleanup_(freep) char *options = NULL;
        ModprobeArgs a = { .argv = argv };
        char **names;
        size_t n_names;
        int r;

        r = parse_modprobe_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        names = argv + optind;
        n_names = (size_t) (argc - optind);

        if (a.show_config)
                return run_local(&a, NULL, 0, "") < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (n_names == 0) {
                mlog(&a, "ERROR: missing parameters. See -h.\n");
                return EXIT_FAILURE;
        }

        /* Without -a and -r the first argument is the module, the rest its parameters. */
        if (!a.all && !a.remove && !a.resolve) {
                r = join_options(names + 1, n_names - 1, &options);
                n_names = 1;
        } else
                r = join_options(NULL, 0, &options);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;

        /* The daemon's parameter grammar, before anything is asked or run (also before the
         * fallback to kmod's modprobe, which would splice them into an install line as text). */
        if (*options) {
                _cleanup_(freep) char *invalid = NULL;

                r = module_params_check(names[0], options, &invalid);
                if (r == -ENOMEM)
                        return log_oom(), EXIT_FAILURE;
                if (r < 0) {
                        mlog(&a, "ERROR: %s\n", invalid);
                        return EXIT_FAILURE;
                }
        }

        if (a.resolve || a.show_depends || (a.dry_run && !a.remove))
                r = run_local(&a, names, n_names, options);
        else if (a.dry_run)
                r = 0; /* -r -n: nothing to do, nothing to print */
        else
                r = run_daemon(&a, names, n_names, options);

        if (fflush(stdout) != 0)
                return EXIT_FAILURE;
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
