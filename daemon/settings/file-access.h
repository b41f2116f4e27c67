/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "settings/ is part of the plain-C core: the kernel backend may not include it"
#endif

/* Whether a caller could read a file itself: the owner, group and other bits of the file's
 * mode against the caller's effective uid, effective gid and supplementary groups, as the
 * kernel's own check does, and the search bit of every directory on its path. Root reads
 * everything. Access control lists are not consulted: a file an ACL alone opens to a caller
 * counts as unreadable for it (the answer errs towards hiding). Plain C, never logs. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Who asks. A caller whose credentials are unknown (a broadcast signal, or creds the bus could
 * not tell) is CALLER_ANONYMOUS: it is in no group and owns nothing, so it sees only what the
 * "other" bits grant. */
typedef struct Caller {
        uid_t uid;              /* effective; (uid_t) -1: unknown */
        gid_t gid;              /* effective; (gid_t) -1: unknown */
        const gid_t *gids;      /* supplementary groups */
        size_t n_gids;
} Caller;

#define CALLER_ANONYMOUS ((const Caller) { .uid = (uid_t) -1, .gid = (gid_t) -1 })

bool caller_is_privileged(const Caller *c);

/* mask: S_IROTH to read, S_IXOTH to search a directory (the "other" bits; the owner and group
 * bits are derived from them). */
bool caller_may_access(const Caller *c, const struct stat *st, mode_t mask);

/* Whether c could open path for reading: every directory below root (NULL or "" for /, a test
 * or chroot prefix that is not judged) searchable, and the file itself readable. Symbolic links
 * are resolved first, and the directories of the real path are judged. Returns 1 if so, 0 if
 * not, -errno when path cannot be resolved or a part of it cannot be stat()ed. *ret_st (may be
 * NULL) gets the file's stat on success. */
int caller_may_read_path(const Caller *c, const char *root, const char *path, struct stat *ret_st);
