/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "failure.h"

/* The rules for the strings that name modules. A module name is what the kernel keys a loaded
 * module by (/sys/module/NAME, delete_module()); a request is what a caller or the kernel asks
 * for, which may also be an alias or a device modalias that the resolver looks up. */

#include <stdbool.h>
#include <stddef.h>

/* MODULE_NAME_LEN in the kernel: 64 bytes including the NUL. */
#define MODULE_NAME_LEN 64
#define MODULE_NAME_MAX (MODULE_NAME_LEN - 1)

/* The longest alias or device modalias accepted: a sysfs modalias file is one page (4 KiB) and
 * ends with a newline, and libkmod looks up at most PATH_MAX - 1 bytes (it cuts longer strings
 * off silently). The CPU modalias of a modern x86 CPU, with every feature listed, is about
 * 600 bytes; input devices' are about 160. */
#define MODULE_ALIAS_MAX 4095

/* What the kernel's request_module() sends: its MODULE_NAME_LEN is 64 - sizeof(long), so at
 * most 55 bytes on 64-bit machines. The hook's wire format allows more (MODCTL_HOOK_NAME_MAX),
 * for other callers of kernel.modprobe. */
#define MODULE_KERNEL_REQUEST_MAX 55

/* 1 to MODULE_NAME_MAX printable ASCII characters, without whitespace or '/', not starting
 * with '.' or '-': safe as a path component under /sys/module. Dashes are allowed; the kernel
 * spells them as underscores (see module_name_normalize()). */
bool module_name_is_valid(const char *name);

/* Writes name as the kernel spells it (every '-' becomes '_') into ret, or returns -EINVAL if
 * name is not valid. ret is not written on failure. */
int module_name_normalize(const char *name, char ret[static MODULE_NAME_LEN]);

/* Compares two module names as the kernel would: '-' and '_' are the same character. */
bool module_name_equal(const char *a, const char *b);

/* An alias as modules.alias, modprobe.d or a device's MODALIAS spells it: 1 to
 * MODULE_ALIAS_MAX printable ASCII characters without whitespace, not starting with '-' (it
 * would read as an option). '/' is allowed: DMI strings and devname: aliases contain it
 * ("devname:snd/timer", "dmi:...:pnR40/R41:..."). */
bool module_alias_is_valid(const char *alias);

/* What a load or unload request may name: a module name or an alias (module_alias_is_valid()),
 * that does not look like a file path: it may not start with '/' or '.', and no '/'-separated
 * part of it may be "..". Requests never become file paths (the resolver only looks them up
 * in the indexes, and /sys/module paths are built from module_name_normalize() only), but a
 * path is never a request either, so "../../etc/passwd" is refused with a clear message. */
bool module_request_is_valid(const char *request);

/* module_request_is_valid(), with the reason in failure when it is not: FAILURE_INVALID_NAME and
 * a sentence that names the request and says what is wrong with it. Returns 0 or -EINVAL. */
int module_request_validate(const char *request, Failure *failure);

/* Whether a command-line argument of `modctl load` names a module file rather than a module:
 * it starts with "/", "./" or "../", or ends in ".ko", ".ko.gz", ".ko.xz" or ".ko.zst".
 * A path-shaped argument is never a valid module name or request; a ".ko" suffix is allowed by
 * the name grammar, but kbuild names modules after their files without the extension, so no
 * module is called that. An alias with a '/' inside ("devname:snd/timer") stays a request. */
bool module_arg_is_file(const char *arg);

/* kmod 31's rule in modprobe(8) (tools/modprobe.c, insmod()): the argument starts with "/" or
 * "./"; what the modprobe-compatible mode follows. */
bool module_arg_is_file_kmod(const char *arg);

/* A copy of request with every '-' turned into '_', to compare it with module names as the
 * kernel spells them. No validation; NULL on OOM. */
char *module_request_normalize(const char *request);
