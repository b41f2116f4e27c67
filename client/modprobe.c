/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The modprobe-compatible mode: kmod modprobe's command line and exit status, with loads and
 * unloads sent to modctld so that its policy applies. -D, -c, -R and -n are answered here
 * from the module index (libkmod), like modprobe does. When modctld cannot be reached,
 * [Daemon] HookFallback= in modctld.conf decides, as for the kernel's requests: run
 * HookModprobe= (kmod's modprobe) with the same arguments, or refuse.
 *
 * Installed as /usr/libexec/modctl/modprobe and reachable as `modctl modprobe ARGS`. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bus-call.h"
#include "daemon-config.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "module-name.h"
#include "module-params.h"
#include "output.h"
#include "time-util.h"

/* The kmod release whose modprobe command line, messages and exit codes this mode follows, and
 * what modctld reads in a module file: -V prints them as kmod's modprobe does. */
#define KMOD_COMPAT_VERSION "30"
#define KMOD_COMPAT_FEATURES "+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL"

/* Set in the environment of the modprobe we fall back to, so a diverted /sbin/modprobe that
 * leads back here cannot loop. */
#define FALLBACK_ENV "MODCTL_MODPROBE_FALLBACK"

typedef struct ModprobeArgs {
        bool all, remove, resolve, show_depends, show_config, dry_run, quiet, first_time;
        bool ignore_commands, use_blacklist, remove_holders, syslog;
        bool show_modversions, show_exports;
        bool force_vermagic, force_modversion;
        uint64_t wait_msec;     /* -w: with -r, how long a module in use may take to become unused */
        int verbose;
        LocalIndex index;
        char **argv;            /* the original command line, for the fallback */
} ModprobeArgs;

/* Messages go to stderr as "modprobe: LEVEL: ...", or with -s to syslog (the journal) as
 * "LEVEL: ..." under the identifier modprobe, facility daemon, as kmod's modprobe sends them. */
_printf_(2, 3) static void mlog(const ModprobeArgs *a, const char *fmt, ...) {
        va_list ap;

        if (a->quiet)
                return;
        va_start(ap, fmt);
        if (a->syslog) {
                int prio = strncmp(fmt, "FATAL:", 6) == 0   ? LOG_CRIT
                           : strncmp(fmt, "ERROR:", 6) == 0 ? LOG_ERR
                           : strncmp(fmt, "WARNING:", 8) == 0 ? LOG_WARNING
                                                              : LOG_INFO;
                vsyslog(prio, fmt, ap);
        } else {
                fputs("modprobe: ", stderr);
                vfprintf(stderr, fmt, ap);
        }
        va_end(ap);
}

static void modprobe_help(void) {
        printf(_("Usage:\n"
                 "\tmodprobe [options] [-i] [-b] modulename [PARAM=VALUE...]\n"
                 "\tmodprobe [options] -a [-i] [-b] modulename [modulename...]\n"
                 "\tmodprobe [options] -r [-i] modulename [modulename...]\n"
                 "\tmodprobe [options] -c\n"
                 "\tmodprobe [options] --dump-modversions filename\n"
                 "\n"
                 "modctl's modprobe: loads and unloads go through modctld, so its policy applies;\n"
                 "-D, -R, -c and -n read the module index here.\n"
                 "\n"
                 "Management Options:\n"
                 "\t-a, --all                   Consider every non-argument to be a module name\n"
                 "\t-r, --remove                Remove modules instead of inserting\n"
                 "\t    --remove-dependencies   Deprecated: use --remove-holders\n"
                 "\t    --remove-holders        Also remove module holders (use together with -r)\n"
                 "\t-w, --wait <MSEC>           When removing a module, wait up to MSEC for\n"
                 "\t                            module's refcount to become 0 so it can be\n"
                 "\t                            removed (use together with -r)\n"
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
                 "\t    --show-modversions      Dump module symbol version and exit\n"
                 "\t    --dump-modversions      Same as --show-modversions\n"
                 "\t    --show-exports          Only print module exported symbol versions and exit\n"
                 "\n"
                 "General Options:\n"
                 "\t-n, --dry-run               Do not execute operations, just print out\n"
                 "\t-C, --config=FILE           Use FILE instead of default search paths\n"
                 "\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n"
                 "\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
                 "\t-s, --syslog                print to syslog, not stderr\n"
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
                ARG_REMOVE_HOLDERS,
                ARG_SHOW_MODVERSIONS,
                ARG_SHOW_EXPORTS,
        };
        static const struct option options[] = {
                { "all",                 no_argument,       NULL, 'a' },
                { "remove",              no_argument,       NULL, 'r' },
                { "wait",                required_argument, NULL, 'w' },
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
                { "remove-dependencies", no_argument,       NULL, ARG_REMOVE_HOLDERS },
                { "remove-holders",      no_argument,       NULL, ARG_REMOVE_HOLDERS },
                { "show-modversions",    no_argument,       NULL, ARG_SHOW_MODVERSIONS },
                { "dump-modversions",    no_argument,       NULL, ARG_SHOW_MODVERSIONS },
                { "show-exports",        no_argument,       NULL, ARG_SHOW_EXPORTS },
                {}
        };
        int c;

        /* getopt's own messages are what modprobe prints too. */
        opterr = 1;
        while ((c = getopt_long(argc, argv, "arw:RibfDcnC:d:S:sqvVh", options, NULL)) >= 0)
                switch (c) {
                case 'a': a->all = true; break;
                case 'r': a->remove = true; break;
                case 'w': {
                        char *end = NULL;

                        errno = 0;
                        a->wait_msec = strtoull(optarg, &end, 0);
                        if (!*optarg || *end || errno != 0 || a->wait_msec > UINT64_MAX / USEC_PER_MSEC) {
                                mlog(a, "ERROR: unexpected wait value '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                }
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
                case 's': a->syslog = true; break;
                case ARG_REMOVE_HOLDERS: a->remove_holders = true; break;
                case ARG_SHOW_MODVERSIONS: a->show_modversions = true; break;
                case ARG_SHOW_EXPORTS: a->show_exports = true; break;
                case 'q': a->quiet = true; break;
                case 'v': a->verbose++; break;
                case 'V':
                        /* kmod's two lines, which scripts parse; then who answers. */
                        printf("kmod version %s\n%s\nmodctl %s (modprobe mode: loads and unloads go through modctld)\n",
                               KMOD_COMPAT_VERSION, KMOD_COMPAT_FEATURES, MODCTL_VERSION);
                        return 0;
                case 'h':
                        modprobe_help();
                        return 0;
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

/* The name kmod gives a module file (libkmod's path_to_modname()): its base name up to the
 * first '.', with '-' as '_'. kmod's messages about "./x-y.ko" say 'x_y'. */
static const char *file_modname(const char *path, char *buf, size_t size) {
        const char *base = strrchr(path, '/');
        size_t n = 0;

        for (const char *p = base ? base + 1 : path; *p && *p != '.' && n + 1 < size; p++)
                buf[n++] = *p == '-' ? '_' : *p;
        buf[n] = '\0';
        return buf;
}

/* The file's path as libkmod makes it absolute (path_make_absolute_cwd(): the working directory,
 * a '/', then the argument as given, "./" and all), for the "insmod" lines of -v. */
static char *file_absolute(const char *path) {
        _cleanup_(freep) char *cwd = NULL;
        char *s = NULL;

        if (path[0] == '/')
                return strdup(path);
        cwd = getcwd(NULL, 0);
        if (!cwd || asprintf(&s, "%s/%s", cwd, path) < 0)
                return NULL;
        return s;
}

/* kmod's words when the argument names no file it can stat(). */
static int file_missing(const ModprobeArgs *a, const char *path, int error) {
        mlog(a, "FATAL: Failed to get module from path %s: %s\n", path, i18n_strerror(-error));
        return error;
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

                /* A path as kmod 31+ takes it ("/..." or "./..."): libkmod's plan for the file. */
                bool file = module_arg_is_file_kmod(names[i]);
                struct stat st;
                if (file && stat(names[i], &st) < 0)
                        return file_missing(a, names[i], -errno);

                /* -n prints only with -v, as in kmod. */
                FILE *out = a->show_depends || a->verbose ? stdout : fopen("/dev/null", "we");
                if (file)
                        r = local_show_depends_file(ctx, names[i], options, flags, out ?: stdout);
                else
                        r = local_show_depends(ctx, names[i], options, flags, out ?: stdout);
                if (out && out != stdout)
                        fclose(out);
                if (file && r < 0) {
                        char name[NAME_MAX + 1];
                        if (r == -EEXIST)
                                mlog(a, "ERROR: could not insert '%s': Module already in kernel\n",
                                     file_modname(names[i], name, sizeof(name)));
                        else
                                mlog(a, "ERROR: could not insert '%s': %s\n", file_modname(names[i], name, sizeof(name)),
                                     i18n_strerror(-r));
                } else if (r == -ENOENT)
                        mlog(a, "FATAL: Module %s not found in directory %s\n", names[i],
                             module_dir(a, dir, sizeof(dir)));
                else if (r == -EEXIST)
                        mlog(a, "ERROR: could not insert '%s': Module already in kernel\n", names[i]);
                else if (r < 0)
                        mlog(a, "ERROR: could not insert '%s': %s\n", names[i], i18n_strerror(-r));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --show-modversions and --show-exports: read the file here, as kmod does ("0x%08x\tSYMBOL"). */
static int show_symbols(const ModprobeArgs *a, const char *filename, bool exports) {
        const KmodDl *k = kmod_dl();
        struct kmod_module *mod = NULL;
        struct kmod_list *list = NULL;
        struct kmod_ctx *ctx;
        int r;

        ctx = local_kmod_new(&a->index);
        if (!ctx)
                return -EOPNOTSUPP;

        r = k->kmod_module_new_from_path(ctx, filename, &mod);
        if (r < 0) {
                mlog(a, "FATAL: Module %s not found.\n", filename);
                goto finish;
        }
        r = exports ? k->kmod_module_get_symbols(mod, &list) : k->kmod_module_get_versions(mod, &list);
        if (r < 0) {
                mlog(a, "FATAL: could not get %s of %s: %s\n", exports ? "symbols" : "modversions", filename,
                     strerror(-r));
                goto finish;
        }
        KMOD_DL_FOREACH(k, l, list)
                if (exports)
                        printf("0x%08" PRIx64 "\t%s\n", k->kmod_module_symbol_get_crc(l),
                               k->kmod_module_symbol_get_symbol(l));
                else
                        printf("0x%08" PRIx64 "\t%s\n", k->kmod_module_version_get_crc(l),
                               k->kmod_module_version_get_symbol(l));
        r = 0;
finish:
        if (list)
                (exports ? k->kmod_module_symbols_free_list : k->kmod_module_versions_free_list)(list);
        if (mod)
                k->kmod_module_unref(mod);
        k->kmod_unref(ctx);
        return r;
}

/* -r -n: what kmod's modprobe would remove, from the kernel's state as libkmod reads it, with
 * its lines ("rmmod NAME", "remove COMMAND") under -v and its messages. Nothing is removed. */
static int rmmod_dry_run_module(const ModprobeArgs *a, struct kmod_module *mod, bool ignore_builtin);

static void rmmod_dry_run_list(const ModprobeArgs *a, struct kmod_list *list, bool stop_on_errors, int *ret) {
        const KmodDl *k = kmod_dl();
        struct kmod_module *mods[256];
        size_t n = 0;

        *ret = 0;
        KMOD_DL_FOREACH(k, l, list)
                if (n < ELEMENTSOF(mods))
                        mods[n++] = k->kmod_module_get_module(l);
        /* kmod removes them in reverse order */
        for (size_t i = n; i > 0; i--) {
                int r = *ret < 0 && stop_on_errors ? *ret : rmmod_dry_run_module(a, mods[i - 1], true);
                if (r < 0 && stop_on_errors)
                        *ret = r;
                k->kmod_module_unref(mods[i - 1]);
        }
}

static int rmmod_dry_run_module(const ModprobeArgs *a, struct kmod_module *mod, bool ignore_builtin) {
        const KmodDl *k = kmod_dl();
        struct kmod_list *pre = NULL, *post = NULL;
        const char *name = k->kmod_module_get_name(mod);
        const char *cmd = NULL;
        int r = 0, ignored;

        if (!a->ignore_commands) {
                r = k->kmod_module_get_softdeps(mod, &pre, &post);
                if (r < 0) {
                        mlog(a, "WARNING: could not get softdeps of '%s': %s\n", name, strerror(-r));
                        return r;
                }
                cmd = k->kmod_module_get_remove_commands(mod);
        }

        if (!cmd) {
                int state = k->kmod_module_get_initstate(mod);

                if (state < 0) {
                        if (a->first_time) {
                                mlog(a, "FATAL: Module %s is not in kernel.\n", name);
                                r = -ENOENT;
                        } else
                                r = 0;
                        goto finish;
                }
                if (state == KMOD_MODULE_BUILTIN) {
                        if (ignore_builtin)
                                r = 0;
                        else {
                                mlog(a, "FATAL: Module %s is builtin.\n", name);
                                r = -ENOENT;
                        }
                        goto finish;
                }
        }

        rmmod_dry_run_list(a, post, false, &ignored);

        if (a->remove_holders) {
                struct kmod_list *holders = k->kmod_module_get_holders(mod);

                rmmod_dry_run_list(a, holders, true, &r);
                k->kmod_module_unref_list(holders);
                if (r < 0)
                        goto finish;
        }

        if (!cmd && k->kmod_module_get_refcnt(mod) > 0) {
                mlog(a, "FATAL: Module %s is in use.\n", name);
                r = -EBUSY;
                goto finish;
        }

        if (a->verbose) {
                if (cmd)
                        printf("remove %s\n", cmd);
                else
                        printf("rmmod %s\n", name);
        }

        if (!cmd) {
                struct kmod_list *deps = k->kmod_module_get_dependencies(mod);

                KMOD_DL_FOREACH(k, l, deps) {
                        struct kmod_module *dep = k->kmod_module_get_module(l);
                        if (k->kmod_module_get_refcnt(dep) == 0 && a->verbose)
                                printf("rmmod %s\n", k->kmod_module_get_name(dep));
                        k->kmod_module_unref(dep);
                }
                k->kmod_module_unref_list(deps);
        }

        rmmod_dry_run_list(a, pre, false, &ignored);
        r = 0;
finish:
        k->kmod_module_unref_list(pre);
        k->kmod_module_unref_list(post);
        return r;
}

static int rmmod_dry_run(const ModprobeArgs *a, char **names, size_t n_names) {
        const KmodDl *k = kmod_dl();
        struct kmod_ctx *ctx;
        int ret = 0;

        ctx = local_kmod_new(&a->index);
        if (!ctx)
                return -EOPNOTSUPP;

        for (size_t i = 0; i < n_names; i++) {
                struct kmod_list *list = NULL;
                int r;

                r = k->kmod_module_new_from_lookup(ctx, names[i], &list);
                if (r >= 0 && !list) {
                        mlog(a, "FATAL: Module %s not found.\n", names[i]);
                        r = -ENOENT;
                }
                KMOD_DL_FOREACH(k, l, list) {
                        struct kmod_module *mod = k->kmod_module_get_module(l);
                        r = rmmod_dry_run_module(a, mod, false);
                        k->kmod_module_unref(mod);
                        if (r < 0)
                                break;
                }
                k->kmod_module_unref_list(list);
                if (r < 0)
                        ret = r;
        }

        k->kmod_unref(ctx);
        return ret;
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
                     failure.message ?: i18n_strerror(-r));
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
                        "(point HookModprobe= at kmod's modprobe, e.g. /usr/lib/modprobe after dpkg-divert)\n",
                     modprobe);
                return -ELOOP;
        }
        if (a->verbose)
                mlog(a, "modctld is not running: running %s (HookFallback=modprobe)\n", modprobe);
        (void) setenv(FALLBACK_ENV, "1", 1);
        fflush(NULL);
        execv(modprobe, a->argv);
        r = -errno;
        mlog(a, "ERROR: modctld is not running and %s cannot be run: %s\n", modprobe, i18n_strerror(-r));
        return r;
}

/* One insertion through modctld: a name (Load), or a path in kmod 31's sense (LoadFile, with the
 * file opened here with the caller's rights). Returns 0, -ENOTCONN, or another negative errno
 * (printed). */
static int load_one(sd_bus *bus, const ModprobeArgs *a, const char *arg, const char *options) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(strv_freep) char **inserted = NULL;
        _cleanup_(closep) int fd = -EBADF;
        bool file = module_arg_is_file_kmod(arg);
        char dir[PATH_MAX], buf[NAME_MAX + 1];
        const char *name = file ? file_modname(arg, buf, sizeof(buf)) : arg;
        uint64_t flags = 0;
        int r;

        if (file) {
                fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return file_missing(a, arg, -errno);
        }

        if (a->ignore_commands)
                flags |= MODCTL_LOAD_IGNORE_COMMANDS;
        if (a->force_vermagic)
                flags |= MODCTL_LOAD_FORCE_VERMAGIC;
        if (a->force_modversion)
                flags |= MODCTL_LOAD_FORCE_MODVERSION;

        r = modctl_new_method_call(bus, file ? "LoadFile" : "Load", false, &m);
        if (r >= 0 && file)
                r = sd_bus_message_append(m, "hst", fd, options, flags);
        else if (r >= 0)
                r = sd_bus_message_append(m, "sst", arg, options, flags);
        if (r < 0)
                return log_oom();

        r = modctl_call_full(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, &error, &reply);
        if (r == -ENOTCONN)
                return r;
        if (r < 0) {
                if (!file && sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_FOUND))
                        mlog(a, "FATAL: Module %s not found in directory %s\n", name, module_dir(a, dir, sizeof(dir)));
                else
                        mlog(a, "ERROR: could not insert '%s': %s\n", name, error.message ?: i18n_strerror(-r));
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
                /* kmod prints the insmod lines; the paths come from the index, the file's own
                 * from its argument, made absolute as libkmod does. */
                struct kmod_ctx *ctx = local_kmod_new(&a->index);
                STRV_FOREACH(s, inserted) {
                        _cleanup_(freep) char *path = NULL;
                        bool target = !s[1];
                        if (target && file)
                                path = file_absolute(arg);
                        else if (ctx)
                                (void) local_module_path(ctx, *s, &path);
                        printf("insmod %s %s\n", path ?: *s, target ? options : "");
                }
                if (ctx)
                        kmod_dl()->kmod_unref(ctx);
        }
        return 0;
}

static int on_module_unloaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        bool *seen = userdata;

        *seen = true;
        return 0;
}

/* -w: block until modctld announces the next unload (a holder going away is what frees a module
 * that another module uses) or until deadline. Returns 1 for an unload, 0 at the deadline. No
 * polling: the only wake-ups are the bus's messages and the deadline. */
static int wait_for_unload(sd_bus *bus, bool *seen, usec_t deadline) {
        int r;

        for (;;) {
                usec_t now;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (*seen)
                        return 1;
                if (r > 0)
                        continue;
                now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return 0;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return r;
        }
}

static int unload_call(sd_bus *bus, const char *name, uint64_t flags, sd_bus_error *error,
                       sd_bus_message **reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = modctl_new_method_call(bus, "Unload", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", name, flags);
        if (r < 0)
                return -ENOMEM;
        return modctl_call_full(bus, m, MODCTL_SLOW_CALL_TIMEOUT_USEC, error, reply);
}

static int unload_one(sd_bus *bus, const ModprobeArgs *a, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(strv_freep) char **removed = NULL;
        uint64_t flags = MODCTL_UNLOAD_REMOVE_UNUSED;
        usec_t deadline = 0;
        bool seen = false, last = !a->wait_msec;
        int r;

        if (a->ignore_commands)
                flags |= MODCTL_UNLOAD_IGNORE_COMMANDS;
        if (a->remove_holders)
                flags |= MODCTL_UNLOAD_REMOVE_HOLDERS;

        if (a->wait_msec) {
                /* Subscribed before the first try (AddMatch is synchronous), so no unload between
                 * a refusal and the wait goes unseen. */
                r = sd_bus_match_signal(bus, &slot, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                        "ModuleUnloaded", on_module_unloaded, &seen);
                if (r < 0) {
                        mlog(a, "ERROR: could not wait for '%s' to be unused: %s\n", name, strerror(-r));
                        return r;
                }
                deadline = now_usec(CLOCK_MONOTONIC) + a->wait_msec * USEC_PER_MSEC;
        }

        for (;;) {
                seen = false;
                r = unload_call(bus, name, flags, &error, &reply);
                if (r >= 0 || last || !sd_bus_error_has_name(&error, MODCTL_ERROR_IN_USE))
                        break;

                /* In use: try again after each unload, and once more at the deadline (the kernel
                 * announces no other change of a reference count, such as a device closed). */
                sd_bus_error_free(&error);
                r = wait_for_unload(bus, &seen, deadline);
                if (r < 0) {
                        mlog(a, "ERROR: could not wait for '%s' to be unused: %s\n", name, strerror(-r));
                        return r;
                }
                last = r == 0;
        }

        if (r == -ENOTCONN)
                return r;
        if (r == -ENOMEM && !sd_bus_error_is_set(&error))
                return log_oom();
        if (r < 0) {
                if (sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_LOADED)) {
                        if (!a->first_time)
                                return 0;
                        mlog(a, "FATAL: Module %s is not in kernel.\n", name);
                } else if (sd_bus_error_has_name(&error, MODCTL_ERROR_IN_USE) && a->wait_msec)
                        /* kmod's words when -w runs out: the kernel's EAGAIN. */
                        mlog(a, "ERROR: could not remove '%s': %s\n", name, strerror(EAGAIN));
                else if (sd_bus_error_has_name(&error, MODCTL_ERROR_IN_USE))
                        mlog(a, "FATAL: Module %s is in use.\n", name);
                else if (sd_bus_error_has_name(&error, MODCTL_ERROR_BUILT_IN))
                        mlog(a, "FATAL: Module %s is builtin.\n", name);
                else if (sd_bus_error_has_name(&error, MODCTL_ERROR_NOT_FOUND))
                        mlog(a, "FATAL: Module %s not found.\n", name);
                else
                        mlog(a, "FATAL: could not remove '%s': %s\n", name, error.message ?: i18n_strerror(-r));
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
        /* -w listens to modctld's signals, which only the bus carries. */
        r = modctl_bus_connect(NULL, !(a->remove && a->wait_msec), &bus);
        if (r == -ENOTCONN)
                return fallback(a);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_names; i++) {
                int k;

                if (!a->remove && a->use_blacklist && !module_arg_is_file_kmod(names[i])) {
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
        if (a.syslog)
                openlog("modprobe", LOG_CONS, LOG_DAEMON);

        names = argv + optind;
        n_names = (size_t) (argc - optind);

        if (a.show_config)
                return run_local(&a, NULL, 0, "") < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (n_names == 0) {
                mlog(&a, "ERROR: missing parameters. See -h.\n");
                return EXIT_FAILURE;
        }

        if (a.show_modversions || a.show_exports) {
                r = show_symbols(&a, names[0], a.show_exports);
                return fflush(stdout) != 0 || r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
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
                r = rmmod_dry_run(&a, names, n_names);
        else
                r = run_daemon(&a, names, n_names, options);

        if (fflush(stdout) != 0)
                return EXIT_FAILURE;
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
