/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/denied-list.h"
#include "common/macro.h"
#include "common/strv.h"

static const char header[] =
        "# Managed by modctld: changes made here by hand are lost.\n"
        "# The modules that modctld's policy keeps out, for udevd and kmod's tools while modctld does\n"
        "# not run (modctld.service stopped, restarting or crashed). modctld itself does not read this\n"
        "# file. A blacklisted module still loads by name (modprobe NAME, modules-load.d).\n";
#define SECTION_NAME "# Denied by name (Deny=, Allow=, modctl disable):\n"
#define SECTION_REFUSED \
        "# Refused by the policy when loaded (License=, Signature=, OutOfTree=, Staging=, Vermagic=):\n"

bool denied_name_is_valid(const char *name) {
        size_t n;

        assert(name);

        n = strlen(name);
        if (n == 0 || n > 55 || name[0] == '-')
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Valid names, as the kernel spells them, sorted, each once, and none of those in skip. */
static int normalized_set(char **names, char **skip, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        STRV_FOREACH(n, names) {
                _cleanup_free_ char *s = NULL;

                if (!denied_name_is_valid(*n))
                        return -EINVAL;
                s = strdup(*n);
                if (!s)
                        return -ENOMEM;
                for (char *c = s; *c; c++)
                        if (*c == '-')
                                *c = '_';
                if (strv_contains(l, s) || strv_contains(skip, s))
                        continue;
                r = strv_push(&l, TAKE_PTR(s));
                if (r < 0)
                        return r;
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        qsort(l, strv_length(l), sizeof(char *), compare_strings);
        *ret = TAKE_PTR(l);
        return 0;
}

static int append_section(FILE *f, const char *title, char **names) {
        fputs(title, f);
        STRV_FOREACH(n, names)
                fprintf(f, "blacklist %s\n", *n);
        return 0;
}

int denied_list_format(char **by_name, char **refused, char **ret) {
        _cleanup_(strv_freep) char **a = NULL, **b = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        assert(ret);

        r = normalized_set(by_name, NULL, &a);
        if (r < 0)
                return r;
        r = normalized_set(refused, a, &b);
        if (r < 0)
                return r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs(header, f);
        append_section(f, SECTION_NAME, a);
        append_section(f, SECTION_REFUSED, b);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int denied_list_parse_refused(const char *text, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        bool in_refused = false;
        int r;

        assert(text);
        assert(ret);

        for (const char *p = text; *p; ) {
                const char *eol = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, eol - p);

                if (!line)
                        return -ENOMEM;
                p = *eol ? eol + 1 : eol;
                if (line[0] == '#') {
                        in_refused = strncmp(line, SECTION_REFUSED, strlen(SECTION_REFUSED) - 1) == 0 &&
                                     line[strlen(SECTION_REFUSED) - 1] == '\0';
                        continue;
                }
                if (!in_refused || strncmp(line, "blacklist ", 10) != 0 ||
                    !denied_name_is_valid(line + 10) || strv_contains(l, line + 10))
                        continue;
                r = strv_extend(&l, line + 10);
                if (r < 0)
                        return r;
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

int denied_names_from_modules_dep(const char *text, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        assert(text);
        assert(ret);

        for (const char *p = text; *p; ) {
                const char *eol = strchrnul(p, '\n'), *colon, *base;
                _cleanup_free_ char *name = NULL;
                char *ko;

                colon = memchr(p, ':', eol - p);
                if (colon) {
                        base = colon;
                        while (base > p && base[-1] != '/')
                                base--;
                        name = strndup(base, colon - base);
                        if (!name)
                                return -ENOMEM;
                }
                p = *eol ? eol + 1 : eol;
                if (!name)
                        continue;
                /* NAME.ko, NAME.ko.xz, NAME.ko.zst, NAME.ko.gz */
                ko = strstr(name, ".ko");
                if (!ko || (ko[3] != '\0' && ko[3] != '.'))
                        continue;
                *ko = '\0';
                if (!denied_name_is_valid(name))
                        continue;
                for (char *c = name; *c; c++)
                        if (*c == '-')
                                *c = '_';
                r = strv_push(&l, TAKE_PTR(name));
                if (r < 0)
                        return r;
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
