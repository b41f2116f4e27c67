/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the one parameter grammar (common/module-params.h). For every string it
 * accepts:
 *   - within the length limit, only the grammar's bytes (no shell metacharacter, no control
 *     byte, nothing above 0x7f), balanced double quotes;
 *   - as a shell splits $CMDLINE_OPTS expanded unquoted (at spaces, quotes literal): no word
 *     starts with '-', and no word holds a glob byte;
 *   - as a shell parses it spliced into a line (kmod's substitution: quotes group and are
 *     removed), as the kernel's next_arg() reads it, and as module_params_split() returns it:
 *     the same tokens, none starting with '-';
 * and every refusal names a reason and an offset inside the string. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "module-params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TOKENS (MODULE_PARAMS_MAX / 2 + 2)

/* kernel/params.c's next_arg() and parse_args() loop, tokens joined as "param[=val]". */
static size_t kernel_split(char *args, char **tokens) {
        size_t n = 0;

        while (*args == ' ')
                args++;
        while (*args) {
                unsigned i, equals = 0;
                int in_quote = 0, quoted = 0;
                char *param, *val;

                if (*args == '"') {
                        args++;
                        in_quote = 1;
                        quoted = 1;
                }
                for (i = 0; args[i]; i++) {
                        if (args[i] == ' ' && !in_quote)
                                break;
                        if (equals == 0 && args[i] == '=')
                                equals = i;
                        if (args[i] == '"')
                                in_quote = !in_quote;
                }
                param = args;
                if (!equals)
                        val = NULL;
                else {
                        args[equals] = '\0';
                        val = args + equals + 1;
                        if (*val == '"') {
                                val++;
                                if (args[i - 1] == '"')
                                        args[i - 1] = '\0';
                        }
                }
                if (quoted && i > 0 && args[i - 1] == '"')
                        args[i - 1] = '\0';
                if (args[i]) {
                        args[i] = '\0';
                        args += i + 1;
                } else
                        args += i;
                while (*args == ' ')
                        args++;

                size_t lp = strlen(param), lv = val ? strlen(val) : 0;
                char *t = malloc(lp + lv + 2);
                if (!t)
                        abort();
                memcpy(t, param, lp);
                if (val) {
                        t[lp] = '=';
                        memcpy(t + lp + 1, val, lv);
                        t[lp + 1 + lv] = '\0';
                } else
                        t[lp] = '\0';
                tokens[n++] = t;
        }
        return n;
}

/* A POSIX shell's word splitting of text on a command line, with only '"' quoting (the
 * grammar lets no other quoting or expansion byte through). */
static size_t shell_split(const char *s, char **tokens) {
        size_t n = 0;

        while (*s) {
                char *w, *p;
                bool in_quote = false;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                w = p = malloc(strlen(s) + 1);
                if (!w)
                        abort();
                for (; *s && (in_quote || *s != ' '); s++) {
                        if (*s == '"')
                                in_quote = !in_quote;
                        else
                                *p++ = *s;
                }
                *p = '\0';
                tokens[n++] = w;
        }
        return n;
}

static void free_tokens(char **tokens, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(tokens[i]);
}

static void check_accepted(const char *s) {
        static char *kernel[MAX_TOKENS], *shell[MAX_TOKENS];
        _cleanup_(strv_freep) char **split = NULL;
        size_t n = strlen(s), quotes = 0, nk, ns;
        char *copy;

        if (n > MODULE_PARAMS_MAX)
                __builtin_trap();
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

                if (!alnum && !strchr(MODULE_PARAMS_VALUE_PUNCT " \"", c))
                        __builtin_trap();
                quotes += c == '"';
                /* $CMDLINE_OPTS expanded unquoted: each space-separated word is an argument. */
                if ((i == 0 || s[i - 1] == ' ') && c == '-')
                        __builtin_trap();
        }
        if (quotes % 2 != 0)
                __builtin_trap();

        copy = strdup(s);
        if (!copy)
                abort();
        nk = kernel_split(copy, kernel);
        ns = shell_split(s, shell);
        if (module_params_split(s, &split) < 0)
                __builtin_trap();
        if (nk != ns || nk != strv_length(split))
                __builtin_trap();
        for (size_t i = 0; i < nk; i++) {
                if (strcmp(kernel[i], shell[i]) != 0 || strcmp(kernel[i], split[i]) != 0)
                        __builtin_trap();
                if (kernel[i][0] == '-' || kernel[i][0] == '=' || kernel[i][0] == '\0')
                        __builtin_trap();
        }
        free_tokens(kernel, nk);
        free_tokens(shell, ns);
        free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ModuleParamsError e = {};
        char *s;
        int r;

        if (size > 2 * MODULE_PARAMS_MAX)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        r = module_params_validate(s, &e);
        if (r == 0)
                check_accepted(s);
        else {
                size_t n = strlen(s);
                char *message = NULL;

                if ((r != -EINVAL && r != -E2BIG) || !e.reason || (r == -EINVAL && e.offset > n))
                        __builtin_trap();
                if (module_params_error_message("m", s, &e, &message) < 0 || !strstr(message, "module 'm'"))
                        __builtin_trap();
                free(message);
        }
        free(s);
        return 0;
}
