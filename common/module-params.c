/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "module-params.h"

static bool is_key_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int bad(size_t offset, const char *reason, size_t *ret_offset, const char **ret_reason) {
        if (ret_offset)
                *ret_offset = offset;
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

int module_params_validate(const char *params, size_t *ret_offset, const char **ret_reason) {
        size_t n, i = 0;

        if (!params)
                return 0;
        n = strlen(params);
        if (n > MODULE_PARAMS_MAX) {
                if (ret_offset)
                        *ret_offset = MODULE_PARAMS_MAX;
                if (ret_reason)
                        *ret_reason = "the parameters are longer than 4096 bytes";
                return -E2BIG;
        }

        for (size_t k = 0; k < n; k++) {
                unsigned char c = (unsigned char) params[k];
                if (c < 0x20 || c == 0x7f)
                        return bad(k, "control characters (tabs, newlines, escapes) are not allowed", ret_offset,
                                   ret_reason);
        }

        while (i < n) {
                bool in_quote = false;
                size_t key_start;

                if (params[i] == ' ') {
                        i++;
                        continue;
                }

                /* One token. */
                if (params[i] == '"') {
                        in_quote = true;
                        i++;
                }
                key_start = i;
                while (i < n && is_key_char(params[i]))
                        i++;
                if (i == key_start)
                        return bad(i, "a parameter must start with its name (letters, digits, '_' or '-')",
                                   ret_offset, ret_reason);
                if (i < n && params[i] != '=' && params[i] != ' ' && !(in_quote && params[i] == '"'))
                        return bad(i, "a parameter name may only contain letters, digits, '_' and '-'", ret_offset,
                                   ret_reason);
                if (i < n && params[i] == '"') {
                        /* "key" */
                        in_quote = false;
                        i++;
                        if (i < n && params[i] != ' ')
                                return bad(i, "text after a closing quote must be separated by a space",
                                           ret_offset, ret_reason);
                        continue;
                }
                if (i < n && params[i] == '=') {
                        i++;
                        while (i < n && (in_quote || params[i] != ' ')) {
                                if (params[i] == '"')
                                        in_quote = !in_quote;
                                i++;
                        }
                }
                if (in_quote)
                        return bad(n, "a double quote is not closed", ret_offset, ret_reason);
        }
        return 0;
}
