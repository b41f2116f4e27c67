/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A text table whose columns are aligned by display width, so translated (CJK) headers line
 * up. The first row added is the header. Printed through libsmartcols when it is there (its
 * width handling on a terminal, --raw), else by the same rules here. */

#include <stdbool.h>
#include <stdio.h>

#include "macro.h"

typedef enum TableAlign {
        TABLE_ALIGN_LEFT,
        TABLE_ALIGN_RIGHT,
} TableAlign;

typedef struct Table Table;

Table *table_new(size_t n_columns);
/* A table whose columns have names, for -o/--output: ids is NULL-terminated, one stable
 * lower-case word per column, and must outlive the table. */
Table *table_new_named(const char *const *ids);
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
/* -o/--output: "a,b" prints those columns in that order, "+a,b" the whole table and then those
 * again. -EINVAL for a name the table lacks (see columns_check()). */
int table_select_columns(Table *t, const char *spec);
/* --raw: one space between cells, no padding, blanks inside a cell escaped as \x20. */
int table_set_raw(Table *t, bool raw);
/* Prints every complete row; the last column is never padded. */
int table_print(const Table *t, FILE *f);

/* 0 when every name in SPEC (as table_select_columns() takes it) is one of ids; else -EINVAL
 * and *ret_unknown, a copy of the first unknown name. */
int columns_check(const char *const *ids, const char *spec, char **ret_unknown);

/* Terminal columns taken by a UTF-8 (or current locale) string. */
size_t display_width(const char *s);
