/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modwait: start commands and time how long it takes until a given set of modules is loaded,
 * as the kernel sees it. The same stopwatch for every contender of the boot benchmark: it
 * knows nothing about modctld or kmod, only the kernel's module uevents and /proc/modules.
 *
 *   modwait --expect FILE [--timeout SEC] [--log FILE] [--pidfile FILE] [--any-status]
 *           -- CMD [ARGS...] [';' CMD [ARGS...]]...
 *
 * FILE lists module names, one a line ('-' and '_' alike). The clock starts just before the
 * first command is started. The commands run one after the other, each once the one before it
 * has exited, like `a; b` in a shell without starting one; a non-zero exit status fails unless
 * --any-status (`modprobe -a` of device aliases fails for the many that match nothing).
 * modwait returns once every expected module is live in /proc/modules, checked at start and
 * at each module uevent. The last command may keep running (a daemon; its pid goes to
 * --pidfile as soon as it starts, also when modwait then fails); after the commands have exited it goes on waiting, since a driver's probe may
 * have the kernel load more modules later (request_module() from a work queue).
 *
 * Output, one line: elapsed_us=N (the set complete), exited_us=N if the commands had all
 * exited by then, and start_monotonic_us=N (CLOCK_MONOTONIC at the start, to line up log
 * timestamps). Exit 1 on timeout (default 300 s) or on a failing command. No polling: it
 * waits on the uevent socket and on pidfds. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODULES 1024
#define MAX_COMMANDS 16

static char *expected[MAX_MODULES];
static size_t n_expected;

static int64_t now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void normalize(char *s) {
        for (; *s; s++)
                if (*s == '-')
                        *s = '_';
}

static int read_expected(const char *path) {
        char line[256];
        FILE *f = fopen(path, "re");

        if (!f) {
                fprintf(stderr, "modwait: %s: %m\n", path);
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, " \t\r\n")] = '\0';
                if (!line[0])
                        continue;
                if (n_expected >= MAX_MODULES) {
                        fprintf(stderr, "modwait: more than %d modules in %s\n", MAX_MODULES, path);
                        fclose(f);
                        return -1;
                }
                normalize(line);
                expected[n_expected++] = strdup(line);
        }
        fclose(f);
        return 0;
}

/* True when every expected module is in /proc/modules in state Live. */
static bool all_live(void) {
        static char buf[1 << 20];
        size_t n = 0;
        ssize_t k;
        int fd = open("/proc/modules", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return false;
        while (n < sizeof(buf) - 1 && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t) k;
        close(fd);
        buf[n] = '\0';

        for (size_t i = 0; i < n_expected; i++) {
                size_t len = strlen(expected[i]);
                bool found = false;

                /* NAME SIZE REFS USERS STATE ADDR */
                for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                        if (strncmp(line, expected[i], len) == 0 && line[len] == ' ') {
                                char name[256], state[32];
                                if (sscanf(line, "%255s %*s %*s %*s %31s", name, state) == 2 && strcmp(state, "Live") == 0)
                                        found = true;
                                break;
                        }
                if (!found)
                        return false;
        }
        return true;
}

/* True if the datagram is a uevent of SUBSYSTEM=module. */
static bool is_module_event(const char *buf, size_t n) {
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
                if (strcmp(buf + i, "SUBSYSTEM=module") == 0)
                        return true;
        return false;
}

static void write_pidfile(const char *pidfile, pid_t pid) {
        FILE *f;

        if (!pidfile || !(f = fopen(pidfile, "we")))
                return;
        fprintf(f, "%d\n", (int) pid);
        fclose(f);
}

static pid_t spawn(char **argv, const char *log) {
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(127);
                (void) setsid();
                execvp(argv[0], argv);
                fprintf(stderr, "modwait: cannot execute %s: %m\n", argv[0]);
                _exit(127);
        }
        return pid;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "expect",  required_argument, NULL, 'e' },
                { "timeout", required_argument, NULL, 't' },
                { "log",     required_argument, NULL, 'l' },
                { "pidfile", required_argument, NULL, 'p' },
                { "any-status", no_argument,    NULL, 'a' },
                {}
        };
        const char *expect = NULL, *log = "/dev/null", *pidfile = NULL;
        char **commands[MAX_COMMANDS];
        size_t n_commands = 0, current = 0;
        long timeout_s = 300;
        bool any_status = false;
        int c;

        while ((c = getopt_long(argc, argv, "+e:t:l:p:a", options, NULL)) >= 0)
                switch (c) {
                case 'e': expect = optarg; break;
                case 't': timeout_s = strtol(optarg, NULL, 10); break;
                case 'l': log = optarg; break;
                case 'p': pidfile = optarg; break;
                case 'a': any_status = true; break;
                default:
                        fprintf(stderr, "usage: modwait --expect FILE [--timeout SEC] [--log FILE] [--pidfile FILE] [--any-status] -- CMD... [';' CMD...]\n");
                        return 2;
                }
        if (!expect || optind >= argc || timeout_s <= 0) {
                fprintf(stderr, "modwait: need --expect FILE and a command\n");
                return 2;
        }
        if (read_expected(expect) < 0)
                return 1;

        /* Split the commands at ';' arguments. */
        commands[n_commands++] = argv + optind;
        for (int i = optind; i < argc; i++)
                if (strcmp(argv[i], ";") == 0) {
                        argv[i] = NULL;
                        if (n_commands >= MAX_COMMANDS || i + 1 >= argc) {
                                fprintf(stderr, "modwait: too many commands, or an empty one\n");
                                return 2;
                        }
                        commands[n_commands++] = argv + i + 1;
                }

        /* Subscribe before anything starts, so no event is missed. */
        int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        int size = 16 * 1024 * 1024;
        if (nl < 0 || bind(nl, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "modwait: uevent socket: %m\n");
                return 1;
        }
        (void) setsockopt(nl, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));

        int64_t start = now_us(), deadline = start + (int64_t) timeout_s * 1000000, exited = -1;
        pid_t pid = spawn(commands[0], log);
        if (pid < 0) {
                fprintf(stderr, "modwait: fork: %m\n");
                return 1;
        }
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                fprintf(stderr, "modwait: pidfd_open: %m\n");
                return 1;
        }
        if (n_commands == 1)
                write_pidfile(pidfile, pid);

        for (;;) {
                if (all_live()) {
                        int64_t done = now_us();
                        printf("elapsed_us=%lld", (long long) (done - start));
                        if (exited >= 0)
                                printf(" exited_us=%lld", (long long) (exited - start));
                        printf(" start_monotonic_us=%lld\n", (long long) start);
                        return 0;
                }

                struct pollfd p[2] = {
                        { .fd = nl, .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
                };
                int64_t left = deadline - now_us();
                if (left <= 0) {
                        fprintf(stderr, "modwait: the modules were not all loaded within %ld s\n", timeout_s);
                        return 1;
                }
                int r = poll(p, pidfd >= 0 ? 2 : 1, (int) (left / 1000) + 1);
                if (r < 0 && errno != EINTR) {
                        fprintf(stderr, "modwait: poll: %m\n");
                        return 1;
                }

                if (p[0].revents) {
                        bool module = false;
                        char buf[8192];
                        ssize_t n;

                        /* Drain; an overflow (ENOBUFS) may have eaten a module event: check anyway. */
                        while ((n = recv(nl, buf, sizeof(buf) - 1, 0)) > 0 || (n < 0 && errno == ENOBUFS)) {
                                if (n < 0) {
                                        module = true;
                                        continue;
                                }
                                buf[n] = '\0';
                                module = module || is_module_event(buf, (size_t) n);
                        }
                        if (!module)
                                continue;
                }

                if (pidfd >= 0 && p[1].revents) {
                        int status;

                        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || (WEXITSTATUS(status) != 0 && !any_status)) {
                                fprintf(stderr, "modwait: command %zu (%s) failed (status %d)\n", current + 1,
                                        commands[current][0], status);
                                return 1;
                        }
                        close(pidfd);
                        pidfd = -1;
                        if (++current < n_commands) {
                                pid = spawn(commands[current], log);
                                pidfd = pid < 0 ? -1 : (int) syscall(SYS_pidfd_open, pid, 0);
                                if (pidfd < 0) {
                                        fprintf(stderr, "modwait: cannot start command %zu: %m\n", current + 1);
                                        return 1;
                                }
                                if (current + 1 == n_commands)
                                        write_pidfile(pidfile, pid);
                        } else
                                /* Modules may still come: a driver's probe can ask the kernel for
                                 * more (request_module() from a work queue) after the command. */
                                exited = now_us();
                }
        }
}
