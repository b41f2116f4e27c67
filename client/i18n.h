/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* gettext markers for the CLI. GETTEXT_PACKAGE comes from the build, LOCALEDIR from config.h.
 *
 * The locale is set on first use, by the first translated string, strerror text or display
 * width asked for (i18n_init()): a command that prints nothing in the user's language, like
 * load --dry-run, reads none of the locale's files, as kmod's tools read none. */

#include <libintl.h>

/* setlocale() for LC_CTYPE and LC_MESSAGES, once: the messages and the character set, nothing
 * more (numbers and times stay in the C locale: SVG and JSON need '.'). */
void i18n_init(void);
char *i18n_gettext(const char *s) __attribute__((format_arg(1)));
/* strerror() in the user's language (the C library's catalog needs the locale too). */
const char *i18n_strerror(int error);

#define _(s) i18n_gettext(s)
/* Marks a string for extraction where it must stay untranslated until it is used. */
#define N_(s) (s)
