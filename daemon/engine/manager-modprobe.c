/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kernel.modprobe names our hook helper while modctld runs ([Daemon] HookInstall=yes), and gets
 * its previous value back on a clean stop, unless someone changed it meanwhile. */

#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "engine/manager-private.h"
#include "kernel/kernel.h"

void manager_install_modprobe(Manager *m) {
        _cleanup_free_ char *previous = NULL;
        const char *helper;
        int r;

        assert(m);

        helper = m->config->daemon.hook_helper;
        if (!m->config->daemon.hook_install)
                return;
        /* A kernel.modprobe naming a missing file would break every on-demand load. */
        if (access(helper, X_OK) < 0) {
                log_warning_errno(-errno, "Not installing the kernel hook: HookHelper=%s cannot be executed: %m",
                                  helper);
                return;
        }

        r = kernel_get_modprobe_path(m->kernel, &previous);
        if (r < 0) {
                log_warning_errno(r, "Not installing the kernel hook: cannot read kernel.modprobe: %m");
                return;
        }
        if (strcmp(previous, helper) == 0) {
                log_info("kernel.modprobe already names %s.", helper);
                return;
        }
        r = kernel_set_modprobe_path(m->kernel, helper);
        if (r < 0) {
                log_warning_errno(r, "Cannot point kernel.modprobe at %s: %m", helper);
                return;
        }
        free(m->modprobe_installed);
        m->modprobe_installed = strdup(helper);
        free(m->modprobe_previous);
        m->modprobe_previous = TAKE_PTR(previous);
        log_info("kernel.modprobe now names %s (was %s).", helper, strempty(m->modprobe_previous));
}

void manager_restore_modprobe(Manager *m) {
        _cleanup_free_ char *current = NULL;
        int r;

        assert(m);

        if (!m->modprobe_installed || !m->modprobe_previous)
                return;
        /* Someone changed it since: theirs to keep. */
        if (kernel_get_modprobe_path(m->kernel, &current) < 0 || strcmp(current, m->modprobe_installed) != 0)
                return;
        r = kernel_set_modprobe_path(m->kernel, m->modprobe_previous);
        if (r < 0)
                log_warning_errno(r, "Cannot restore kernel.modprobe to %s: %m", m->modprobe_previous);
        else
                log_info("kernel.modprobe restored to %s.", m->modprobe_previous);
        free(m->modprobe_installed);
        m->modprobe_installed = NULL;
}
