/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "color.h"
#include "i18n.h"
#include "smartcols-dl.h"
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
        bool raw;
        const char *const *ids;  /* column names for -o, or NULL */
        size_t *shown;          /* the columns to print, in order */
        size_t n_shown;
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
        t->shown = calloc(n_columns, sizeof(size_t));
        if (!t->align || !t->min_width || !t->shown)
                return table_free(t);
        for (size_t i = 0; i < n_columns; i++)
                t->shown[i] = i;
        t->n_shown = n_columns;

        return t;
}

Table *table_new_named(const char *const *ids) {
        size_t n = 0;
        Table *t;

        while (ids && ids[n])
                n++;
        t = table_new(n);
        if (t)
                t->ids = ids;
        return t;
}

static ssize_t column_index(const char *const *ids, const char *name, size_t len) {
        for (size_t i = 0; ids && ids[i]; i++)
                if (strlen(ids[i]) == len && strncasecmp(ids[i], name, len) == 0)
                        return (ssize_t) i;
        return -1;
}

/* Calls f for each name of SPEC, in order, after a leading '+' (which *ret_plus reports). */
static int columns_foreach(const char *spec, bool *ret_plus, int (*f)(const char *name, size_t len, void *userdata),
                           void *userdata) {
        bool plus = spec[0] == '+';
        const char *p = spec + plus;

        if (!*p)
                return -EINVAL;
        for (;;) {
                size_t len = strcspn(p, ",");
                int r;

                if (len == 0)
                        return -EINVAL;
                r = f(p, len, userdata);
                if (r < 0)
                        return r;
                if (!p[len])
                        break;
                p += len + 1;
        }
        if (ret_plus)
                *ret_plus = plus;
        return 0;
}

typedef struct ColumnsCheck {
        const char *const *ids;
        const char *unknown;
        size_t unknown_len;
} ColumnsCheck;

static int check_one(const char *name, size_t len, void *userdata) {
        ColumnsCheck *c = userdata;

        if (column_index(c->ids, name, len) >= 0)
                return 0;
        c->unknown = name;
        c->unknown_len = len;
        return -EINVAL;
}

int columns_check(const char *const *ids, const char *spec, char **ret_unknown) {
        ColumnsCheck c = { .ids = ids };
        int r;

        if (!spec || !ret_unknown)
                return -EINVAL;
        r = columns_foreach(spec, NULL, check_one, &c);
        if (r >= 0)
                return 0;
        /* An empty name ("a,,b", "+") is reported as such. */
        *ret_unknown = strndup(c.unknown ?: "", c.unknown_len);
        return *ret_unknown ? -EINVAL : -ENOMEM;
}

typedef struct ColumnsPick {
        const char *const *ids;
        size_t *shown;
        size_t n_shown;
        size_t allocated;
} ColumnsPick;

static int pick_one(const char *name, size_t len, void *userdata) {
        ColumnsPick *p = userdata;
        ssize_t i = column_index(p->ids, name, len);

        if (i < 0)
                return -EINVAL;
        if (p->n_shown >= p->allocated) {
                size_t n = MAX(p->allocated * 2, (size_t) 8);
                size_t *s = reallocarray(p->shown, n, sizeof(size_t));
                if (!s)
                        return -ENOMEM;
                p->shown = s;
                p->allocated = n;
        }
        p->shown[p->n_shown++] = (size_t) i;
        return 0;
}

int table_select_columns(Table *t, const char *spec) {
        ColumnsPick p = {};
        bool plus;
        int r;

        if (!t || !t->ids || !spec)
                return -EINVAL;

        r = columns_foreach(spec, &plus, check_one, &(ColumnsCheck) { .ids = t->ids });
        if (r < 0)
                return r;
        /* Checked: now collect, after the whole table when the spec adds to it. */
        p.ids = t->ids;
        if (plus)
                for (size_t i = 0; i < t->n_columns; i++) {
                        r = pick_one(t->ids[i], strlen(t->ids[i]), &p);
                        if (r < 0) {
                                free(p.shown);
                                return r;
                        }
                }
        r = columns_foreach(spec, NULL, pick_one, &p);
        if (r < 0) {
                free(p.shown);
                return r;
        }

        free(t->shown);
        t->shown = p.shown;
        t->n_shown = p.n_shown;
        return 0;
}

int table_set_raw(Table *t, bool raw) {
        if (!t)
                return -EINVAL;
        t->raw = raw;
        return 0;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;

        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->colors);
        free(t->shown);
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

/* A cell under --raw, as util-linux prints it: blanks and backslashes as \xHH, so that a cell
 * stays one word for `read` and awk. */
static void fputs_raw(const char *s, FILE *f) {
        for (; *s; s++)
                if (*s == ' ' || *s == '\t' || *s == '\\')
                        fprintf(f, "\\x%02x", (unsigned char) *s);
                else
                        fputc(*s, f);
}

static int table_print_builtin(const Table *t, FILE *f) {
        _cleanup_(freep) size_t *widths = NULL;
        size_t n_rows = table_get_rows(t);
        /* Without the header, the columns fit the data alone. */
        size_t first_row = t->no_header && n_rows > 0 ? 1 : 0;

        widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;

        memcpy(widths, t->min_width, t->n_columns * sizeof(size_t));
        for (size_t i = first_row * t->n_columns; i < n_rows * t->n_columns; i++)
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], display_width(t->cells[i]));

        for (size_t row = first_row; row < n_rows; row++)
                for (size_t k = 0; k < t->n_shown; k++) {
                        size_t col = t->shown[k];
                        const char *cell = t->cells[row * t->n_columns + col];
                        const char *on = color_on(f, t->colors[row * t->n_columns + col]);
                        const char *off = *on ? color_off(f) : "";
                        size_t pad = widths[col] - display_width(cell);
                        bool last = k + 1 == t->n_shown;

                        if (t->raw) {
                                fputs_raw(cell, f);
                                fputc(last ? '\n' : ' ', f);
                                continue;
                        }
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

static int table_fill_smartcols(const Table *t, const SmartcolsDl *dl, struct libscols_table *tb, FILE *f) {
        size_t n_rows = table_get_rows(t);
        bool colors = colors_enabled(f);

        if (dl->scols_table_set_stream(tb, f) < 0 || dl->scols_table_enable_raw(tb, t->raw) < 0 ||
            dl->scols_table_enable_noheadings(tb, t->no_header) < 0 ||
            dl->scols_table_enable_colors(tb, colors) < 0)
                return -ENOMEM;
        if (!t->raw && dl->scols_table_set_column_separator(tb, TABLE_SEPARATOR) < 0)
                return -ENOMEM;

        for (size_t k = 0; k < t->n_shown; k++) {
                size_t col = t->shown[k];
                int flags = t->align[col] == TABLE_ALIGN_RIGHT ? SCOLS_FL_RIGHT : 0;

                struct libscols_column *cl = dl->scols_table_new_column(tb, t->cells[col],
                                                                        (double) t->min_width[col], flags);
                if (!cl)
                        return -ENOMEM;
                /* Cells are escaped already (table_take_cell): their backslashes stay as they
                 * are, but for --raw, which escapes them too. */
                if (!t->raw && dl->scols_column_set_safechars(cl, "\\") < 0)
                        return -ENOMEM;
        }

        for (size_t row = 1; row < n_rows; row++) {
                struct libscols_line *ln = dl->scols_table_new_line(tb, NULL);

                if (!ln)
                        return -ENOMEM;
                for (size_t k = 0; k < t->n_shown; k++) {
                        size_t i = row * t->n_columns + t->shown[k];

                        if (dl->scols_line_set_data(ln, k, t->cells[i]) < 0)
                                return -ENOMEM;
                        if (colors && t->colors[i] &&
                            dl->scols_cell_set_color(dl->scols_line_get_cell(ln, k), t->colors[i]) < 0)
                                return -ENOMEM;
                }
        }

        if (dl->scols_print_table(tb) < 0)
                return -EIO;
        return ferror(f) ? -EIO : 0;
}

int table_print(const Table *t, FILE *f) {
        const SmartcolsDl *dl;
        struct libscols_table *tb;
        int r;

        if (!t || !f)
                return -EINVAL;
        if (table_get_rows(t) == 0)
                return 0;

        /* The locale decides what libsmartcols counts as printable and how wide it is. */
        i18n_init();
        /* libsmartcols prints nothing for a table without lines; the header alone still says
         * that the list is empty. */
        dl = table_get_rows(t) > 1 ? smartcols_dl() : NULL;
        if (!dl)
                return table_print_builtin(t, f);

        tb = dl->scols_new_table();
        if (!tb)
                return -ENOMEM;
        r = table_fill_smartcols(t, dl, tb, f);
        dl->scols_unref_table(tb);
        return r;
}
