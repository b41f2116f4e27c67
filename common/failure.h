/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Why an operation failed, for the caller: the kind (which org.modctl1.Error.* the bus reports,
 * see daemon/bus/bus-error.c), the errno behind it, and a sentence that names the module. Filled
 * only on failure.
 *
 * The kind is always chosen explicitly by the code that knows what went wrong. An errno from a
 * helper never becomes a kind by itself: failure_set_errno() without a kind of its own reports
 * FAILURE_INTERNAL, so a stray -ENOENT or -EINVAL cannot turn into NotFound or InvalidName. */

#include <stdarg.h>

#include "macro.h"

typedef enum FailureKind {
        _FAILURE_KIND_NONE = 0,         /* no failure (FAILURE_NULL) */
        FAILURE_INVALID_NAME,           /* org.modctl1.Error.InvalidName */
        FAILURE_INVALID_ARGUMENT,       /* InvalidArgument */
        FAILURE_NOT_FOUND,              /* NotFound */
        FAILURE_NOT_LOADED,             /* NotLoaded */
        FAILURE_BUILT_IN,               /* BuiltIn */
        FAILURE_IN_USE,                 /* InUse */
        FAILURE_KERNEL_REJECTED,        /* KernelRejected: the errno is the kernel's */
        FAILURE_COMMAND_FAILED,         /* CommandFailed */
        FAILURE_DEPENDENCY_CYCLE,       /* DependencyCycle */
        FAILURE_TIMEOUT,                /* Timeout */
        FAILURE_BAD_MODULE,             /* BadModule */
        FAILURE_INTERNAL,               /* Internal: anything we did not expect */
        FAILURE_POLICY_DENIED,          /* PolicyDenied */
        FAILURE_INVALID_CONFIG,         /* InvalidConfig */
        FAILURE_BUSY,                   /* Busy: too much unauthenticated work queued, try again later */
        FAILURE_MANAGED_ELSEWHERE,      /* ManagedElsewhere */
        FAILURE_INVALID_PARAMETERS,     /* InvalidParameters: module parameters outside the grammar */
        FAILURE_MEMORY_SHORT,           /* MemoryShort: modctld is near its memory limit, new work refused */
        _FAILURE_KIND_MAX,
} FailureKind;

typedef struct Failure {
        FailureKind kind;
        int error;      /* negative errno: the kind's own (failure_kind_to_errno), or the one behind it */
        char *message;
} Failure;

#define FAILURE_NULL ((Failure) { .kind = _FAILURE_KIND_NONE, .error = 0, .message = NULL })

/* The errno a kind stands for when there is no more specific one; also what sd-bus clients get
 * from sd_bus_error_get_errno() (the error map in bus-error.c uses the same table). Positive. */
int failure_kind_to_errno(FailureKind kind);
/* "InvalidName", ..., the tail of the org.modctl1.Error.* name; NULL for an invalid kind. */
const char *failure_kind_to_string(FailureKind kind);

/* Sets the failure (replacing an earlier one) with kind and its errno, and returns that negative
 * errno, so callers can 'return failure_set(f, FAILURE_NOT_FOUND, "Module '%s' not found.", name);'.
 * f may be NULL. */
int failure_set(Failure *f, FailureKind kind, const char *fmt, ...) _printf_(3, 4);
/* The same with the errno behind it (negative), e.g. the kernel's for FAILURE_KERNEL_REJECTED.
 * Returns error. */
int failure_set_errno(Failure *f, FailureKind kind, int error, const char *fmt, ...) _printf_(4, 5);
void failure_done(Failure *f);
static inline void failure_donep(Failure *f) { failure_done(f); }
/* Moves src into dst. */
void failure_move(Failure *dst, Failure *src);
