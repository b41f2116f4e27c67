/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "failure.h"

int failure_set(Failure *f, int error, const char *fmt, ...) {
        va_list ap;

        if (!f)
                return error;

        free(f->message);
        f->message = NULL;
        f->error = error;

        va_start(ap, fmt);
        if (vasprintf(&f->message, fmt, ap) < 0)
                f->message = NULL; /* the errno alone still tells the caller what happened */
        va_end(ap);

        return error;
}

void failure_done(Failure *f) {
        if (!f)
                return;
        free(f->message);
        *f = FAILURE_NULL;
}

void failure_move(Failure *dst, Failure *src) {
        failure_done(dst);
        *dst = *src;
        *src = FAILURE_NULL;
}
