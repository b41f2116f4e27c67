/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/first-start.h"
#include "common/macro.h"
#include "common/strv.h"
#include "settings/atomic-file.h"

/* Module names are at most 55 bytes; a few thousand of them fit. */
#define FIRST_START_MAX (1024 * 1024)

int first_start_modules(const char *path, char * const *loaded_now, char ***ret_before, bool *ret_restart) {
        _cleanup_(strv_freep) char **before = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        assert(path);
        assert(ret_before);
        assert(ret_restart);

        r = read_file_text(path, FIRST_START_MAX, &text);
        if (r >= 0) {
                char *p = text, *w;
                while ((w = strsep(&p, "\n")))
                        if (*w && strv_extend(&before, w) < 0)
                                return -ENOMEM;
                if (!before) {
                        before = calloc(1, sizeof(char *));
                        if (!before)
                                return -ENOMEM;
                }
                *ret_before = TAKE_PTR(before);
                *ret_restart = true;
                return 0;
        }
        if (r != -ENOENT)
                return r;

        /* The first start: what is loaded now was there before any modctld. */
        before = strv_copy(loaded_now ?: (char *[]) { NULL });
        if (!before)
                return -ENOMEM;
        _cleanup_free_ char *joined = strv_join(before, "\n");
        if (!joined)
                return -ENOMEM;
        _cleanup_free_ char *contents = NULL;
        if (asprintf(&contents, "%s%s", joined, *joined ? "\n" : "") < 0)
                return -ENOMEM;
        r = write_file_atomic(path, contents, 0644);
        if (r < 0)
                return r;
        *ret_before = TAKE_PTR(before);
        *ret_restart = false;
        return 0;
}
