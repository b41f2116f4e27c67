/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libsmartcols, opened with dlopen() the first time a table is printed, as kmod-dl.h does for
 * libkmod: most starts of modctl (load, unload, modprobe) print no table, and a linked library
 * would be mapped and relocated on every one of them. */

#include <libsmartcols.h>

#define SMARTCOLS_DL_SYMBOLS(X)                 \
        X(scols_new_table)                      \
        X(scols_unref_table)                    \
        X(scols_table_set_stream)               \
        X(scols_table_enable_raw)               \
        X(scols_table_enable_noheadings)        \
        X(scols_table_enable_colors)            \
        X(scols_table_set_column_separator)     \
        X(scols_table_new_column)               \
        X(scols_column_set_safechars)           \
        X(scols_table_new_line)                 \
        X(scols_line_set_data)                  \
        X(scols_line_get_cell)                  \
        X(scols_cell_set_color)                 \
        X(scols_print_table)

typedef struct SmartcolsDl {
#define SMARTCOLS_DL_FIELD(s) typeof(s) *s;
        SMARTCOLS_DL_SYMBOLS(SMARTCOLS_DL_FIELD)
#undef SMARTCOLS_DL_FIELD
} SmartcolsDl;

/* The table, or NULL (silently: the caller prints the table itself) when libsmartcols.so.1 or
 * one of its symbols is missing. */
const SmartcolsDl *smartcols_dl(void);
