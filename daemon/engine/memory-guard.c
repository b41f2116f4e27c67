/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "engine/memory-guard.h"

struct MemoryGuard {
        char *dir;
        int current_fd;         /* memory.current */
        int max_fd;             /* memory.max, -1 in the root cgroup */
        int high_fd;            /* memory.high */
        bool short_of_memory;   /* the last check refused: log once per episode */
};

MemoryGuard *memory_guard_free(MemoryGuard *g) {
        if (!g)
                return NULL;
        if (g->current_fd >= 0)
                close(g->current_fd);
        if (g->max_fd >= 0)
                close(g->max_fd);
        if (g->high_fd >= 0)
                close(g->high_fd);
        free(g->dir);
        free(g);
        return NULL;
}

/* The cgroup v2 path of this process ("0::/system.slice/modctld.service"). */
static int own_cgroup_dir(char **ret) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                return asprintf(ret, "/sys/fs/cgroup%s", streq(line + 3, "/") ? "" : line + 3) < 0 ? -ENOMEM : 0;
        }
        return -ENOENT;
}

static int open_at(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

int memory_guard_new(const char *cgroup_dir, MemoryGuard **ret) {
        _cleanup_(memory_guard_freep) MemoryGuard *g = NULL;
        int r;

        assert(ret);

        g = calloc(1, sizeof(MemoryGuard));
        if (!g)
                return -ENOMEM;
        g->current_fd = g->max_fd = g->high_fd = -1;
        if (cgroup_dir) {
                g->dir = strdup(cgroup_dir);
                if (!g->dir)
                        return -ENOMEM;
        } else {
                r = own_cgroup_dir(&g->dir);
                if (r == -ENOMEM)
                        return r;
        }
        if (g->dir) {
                g->current_fd = open_at(g->dir, "memory.current");
                g->max_fd = open_at(g->dir, "memory.max");
                g->high_fd = open_at(g->dir, "memory.high");
                if (g->current_fd == -ENOMEM)
                        return -ENOMEM;
        }
        if (g->current_fd >= 0 && (g->max_fd >= 0 || g->high_fd >= 0))
                log_debug("Refusing new work near the memory limit of cgroup %s.", g->dir);
        *ret = TAKE_PTR(g);
        return 0;
}

/* A number, or "max" (UINT64_MAX), read from the start of the file. */
static int read_value(int fd, uint64_t *ret) {
        char buf[64], *end;
        ssize_t n;

        if (fd < 0)
                return -EBADF;
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (strncmp(buf, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno != 0 || end == buf)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* memory.stat's "file" (page cache) and "slab_reclaimable" (dentries, inodes): what the kernel
 * takes back before it kills. */
static uint64_t read_reclaimable(const char *dir) {
        _cleanup_free_ char *p = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        char line[256];
        unsigned long long v;
        uint64_t sum = 0;

        if (asprintf(&p, "%s/memory.stat", dir) < 0)
                return 0;
        f = fopen(p, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "file %llu", &v) == 1 || sscanf(line, "slab_reclaimable %llu", &v) == 1)
                        sum += v;
        return sum;
}

static void format_mib(uint64_t bytes, char buf[static 32]) {
        snprintf(buf, 32, "%.1f MiB", (double) bytes / (1024.0 * 1024.0));
}

int memory_guard_check(MemoryGuard *g, const char *what, Failure *failure) {
        uint64_t max = UINT64_MAX, high = UINT64_MAX, limit, current, used, file;
        char used_text[32], limit_text[32];

        assert(g);
        assert(what);

        if (g->current_fd < 0)
                return 0;
        (void) read_value(g->max_fd, &max);
        (void) read_value(g->high_fd, &high);
        limit = MIN(max, high);
        if (limit == UINT64_MAX || read_value(g->current_fd, &current) < 0)
                goto fine;
        /* Refused within an eighth of the limit: room for what is already accepted to finish. */
        if (current < limit - limit / 8)
                goto fine;
        file = read_reclaimable(g->dir);
        used = current > file ? current - file : 0;
        if (used < limit - limit / 8)
                goto fine;

        format_mib(used, used_text);
        format_mib(limit, limit_text);
        if (!g->short_of_memory)
                log_warning("Memory is short: modctld uses %s of the %s its cgroup %s allows (%s); refusing new "
                            "loads and searches until memory is free.", used_text, limit_text, g->dir,
                            limit == max ? "memory.max" : "memory.high");
        g->short_of_memory = true;
        return failure_set(failure, FAILURE_MEMORY_SHORT,
                           "Memory is short: modctld uses %s of the %s its cgroup allows (%s in %s), so it did not "
                           "%s. Work already accepted goes on; try again when memory is free.",
                           used_text, limit_text, limit == max ? "memory.max" : "memory.high", g->dir, what);
fine:
        if (g->short_of_memory)
                log_notice("Memory is no longer short in cgroup %s: serving new work again.", g->dir);
        g->short_of_memory = false;
        return 0;
}
