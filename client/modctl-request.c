/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* modctl-request: what the kernel runs for request_module(), as `modctl-request -q -- NAME`
 * (kernel.modprobe points here). It hands the name to modctld over its private socket and
 * exits 0 when the module is loaded. Only when the daemon is absent (no socket, or nobody
 * listening) does it do what [Daemon] HookFallback= says: refuse (the default), or run
 * HookModprobe= in its place. A timeout or a reset fails the request.
 *
 * The fast path is a handful of system calls: no D-Bus, no libkmod, and the binary is static,
 * so exec needs no dynamic loader. The configuration is only read on the fallback path.
 *
 * The kernel starts usermode helpers without open file descriptors, so 0-2 are opened on
 * /dev/null first, and messages go to the kernel log (/dev/kmsg), where journald finds them.
 *
 * The installed helper reads no environment variable: it runs as root for whoever made the
 * kernel ask, and anyone who can run it with an environment of their own (or reach kernel.modprobe
 * through another path) must not choose its socket, its configuration, and so its fallback
 * command, or where it creates files. The test build (modctl-request-test, never installed,
 * built with MODCTL_REQUEST_TEST_PATHS) takes them from
 *   MODCTL_REQUEST_SOCKET=PATH       the daemon's socket (default /run/modctl/request.sock)
 *   MODCTL_REQUEST_CONFIG_ROOT=DIR   read modctld.conf below DIR instead of / */

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-config.h"
#include "macro.h"
#include "modctl-hook.h"

#define EXIT_USAGE 2

#ifdef MODCTL_REQUEST_TEST_PATHS
static const char *socket_path_get(void) {
        return getenv("MODCTL_REQUEST_SOCKET") ?: MODCTL_HOOK_SOCKET;
}
static const char *config_root_get(void) {
        return getenv("MODCTL_REQUEST_CONFIG_ROOT");
}
#else
static const char *socket_path_get(void) {
        return MODCTL_HOOK_SOCKET;
}
static const char *config_root_get(void) {
        return NULL;  /* modctld.conf below / */
}
#endif

static void log_kmsg(const char *fmt, ...) _printf_(1, 2);
static void log_kmsg(const char *fmt, ...) {
        char msg[512];
        va_list ap;
        int n;

        /* <13> is user.notice; the kernel log shows it with our name and pid. */
        n = snprintf(msg, sizeof(msg), "<13>modctl-request[%d]: ", (int) getpid());
        va_start(ap, fmt);
        n += vsnprintf(msg + n, sizeof(msg) - (size_t) n, fmt, ap);
        va_end(ap);
        if (n >= (int) sizeof(msg) - 1)
                n = (int) sizeof(msg) - 2;
        msg[n++] = '\n';

        int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
                (void) !write(fd, msg, (size_t) n);
                close(fd);
        }
        /* Also on stderr, which is /dev/null under the kernel and the terminal for a person. */
        (void) !write(STDERR_FILENO, msg + 4, (size_t) n - 4);
}

static void open_std_fds(void) {
        for (;;) {
                int fd = open("/dev/null", O_RDWR | O_NOCTTY);
                if (fd < 0)
                        return;
                if (fd > STDERR_FILENO) {
                        close(fd);
                        return;
                }
        }
}

/* Returns the reply's status (>= 0), or a negative errno when the daemon could not be reached
 * (-ENOENT, -ECONNREFUSED: the caller falls back) or did not answer (anything else: the
 * caller fails the request, since a daemon that is there decides). */
static int ask_daemon(const char *socket_path, const char *name, int *ret_error) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[MODCTL_HOOK_REQUEST_MAX];
        ModctlHookReply reply;
        ModctlHookStatus status;
        int fd, n, r;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);

        n = modctl_hook_build_request(name, buf);
        if (n < 0)
                return n;

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        /* Bounds connect() on a full backlog and the wait for the reply. */
        struct timeval tv = { .tv_sec = MODCTL_HOOK_REPLY_TIMEOUT_SEC };
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct timeval stv = { .tv_sec = MODCTL_HOOK_RECEIVE_TIMEOUT_SEC };
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv));

        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            send(fd, buf, (size_t) n, MSG_NOSIGNAL) != n) {
                r = -errno;
                close(fd);
                return r;
        }

        ssize_t got = recv(fd, &reply, sizeof(reply), MSG_TRUNC);
        r = got < 0 ? -errno : 0;
        close(fd);
        if (r == -EAGAIN)
                return -ETIMEDOUT;
        if (r < 0)
                return r;
        if (got == 0)
                return -ECONNRESET;  /* the daemon went away before answering */

        r = modctl_hook_parse_reply(&reply, (size_t) got, &status, ret_error);
        if (r < 0)
                return r;
        return (int) status;
}

static void count_fallback(const char *socket_path) {
        char path[PATH_MAX], dir[PATH_MAX];
        const char *slash = strrchr(socket_path, '/');
        int fd;

        if (!slash || (size_t) (slash - socket_path) >= sizeof(dir))
                return;
        memcpy(dir, socket_path, (size_t) (slash - socket_path));
        dir[slash - socket_path] = '\0';
        if (snprintf(path, sizeof(path), "%s/%s", dir, MODCTL_HOOK_FALLBACK_FILE) >= (int) sizeof(path))
                return;

        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) >= 0)
                fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return;
        (void) !write(fd, "f", 1);  /* one byte per fallback; an appended byte is atomic */
        close(fd);
}

static bool same_file(const char *a, const char *b) {
        struct stat sa, sb;
        return stat(a, &sa) >= 0 && stat(b, &sb) >= 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

_noreturn_ static void fallback(const char *socket_path, const char *name, int reason) {
        _cleanup_(config_unrefp) Config *c = NULL;
        Failure failure = FAILURE_NULL;
        HookFallback mode = HOOK_FALLBACK_DENY;
        const char *modprobe = NULL;
        int r;

        count_fallback(socket_path);

        /* Fail closed: a broken configuration must not open the door the policy keeps shut. */
        r = config_load(config_root_get(), &c, &failure);
        if (r < 0)
                log_kmsg("cannot read modctld.conf (%s); failing closed: not loading '%s'.",
                         failure.message ?: strerror(-r), name);
        else {
                mode = c->daemon.hook_fallback;
                modprobe = c->daemon.hook_modprobe;
        }
        failure_done(&failure);

        if (mode == HOOK_FALLBACK_DENY) {
                log_kmsg("cannot reach modctld at %s (%s); HookFallback=deny: not loading '%s'.",
                         socket_path, strerror(-reason), name);
                exit(EXIT_FAILURE);
        }

        /* A HookModprobe= pointing back at us would loop until the kernel runs out of helpers. */
        if (same_file(modprobe, "/proc/self/exe")) {
                log_kmsg("HookModprobe=%s is this helper itself; not loading '%s'.", modprobe, name);
                exit(EXIT_FAILURE);
        }

        log_kmsg("cannot reach modctld at %s (%s); HookFallback=modprobe: running %s for '%s'.",
                 socket_path, strerror(-reason), modprobe, name);
        execv(modprobe, (char *[]) { (char *) modprobe, (char *) "-q", (char *) "--", (char *) name, NULL });
        log_kmsg("cannot run %s for '%s': %s.", modprobe, name, strerror(errno));
        exit(EXIT_FAILURE);
}

static _noreturn_ _printf_(1, 2) void usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nUsage: %s [-q] [-v] [-b] [--] NAME [-q]\n"
                "The kernel's module request helper (kernel.modprobe): loads one module through modctld.\n"
                "NAME is at most %d bytes. Other modprobe options (removal, -a, configuration) are not supported.\n",
                program_invocation_short_name, MODCTL_HOOK_NAME_MAX);
        exit(EXIT_USAGE);
}

/* The forms real callers use for kernel.modprobe: the kernel's `-q -- NAME`, iptables-legacy's
 * and ebtables' `NAME [-q]`, and `-q NAME`, `-v`, `-b` from scripts that copy modprobe's. -q,
 * -v and -b may come before or after NAME (and be combined, "-qb"); after "--" everything is
 * the name. Exactly one name. */
static void parse_args(int argc, char *argv[], const char **ret_name, bool *ret_verbose) {
        const char *name = NULL;
        bool verbose = false, dashdash = false;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!dashdash && strcmp(a, "--") == 0) {
                        dashdash = true;
                        continue;
                }
                if (!dashdash && a[0] == '-') {
                        if (a[1] == '\0')
                                usage_error("'%s' is not a module name.", a);
                        for (const char *c = a + 1; *c; c++)
                                switch (*c) {
                                case 'q':
                                case 'b':  /* the daemon applies the blacklist to aliases anyway */
                                        break;
                                case 'v':
                                        verbose = true;
                                        break;
                                default:
                                        usage_error("unsupported option '%s'.", a);
                                }
                        continue;
                }
                if (name)
                        usage_error("more than one module name ('%s'); only one is loaded per call.", a);
                name = a;
        }

        if (!name)
                usage_error("%s", "no module name given.");
        if (name[0] == '\0' || strlen(name) > MODCTL_HOOK_NAME_MAX)
                usage_error("'%s' is not a valid module name.", name);

        *ret_name = name;
        *ret_verbose = verbose;
}

int main(int argc, char *argv[]) {
        const char *socket_path, *name;
        bool verbose;
        int error = 0, r;

        open_std_fds();

        parse_args(argc, argv, &name, &verbose);
        socket_path = socket_path_get();

        /* The kernel's HDA codec driver asks for its modalias with the newline it prints in sysfs
         * ("hdaudio:v1AF40022r00100101a01\n"). modprobe matches that anyway (a pattern's final
         * '*' takes the newline), so the daemon gets the alias without it; the fallback passes
         * the kernel's string on unchanged. */
        char trimmed[MODCTL_HOOK_NAME_MAX + 1];
        size_t len = strlen(name);
        while (len > 1 && name[len - 1] == '\n')
                len--;
        memcpy(trimmed, name, len);
        trimmed[len] = '\0';

        r = ask_daemon(socket_path, trimmed, &error);
        if (r == -ENOENT || r == -ECONNREFUSED)
                /* Genuinely absent: no socket, or nobody listening on it. */
                fallback(socket_path, name, r);
        if (r < 0) {
                /* A daemon that is there but slow, or restarting (reset), decides: never bypass it. */
                log_kmsg("modctld at %s did not answer the request for '%s' (%s); not loading it.",
                         socket_path, name, strerror(-r));
                return EXIT_FAILURE;
        }

        switch (r) {
        case MODCTL_HOOK_STATUS_LOADED:
                if (verbose)
                        fprintf(stderr, "modctl-request: %s: loaded by modctld.\n", name);
                return EXIT_SUCCESS;
        case MODCTL_HOOK_STATUS_FAILED:
                /* -q: a missing module is routine for the kernel; the daemon logs the rest. */
                if (verbose)
                        fprintf(stderr, "modctl-request: %s: %s.\n", name, strerror(error));
                return EXIT_FAILURE;
        case MODCTL_HOOK_STATUS_REFUSED:
                log_kmsg("modctld refused the request for '%s': %s.", name, strerror(error));
                return EXIT_FAILURE;
        default:
                log_kmsg("modctld rejected the request for '%s' as malformed: %s.", name, strerror(error));
                return EXIT_FAILURE;
        }
}
