/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string arrays, the way systemd's strv does it. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Appends a copy of value. */
int strv_extend(char ***l, const char *value);
/* Appends value itself, taking ownership only on success. */
int strv_push(char ***l, char *value);
bool strv_contains(char * const *l, const char *value);
/* A newly allocated "a, b, c". */
char *strv_join(char * const *l, const char *separator);
void strv_reverse(char **l);
/* A deep copy, never NULL but on allocation failure (NULL copies as an empty list). */
char **strv_copy(char * const *l);
/* Removes the first entry equal to value, if any. */
void strv_remove(char **l, const char *value);

/* strv_free() and strv_freep() live in macro.h, which every file includes. */
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Frees every list of an array of n lists, then the array: for a char **names[n]. */
void strv_array_free(char ***lists, size_t n);

/* A NULL-terminated literal list, e.g. STRV_MAKE("module", name). */
#define STRV_MAKE(...) ((char **) ((const char *[]) { __VA_ARGS__, NULL }))
