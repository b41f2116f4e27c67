/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "macro.h"
#include "utf8.h"

Test(utf8, valid_and_invalid) {
        cr_assert(utf8_is_valid(""));
        cr_assert(utf8_is_valid("snd_hda_intel"));
        cr_assert(utf8_is_valid("caf\xc3\xa9"));                 /* é */
        cr_assert(utf8_is_valid("\xe6\xa8\xa1\xe5\x9d\x97"));     /* 模块 */
        cr_assert(utf8_is_valid("\xf0\x9f\x98\x80"));             /* U+1F600 */
        cr_assert(utf8_is_valid("\x1b[31m"));                     /* controls are valid UTF-8 */

        cr_assert_not(utf8_is_valid("caf\xe9"));                  /* Latin-1 */
        cr_assert_not(utf8_is_valid("\xc3"));                     /* truncated */
        cr_assert_not(utf8_is_valid("\xe6\xa8"));
        cr_assert_not(utf8_is_valid("\x80"));                     /* a lone continuation byte */
        cr_assert_not(utf8_is_valid("\xc0\xaf"));                 /* overlong '/' */
        cr_assert_not(utf8_is_valid("\xe0\x80\xaf"));
        cr_assert_not(utf8_is_valid("\xed\xa0\x80"));             /* surrogate U+D800 */
        cr_assert_not(utf8_is_valid("\xf4\x90\x80\x80"));         /* above U+10FFFF */
        cr_assert_not(utf8_is_valid("\xef\xbf\xbe"));             /* U+FFFE, refused by sd-bus */
        cr_assert_not(utf8_is_valid("\xef\xb7\x90"));             /* U+FDD0 */
        cr_assert_not(utf8_is_valid("\xf8\x88\x80\x80\x80"));     /* 5-byte form */
        cr_assert_not(utf8_is_valid("\xff"));
        /* A sequence cut short by the end of the string, after ASCII: read up to the NUL only. */
        cr_assert_not(utf8_is_valid("ok\xf0\x9f\x98"));
        cr_assert_not(utf8_is_valid("ok\xe6"));
        cr_assert(utf8_is_valid("ok\xf0\x9f\x98\x80ok"));
}

Test(utf8, char_length) {
        cr_assert_eq(utf8_char_length("a", 1), 1);
        cr_assert_eq(utf8_char_length("\xc3\xa9", 2), 2);
        cr_assert_eq(utf8_char_length("\xc3\xa9", 1), 0);         /* n cuts it */
        cr_assert_eq(utf8_char_length("\xf0\x9f\x98\x80", 4), 4);
        cr_assert_eq(utf8_char_length("", 0), 0);
}

static void check_invalid(const char *in, const char *expected) {
        _cleanup_free_ char *out = utf8_escape_invalid(in);

        cr_assert_not_null(out);
        cr_assert_str_eq(out, expected);
        cr_assert(utf8_is_valid(out));
}

Test(utf8, escape_invalid_replaces_each_byte) {
        check_invalid("", "");
        check_invalid("caf\xc3\xa9", "caf\xc3\xa9");                   /* valid: unchanged */
        check_invalid("caf\xe9", "caf" UTF8_REPLACEMENT);
        check_invalid("\xff\xfe", UTF8_REPLACEMENT UTF8_REPLACEMENT);
        check_invalid("a\xe6\xa8z", "a" UTF8_REPLACEMENT UTF8_REPLACEMENT "z"); /* truncated: per byte */
        check_invalid("\xc0\xaf", UTF8_REPLACEMENT UTF8_REPLACEMENT);
        check_invalid("\xed\xa0\x80", UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT);
        check_invalid("\x1b[31m", "\x1b[31m");                         /* that is the terminal's part */
}

static void check_terminal(const char *in, const char *expected) {
        _cleanup_free_ char *out = utf8_escape_terminal(in);

        cr_assert_not_null(out);
        cr_assert_str_eq(out, expected, "%s", out);
        cr_assert(utf8_is_valid(out));
        for (const unsigned char *p = (const unsigned char *) out; *p; p++)
                cr_assert(*p >= ' ' && *p != 0x7f);
}

Test(utf8, escape_terminal) {
        check_terminal("", "");
        check_terminal("snd_hda_intel", "snd_hda_intel");
        check_terminal("caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9d\x97", "caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9d\x97");
        check_terminal("a\\b", "a\\b");
        check_terminal("\x1b]0;pwned\x07", "\\x1b]0;pwned\\a");
        check_terminal("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
        check_terminal("\t\n\r\b\f\v\x01\x7f", "\\t\\n\\r\\b\\f\\v\\x01\\x7f");
        check_terminal("\x9b" "2J", "\\x9b2J");                        /* an 8-bit CSI: an invalid byte */
        check_terminal("\xc2\x9b" "2J", "\\xc2\\x9b2J");               /* U+009B, CSI as a character */
        check_terminal("caf\xe9", "caf\\xe9");
        check_terminal("abc\xe2\x80\xae" "fdp.exe", "abc\\u202efdp.exe"); /* right-to-left override */
        check_terminal("\xe2\x81\xa6x", "\\u2066x");
}
