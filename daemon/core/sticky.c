/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/module-name.h"
#include "core/resolver.h"
#include "core/sticky.h"
#include "common/strv.h"

struct Sticky {
        char *path;
        char **names;   /* normalized module names */
};

Sticky *sticky_free(Sticky *s) {
        if (!s)
                return NULL;
        free(s->path);
        strv_free(s->names);
        free(s);
        return NULL;
}

static int sticky_read(Sticky *s) {
        _cleanup_(fclosep) FILE *f = fopen(s->path, "re");
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        ssize_t l;

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while ((l = getline(&line, &n, f)) >= 0) {
                if (l > 0 && line[l - 1] == '\n')
                        line[--l] = '\0';
                if (l == 0 || !module_name_is_valid(line) || strv_contains(s->names, line))
                        continue;
                if (strv_extend(&s->names, line) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Written to a temporary file and renamed, so a crash never leaves half a list. */
static int sticky_write(Sticky *s) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        FILE *f;

        if (!s->path)
                return 0;
        if (strv_length(s->names) == 0)
                return unlink(s->path) < 0 && errno != ENOENT ? -errno : 0;

        dir = strdup(s->path);
        if (!dir)
                return -ENOMEM;
        /* mkdir -p of the parent: under a test root /run may not exist yet. */
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                for (char *p = strchr(dir + 1, '/'); ; p = strchr(p + 1, '/')) {
                        if (p)
                                *p = '\0';
                        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        if (!p)
                                break;
                        *p = '/';
                }
        }
        if (asprintf(&tmp, "%s.tmp", s->path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        STRV_FOREACH(n, s->names)
                fprintf(f, "%s\n", *n);
        if (fflush(f) != 0 || ferror(f)) {
                int r = -errno;
                fclose(f);
                (void) unlink(tmp);
                return r ?: -EIO;
        }
        fclose(f);
        return rename(tmp, s->path) < 0 ? -errno : 0;
}

int sticky_new(const char *path, Sticky **ret) {
        _cleanup_(sticky_freep) Sticky *s = calloc(1, sizeof(Sticky));
        int r;

        assert(ret);

        if (!s)
                return -ENOMEM;
        if (path) {
                s->path = strdup(path);
                if (!s->path)
                        return -ENOMEM;
                r = sticky_read(s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

bool sticky_contains(Sticky *s, const char *name) {
        _cleanup_free_ char *n = module_request_normalize(name);

        assert(s);

        return n && strv_contains(s->names, n);
}

int sticky_unloaded(Sticky *s, const char *name) {
        _cleanup_free_ char *n = module_request_normalize(name);
        int r;

        assert(s);

        if (!n)
                return -ENOMEM;
        if (strv_contains(s->names, n))
                return 0;
        r = strv_push(&s->names, TAKE_PTR(n));
        if (r < 0)
                return r;
        return sticky_write(s);
}

int sticky_loaded(Sticky *s, const char *name) {
        _cleanup_free_ char *n = module_request_normalize(name);
        size_t k = 0;
        bool found = false;

        assert(s);

        if (!n)
                return -ENOMEM;
        STRV_FOREACH(i, s->names) {
                if (strcmp(*i, n) == 0) {
                        free(*i);
                        found = true;
                } else
                        s->names[k++] = *i;
        }
        if (!found)
                return 0;
        s->names[k] = NULL;
        return sticky_write(s);
}

bool sticky_allows(Sticky *s, const char *name, DeviceTrigger trigger) {
        assert(s);

        if (!sticky_contains(s, name))
                return true;
        if (trigger == DEVICE_TRIGGER_COLDPLUG)
                return false;
        (void) sticky_loaded(s, name);
        return true;
}
