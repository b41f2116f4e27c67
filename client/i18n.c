/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <locale.h>
#include <stdbool.h>
#include <string.h>

#include "i18n.h"

void i18n_init(void) {
        static bool done;

        if (done)
                return;
        done = true;
        (void) setlocale(LC_CTYPE, "");
        (void) setlocale(LC_MESSAGES, "");
}

char *i18n_gettext(const char *s) {
        i18n_init();
        return gettext(s);
}

const char *i18n_strerror(int error) {
        i18n_init();
        return strerror(error);
}
