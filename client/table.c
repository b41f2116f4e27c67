/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "color.h"
#include "i18n.h"
#include "table.h"
#include "utf8.h"

#define TABLE_SEPARATOR "  "

struct Table {
        size_t n_columns;
        TableAlign *align;
        size_t *min_width;
        char **cells;
        const char **colors;    /* parallel to cells: an ANSI escape or NULL */
        bool no_header;
        size_t n_cells;
        size_t allocated;
};

Table *table_new(size_t n_columns) {
        Table *t;

        if (n_columns == 0)
                return NULL;

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;

        t->n_columns = n_columns;
        t->align = calloc(n_columns, sizeof(TableAlign));
        t->min_width = calloc(n_columns, sizeof(size_t));
        if (!t->align || !t->min_width)
                return table_free(t);

        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;

        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->colors);
        free(t->align);
        free(t->min_width);
        free(t);
        return NULL;
}

int table_set_align(Table *t, size_t column, TableAlign align) {
        if (!t || column >= t->n_columns)
                return -EINVAL;

        t->align[column] = align;
        return 0;
}

int table_set_min_width(Table *t, size_t column, size_t width) {
        if (!t || column >= t->n_columns)
                return -EINVAL;

        t->min_width[column] = width;
        return 0;
}

/* Cells show what modules, files and requesters say: control characters are escaped here, for
 * every table, so none reaches the terminal (utf8_escape_terminal). */
static int table_take_cell(Table *t, char *s, const char *color) {
        char *e = utf8_escape_terminal(s);
        free(s);
        if (!e)
                return -ENOMEM;
        s = e;
        if (t->n_cells >= t->allocated) {
                size_t n = MAX(t->allocated * 2, t->n_columns * 8);
                char **c = reallocarray(t->cells, n, sizeof(char *));
                if (!c) {
                        free(s);
                        return -ENOMEM;
                }
                t->cells = c;
                const char **k = reallocarray(t->colors, n, sizeof(char *));
                if (!k) {
                        free(s);
                        return -ENOMEM;
                }
                t->colors = k;
                t->allocated = n;
        }

        t->colors[t->n_cells] = color;
        t->cells[t->n_cells++] = s;
        return 0;
}

int table_set_header(Table *t, bool show) {
        if (!t)
                return -EINVAL;
        t->no_header = !show;
        return 0;
}

int table_add_cell_color(Table *t, const char *s, const char *color) {
        char *copy;

        if (!t)
                return -EINVAL;

        copy = strdup(strempty(s));
        if (!copy)
                return -ENOMEM;

        return table_take_cell(t, copy, color);
}

int table_add_cell(Table *t, const char *s) {
        return table_add_cell_color(t, s, NULL);
}

int table_add_cellf(Table *t, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        if (!t)
                return -EINVAL;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        return table_take_cell(t, s, NULL);
}

size_t table_get_rows(const Table *t) {
        return t ? t->n_cells / t->n_columns : 0;
}

size_t display_width(const char *s) {
        mbstate_t state = {};
        size_t width = 0, left = strlen(s);

        i18n_init(); /* the character set */
        while (left > 0) {
                wchar_t wc;
                size_t n = mbrtowc(&wc, s, left, &state);
                int w;

                if (n == (size_t) -1 || n == (size_t) -2) {
                        /* Not valid in this locale: count the byte as one column and go on. */
                        memset(&state, 0, sizeof(state));
                        width++;
                        s++;
                        left--;
                        continue;
                }
                if (n == 0)
                        break;

                w = wcwidth(wc);
                width += w > 0 ? (size_t) w : 0;
                s += n;
                left -= n;
        }

        return width;
}

int table_print(const Table *t, FILE *f) {
        _cleanup_(freep) size_t *widths = NULL;
        size_t n_rows;

        if (!t || !f)
                return -EINVAL;

        widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;

        memcpy(widths, t->min_width, t->n_columns * sizeof(size_t));
        n_rows = table_get_rows(t);
        /* Without the header, the columns fit the data alone. */
        size_t first = t->no_header && n_rows > 0 ? t->n_columns : 0;
        for (size_t i = first; i < n_rows * t->n_columns; i++)
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], display_width(t->cells[i]));

        for (size_t row = first / t->n_columns; row < n_rows; row++)
                for (size_t col = 0; col < t->n_columns; col++) {
                        const char *cell = t->cells[row * t->n_columns + col];
                        const char *on = color_on(f, t->colors[row * t->n_columns + col]);
                        const char *off = *on ? color_off(f) : "";
                        size_t pad = widths[col] - display_width(cell);
                        bool last = col + 1 == t->n_columns;

                        if (t->align[col] == TABLE_ALIGN_RIGHT)
                                fprintf(f, "%*s%s%s%s", (int) pad, "", on, cell, off);
                        else if (last)
                                fprintf(f, "%s%s%s", on, cell, off);
                        else
                                fprintf(f, "%s%s%s%*s", on, cell, off, (int) pad, "");

                        fputs(last ? "\n" : TABLE_SEPARATOR, f);
                }

        return ferror(f) ? -EIO : 0;
}
