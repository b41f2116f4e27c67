/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kreq: make the kernel call request_module() and time it, in-process (no fork per sample, so
 * the numbers are the request's cost, not a shell's).
 *
 *   kreq socket FAMILY RUNS   socket(FAMILY) on a family the kernel lacks: each call makes the
 *                             kernel request "net-pf-FAMILY" and wait for kernel.modprobe.
 *                             Prints: median_us=M min_us=A max_us=B mean_us=C runs=N
 *   kreq storm COUNT PREFIX   COUNT threads at once, each mount(2)ing the file system type
 *                             PREFIX<i>, which makes the kernel request "fs-PREFIX<i>".
 *                             Prints: total_ms=T max_ms=M ok=N (ok: failed with ENODEV, i.e.
 *                             the request came back and found nothing)
 *   kreq try FAMILY TYPE      one socket(FAMILY, TYPE, 0): prints "ok" and exits 0 if it was
 *                             created, else prints the error and exits 1.
 *   kreq alg TYPE NAME        one AF_ALG socket bound to TYPE ("skcipher", "aead", "hash") and
 *                             NAME ("pcrypt(gcm(aes))"): the kernel instantiates a template it
 *                             lacks in a cryptomgr_probe kernel thread. Prints "ok" and exits 0
 *                             if the bind worked, else prints the error and exits 1.
 * Exit status 1 on an unexpected result (the family exists, a mount succeeded, ...). */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/if_alg.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return (x > y) - (x < y);
}

static int bench_socket(int family, int runs) {
        int64_t *t = calloc((size_t) runs, sizeof(int64_t)), sum = 0;
        if (!t)
                return 1;
        for (int i = 0; i < runs; i++) {
                int64_t a = now_ns();
                int fd = socket(family, SOCK_STREAM, 0);
                int e = errno;
                t[i] = now_ns() - a;
                if (fd >= 0 || e != EAFNOSUPPORT) {
                        fprintf(stderr, "kreq: socket(%d) %s, expected EAFNOSUPPORT\n", family,
                                fd >= 0 ? "succeeded" : strerror(e));
                        return 1;
                }
                sum += t[i];
        }
        qsort(t, (size_t) runs, sizeof(int64_t), cmp_i64);
        int64_t median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
        printf("median_us=%lld min_us=%lld max_us=%lld mean_us=%lld runs=%d\n", (long long) (median / 1000),
               (long long) (t[0] / 1000), (long long) (t[runs - 1] / 1000), (long long) (sum / runs / 1000), runs);
        free(t);
        return 0;
}

typedef struct Storm {
        pthread_barrier_t *start;
        char type[64];
        int64_t elapsed;
        int error;
} Storm;

static void *storm_thread(void *userdata) {
        Storm *s = userdata;
        pthread_barrier_wait(s->start);
        int64_t a = now_ns();
        int r = mount("none", "/tmp", s->type, 0, NULL);
        s->error = r < 0 ? errno : 0;
        s->elapsed = now_ns() - a;
        return NULL;
}

static int storm(int count, const char *prefix) {
        pthread_barrier_t start;
        pthread_t *threads = calloc((size_t) count, sizeof(pthread_t));
        Storm *s = calloc((size_t) count, sizeof(Storm));
        int ok = 0;
        int64_t max = 0;

        if (!threads || !s)
                return 1;
        pthread_barrier_init(&start, NULL, (unsigned) count + 1);
        for (int i = 0; i < count; i++) {
                s[i].start = &start;
                snprintf(s[i].type, sizeof(s[i].type), "%s%d", prefix, i);
                if (pthread_create(&threads[i], NULL, storm_thread, &s[i]) != 0) {
                        fprintf(stderr, "kreq: cannot start thread %d\n", i);
                        return 1;
                }
        }
        int64_t a = now_ns();
        pthread_barrier_wait(&start);
        for (int i = 0; i < count; i++) {
                pthread_join(threads[i], NULL);
                if (s[i].error == ENODEV)
                        ok++;
                else
                        fprintf(stderr, "kreq: mount -t %s: %s\n", s[i].type, s[i].error ? strerror(s[i].error) : "succeeded");
                if (s[i].elapsed > max)
                        max = s[i].elapsed;
        }
        printf("total_ms=%lld max_ms=%lld ok=%d\n", (long long) ((now_ns() - a) / 1000000),
               (long long) (max / 1000000), ok);
        return ok == count ? 0 : 1;
}

static int try_socket(int family, int type) {
        int fd = socket(family, type, 0);
        if (fd < 0) {
                printf("socket(%d, %d): %s\n", family, type, strerror(errno));
                return 1;
        }
        close(fd);
        printf("ok\n");
        return 0;
}

static int alg_bind(const char *type, const char *name) {
        struct sockaddr_alg sa = { .salg_family = AF_ALG };
        int fd;

        if (strlen(type) >= sizeof(sa.salg_type) || strlen(name) >= sizeof(sa.salg_name)) {
                fprintf(stderr, "kreq: type or name too long\n");
                return 2;
        }
        strcpy((char *) sa.salg_type, type);
        strcpy((char *) sa.salg_name, name);
        fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                printf("socket(AF_ALG): %s\n", strerror(errno));
                return 1;
        }
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                printf("bind(%s, %s): %s\n", type, name, strerror(errno));
                close(fd);
                return 1;
        }
        close(fd);
        printf("ok\n");
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 4 && strcmp(argv[1], "alg") == 0)
                return alg_bind(argv[2], argv[3]);
        if (argc == 4 && strcmp(argv[1], "try") == 0)
                return try_socket(atoi(argv[2]), atoi(argv[3]));
        if (argc == 4 && strcmp(argv[1], "socket") == 0)
                return bench_socket(atoi(argv[2]), atoi(argv[3]));
        if (argc == 4 && strcmp(argv[1], "storm") == 0)
                return storm(atoi(argv[2]), argv[3]);
        fprintf(stderr, "usage: kreq socket FAMILY RUNS | kreq storm COUNT PREFIX | kreq try FAMILY TYPE | "
                "kreq alg TYPE NAME\n");
        return 2;
}
