/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kernel.modprobe names our hook helper while modctld runs ([Daemon] HookInstall=yes), and gets
 * its previous value back on a clean stop, unless someone changed it meanwhile. */

#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "engine/modprobe-handover.h"
#include "kernel/kernel.h"

void modprobe_handover_install(ModprobeHandover *h, Kernel *kernel, const Config *config) {
        _cleanup_free_ char *previous = NULL;
        const char *helper;
        int r;

        assert(h);
        assert(kernel);
        assert(config);

        helper = config->daemon.hook_helper;
        if (!config->daemon.hook_install)
                return;
        /* A kernel.modprobe naming a missing file would break every on-demand load. */
        if (access(helper, X_OK) < 0) {
                log_warning_errno(-errno, "Not installing the kernel hook: HookHelper=%s cannot be executed: %m",
                                  helper);
                return;
        }

        r = kernel_get_modprobe_path(kernel, &previous);
        if (r < 0) {
                log_warning_errno(r, "Not installing the kernel hook: cannot read kernel.modprobe: %m");
                return;
        }
        if (strcmp(previous, helper) == 0) {
                log_info("kernel.modprobe already names %s.", helper);
                return;
        }
        r = kernel_set_modprobe_path(kernel, helper);
        if (r < 0) {
                log_warning_errno(r, "Cannot point kernel.modprobe at %s: %m", helper);
                return;
        }
        free(h->installed);
        h->installed = strdup(helper);
        free(h->previous);
        h->previous = TAKE_PTR(previous);
        log_info("kernel.modprobe now names %s (was %s).", helper, strempty(h->previous));
}

void modprobe_handover_restore(ModprobeHandover *h, Kernel *kernel) {
        _cleanup_free_ char *current = NULL;
        int r;

        assert(h);
        assert(kernel);

        if (!h->installed || !h->previous)
                return;
        /* Someone changed it since: theirs to keep. */
        if (kernel_get_modprobe_path(kernel, &current) < 0 || strcmp(current, h->installed) != 0)
                return;
        r = kernel_set_modprobe_path(kernel, h->previous);
        if (r < 0)
                log_warning_errno(r, "Cannot restore kernel.modprobe to %s: %m", h->previous);
        else
                log_info("kernel.modprobe restored to %s.", h->previous);
        free(h->installed);
        h->installed = NULL;
}

void modprobe_handover_done(ModprobeHandover *h) {
        assert(h);
        h->installed = (free(h->installed), NULL);
        h->previous = (free(h->previous), NULL);
}
