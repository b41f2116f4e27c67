/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pager for long output, the way systemctl does it: only when stdout is a terminal, the
 * program from $SYSTEMD_PAGER, then $PAGER, then less (then more), with LESS=FRSXMK unless
 * $LESS is set (or $SYSTEMD_LESS). An empty value or "cat" means no pager. */

#include <stdbool.h>

/* Starts the pager and points stdout at it. Returns 1 when one runs, 0 when not needed. */
int pager_open(void);
/* Flushes and closes stdout and waits for the pager to exit. No-op without a pager. */
void pager_close(void);
