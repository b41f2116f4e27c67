/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* gettext markers for the CLI. GETTEXT_PACKAGE comes from the build, LOCALEDIR from config.h. */

#include <libintl.h>

#define _(s) gettext(s)
/* Marks a string for extraction where it must stay untranslated until it is used. */
#define N_(s) (s)
