/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "module-name.h"

/* Printable ASCII without the space; this also excludes every other whitespace. */
static bool is_graph(char c) {
        return c > ' ' && c <= '~';
}

bool module_name_is_valid(const char *name) {
        size_t n;

        if (!name || name[0] == '\0' || name[0] == '.' || name[0] == '-')
                return false;

        n = strnlen(name, MODULE_NAME_LEN);
        if (n > MODULE_NAME_MAX)
                return false;

        for (size_t i = 0; i < n; i++)
                if (!is_graph(name[i]) || name[i] == '/')
                        return false;
        return true;
}

int module_name_normalize(const char *name, char ret[static MODULE_NAME_LEN]) {
        size_t n;

        assert(ret);

        if (!module_name_is_valid(name))
                return -EINVAL;

        n = strlen(name);
        for (size_t i = 0; i <= n; i++)
                ret[i] = name[i] == '-' ? '_' : name[i];
        return 0;
}

bool module_name_equal(const char *a, const char *b) {
        assert(a);
        assert(b);

        for (; *a && *b; a++, b++) {
                char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
                if (x != y)
                        return false;
        }
        return *a == *b;
}

bool module_alias_is_valid(const char *alias) {
        size_t n;

        if (!alias || alias[0] == '\0' || alias[0] == '-')
                return false;

        n = strnlen(alias, MODULE_ALIAS_MAX + 1);
        if (n > MODULE_ALIAS_MAX)
                return false;

        for (size_t i = 0; i < n; i++)
                if (!is_graph(alias[i]))
                        return false;
        return true;
}

bool module_request_is_valid(const char *request) {
        if (!module_alias_is_valid(request))
                return false;
        if (request[0] == '/' || request[0] == '.')
                return false;

        /* No ".." between slashes (or the ends): "a/../b", "a/..", "../b" read as paths. A ".."
         * inside a part ("v1..2") is just text. */
        for (const char *p = request; p; ) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t) (slash - p) : strlen(p);

                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return false;
                p = slash ? slash + 1 : NULL;
        }
        return true;
}

char *module_request_normalize(const char *request) {
        char *s;

        assert(request);

        s = strdup(request);
        if (!s)
                return NULL;
        for (char *p = s; *p; p++)
                if (*p == '-')
                        *p = '_';
        return s;
}

int module_request_validate(const char *request, Failure *failure) {
        size_t n;

        assert(request);

        if (module_request_is_valid(request))
                return 0;
        n = strlen(request);
        if (n == 0)
                return failure_set(failure, FAILURE_INVALID_NAME, "Invalid module name: the name is empty.");
        if (n > MODULE_ALIAS_MAX)
                return failure_set(failure, FAILURE_INVALID_NAME,
                                   "Invalid module name '%.40s...': it is %zu bytes long, at most %d are allowed.",
                                   request, n, MODULE_ALIAS_MAX);
        if (module_alias_is_valid(request))
                return failure_set(failure, FAILURE_INVALID_NAME,
                                   "Invalid module name '%s': a file path is not a module name or alias "
                                   "(it may not start with '/' or '.', or contain a '..' part).", request);
        return failure_set(failure, FAILURE_INVALID_NAME,
                           "Invalid module name '%s': a name may not contain spaces or control characters, "
                           "or start with '-'.", request);
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && strcmp(s + n - m, suffix) == 0;
}

bool module_arg_is_file(const char *arg) {
        if (!arg || !arg[0])
                return false;
        return module_arg_is_file_kmod(arg) || has_prefix(arg, "../") || has_suffix(arg, ".ko") ||
               has_suffix(arg, ".ko.gz") || has_suffix(arg, ".ko.xz") || has_suffix(arg, ".ko.zst");
}

bool module_arg_is_file_kmod(const char *arg) {
        return arg && (has_prefix(arg, "/") || has_prefix(arg, "./"));
}
