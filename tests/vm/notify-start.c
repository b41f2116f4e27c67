/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notify-start: start a daemon in the background and return once it reports READY=1 over
 * $NOTIFY_SOCKET, the way systemd's Type=notify does. The VM has no systemd, and the house rule
 * is to wait on events rather than sleep and poll for a bus name.
 *
 *   notify-start [--timeout SEC] [--log FILE] [--pidfile FILE] -- COMMAND [ARGS...]
 *   notify-start --wait-exit PID [--timeout SEC]
 *
 * Exit 0 and print the daemon's pid once READY=1 arrives. Exit 1 with a message if the daemon
 * exits first (its status is reported), or on timeout (the daemon is killed then).
 * --wait-exit waits (with a pidfd) until process PID, which need not be our child, has exited. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pidfd_open_compat(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True if one of the newline-separated assignments in buf is READY=1. */
static bool has_ready(char *buf) {
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strcmp(line, "READY=1") == 0)
                        return true;
        return false;
}

static void usage(FILE *f) {
        fprintf(f, "usage: notify-start [--timeout SEC] [--log FILE] [--pidfile FILE] -- COMMAND [ARGS...]\n"
                   "       notify-start --wait-exit PID [--timeout SEC]\n");
}

static int wait_exit(pid_t pid, long timeout_s) {
        int pidfd = pidfd_open_compat(pid);
        if (pidfd < 0)
                return errno == ESRCH ? 0 : 1;

        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;
        do
                r = poll(&p, 1, (int) (timeout_s * 1000));
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
                fprintf(stderr, "notify-start: process %d still running after %ld s\n", (int) pid, timeout_s);
                return 1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "log",     required_argument, NULL, 'l' },
                { "pidfile", required_argument, NULL, 'p' },
                { "wait-exit", required_argument, NULL, 'w' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *log = "/dev/null", *pidfile = NULL;
        long timeout_s = 30;
        pid_t wait_pid = 0;
        int c;

        while ((c = getopt_long(argc, argv, "+t:l:p:w:h", options, NULL)) >= 0)
                switch (c) {
                case 't': timeout_s = strtol(optarg, NULL, 10); break;
                case 'l': log = optarg; break;
                case 'p': pidfile = optarg; break;
                case 'w': wait_pid = (pid_t) strtol(optarg, NULL, 10); break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        if (wait_pid > 0 && timeout_s > 0)
                return wait_exit(wait_pid, timeout_s);
        if (optind >= argc || timeout_s <= 0) {
                usage(stderr);
                return 2;
        }

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/run/notify-start.%d.sock", (int) getpid());
        (void) unlink(sa.sun_path);

        int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || bind(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "notify-start: cannot create %s: %m\n", sa.sun_path);
                return 1;
        }

        pid_t pid = fork();
        if (pid < 0) {
                fprintf(stderr, "notify-start: fork: %m\n");
                return 1;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(127);
                (void) setsid();
                setenv("NOTIFY_SOCKET", sa.sun_path, 1);
                execvp(argv[optind], argv + optind);
                fprintf(stderr, "notify-start: cannot execute %s: %m\n", argv[optind]);
                _exit(127);
        }

        int pidfd = pidfd_open_compat(pid);
        if (pidfd < 0) {
                fprintf(stderr, "notify-start: pidfd_open: %m\n");
                return 1;
        }

        int64_t deadline = now_ms() + timeout_s * 1000;
        int r = 1;
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = sock,  .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
                };
                int64_t left = deadline - now_ms();
                if (left <= 0) {
                        fprintf(stderr, "notify-start: %s sent no READY=1 within %ld s, killing it (log: %s)\n",
                                argv[optind], timeout_s, log);
                        (void) kill(pid, SIGKILL);
                        break;
                }
                if (poll(p, 2, (int) left) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "notify-start: poll: %m\n");
                        break;
                }
                if (p[0].revents & POLLIN) {
                        char buf[4096];
                        ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
                        if (n > 0) {
                                buf[n] = 0;
                                if (has_ready(buf)) {
                                        if (pidfile) {
                                                FILE *f = fopen(pidfile, "we");
                                                if (f) {
                                                        fprintf(f, "%d\n", (int) pid);
                                                        fclose(f);
                                                }
                                        }
                                        printf("%d\n", (int) pid);
                                        r = 0;
                                        break;
                                }
                        }
                        continue;
                }
                if (p[1].revents & POLLIN) {
                        siginfo_t si = {};
                        (void) waitid(P_PID, pid, &si, WEXITED);
                        if (si.si_code == CLD_EXITED)
                                fprintf(stderr, "notify-start: %s exited with status %d before READY=1 (log: %s)\n",
                                        argv[optind], si.si_status, log);
                        else
                                fprintf(stderr, "notify-start: %s was killed by signal %d before READY=1 (log: %s)\n",
                                        argv[optind], si.si_status, log);
                        break;
                }
        }

        (void) unlink(sa.sun_path);
        return r;
}
