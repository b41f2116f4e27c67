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

bool module_request_is_valid(const char *request) {
        size_t n;

        if (!request || request[0] == '\0' || request[0] == '-')
                return false;

        n = strnlen(request, MODULE_REQUEST_MAX + 1);
        if (n > MODULE_REQUEST_MAX)
                return false;

        for (size_t i = 0; i < n; i++)
                if (!is_graph(request[i]) || request[i] == '/')
                        return false;

        return !strstr(request, "..");
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
