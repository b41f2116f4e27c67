/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* timeit: run a command N times and print the median wall time in microseconds.
 * busybox date has no %N, so shell scripts cannot time anything below a second themselves.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-b BEFORE] [-a AFTER] [-v] -- COMMAND [ARGS...]
 *
 * BEFORE and AFTER are shell commands run (untimed) around every run, warm-up runs included,
 * e.g. -a 'rmmod dummy' to undo a load. The command's output goes to /dev/null unless -v.
 * Any non-zero exit of COMMAND, BEFORE or AFTER aborts with status 1.
 * Output, one line: median_us=M min_us=A max_us=B mean_us=C runs=N */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int run(char **argv, int quiet) {
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (quiet) {
                        int null = open("/dev/null", O_WRONLY);
                        if (null >= 0) {
                                dup2(null, 1);
                                dup2(null, 2);
                        }
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_shell(const char *cmd) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) cmd, NULL };
        return run(argv, 0);
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return (x > y) - (x < y);
}

int main(int argc, char *argv[]) {
        const char *before = NULL, *after = NULL;
        int runs = 15, warmup = 1, verbose = 0, c;

        while ((c = getopt(argc, argv, "+n:w:b:a:v")) >= 0)
                switch (c) {
                case 'n': runs = atoi(optarg); break;
                case 'w': warmup = atoi(optarg); break;
                case 'b': before = optarg; break;
                case 'a': after = optarg; break;
                case 'v': verbose = 1; break;
                default:
                        fprintf(stderr, "usage: timeit [-n RUNS] [-w WARMUP] [-b BEFORE] [-a AFTER] [-v] -- COMMAND [ARGS...]\n");
                        return 2;
                }
        if (optind >= argc || runs <= 0 || warmup < 0) {
                fprintf(stderr, "timeit: need a command and RUNS > 0\n");
                return 2;
        }

        int64_t *t = calloc(runs, sizeof(int64_t));
        if (!t)
                return 1;

        for (int i = -warmup; i < runs; i++) {
                int r;

                if (before && (r = run_shell(before)) != 0) {
                        fprintf(stderr, "timeit: before-command '%s' failed with %d\n", before, r);
                        return 1;
                }
                int64_t start = now_us();
                r = run(argv + optind, !verbose);
                int64_t end = now_us();
                if (r != 0) {
                        fprintf(stderr, "timeit: '%s' failed with %d on run %d\n", argv[optind], r, i);
                        return 1;
                }
                if (i >= 0)
                        t[i] = end - start;
                if (after && (r = run_shell(after)) != 0) {
                        fprintf(stderr, "timeit: after-command '%s' failed with %d\n", after, r);
                        return 1;
                }
        }

        int64_t sum = 0;
        for (int i = 0; i < runs; i++)
                sum += t[i];
        qsort(t, runs, sizeof(int64_t), cmp_i64);
        int64_t median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;

        printf("median_us=%lld min_us=%lld max_us=%lld mean_us=%lld runs=%d\n",
               (long long) median, (long long) t[0], (long long) t[runs - 1],
               (long long) (sum / runs), runs);
        free(t);
        return 0;
}
