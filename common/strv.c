/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "array-util.h"
#include "strv.h"

DEFINE_ARRAY_FREE_FUNC(strv_array_free, char **, strv_freep);

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c = realloc(*l, sizeof(char *) * (n + 2));

        assert(l);

        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        assert(value);

        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        int r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

bool strv_contains(char * const *l, const char *value) {
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], value) == 0)
                        return true;
        return false;
}

char *strv_join(char * const *l, const char *separator) {
        assert(separator);

        size_t n = 0, k = strlen(separator);
        for (size_t i = 0; l && l[i]; i++)
                n += strlen(l[i]) + k;

        char *s = malloc(n + 1), *p = s;
        if (!s)
                return NULL;
        *p = 0;
        for (size_t i = 0; l && l[i]; i++) {
                if (i > 0)
                        p = stpcpy(p, separator);
                p = stpcpy(p, l[i]);
        }
        return s;
}

void strv_reverse(char **l) {
        if (!l)
                return; /* the empty list */

        size_t n = strv_length(l);
        for (size_t i = 0; i < n / 2; i++) {
                char *t = l[i];
                l[i] = l[n - 1 - i];
                l[n - 1 - i] = t;
        }
}

char **strv_copy(char * const *l) {
        char **c;

        if (!l)
                return calloc(1, sizeof(char *)); /* NULL copies as the empty list */
        c = calloc(1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; l[i]; i++)
                if (strv_extend(&c, l[i]) < 0)
                        return strv_free(c);
        return c;
}

void strv_remove(char **l, const char *value) {
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], value) == 0) {
                        free(l[i]);
                        memmove(l + i, l + i + 1, (strv_length(l + i + 1) + 1) * sizeof(char *));
                        return;
                }
}
