/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A caller's module parameters, checked before anything uses them. The kernel splits them
 * like its command line (kernel/params.c, next_arg()): tokens separated by spaces outside
 * double quotes, each `key` or `key=value`, where a double quote toggles quoting anywhere in
 * the token and a token may start with one ("key=a b" style). We accept exactly what that
 * parser reads unambiguously:
 *   - tokens separated by one or more spaces (only ' '; tabs, newlines and every other control
 *     byte, and DEL, are refused anywhere),
 *   - a key of letters, digits, '_' and '-' (the kernel treats '-' as '_'), optionally after an
 *     opening '"', not empty,
 *   - any value bytes but control bytes, with balanced double quotes (an unbalanced quote
 *     would make the kernel swallow the rest of the line into one value),
 *   - at most MODULE_PARAMS_MAX bytes in all.
 * Plain C, never logs, used by the daemon and its fuzzer. */

#include <stddef.h>

#define MODULE_PARAMS_MAX 4096

/* 0 if params (may be NULL or empty) is valid. Otherwise -EINVAL (or -E2BIG for the length),
 * and *ret_offset (may be NULL) is the byte offset of the first offending byte and
 * *ret_reason (may be NULL) a static sentence fragment saying what is wrong there. */
int module_params_validate(const char *params, size_t *ret_offset, const char **ret_reason);
