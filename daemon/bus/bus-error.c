/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus/bus-error.h"
#include "modctl-bus.h"
#include "common/utf8.h"

/* The bus name of each failure kind. */
static const char *const kind_to_name[_FAILURE_KIND_MAX] = {
        [FAILURE_INVALID_NAME]     = MODCTL_ERROR_INVALID_NAME,
        [FAILURE_INVALID_ARGUMENT] = MODCTL_ERROR_INVALID_ARGUMENT,
        [FAILURE_NOT_FOUND]        = MODCTL_ERROR_NOT_FOUND,
        [FAILURE_NOT_LOADED]       = MODCTL_ERROR_NOT_LOADED,
        [FAILURE_BUILT_IN]         = MODCTL_ERROR_BUILT_IN,
        [FAILURE_IN_USE]           = MODCTL_ERROR_IN_USE,
        [FAILURE_KERNEL_REJECTED]  = MODCTL_ERROR_KERNEL_REJECTED,
        [FAILURE_COMMAND_FAILED]   = MODCTL_ERROR_COMMAND_FAILED,
        [FAILURE_DEPENDENCY_CYCLE] = MODCTL_ERROR_DEPENDENCY_CYCLE,
        [FAILURE_TIMEOUT]          = MODCTL_ERROR_TIMEOUT,
        [FAILURE_BAD_MODULE]       = MODCTL_ERROR_BAD_MODULE,
        [FAILURE_INTERNAL]         = MODCTL_ERROR_INTERNAL,
        [FAILURE_POLICY_DENIED]    = MODCTL_ERROR_POLICY_DENIED,
        [FAILURE_INVALID_CONFIG]   = MODCTL_ERROR_INVALID_CONFIG,
        [FAILURE_BUSY]             = MODCTL_ERROR_BUSY,
        [FAILURE_MANAGED_ELSEWHERE] = MODCTL_ERROR_MANAGED_ELSEWHERE,
        [FAILURE_INVALID_PARAMETERS] = MODCTL_ERROR_INVALID_PARAMETERS,
        [FAILURE_MEMORY_SHORT]     = MODCTL_ERROR_MEMORY_SHORT,
};

/* For sd_bus_error_get_errno() and friends: each name to its kind's errno (failure.c's table;
 * test-bus-error checks that the two agree). */
const sd_bus_error_map modctl_bus_error_map[] = {
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_NAME,     EINVAL),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_ARGUMENT, EDOM),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_NOT_FOUND,        ENOENT),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_NOT_LOADED,       ESRCH),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BUILT_IN,         ENOTSUP),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_IN_USE,           EBUSY),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_KERNEL_REJECTED,  ENOEXEC),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_COMMAND_FAILED,   ECHILD),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_DEPENDENCY_CYCLE, ELOOP),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_TIMEOUT,          ETIMEDOUT),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BAD_MODULE,       EBADMSG),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INTERNAL,         EIO),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_POLICY_DENIED,    EKEYREJECTED),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_CONFIG,   EUCLEAN),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BUSY,             EAGAIN),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_MANAGED_ELSEWHERE, EROFS),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_PARAMETERS, EILSEQ),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_MEMORY_SHORT,     ENOMEM),
        SD_BUS_ERROR_MAP_END
};

const char *bus_error_name_from_kind(FailureKind kind) {
        /* No kind (a Failure nobody filled in) is a bug of ours: Internal, never something else. */
        if (kind <= 0 || kind >= _FAILURE_KIND_MAX)
                return MODCTL_ERROR_INTERNAL;
        return kind_to_name[kind];
}

/* A message names things from modules, files and callers: with an invalid byte, sd-bus could not
 * send the error at all, and the caller would wait for its timeout. */
static void set_valid(sd_bus_error *e, const char *name, const char *message) {
        _cleanup_free_ char *valid = NULL;

        if (!utf8_is_valid(message))
                valid = utf8_escape_invalid(message);
        sd_bus_error_set(e, name, valid ?: (utf8_is_valid(message) ? message : NULL));
}

int bus_error_setf(sd_bus_error *e, FailureKind kind, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        int error = failure_kind_to_errno(kind);
        va_list ap;

        assert(fmt);

        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);

        set_valid(e, bus_error_name_from_kind(kind), message ?: strerror(error));
        return -error;
}

int bus_error_from_failure(sd_bus_error *e, const Failure *f) {
        int error;

        assert(f);

        error = f->error < 0 ? f->error : -failure_kind_to_errno(f->kind);
        set_valid(e, bus_error_name_from_kind(f->kind), f->message ?: strerror(-error));
        return error;
}
