/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads the kernel command line: the first line of /proc/cmdline, with its newline. Returns
 * -errno when it can't be read, -ENODATA when it is empty. */
int proc_cmdline_read(char **ret);
