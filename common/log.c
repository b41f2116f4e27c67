/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* journald understands "<N>" prefixes on a service's stderr; on a terminal they are noise. */
static bool stderr_is_journal(void) {
        static int cached = -1;
        if (cached < 0)
                cached = !!getenv("JOURNAL_STREAM");
        return cached;
}

int log_internal(int level, int error, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        va_list ap;

        assert(fmt);

        if (level > max_level)
                return -e;

        /* Serialize the prefix, message and newline so lines from worker threads don't interleave. */
        flockfile(stderr);
        if (stderr_is_journal())
                fprintf(stderr, "<%d>", level);
        errno = e;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        funlockfile(stderr);

        return -e;
}
