/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "settings/ is part of the plain-C core: the kernel backend may not include it"
#endif

/* Replacing a configuration file so that a reader (or a crash) sees either the old file or
 * the new one, never half of either: the new contents go to a temporary file in the same
 * directory, which is fsync()ed and then rename()d over the old name, and the directory is
 * fsync()ed. Plain C, never logs. */

/* Called between the fsync() of the temporary file and the rename(), with the final path.
 * NULL in modctld; the fake-kernel daemon of the tests sets it to simulate a crash there. */
extern void (*atomic_file_before_rename)(const char *path);

/* Creates the parent directory (0755) if needed. mode: the new file's mode. Errors: -errno. */
int write_file_atomic(const char *path, const char *contents, unsigned mode);

/* Reads a whole file of at most max bytes into a NUL-terminated string. Errors: -ENOENT when
 * it does not exist, -EFBIG when larger, -EBADMSG when it holds a NUL byte, -errno. */
int read_file_text(const char *path, size_t max, char **ret);
