/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* modctl's exit status: which cause a failure had, so that scripts can tell a policy denial from
 * a missing module or an absent daemon. The one table from D-Bus error names to codes is in
 * exit-status.c, and modctl(1)'s EXIT STATUS section shows it. The modprobe mode keeps kmod's
 * codes (0 and 1) and does not use this. */

typedef enum ExitStatus {
        MODCTL_EXIT_SUCCESS         = 0,
        MODCTL_EXIT_FAILURE         = 1,  /* any other failure */
        MODCTL_EXIT_USAGE           = 2,  /* bad command line */
        MODCTL_EXIT_POLICY_DENIED   = 3,  /* org.modctl1.Error.PolicyDenied */
        MODCTL_EXIT_NOT_FOUND       = 4,  /* NotFound, NotLoaded; offline: not in the index */
        MODCTL_EXIT_UNREACHABLE     = 5,  /* modctld cannot be reached */
        MODCTL_EXIT_NOT_AUTHORIZED  = 6,  /* AccessDenied, InteractiveAuthorizationRequired */
        MODCTL_EXIT_KERNEL_REJECTED = 7,  /* KernelRejected */
        MODCTL_EXIT_BUSY            = 8,  /* Busy, MemoryShort (try again later), InUse */
} ExitStatus;

/* The code for a D-Bus error name; MODCTL_EXIT_FAILURE for a name not in the table. */
ExitStatus exit_status_from_error_name(const char *name);
/* Remembers the cause of a failure; the first one noted is what modctl exits with. */
void exit_status_note(ExitStatus status);
void exit_status_note_error_name(const char *name);
/* The code noted first, or MODCTL_EXIT_FAILURE when none was. */
ExitStatus exit_status_get_failure(void);
