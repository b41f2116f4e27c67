/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A polkit text agent for the duration of one call that may need authentication, the way
 * systemctl does it: when asking is allowed, stdin is a terminal, we are not root and
 * pkttyagent is installed, fork `pkttyagent --notify-fd N --fallback` and wait until it says it
 * is registered; kill it after the call. Without an agent polkit simply cannot ask, and the
 * daemon's error says so. */

#include <stdbool.h>
#include <sys/types.h>

/* Returns the agent's pid, or 0 when none was started. Never fails the caller. */
pid_t polkit_agent_open(bool ask_password);
void polkit_agent_close(pid_t pid);
