/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UTF-8 for what goes on the bus and what reaches a terminal. Strings from modules, files and
 * requesters (a description, a process's comm) are bytes: D-Bus requires valid UTF-8, and sd-bus
 * refuses to build a message that holds anything else, so the message (a reply, a signal) is
 * lost. And a control byte printed on root's terminal is a command to that terminal.
 *
 * "Valid" is what sd-bus checks: shortest-form sequences of at most 4 bytes, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, and none of the noncharacters
 * U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF. */

#include <stdbool.h>
#include <stddef.h>

/* The replacement character, U+FFFD. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Bytes of the valid character at s (1..4), reading at most n bytes; 0 if s does not start with
 * one (an invalid byte, a truncated sequence, or n == 0). NUL is a character of length 1. */
size_t utf8_char_length(const char *s, size_t n);

bool utf8_is_valid(const char *s);

/* A copy of s in which each byte that does not start a valid character becomes U+FFFD, as
 * systemd's utf8_escape_invalid(); valid input comes back unchanged. NULL when out of memory. */
char *utf8_escape_invalid(const char *s);

/* A copy of s that is safe to print on a terminal, in the style of systemd's cescape(): C0
 * controls, DEL and C1 controls become \a \b \t \n \v \f \r or \xNN (C1 controls as the \xNN
 * of each of their two bytes), an invalid byte becomes \xNN, and the characters that reorder text (U+200E/F, U+202A..U+202E, U+2066..U+2069) become \uNNNN. Every
 * other valid character comes back unchanged, so translations and names stay readable. The
 * result is valid UTF-8 and holds no control byte. NULL when out of memory. */
char *utf8_escape_terminal(const char *s);
