/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A text table whose columns are aligned by display width, so translated (CJK) headers line
 * up. The first row added is the header. */

#include <stdbool.h>
#include <stdio.h>

#include "macro.h"

typedef enum TableAlign {
        TABLE_ALIGN_LEFT,
        TABLE_ALIGN_RIGHT,
} TableAlign;

typedef struct Table Table;

Table *table_new(size_t n_columns);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

int table_set_align(Table *t, size_t column, TableAlign align);
int table_set_min_width(Table *t, size_t column, size_t width);
/* Cells fill rows left to right; the string is copied. */
int table_add_cell(Table *t, const char *s);
/* With an ANSI color, used only when colors are on for the stream printed to. */
int table_add_cell_color(Table *t, const char *s, const char *color);
/* show=false: the first row (the header) is not printed (--no-legend). */
int table_set_header(Table *t, bool show);
int table_add_cellf(Table *t, const char *fmt, ...) _printf_(2, 3);
size_t table_get_rows(const Table *t);
/* Prints every complete row; the last column is never padded. */
int table_print(const Table *t, FILE *f);

/* Terminal columns taken by a UTF-8 (or current locale) string. */
size_t display_width(const char *s);
