/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include "kernel/kernel-default.h"
#include "kernel/kernel.h"

int kernel_new_default(Kernel **ret) {
        assert(ret);

        return kernel_new_real(ret);
}
