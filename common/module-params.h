/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Module parameters: the one grammar for every parameter that comes in (Load, CheckPolicy,
 * SetOptions, the CLI and its modprobe mode) and for the options a modprobe.d install command
 * is given. Plain C, never logs, used by the daemon, the clients and the fuzzer.
 *
 * Parameters end up in three readers: the kernel's own parser (kernel/params.c, next_arg()),
 * a shell that word-splits and globs $CMDLINE_OPTS unquoted (modctld's install commands get
 * it in the environment), and kmod, which splices the same options into an install line as
 * text before system(), so that shell parses them as syntax. The grammar is what all three
 * read the same way and none can act on:
 *
 *   params := ' '* [ token { ' '+ token } ] ' '*
 *   token  := name [ '=' value ]
 *           | name '=' '"' qvalue '"'
 *           | '"' name [ '=' qvalue ] '"'
 *   name   := one or more of  A-Z a-z 0-9 _ - .   not starting with '-'
 *   value  := zero or more of  A-Z a-z 0-9 _ - . , : + = / @ %
 *   qvalue := value bytes and ' ', where no ' ' is followed by '-'
 *
 * and at most MODULE_PARAMS_MAX bytes in all. Why exactly these:
 *   - A leading '-' on a name, or on any word a shell's split makes of a quoted value, would be
 *     an option of the command an install line runs (--config=, --dirname= for modprobe).
 *   - Every other ASCII punctuation byte is something a shell acts on, unquoted or inside
 *     double quotes: $ ` \ ' " (expansion and quoting, except the kernel's own quotes at the
 *     places above), ; & | < > ( ) (lists, pipes, redirections, subshells), * ? [ ] (globs),
 *     ~ { } (tilde and brace expansion), ! ^ # (history, old-Bourne pipe, comments).
 *   - Tabs, newlines, every other control byte and DEL are refused (a newline ends a
 *     modprobe.d line; a tab is a shell word separator), and so is every byte above 0x7f: no
 *     module parameter needs one, and the bus and terminals stay plain ASCII.
 *   - Quotes only where the kernel strips them (around the whole token, or around the whole
 *     value) and balanced, so the kernel, kmod's text substitution and a shell all split the
 *     string into the same tokens (tests/fuzz/fuzz-params.c checks this). */

#include <stdbool.h>
#include <stddef.h>

#define MODULE_PARAMS_MAX 4096

/* The bytes a value may hold, besides letters and digits (and ' ' inside double quotes). */
#define MODULE_PARAMS_VALUE_PUNCT "_-.,:+=/@%"

typedef struct ModuleParamsError {
        size_t offset;       /* the first offending byte */
        size_t token;        /* the token it is in: its start and length */
        size_t token_len;
        size_t name_len;     /* the length of the token's name (from token, after a leading '"') */
        bool name_quoted;    /* the token starts with '"' */
        const char *reason;  /* static fragment: what is wrong at offset */
} ModuleParamsError;

/* 0 if params (may be NULL or empty) is valid. Otherwise -EINVAL (or -E2BIG for the length), and
 * *ret_error (may be NULL) says where and why. */
int module_params_validate(const char *params, ModuleParamsError *ret_error);

/* The sentence for a caller: "Invalid parameters for module 'M': parameter 'NAME' ...", naming
 * the parameter and the offending byte. params must have failed module_params_validate() with
 * e. Returns 0 or -ENOMEM. */
int module_params_error_message(const char *module, const char *params, const ModuleParamsError *e,
                                char **ret);

/* Validates and, on failure, returns the sentence: 0 (valid, *ret_message untouched), -EINVAL
 * or -E2BIG (*ret_message set), -ENOMEM. */
int module_params_check(const char *module, const char *params, char **ret_message);

/* The tokens of valid params as the kernel reads them ("key" or "key=value", quotes removed),
 * as a NULL-terminated strv. -EINVAL if params is not valid. */
int module_params_split(const char *params, char ***ret);

/* The name of a token as module_params_split() returns it: its length up to '=' or the end. */
size_t module_params_name_len(const char *token);
