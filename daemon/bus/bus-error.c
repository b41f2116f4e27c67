/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus-error.h"
#include "modctl-bus.h"

const sd_bus_error_map modctl_bus_error_map[] = {
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_NAME,     FAILURE_INVALID_NAME),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_ARGUMENT, FAILURE_INVALID_ARGUMENT),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_NOT_FOUND,        FAILURE_NOT_FOUND),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_NOT_LOADED,       FAILURE_NOT_LOADED),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BUILT_IN,         FAILURE_BUILT_IN),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_IN_USE,           FAILURE_IN_USE),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_KERNEL_REJECTED,  FAILURE_KERNEL_REJECTED),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_COMMAND_FAILED,   FAILURE_COMMAND_FAILED),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_DEPENDENCY_CYCLE, FAILURE_DEPENDENCY_CYCLE),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_TIMEOUT,          FAILURE_TIMEOUT),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BAD_MODULE,       FAILURE_BAD_MODULE),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INTERNAL,         FAILURE_INTERNAL),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_POLICY_DENIED,    FAILURE_POLICY_DENIED),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_INVALID_CONFIG,   FAILURE_INVALID_CONFIG),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_MANAGED_ELSEWHERE, FAILURE_MANAGED_ELSEWHERE),
        SD_BUS_ERROR_MAP(MODCTL_ERROR_BUSY,             FAILURE_BUSY),
        SD_BUS_ERROR_MAP_END
};

static const char *error_name(int error) {
        for (const sd_bus_error_map *m = modctl_bus_error_map; m->name; m++)
                if (m->code == error)
                        return m->name;
        return NULL;
}

static int set_message(sd_bus_error *e, int error, const char *message) {
        const char *name = error_name(error < 0 ? -error : error);
        if (name)
                sd_bus_error_set(e, name, message);
        else
                sd_bus_error_set_errnof(e, error, "%s", message);
        return error < 0 ? error : -error;
}

int bus_error_setf(sd_bus_error *e, int error, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);

        return set_message(e, error, message ?: strerror(error < 0 ? -error : error));
}

int bus_error_from_failure(sd_bus_error *e, const Failure *f) {
        int error = f->error < 0 ? f->error : -FAILURE_INTERNAL;
        return set_message(e, error, f->message ?: strerror(-error));
}
