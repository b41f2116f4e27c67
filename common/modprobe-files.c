/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "modprobe-files.h"
#include "strv.h"

static int compare_basenames(const void *a, const void *b) {
        const char *x = *(char *const *) a, *y = *(char *const *) b;
        const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
        return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

static bool is_masked(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 || S_ISCHR(st.st_mode) || !S_ISREG(st.st_mode);
}

int modprobe_config_files(char * const *paths, const char *exclude, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL, **files = NULL;
        int r;

        assert(ret);

        for (char * const *path = paths; path && *path; path++) {
                struct stat st;
                _cleanup_(closedirp) DIR *d = NULL;

                if (stat(*path, &st) < 0)
                        continue;
                if (S_ISREG(st.st_mode)) {
                        if (exclude && streq(*path, exclude))
                                continue;
                        r = strv_extend(&files, *path);
                        if (r < 0)
                                return r;
                        continue;
                }
                d = opendir(*path);
                if (!d)
                        continue;
                for (struct dirent *de; (de = readdir(d)); ) {
                        size_t l = strlen(de->d_name);
                        _cleanup_free_ char *p = NULL;

                        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0 ||
                            strv_contains(names, de->d_name))
                                continue;
                        r = asprintf(&p, "%s/%s", *path, de->d_name) < 0 ? -ENOMEM : 0;
                        /* The excluded file hides nothing: it is not there for us. */
                        if (r >= 0 && exclude && streq(p, exclude))
                                continue;
                        if (r >= 0)
                                r = strv_extend(&names, de->d_name);
                        if (r >= 0 && !is_masked(p))
                                r = strv_push(&files, TAKE_PTR(p));
                        if (r < 0)
                                return r;
                }
        }
        if (!files && !(files = calloc(1, sizeof(char *))))
                return -ENOMEM;
        qsort(files, strv_length(files), sizeof(char *), compare_basenames);
        *ret = TAKE_PTR(files);
        return 0;
}
