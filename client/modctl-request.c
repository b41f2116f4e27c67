/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* modctl-request: what the kernel runs for request_module(), as `modctl-request -q -- NAME`
 * (kernel.modprobe points here). It hands the name to modctld over its private socket and
 * exits 0 when the module is loaded. When the daemon cannot be reached it does what
 * [Daemon] HookFallback= says: run HookModprobe= in its place, or refuse.
 *
 * The fast path is a handful of system calls: no D-Bus, no libkmod, and the binary is static,
 * so exec needs no dynamic loader. The configuration is only read on the fallback path.
 *
 * The kernel starts usermode helpers without open file descriptors, so 0-2 are opened on
 * /dev/null first, and messages go to the kernel log (/dev/kmsg), where journald finds them.
 *
 * Environment, for tests only (the kernel passes a fixed environment):
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
 * or did not answer: the caller falls back then. */
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
        HookFallback mode = HOOK_FALLBACK_MODPROBE;
        const char *modprobe = "/sbin/modprobe";
        int r;

        count_fallback(socket_path);

        r = config_load(getenv("MODCTL_REQUEST_CONFIG_ROOT"), &c, &failure);
        if (r < 0)
                log_kmsg("cannot read modctld.conf (%s), using HookFallback=modprobe.",
                         failure.message ?: strerror(-r));
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

int main(int argc, char *argv[]) {
        const char *socket_path, *name;
        int error = 0, r;

        open_std_fds();

        if (argc != 4 || strcmp(argv[1], "-q") != 0 || strcmp(argv[2], "--") != 0 || argv[3][0] == '\0' ||
            strlen(argv[3]) > MODCTL_HOOK_NAME_MAX) {
                fprintf(stderr, "Usage: %s -q -- NAME\n"
                        "The kernel's module request helper (kernel.modprobe); NAME is at most %d bytes.\n",
                        program_invocation_short_name, MODCTL_HOOK_NAME_MAX);
                return EXIT_USAGE;
        }
        name = argv[3];
        socket_path = getenv("MODCTL_REQUEST_SOCKET") ?: MODCTL_HOOK_SOCKET;

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
        if (r < 0)
                fallback(socket_path, name, r);

        switch (r) {
        case MODCTL_HOOK_STATUS_LOADED:
                return EXIT_SUCCESS;
        case MODCTL_HOOK_STATUS_FAILED:
                /* -q: a missing module is routine for the kernel; the daemon logs the rest. */
                return EXIT_FAILURE;
        case MODCTL_HOOK_STATUS_REFUSED:
                log_kmsg("modctld refused the request for '%s': %s.", name, strerror(error));
                return EXIT_FAILURE;
        default:
                log_kmsg("modctld rejected the request for '%s' as malformed: %s.", name, strerror(error));
                return EXIT_FAILURE;
        }
}
