/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What modctl can answer without modctld: the kernel's /proc/modules and the module index and
 * modprobe.d through libkmod (opened on demand, see kmod-dl.h). Read-only; nothing here loads
 * or unloads. Functions print their failures, like the verbs. */

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "kmod-dl.h"

/* Where to read: NULL members mean the running kernel's /lib/modules/$(uname -r) and
 * libkmod's default configuration directories. */
typedef struct LocalIndex {
        const char *root;        /* modprobe -d */
        const char *release;     /* modprobe -S */
        const char *config;      /* modprobe -C */
} LocalIndex;

/* A libkmod context for the index; NULL (printed) when libkmod is not available. */
struct kmod_ctx *local_kmod_new(const LocalIndex *idx);
/* For _cleanup_(local_kmod_unrefp): drops the context, if any. */
void local_kmod_unrefp(struct kmod_ctx **c);
/* The directory libkmod reads, for messages. */
const char *local_kmod_dirname(struct kmod_ctx *ctx);

/* The loaded modules from /proc/modules, as `modctl list --json` shows them (without the
 * daemon's knowledge of who loaded them). */
int local_list(json_object **ret);

/* modinfo's fields of a module name, alias or file path: a NULL-terminated list of key, value
 * pairs, "filename" first. */
int local_info(const char *name_or_path, char ***ret_pairs);

/* modprobe's -D (ignore_loaded) or --dry-run plan of name with extra options, each step a
 * line ("insmod PATH OPTIONS", "install COMMAND OPTIONS", "builtin NAME") written to f.
 * flags: KMOD_PROBE_* bits. Returns 0, -ENOENT when nothing matches (not printed), or another
 * negative errno (not printed either: the caller words it, as modprobe or as modctl). */
int local_show_depends(struct kmod_ctx *ctx, const char *name, const char *options, unsigned flags, FILE *f);

/* The same for a module file (modprobe ./x.ko, load --dry-run ./x.ko without modctld): libkmod's
 * own reading, as kmod 31's modprobe prints it ("insmod /CWD/./x.ko OPTIONS" last, the
 * dependencies that modules.dep gives the file's base name before it). Returns 0 or a negative
 * errno (-ENOENT and others from stat(2) when the file is not there; not printed). */
int local_show_depends_file(struct kmod_ctx *ctx, const char *path, const char *options, unsigned flags, FILE *f);

/* The modules a name or alias resolves to, one name a line (modprobe -R). -ENOENT if none. */
int local_resolve(struct kmod_ctx *ctx, const char *name, bool apply_blacklist, FILE *f);

/* The effective modprobe configuration and the alias and symbol indexes, as modprobe -c. */
int local_show_config(struct kmod_ctx *ctx, FILE *f);

/* Whether the blacklist applies to this module name (modprobe -b). */
int local_is_blacklisted(struct kmod_ctx *ctx, const char *name);

/* The path of each module a load of name would insert, in order (modprobe -v). */
int local_module_path(struct kmod_ctx *ctx, const char *name, char **ret);
