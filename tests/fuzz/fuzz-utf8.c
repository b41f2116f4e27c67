/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the escapes of common/utf8.c that strings take on their way to the bus and
 * to a terminal. utf8_escape_invalid() gives valid UTF-8, and gives valid input back unchanged;
 * utf8_escape_terminal() gives valid UTF-8 without a control byte, a C1 control or a character
 * that reorders text, and gives input that has none of those back unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the valid string s holds something a terminal acts on or that reorders text. */
static bool has_unsafe(const unsigned char *s) {
        for (size_t i = 0; s[i]; i++) {
                if (s[i] < 0x20 || s[i] == 0x7f)
                        return true;
                if (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)    /* U+0080..U+009F */
                        return true;
                if (s[i] == 0xe2 && s[i + 1] == 0x80 &&
                    (s[i + 2] == 0x8e || s[i + 2] == 0x8f || (s[i + 2] >= 0xaa && s[i + 2] <= 0xae)))
                        return true;                                        /* U+200E/F, U+202A..E */
                if (s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)
                        return true;                                        /* U+2066..U+2069 */
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s, *valid, *term;

        if (size > 64 * 1024)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        valid = utf8_escape_invalid(s);
        term = utf8_escape_terminal(s);
        if (!valid || !term)
                __builtin_trap();

        if (!utf8_is_valid(valid))
                __builtin_trap();
        if (utf8_is_valid(s) != (strcmp(valid, s) == 0))
                __builtin_trap();
        /* Each invalid byte is one U+FFFD: never shorter, at most three times as long. */
        if (strlen(valid) < strlen(s) || strlen(valid) > 3 * strlen(s))
                __builtin_trap();

        if (!utf8_is_valid(term) || has_unsafe((const unsigned char *) term))
                __builtin_trap();
        if (utf8_is_valid(s) && !has_unsafe((const unsigned char *) s) && strcmp(term, s) != 0)
                __builtin_trap();
        /* Escaping twice changes nothing more: the escapes are printable ASCII. */
        char *again = utf8_escape_terminal(term);
        if (!again || strcmp(again, term) != 0)
                __builtin_trap();

        free(again);
        free(term);
        free(valid);
        free(s);
        return 0;
}
