/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sinks/ are the manager's listeners: main.c wires them"
#endif

/* The journal as a listener of the manager: one structured entry per module event, with the
 * MESSAGE_ID of include/modctl-messages.h and the fields MODULE=, ORIGIN=, CALLER_UID=,
 * CALLER_UNIT= (where known) and ERRNO=, so an admin can ask `journalctl MODULE=snd`.
 * Only when our output goes to the journal; the manager's plain log lines go to stderr too. */

#include "common/failure.h"

typedef struct Manager Manager;
typedef struct JournalLog JournalLog;

int journal_log_new(Manager *m, JournalLog **ret);
JournalLog *journal_log_free(JournalLog *j);
static inline void journal_log_freep(JournalLog **j) { journal_log_free(*j); }
