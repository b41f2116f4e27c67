/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <stdlib.h>

#include "smartcols-dl.h"

const SmartcolsDl *smartcols_dl(void) {
        static SmartcolsDl table;
        static int state; /* 0 not tried, 1 ready, -1 failed */
        void *dl;

        if (state != 0)
                return state > 0 ? &table : NULL;

        state = -1;
        /* For the tests of the built-in printer. */
        if (getenv("MODCTL_NO_SMARTCOLS"))
                return NULL;
        dl = dlopen("libsmartcols.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return NULL;

#define SMARTCOLS_DL_RESOLVE(s)                                 \
        table.s = (typeof(s) *) dlsym(dl, #s);                  \
        if (!table.s) {                                         \
                dlclose(dl);                                    \
                return NULL;                                    \
        }
        SMARTCOLS_DL_SYMBOLS(SMARTCOLS_DL_RESOLVE)
#undef SMARTCOLS_DL_RESOLVE

        /* Kept open for the life of the process, like a linked library. */
        state = 1;
        return &table;
}
