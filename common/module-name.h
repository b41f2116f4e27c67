/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rules for the strings that name modules. A module name is what the kernel keys a loaded
 * module by (/sys/module/NAME, delete_module()); a request is what a caller or the kernel asks
 * for, which may also be an alias or a device modalias that the resolver looks up. */

#include <stdbool.h>
#include <stddef.h>

/* MODULE_NAME_LEN in the kernel: 64 bytes including the NUL. */
#define MODULE_NAME_LEN 64
#define MODULE_NAME_MAX (MODULE_NAME_LEN - 1)

/* The longest request string accepted: a name or an alias pattern as modprobe takes it. */
#define MODULE_REQUEST_MAX 127

/* 1 to MODULE_NAME_MAX printable ASCII characters, without whitespace or '/', not starting
 * with '.' or '-': safe as a path component under /sys/module. Dashes are allowed; the kernel
 * spells them as underscores (see module_name_normalize()). */
bool module_name_is_valid(const char *name);

/* Writes name as the kernel spells it (every '-' becomes '_') into ret, or returns -EINVAL if
 * name is not valid. ret is not written on failure. */
int module_name_normalize(const char *name, char ret[static MODULE_NAME_LEN]);

/* Compares two module names as the kernel would: '-' and '_' are the same character. */
bool module_name_equal(const char *a, const char *b);

/* What a load request may name: a module name or an alias, 1 to MODULE_REQUEST_MAX printable
 * characters without whitespace or '/', not starting with '-', and without "..". */
bool module_request_is_valid(const char *request);

/* A copy of request with every '-' turned into '_', to compare it with module names as the
 * kernel spells them. No validation; NULL on OOM. */
char *module_request_normalize(const char *request);
