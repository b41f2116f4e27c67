/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "failure.h"

/* The errno of each kind: what clients see through sd_bus_error_get_errno(). */
static const struct {
        const char *name;
        int error;
} kind_table[_FAILURE_KIND_MAX] = {
        [FAILURE_INVALID_NAME]     = { "InvalidName",     EINVAL },
        [FAILURE_INVALID_ARGUMENT] = { "InvalidArgument", EDOM },
        [FAILURE_NOT_FOUND]        = { "NotFound",        ENOENT },
        [FAILURE_NOT_LOADED]       = { "NotLoaded",       ESRCH },
        [FAILURE_BUILT_IN]         = { "BuiltIn",         ENOTSUP },
        [FAILURE_IN_USE]           = { "InUse",           EBUSY },
        [FAILURE_KERNEL_REJECTED]  = { "KernelRejected",  ENOEXEC },
        [FAILURE_COMMAND_FAILED]   = { "CommandFailed",   ECHILD },
        [FAILURE_DEPENDENCY_CYCLE] = { "DependencyCycle", ELOOP },
        [FAILURE_TIMEOUT]          = { "Timeout",         ETIMEDOUT },
        [FAILURE_BAD_MODULE]       = { "BadModule",       EBADMSG },
        [FAILURE_INTERNAL]         = { "Internal",        EIO },
        [FAILURE_POLICY_DENIED]    = { "PolicyDenied",    EKEYREJECTED },
        [FAILURE_INVALID_CONFIG]   = { "InvalidConfig",   EUCLEAN },
        [FAILURE_BUSY]             = { "Busy",            EAGAIN },
        [FAILURE_MANAGED_ELSEWHERE] = { "ManagedElsewhere", EROFS },
        [FAILURE_INVALID_PARAMETERS] = { "InvalidParameters", EILSEQ },
        [FAILURE_MEMORY_SHORT]     = { "MemoryShort",     ENOMEM },
};

static bool kind_is_valid(FailureKind kind) {
        return kind > _FAILURE_KIND_NONE && kind < _FAILURE_KIND_MAX;
}

int failure_kind_to_errno(FailureKind kind) {
        return kind_is_valid(kind) ? kind_table[kind].error : EIO;
}

const char *failure_kind_to_string(FailureKind kind) {
        return kind_is_valid(kind) ? kind_table[kind].name : NULL;
}

static int failure_setv(Failure *f, FailureKind kind, int error, const char *fmt, va_list ap) {
        if (!f)
                return error;

        free(f->message);
        f->message = NULL;
        f->kind = kind;
        f->error = error;
        if (vasprintf(&f->message, fmt, ap) < 0)
                f->message = NULL; /* the kind alone still tells the caller what happened */
        return error;
}

int failure_set(Failure *f, FailureKind kind, const char *fmt, ...) {
        va_list ap;
        int r;

        /* A negative "kind" is an errno passed the old way: a bug, caught here. */
        assert(kind_is_valid(kind));
        assert(fmt);

        va_start(ap, fmt);
        r = failure_setv(f, kind, -failure_kind_to_errno(kind), fmt, ap);
        va_end(ap);
        return r;
}

int failure_set_errno(Failure *f, FailureKind kind, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        assert(kind_is_valid(kind));
        assert(fmt);

        if (error >= 0) /* not an errno: keep the kind's own */
                error = -failure_kind_to_errno(kind);
        va_start(ap, fmt);
        r = failure_setv(f, kind, error, fmt, ap);
        va_end(ap);
        return r;
}

void failure_done(Failure *f) {
        if (!f)
                return;
        free(f->message);
        *f = FAILURE_NULL;
}

void failure_move(Failure *dst, Failure *src) {
        assert(dst);
        assert(src);
        failure_done(dst);
        *dst = *src;
        *src = FAILURE_NULL;
}
