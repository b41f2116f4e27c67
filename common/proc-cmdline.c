/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "proc-cmdline.h"
#include "strv.h"

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

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The kernel's next_arg() (lib/cmdline.c): a word runs to the next blank outside double quotes;
 * a quote around the whole word or around the value after '=' is dropped. Returns 1 with a new
 * word, 0 at the end. */
static int next_arg(const char **p, char **ret) {
        const char *s = *p, *start;
        bool quoted = false;
        size_t len;
        char *w;

        while (is_blank(*s))
                s++;
        if (!*s)
                return 0;

        start = s;
        for (; *s && (quoted || !is_blank(*s)); s++)
                if (*s == '"')
                        quoted = !quoted;
        len = (size_t) (s - start);
        *p = s;

        w = malloc(len + 1);
        if (!w)
                return -ENOMEM;
        /* Every quote goes: the kernel drops the leading one and the one that closes the value,
         * and a quote can appear nowhere else in a value it accepts. */
        char *o = w;
        for (size_t i = 0; i < len; i++)
                if (start[i] != '"')
                        *o++ = start[i];
        *o = '\0';
        *ret = w;
        return 1;
}

/* parameq() of the kernel: '-' and '_' are the same in a parameter's name. */
static const char *param_value(const char *word, const char *param) {
        size_t i;

        for (i = 0; param[i]; i++) {
                char a = word[i] == '-' ? '_' : word[i], b = param[i] == '-' ? '_' : param[i];
                if (a != b)
                        return NULL;
        }
        return word[i] == '=' ? word + i + 1 : NULL;
}

static int add_entries(char ***l, const char *value, bool normalize) {
        _cleanup_free_ char *copy = strdup(value);
        char *q = copy, *item;
        int r;

        if (!copy)
                return -ENOMEM;
        while ((item = strsep(&q, ","))) {
                if (!*item)
                        continue;
                if (normalize)
                        for (char *c = item; *c; c++)
                                if (*c == '-')
                                        *c = '_';
                if (strv_contains(*l, item))
                        continue;
                r = strv_extend(l, item);
                if (r < 0)
                        return r;
        }
        return 0;
}

int proc_cmdline_parse_blacklists(const char *cmdline, char ***ret_kernel, char ***ret_modprobe) {
        _cleanup_strv_free_ char **kernel = NULL, **modprobe = NULL;
        const char *p = cmdline, *last_kernel = NULL;
        _cleanup_free_ char *last_kernel_word = NULL;
        int r;

        assert(cmdline);

        for (;;) {
                _cleanup_free_ char *w = NULL;
                const char *v;

                r = next_arg(&p, &w);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (streq(w, "--"))
                        break; /* the rest is init's */
                if ((v = param_value(w, "module_blacklist"))) {
                        free(last_kernel_word);
                        last_kernel = v;
                        last_kernel_word = TAKE_PTR(w);
                } else if (strncmp(w, "modprobe.blacklist=", 19) == 0) {
                        r = add_entries(&modprobe, w + 19, true);
                        if (r < 0)
                                return r;
                }
        }
        if (last_kernel) {
                r = add_entries(&kernel, last_kernel, false);
                if (r < 0)
                        return r;
        }

        if (ret_kernel)
                *ret_kernel = TAKE_PTR(kernel);
        if (ret_modprobe)
                *ret_modprobe = TAKE_PTR(modprobe);
        return 0;
}
