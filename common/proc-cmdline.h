/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads the kernel command line: the first line of /proc/cmdline, with its newline. Returns
 * -errno when it can't be read, -ENODATA when it is empty. (The daemon asks its kernel port,
 * kernel/kernel.h, instead; this is for the clients and the settings readers.) */
int proc_cmdline_read(char **ret);

/* The two blacklists of a kernel command line, split the way the kernel splits it (blanks,
 * double quotes grouping, nothing after a lone "--"):
 *   module_blacklist=a,b    the kernel's own: init_module()/finit_module() refuse these names
 *                           with EPERM. A core parameter: the last occurrence wins, and the
 *                           kernel compares each entry byte for byte with the module's name,
 *                           so "snd-pcm" never matches snd_pcm. Dashes and underscores are
 *                           alike in the parameter's own name (module-blacklist=), as in the
 *                           kernel.
 *   modprobe.blacklist=a,b  kmod's: each entry is a modprobe.d "blacklist" line; every
 *                           occurrence adds, entries are normalized (dashes to underscores).
 * Empty entries are skipped, duplicates dropped. Either output may be NULL (not wanted); an
 * output is an empty list (NULL) when there is nothing. Returns 0 or -ENOMEM; outputs are
 * untouched on failure. */
int proc_cmdline_parse_blacklists(const char *cmdline, char ***ret_kernel, char ***ret_modprobe);
