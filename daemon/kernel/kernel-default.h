/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The backend a daemon binary runs on: modctld links kernel-default-real.c, the test daemon
 * modctld-fake links kernel-default-fake.c. No fake code ends up in the installed binary. */

#include "kernel.h"

int kernel_new_default(Kernel **ret);
