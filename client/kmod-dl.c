/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "i18n.h"
#include "kmod-dl.h"

const KmodDl *kmod_dl(void) {
        static KmodDl table;
        static int state; /* 0 not tried, 1 ready, -1 failed */
        void *dl;

        if (state != 0)
                return state > 0 ? &table : NULL;

        state = -1;
        dl = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, _("%s: cannot read the module index without libkmod: %s\n"),
                        program_invocation_short_name, dlerror());
                return NULL;
        }

#define KMOD_DL_RESOLVE(s)                                                                              \
        table.s = (typeof(s) *) dlsym(dl, #s);                                                         \
        if (!table.s) {                                                                                 \
                fprintf(stderr, _("%s: libkmod lacks %s: %s\n"), program_invocation_short_name, #s,     \
                        dlerror());                                                                     \
                return NULL;                                                                            \
        }
        KMOD_DL_SYMBOLS(KMOD_DL_RESOLVE)
#undef KMOD_DL_RESOLVE

        /* Kept open for the life of the process, like a linked library. */
        state = 1;
        return &table;
}
