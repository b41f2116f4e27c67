/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static bool is_continuation(unsigned char c) {
        return (c & 0xc0) == 0x80;
}

static bool codepoint_is_valid(uint32_t c) {
        if (c > 0x10ffff)
                return false;
        if (c >= 0xd800 && c <= 0xdfff)         /* UTF-16 surrogates */
                return false;
        if (c >= 0xfdd0 && c <= 0xfdef)         /* noncharacters */
                return false;
        if ((c & 0xfffe) == 0xfffe)             /* U+xxFFFE, U+xxFFFF */
                return false;
        return true;
}

/* Decodes the character at s; its length, or 0 when it is not valid. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *ret) {
        size_t len;
        uint32_t c, min;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2, c = s[0] & 0x1f, min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3, c = s[0] & 0x0f, min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4, c = s[0] & 0x07, min = 0x10000;
        } else
                return 0;               /* a continuation byte, or 0xf8..0xff */
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if (!is_continuation(s[i]))
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min || !codepoint_is_valid(c)) /* overlong, or not a character */
                return 0;
        *ret = c;
        return len;
}

size_t utf8_char_length(const char *s, size_t n) {
        uint32_t c;

        assert(s || n == 0);
        return decode((const unsigned char *) s, n, &c);
}

/* One pass, without a strlen() first: a Search reply checks a few megabytes of catalog text, and
 * nearly all of it is ASCII. A multi-byte sequence is read at most up to its terminating NUL. */
bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        uint32_t c;

        assert(s);

        while (*p) {
                size_t k;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                k = decode(p, strnlen((const char *) p, 4), &c);
                if (k == 0)
                        return false;
                p += k;
        }
        return true;
}

char *utf8_escape_invalid(const char *s) {
        size_t n;
        char *buf, *p;

        assert(s);

        /* At worst each byte becomes the three bytes of U+FFFD. */
        n = strlen(s);
        buf = malloc(n * 3 + 1);
        if (!buf)
                return NULL;
        p = buf;
        for (size_t i = 0; i < n; ) {
                size_t k = utf8_char_length(s + i, n - i);
                if (k == 0) {
                        memcpy(p, UTF8_REPLACEMENT, 3);
                        p += 3;
                        i++;
                } else {
                        memcpy(p, s + i, k);
                        p += k;
                        i += k;
                }
        }
        *p = '\0';
        return buf;
}

static bool reorders_text(uint32_t c) {
        return c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

static char *escape_byte(char *p, unsigned char b) {
        static const char hex[] = "0123456789abcdef";

        *p++ = '\\';
        *p++ = 'x';
        *p++ = hex[b >> 4];
        *p++ = hex[b & 0xf];
        return p;
}

char *utf8_escape_terminal(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n;
        char *buf, *p;

        assert(s);

        /* At worst a byte becomes "\xNN" (4 bytes); a 3-byte character becomes "\uNNNN" (6). */
        n = strlen(s);
        buf = malloc(n * 4 + 1);
        if (!buf)
                return NULL;
        p = buf;
        for (size_t i = 0; i < n; ) {
                uint32_t c;
                size_t k = decode(u + i, n - i, &c);

                if (k == 0) {
                        p = escape_byte(p, u[i]);
                        i++;
                        continue;
                }
                if (c < ' ' || c == 0x7f) {
                        static const char names[] = "\a\b\t\n\v\f\r";
                        static const char letters[] = "abtnvfr";
                        const char *x = c ? strchr(names, (int) c) : NULL;
                        if (x) {
                                *p++ = '\\';
                                *p++ = letters[x - names];
                        } else
                                p = escape_byte(p, (unsigned char) c);
                } else if (c >= 0x80 && c <= 0x9f) {
                        p = escape_byte(p, u[i]);
                        p = escape_byte(p, u[i + 1]);
                } else if (reorders_text(c))
                        p += sprintf(p, "\\u%04x", (unsigned) c);
                else {
                        memcpy(p, s + i, k);
                        p += k;
                }
                i += k;
        }
        *p = '\0';
        return buf;
}
