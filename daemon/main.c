/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bus/bus-service.h"
#include "sinks/journal-log.h"
#include "kernel/kernel-default.h"
#include "common/log.h"
#include "engine/manager.h"
#include "common/strv.h"
#include "kernel/kernel.h"

typedef struct Arguments {
        ManagerConfig config;
        const char *bus_address;
        const char *private_socket;
        char **config_paths;
} Arguments;

static void arguments_done(Arguments *a) {
        a->config_paths = strv_free(a->config_paths);
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The modctl daemon: loads and unloads kernel modules for its D-Bus clients.\n\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --bus-address=ADDRESS   Serve on this bus instead of the system bus\n"
               "     --config-root=DIR       Read modctld.conf and drop-ins below DIR instead of /\n"
               "     --hook-socket=PATH      Serve kernel module requests here (default /run/modctl/request.sock)\n"
               "     --private-socket=PATH   Serve root's peer-to-peer connections here (default /run/modctl/private;\n"
               "                             with --bus-address, none unless given)\n"
               "     --modules-dir=DIR       Module tree (default /lib/modules/$(uname -r))\n"
               "     --modprobe-config=PATH  modprobe.d file or directory (repeatable; default libkmod's)\n"
               "     --kernel-cmdline=STRING Use STRING instead of /proc/cmdline for mod.param=\n"
               "     --sysfs=DIR             Coldplug the devices below DIR/devices instead of /sys\n"
               "                             (another tree also means no device uevents)\n"
               "     --no-autoload           No boot list, coldplug or device events\n"
               "     --no-index-watch        Do not watch the module index and modprobe.d with inotify\n"
               "                             (as when inotify is unavailable: each request checks the files)\n"
               "     --memory-cgroup=DIR     Refuse new work near the memory limit of the cgroup DIR instead of\n"
               "                             modctld's own\n"
               "     --workers=N             Worker threads for module inits (default: CPUs, at least 2)\n"
               "     --log-level=LEVEL       err, warning, notice, info or debug\n",
               program_invocation_short_name);
}

static int parse_log_level(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

/* Returns 1 to run, 0 to exit successfully, negative on error (already printed). */
static int parse_argv(int argc, char *argv[], Arguments *a) {
        enum { ARG_VERSION = 0x100, ARG_BUS_ADDRESS, ARG_CONFIG_ROOT, ARG_HOOK_SOCKET, ARG_PRIVATE_SOCKET, ARG_MODULES_DIR, ARG_MODPROBE_CONFIG, ARG_KERNEL_CMDLINE,
               ARG_WORKERS, ARG_LOG_LEVEL, ARG_SYSFS, ARG_NO_AUTOLOAD, ARG_NO_INDEX_WATCH,
               ARG_MEMORY_CGROUP };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h' },
                { "version",         no_argument,       NULL, ARG_VERSION },
                { "bus-address",     required_argument, NULL, ARG_BUS_ADDRESS },
                { "config-root",     required_argument, NULL, ARG_CONFIG_ROOT },
                { "hook-socket",     required_argument, NULL, ARG_HOOK_SOCKET },
                { "private-socket",  required_argument, NULL, ARG_PRIVATE_SOCKET },
                { "modules-dir",     required_argument, NULL, ARG_MODULES_DIR },
                { "modprobe-config", required_argument, NULL, ARG_MODPROBE_CONFIG },
                { "kernel-cmdline",  required_argument, NULL, ARG_KERNEL_CMDLINE },
                { "workers",         required_argument, NULL, ARG_WORKERS },
                { "log-level",       required_argument, NULL, ARG_LOG_LEVEL },
                { "sysfs",           required_argument, NULL, ARG_SYSFS },
                { "no-autoload",     no_argument,       NULL, ARG_NO_AUTOLOAD },
                { "no-index-watch",  no_argument,       NULL, ARG_NO_INDEX_WATCH },
                { "memory-cgroup",   required_argument, NULL, ARG_MEMORY_CGROUP },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("modctld %s\n", MODCTL_VERSION);
                        return 0;
                case ARG_BUS_ADDRESS:
                        a->bus_address = optarg;
                        break;
                case ARG_CONFIG_ROOT:
                        a->config.config_root = optarg;
                        break;
                case ARG_HOOK_SOCKET:
                        a->config.hook_socket = optarg;
                        break;
                case ARG_PRIVATE_SOCKET:
                        a->private_socket = optarg;
                        break;
                case ARG_MODULES_DIR:
                        a->config.resolver.modules_dir = optarg;
                        break;
                case ARG_MODPROBE_CONFIG:
                        r = strv_extend(&a->config_paths, optarg);
                        if (r < 0)
                                return log_oom();
                        a->config.resolver.config_paths = (const char *const *) a->config_paths;
                        break;
                case ARG_KERNEL_CMDLINE:
                        a->config.resolver.kernel_cmdline = optarg;
                        break;
                case ARG_WORKERS: {
                        char *end;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (*end || n == 0 || n > CONFIG_WORKERS_MAX)
                                return log_error_errno(-EINVAL, "Invalid number of workers: %s (1 to %u)", optarg,
                                                       CONFIG_WORKERS_MAX);
                        a->config.scheduler.n_workers = (unsigned) n;
                        break;
                }
                case ARG_SYSFS:
                        a->config.autoload.sysfs = optarg;
                        break;
                case ARG_NO_AUTOLOAD:
                        a->config.autoload.disabled = true;
                        break;
                case ARG_NO_INDEX_WATCH:
                        a->config.no_index_watch = true;
                        break;
                case ARG_MEMORY_CGROUP:
                        a->config.memory_cgroup = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_log_level(optarg);
                        if (r < 0)
                                return log_error_errno(r, "Invalid log level: %s", optarg);
                        log_set_max_level(r);
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return log_error_errno(-EINVAL, "Unhandled option %c", c);
                }

        if (optind < argc)
                return log_error_errno(-EINVAL, "%s takes no positional arguments.", program_invocation_short_name);
        return 1;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* SIGHUP: the same as ReloadConfig; a bad configuration is logged and the old one stays. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        Manager *m = userdata;

        log_info("Received SIGHUP, reloading the configuration.");
        (void) sd_notify(false, "RELOADING=1");
        (void) manager_reload_config(m, &failure);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int run(int argc, char *argv[]) {
        /* Declared first, so freed last: the manager's configuration points into it. */
        _cleanup_(arguments_done) Arguments a = {};
        _cleanup_(manager_freep) Manager *m = NULL;
        /* Declared after the manager, so freed before it: it listens to the manager. */
        _cleanup_(bus_service_freep) BusContext *bus = NULL;
        _cleanup_(journal_log_freep) JournalLog *journal = NULL;
        _cleanup_(kernel_freep) Kernel *kernel = NULL;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r;

        /* Signals are handled by sd-event; workers inherit the blocked mask, so they never see them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = kernel_new_default(&kernel);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the kernel interface: %m");

        r = manager_new(&a.config, TAKE_PTR(kernel), &m);
        if (r < 0)
                return r;

        r = journal_log_new(m, &journal);
        if (r < 0)
                return r;

        r = bus_service_new(m, a.bus_address, &bus);
        if (r >= 0)
                r = bus_service_set_private_socket(bus, a.private_socket);
        if (r < 0)
                return r;

        (void) sd_event_add_signal(manager_get_event(m), NULL, SIGTERM, on_signal, NULL);
        (void) sd_event_add_signal(manager_get_event(m), NULL, SIGINT, on_signal, NULL);
        (void) sd_event_add_signal(manager_get_event(m), NULL, SIGHUP, on_sighup, m);

        r = manager_start(m);
        if (r < 0)
                return r;

        r = bus_service_start(bus);
        if (r < 0)
                return r;

        r = sd_event_loop(manager_get_event(m));
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

int main(int argc, char *argv[]) {
        return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
