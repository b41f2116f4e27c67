/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_KERNEL) && !defined(MODCTL_LAYER_MAIN)
#error "kernel/kernel-default.h picks the backend: only main.c and the backends include it"
#endif

/* The backend a daemon binary runs on: modctld links kernel-default-real.c, the test daemon
 * modctld-fake links kernel-default-fake.c. No fake code ends up in the installed binary. */

#include "kernel/kernel.h"

int kernel_new_default(Kernel **ret);
