/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stddef.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "exit-status.h"
#include "macro.h"
#include "modctl-bus.h"

/* The one table: keep it and modctl(1)'s EXIT STATUS section alike. */
static const struct {
        const char *name;
        ExitStatus status;
} error_exit_table[] = {
        { MODCTL_ERROR_POLICY_DENIED,                        MODCTL_EXIT_POLICY_DENIED   },
        { MODCTL_ERROR_NOT_FOUND,                            MODCTL_EXIT_NOT_FOUND       },
        { MODCTL_ERROR_NOT_LOADED,                           MODCTL_EXIT_NOT_FOUND       },
        { SD_BUS_ERROR_SERVICE_UNKNOWN,                      MODCTL_EXIT_UNREACHABLE     },
        { SD_BUS_ERROR_NAME_HAS_NO_OWNER,                    MODCTL_EXIT_UNREACHABLE     },
        { SD_BUS_ERROR_NO_SERVER,                            MODCTL_EXIT_UNREACHABLE     },
        { SD_BUS_ERROR_DISCONNECTED,                         MODCTL_EXIT_UNREACHABLE     },
        { SD_BUS_ERROR_ACCESS_DENIED,                        MODCTL_EXIT_NOT_AUTHORIZED  },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,   MODCTL_EXIT_NOT_AUTHORIZED  },
        { MODCTL_ERROR_KERNEL_REJECTED,                      MODCTL_EXIT_KERNEL_REJECTED },
        { MODCTL_ERROR_BUSY,                                 MODCTL_EXIT_BUSY            },
        { MODCTL_ERROR_MEMORY_SHORT,                         MODCTL_EXIT_BUSY            },
        { MODCTL_ERROR_IN_USE,                               MODCTL_EXIT_BUSY            },
};

static ExitStatus noted = MODCTL_EXIT_SUCCESS;

ExitStatus exit_status_from_error_name(const char *name) {
        if (!name)
                return MODCTL_EXIT_FAILURE;
        for (size_t i = 0; i < ELEMENTSOF(error_exit_table); i++)
                if (streq(name, error_exit_table[i].name))
                        return error_exit_table[i].status;
        if (strncmp(name, "org.freedesktop.DBus.Error.Spawn.", strlen("org.freedesktop.DBus.Error.Spawn.")) == 0)
                return MODCTL_EXIT_UNREACHABLE;
        return MODCTL_EXIT_FAILURE;
}

void exit_status_note(ExitStatus status) {
        if (noted == MODCTL_EXIT_SUCCESS && status != MODCTL_EXIT_SUCCESS)
                noted = status;
}

void exit_status_note_error_name(const char *name) {
        exit_status_note(exit_status_from_error_name(name));
}

ExitStatus exit_status_get_failure(void) {
        return noted == MODCTL_EXIT_SUCCESS ? MODCTL_EXIT_FAILURE : noted;
}
