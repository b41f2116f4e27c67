/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which modprobe.d files libkmod reads, and the one file modctld writes for the others.
 * Plain C, never logs. */

#include <stdbool.h>

/* The modules modctld's policy keeps out, as modprobe.d "blacklist" lines, for udevd's kmod
 * builtin and kmod's tools while modctld is not running (modctl-udev-handoff stop, a crash).
 * Below the configuration root; modctld itself never reads it (see modprobe_config_files()). */
#define MODPROBE_DENIED_CONF "/run/modprobe.d/modctl-denied.conf"

/* libkmod's rules over paths (directories or files, in precedence order): *.conf in each
 * directory, a name in an earlier directory hides it in the later ones, a file masked by a
 * symlink to /dev/null (or anything not a regular file) is not read but still hides, and all
 * of them are read in file-name order. A path that is a file is read as it is. exclude (may be
 * NULL) is a file path that is left out as if it did not exist. *ret is the files in the order
 * libkmod reads them (never NULL, possibly empty). Errors: -ENOMEM. */
int modprobe_config_files(char * const *paths, const char *exclude, char ***ret);
