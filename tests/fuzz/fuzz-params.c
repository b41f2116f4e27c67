/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the caller-parameter validator. Whatever it accepts has no control bytes,
 * balanced double quotes, is within the length limit, and every token starts with a name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "module-params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *reason = NULL;
        size_t offset = 0, quotes = 0;
        char *s;

        if (size > 2 * MODULE_PARAMS_MAX)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        int r = module_params_validate(s, &offset, &reason);
        size_t n = strlen(s);
        if (r == 0) {
                if (n > MODULE_PARAMS_MAX)
                        __builtin_trap();
                for (size_t i = 0; i < n; i++) {
                        unsigned char c = (unsigned char) s[i];
                        if (c < 0x20 || c == 0x7f)
                                __builtin_trap();
                        /* A token (after a space outside quotes) does not start with '='. */
                        if (quotes % 2 == 0 && (i == 0 || s[i - 1] == ' ') && c == '=')
                                __builtin_trap();
                        quotes += c == '"';
                }
                if (quotes % 2 != 0)
                        __builtin_trap();
        } else if (!reason || offset > n)
                __builtin_trap();
        free(s);
        return 0;
}
