/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "module-params.h"
#include "strv.h"

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_name_char(char c) {
        return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static bool is_value_char(char c) {
        return c != '\0' && (is_alnum(c) || strchr(MODULE_PARAMS_VALUE_PUNCT, c));
}

#define REASON_NAME_EMPTY      "a parameter must start with its name (letters, digits, '_', '-' or '.')"
#define REASON_NAME_DASH       "a name may not start with '-': the parameter would become an option of the " \
                               "command a modprobe.d install line runs"
#define REASON_NAME_CHAR       "a name may hold only letters, digits, '_', '-' and '.'"
#define REASON_VALUE_CHAR      "a value may hold only letters, digits and '_', '-', '.', ',', ':', '+', '=', " \
                               "'/', '@', '%' (and spaces inside double quotes); every other byte is one a " \
                               "shell or modprobe's $CMDLINE_OPTS substitution could act on"
#define REASON_QUOTED_DASH     "inside double quotes a space may not be followed by '-': a shell splits " \
                               "$CMDLINE_OPTS at the space and the next word would become an option"
#define REASON_UNCLOSED        "its double quote is not closed"
#define REASON_AFTER_QUOTE     "a closing double quote must end the parameter"
#define REASON_TOO_LONG        "the parameters are longer than 4096 bytes"

static int bad(ModuleParamsError *e, size_t offset, const char *reason) {
        e->offset = offset;
        e->reason = reason;
        return -EINVAL;
}

/* One token at params + i (not a space); on success *ret_end is just past it. */
static int parse_token(const char *params, size_t i, ModuleParamsError *e, size_t *ret_end) {
        bool quoted = params[i] == '"', in_quote = quoted;
        size_t name;

        e->token = i;
        e->name_quoted = quoted;
        if (quoted)
                i++;
        name = i;
        while (is_name_char(params[i]))
                i++;
        e->name_len = i - name;
        if (i == name)
                return bad(e, i, REASON_NAME_EMPTY);
        if (params[name] == '-')
                return bad(e, name, REASON_NAME_DASH);

        if (params[i] == '=') {
                i++;
                if (!quoted && params[i] == '"') {
                        in_quote = true;
                        i++;
                }
                for (; params[i]; i++) {
                        char c = params[i];

                        if (in_quote && c == ' ') {
                                if (params[i + 1] == '-')
                                        return bad(e, i + 1, REASON_QUOTED_DASH);
                                continue;
                        }
                        if (in_quote && c == '"')
                                break;
                        if (!is_value_char(c)) {
                                if (c == ' ')
                                        break;
                                return bad(e, i, REASON_VALUE_CHAR);
                        }
                }
        } else if (params[i] && params[i] != ' ' && !(quoted && params[i] == '"'))
                return bad(e, i, REASON_NAME_CHAR);

        if (in_quote) {
                if (params[i] != '"')
                        return bad(e, i, REASON_UNCLOSED);
                i++;
                if (params[i] && params[i] != ' ')
                        return bad(e, i, REASON_AFTER_QUOTE);
        }
        *ret_end = i;
        return 0;
}

int module_params_validate(const char *params, ModuleParamsError *ret_error) {
        ModuleParamsError e = {};
        size_t n, i = 0;
        int r;

        if (!params)
                return 0;
        n = strnlen(params, MODULE_PARAMS_MAX + 1);
        if (n > MODULE_PARAMS_MAX) {
                e.offset = MODULE_PARAMS_MAX;
                e.reason = REASON_TOO_LONG;
                if (ret_error)
                        *ret_error = e;
                return -E2BIG;
        }

        while (i < n) {
                if (params[i] == ' ') {
                        i++;
                        continue;
                }
                r = parse_token(params, i, &e, &i);
                if (r < 0) {
                        /* The token reaches to the next space outside quotes, for the message. */
                        size_t end = e.offset;
                        while (end < n && params[end] != ' ')
                                end++;
                        e.token_len = end - e.token;
                        if (ret_error)
                                *ret_error = e;
                        return r;
                }
        }
        return 0;
}

/* s[0..n) for a message: printable ASCII as it is, anything else (and quotes, backslashes) as
 * \xNN, at most 60 bytes of input. */
static void put_escaped(FILE *f, const char *s, size_t n) {
        for (size_t i = 0; i < n && i < 60; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
                        fputc(c, f);
                else
                        fprintf(f, "\\x%02x", c);
        }
        if (n > 60)
                fputs("...", f);
}

/* What is wrong with the parameter e points at, after "parameter '". */
static void put_problem(FILE *f, const char *params, size_t n, const ModuleParamsError *e) {
        unsigned char c;

        if (e->name_len > 0)
                put_escaped(f, params + e->token + e->name_quoted, e->name_len);
        else
                put_escaped(f, params + e->token, e->token_len);
        fputs("' ", f);
        c = e->offset < n ? (unsigned char) params[e->offset] : 0;
        if (e->offset >= n)
                fputs("ends early", f);
        else if (c == ' ')
                fprintf(f, "has a space at byte %zu", e->offset);
        else if (c > 0x20 && c < 0x7f && c != '\'')
                fprintf(f, "has '%c' at byte %zu", c, e->offset);
        else
                fprintf(f, "has byte 0x%02x at byte %zu", c, e->offset);
        fprintf(f, ": %s.", e->reason ?: "it is not valid");
}

int module_params_error_message(const char *module, const char *params, const ModuleParamsError *e,
                                char **ret) {
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size, n = strnlen(params, MODULE_PARAMS_MAX + 1);

        assert(module);
        assert(params);
        assert(e);
        assert(ret);

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        fputs("Invalid parameters for module '", f);
        put_escaped(f, module, strlen(module));
        if (n > MODULE_PARAMS_MAX)
                fprintf(f, "': they are longer than %d bytes.", MODULE_PARAMS_MAX);
        else {
                fputs("': parameter '", f);
                put_problem(f, params, n, e);
        }
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int module_params_check(const char *module, const char *params, char **ret_message) {
        ModuleParamsError e = {};
        int r, k;

        assert(module);

        r = module_params_validate(params, &e);
        if (r >= 0)
                return 0;
        k = module_params_error_message(module, params, &e, ret_message);
        if (k < 0)
                return k;
        return r;
}

int module_params_split(const char *params, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t n, i = 0;
        int r;

        assert(ret);

        r = module_params_validate(params, NULL);
        if (r < 0)
                return r;
        if (!params)
                params = "";
        n = strlen(params);

        while (i < n) {
                ModuleParamsError e = {};
                _cleanup_(freep) char *t = NULL;
                size_t end, k = 0;

                if (params[i] == ' ') {
                        i++;
                        continue;
                }
                r = parse_token(params, i, &e, &end);
                if (r < 0)
                        return r; /* cannot happen: validated above */
                t = malloc(end - i + 1);
                if (!t)
                        return -ENOMEM;
                /* Valid tokens have quotes only where the kernel strips them. */
                for (size_t j = i; j < end; j++)
                        if (params[j] != '"')
                                t[k++] = params[j];
                t[k] = '\0';
                r = strv_push(&l, t);
                if (r < 0)
                        return r;
                TAKE_PTR(t);
                i = end;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

size_t module_params_name_len(const char *token) {
        assert(token);
        return strcspn(token, "=");
}
