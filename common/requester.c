/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "requester.h"

static void copy_cut(char *dst, size_t size, const char *src) {
        size_t n = src ? strnlen(src, size - 1) : 0;

        if (n > 0)
                memcpy(dst, src, n);
        dst[n] = 0;
}

void requester_set(Requester *r, uid_t uid, pid_t pid, const char *comm, const char *unit) {
        assert(r);

        r->uid = uid;
        r->pid = pid;
        copy_cut(r->comm, sizeof(r->comm), comm);
        copy_cut(r->unit, sizeof(r->unit), unit);
}

bool requester_is_known(const Requester *r) {
        if (!r)
                return false;
        return r->uid != (uid_t) -1 || r->pid > 0 || r->comm[0] || r->unit[0];
}
