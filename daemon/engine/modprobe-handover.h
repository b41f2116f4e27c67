/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE)
#error "engine/modprobe-handover.h is the manager's: only engine/ may include it"
#endif

/* kernel.modprobe names our hook helper while modctld runs ([Daemon] HookInstall=yes), and gets
 * its previous value back on a clean stop, unless someone changed it meanwhile. Failures are
 * logged: without the hook, the kernel's requests go to whatever kernel.modprobe names. */

#include "common/daemon-config.h"

typedef struct Kernel Kernel;

typedef struct ModprobeHandover {
        char *installed;        /* what we wrote to kernel.modprobe */
        char *previous;         /* what it said before */
} ModprobeHandover;

void modprobe_handover_install(ModprobeHandover *h, Kernel *kernel, const Config *config);
void modprobe_handover_restore(ModprobeHandover *h, Kernel *kernel);
void modprobe_handover_done(ModprobeHandover *h);
