/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "settings/file-access.h"
#include "common/macro.h"

bool caller_is_privileged(const Caller *c) {
        assert(c);
        return c->uid == 0;
}

static bool caller_in_group(const Caller *c, gid_t gid) {
        if (c->gid != (gid_t) -1 && c->gid == gid)
                return true;
        for (size_t i = 0; i < c->n_gids; i++)
                if (c->gids[i] == gid)
                        return true;
        return false;
}

bool caller_may_access(const Caller *c, const struct stat *st, mode_t mask) {
        assert(c);
        assert(st);
        assert((mask & ~S_IRWXO) == 0);

        if (caller_is_privileged(c))
                return true;
        /* The kernel's order: the owner's bits for the owner, else the group's for a member,
         * else the others'; never a union of them. */
        if (c->uid != (uid_t) -1 && st->st_uid == c->uid)
                return ((st->st_mode >> 6) & mask) == mask;
        if (caller_in_group(c, st->st_gid))
                return ((st->st_mode >> 3) & mask) == mask;
        return (st->st_mode & mask) == mask;
}

int caller_may_read_path(const Caller *c, const char *root, const char *path, struct stat *ret_st) {
        _cleanup_free_ char *real = NULL, *real_root = NULL;
        struct stat st;
        size_t skip = 0;

        assert(c);
        assert(path);

        real = realpath(path, NULL);
        if (!real)
                return -errno;
        if (root && *root && strcmp(root, "/") != 0) {
                real_root = realpath(root, NULL);
                if (!real_root)
                        return -errno;
                size_t n = strlen(real_root);
                /* Below the prefix, only what the installed system would have is judged. */
                if (strncmp(real, real_root, n) == 0 && real[n] == '/')
                        skip = n;
        }

        /* Each directory from the top (after the prefix) down, then the file. */
        for (char *slash = strchr(real + skip + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                int r = stat(real, &st);
                *slash = '/';
                if (r < 0)
                        return -errno;
                if (!caller_may_access(c, &st, S_IXOTH))
                        return 0;
        }
        if (stat(real, &st) < 0)
                return -errno;
        if (!caller_may_access(c, &st, S_IROTH))
                return 0;
        if (ret_st)
                *ret_st = st;
        return 1;
}
