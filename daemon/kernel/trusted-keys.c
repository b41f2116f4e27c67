/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strv.h"
#include "kernel/trusted-keys.h"

#define KEYRINGS_MAX 32         /* keyrings walked at most, the root included */
#define KEYS_PER_RING 256

/* The id of the keyring named name in /proc/keys, or 0.
 * Lines: ID FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION: SUMMARY */
static int keyring_id(const char *proc_keys, const char *name, int32_t *ret) {
        _cleanup_free_ char *line = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size = 0, n = strlen(name);

        f = fopen(proc_keys, "re");
        if (!f)
                return -errno;
        *ret = 0;
        while (getline(&line, &size, f) > 0) {
                unsigned id;
                char type[32];
                int desc = 0;

                if (sscanf(line, "%x %*s %*d %*s %*x %*d %*d %31s %n", &id, type, &desc) < 2 || desc == 0 ||
                    strcmp(type, "keyring") != 0)
                        continue;
                if (strncmp(line + desc, name, n) == 0 && line[desc + n] == ':') {
                        *ret = (int32_t) id;
                        break;
                }
        }
        return 0;
}

/* "type;uid;gid;perm;description" -> type and description. Returns 0 when malformed. */
static int describe(const KeyringOps *ops, void *userdata, int32_t id, char *buf, size_t size, char **ret_desc) {
        long n = ops->describe(id, buf, size, userdata);
        char *d = buf;

        if (n < 0)
                return (int) n;
        buf[MIN((size_t) n, size - 1)] = '\0';
        for (int i = 0; i < 4 && d; i++) {
                d = strchr(d, ';');
                if (d)
                        *d++ = '\0';
        }
        if (!d)
                return 0;
        *ret_desc = d;
        return 1;
}

int trusted_keys_walk(const char *proc_keys, const KeyringOps *ops, void *userdata, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        int32_t rings[KEYRINGS_MAX];
        size_t n_rings = 0;
        int32_t root;
        int r;

        assert(proc_keys);
        assert(ops);
        assert(ret);

        r = keyring_id(proc_keys, ".secondary_trusted_keys", &root);
        if (r >= 0 && root == 0)
                r = keyring_id(proc_keys, ".builtin_trusted_keys", &root);
        if (r < 0)
                return r;
        if (root == 0)
                return -ENOKEY;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        rings[n_rings++] = root;
        /* Breadth first; each keyring once, however often it is linked. */
        for (size_t i = 0; i < n_rings; i++) {
                int32_t keys[KEYS_PER_RING];
                long n = ops->read(rings[i], keys, sizeof(keys), userdata);

                if (n < 0)
                        continue;       /* not readable: its keys are not counted */
                for (size_t j = 0; j < MIN((size_t) n, sizeof(keys)) / sizeof(int32_t); j++) {
                        char buf[1024], *d = NULL;
                        bool seen = false;

                        r = describe(ops, userdata, keys[j], buf, sizeof(buf), &d);
                        if (r <= 0)
                                continue;
                        if (streq(buf, "keyring")) {
                                for (size_t k = 0; k < n_rings; k++)
                                        seen = seen || rings[k] == keys[j];
                                if (!seen && n_rings < ELEMENTSOF(rings))
                                        rings[n_rings++] = keys[j];
                        } else if (streq(buf, "asymmetric") && !strv_contains(l, d)) {
                                char *copy = strdup(d);
                                if (!copy || strv_push(&l, copy) < 0) {
                                        free(copy);
                                        return -ENOMEM;
                                }
                        }
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}
