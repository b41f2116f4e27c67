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

/* The boot list: what systemd-modules-load would load. The .conf files in modules-load.d from
 * /etc, /run, /usr/local/lib and /usr/lib (in that order of precedence: a file name in an
 * earlier directory hides the same name in a later one; a file linked to /dev/null masks it;
 * the files are read in file-name order, whatever their directory), one module per line, '#'
 * and ';' start comments. Plus modules_load= and rd.modules_load= on the kernel command line,
 * comma-separated. Plain C, never logs. */

/* The *.conf files to read, in order, below root ("" or NULL for /). */
int boot_list_files(const char *root, char ***ret);
/* Appends the entries of one file (or text) to *names, skipping ones already there. */
int boot_list_parse_file(const char *path, char ***names);
int boot_list_parse_string(const char *text, char ***names);
/* Appends the modules named by modules_load= and rd.modules_load= in cmdline. */
int boot_list_parse_cmdline(const char *cmdline, char ***names);

/* Everything: the files below root, then the command line (NULL: read /proc/cmdline).
 * Returns the module names, first occurrence first, without duplicates. */
int boot_list_load(const char *root, const char *cmdline, char ***ret);
