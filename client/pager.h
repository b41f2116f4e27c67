/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pager for long output, the way systemctl does it: only when stdout is a terminal, the
 * program from $SYSTEMD_PAGER, then $PAGER, then less (then more), with LESS=FRSXMK unless
 * $LESS is set (or $SYSTEMD_LESS). An empty value or "cat" means no pager, and so do a TERM that
 * is unset or "dumb".
 *
 * Secure mode, as systemd's: with $SYSTEMD_PAGERSECURE true, or unset while we run with
 * privileges the user does not have (sudo, set-uid, euid other than the session owner's), the
 * pager gets LESSSECURE=1; when it was implied (unset), only less runs, never $PAGER or more,
 * whose shell escapes would be a root shell. */

#include <stdbool.h>

/* Starts the pager and points stdout at it. Returns 1 when one runs, 0 when not needed. */
int pager_open(void);
/* Flushes and closes stdout and waits for the pager to exit. No-op without a pager. */
void pager_close(void);
