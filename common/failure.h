/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Why an operation failed, for the caller: a negative errno that bus-error.c maps to an
 * org.modctl1.Error.* name, and a sentence that names the module. Filled only on failure. */

#include <stdarg.h>

#include "macro.h"

typedef struct Failure {
        int error;      /* negative errno, see bus-error.c for the mapping */
        char *message;
} Failure;

#define FAILURE_NULL ((Failure) { .error = 0, .message = NULL })

/* Sets the failure (replacing an earlier one) and returns error, so callers can
 * 'return failure_set(f, -ENOENT, "Module '%s' not found.", name);'. f may be NULL. */
int failure_set(Failure *f, int error, const char *fmt, ...) _printf_(3, 4);
void failure_done(Failure *f);
static inline void failure_donep(Failure *f) { failure_done(f); }
/* Moves src into dst. */
void failure_move(Failure *dst, Failure *src);

/* The errnos that carry meaning across the bus (see bus-error.c). */
#define FAILURE_INVALID_NAME     EINVAL
#define FAILURE_INVALID_ARGUMENT EDOM
#define FAILURE_NOT_FOUND        ENOENT
#define FAILURE_NOT_LOADED       ESRCH
#define FAILURE_BUILT_IN         ENOTSUP
#define FAILURE_IN_USE           EBUSY
#define FAILURE_KERNEL_REJECTED  ENOEXEC
#define FAILURE_COMMAND_FAILED   ECHILD
#define FAILURE_DEPENDENCY_CYCLE ELOOP
#define FAILURE_TIMEOUT          ETIMEDOUT
#define FAILURE_BAD_MODULE       EBADMSG
#define FAILURE_INTERNAL         EIO
#define FAILURE_POLICY_DENIED    EKEYREJECTED
#define FAILURE_INVALID_CONFIG   EUCLEAN
#define FAILURE_MANAGED_ELSEWHERE EROFS
#define FAILURE_BUSY             EAGAIN  /* too much unauthenticated work queued: try again later */
