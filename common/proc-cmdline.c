/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "proc-cmdline.h"

int proc_cmdline_read(char **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;

        assert(ret);

        f = fopen("/proc/cmdline", "re");
        if (!f)
                return -errno;
        if (getline(&line, &n, f) < 0)
                return feof(f) ? -ENODATA : -errno;

        *ret = TAKE_PTR(line);
        return 0;
}
