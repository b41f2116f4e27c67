/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kernel-default.h"

int kernel_new_default(Kernel **ret) {
        return kernel_new_real(ret);
}
