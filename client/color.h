/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Colors on a terminal, as systemd decides: $SYSTEMD_COLORS (a boolean, or 16, 256, 24bit)
 * wins; otherwise $NO_COLOR turns them off; otherwise only on a terminal whose $TERM is not
 * "dumb". Decided once per stream, before a pager takes stdout over. */

#include <stdbool.h>
#include <stdio.h>

#define ANSI_RED    "\x1B[0;1;31m"
#define ANSI_GREEN  "\x1B[0;1;32m"
#define ANSI_YELLOW "\x1B[0;1;33m"
#define ANSI_GREY   "\x1B[0;38;5;245m"
#define ANSI_NORMAL "\x1B[0m"

/* Call once at start; later calls return the cached answer. */
bool colors_enabled(FILE *f);
/* The escape for f, or "" when colors are off for f. */
const char *color_on(FILE *f, const char *ansi);
const char *color_off(FILE *f);

/* A color for a module state (live, coming, going) or a verdict (allow, warn, deny); NULL for
 * none. */
const char *color_for_word(const char *word);
