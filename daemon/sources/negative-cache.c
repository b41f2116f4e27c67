/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "sources/negative-cache.h"

typedef struct Entry {
        UT_hash_handle hh;
        char name[];
} Entry;

struct NegativeCache {
        Entry *entries;
        size_t n, max;
};

int negative_cache_new(size_t max_entries, NegativeCache **ret) {
        NegativeCache *c = calloc(1, sizeof(NegativeCache));

        assert(ret);

        if (!c)
                return -ENOMEM;
        c->max = max_entries > 0 ? max_entries : 1;
        *ret = c;
        return 0;
}

void negative_cache_clear(NegativeCache *c) {
        Entry *e, *t;

        if (!c)
                return;
        HASH_ITER(hh, c->entries, e, t) {
                HASH_DEL(c->entries, e);
                free(e);
        }
        c->n = 0;
}

NegativeCache *negative_cache_free(NegativeCache *c) {
        negative_cache_clear(c);
        free(c);
        return NULL;
}

bool negative_cache_contains(NegativeCache *c, const char *name) {
        Entry *e = NULL;

        assert(c);

        HASH_FIND_STR(c->entries, name, e);
        return e;
}

int negative_cache_add(NegativeCache *c, const char *name) {
        assert(c);
        assert(name);

        size_t len = strlen(name);
        Entry *e;

        if (negative_cache_contains(c, name))
                return 0;
        /* A flood of distinct names must not grow the daemon without bound. */
        if (c->n >= c->max)
                negative_cache_clear(c);

        e = malloc(sizeof(Entry) + len + 1);
        if (!e)
                return -ENOMEM;
        memset(&e->hh, 0, sizeof(e->hh));
        memcpy(e->name, name, len + 1);
        HASH_ADD_KEYPTR(hh, c->entries, e->name, len, e);
        c->n++;
        return 1;
}

size_t negative_cache_size(NegativeCache *c) {
        return c ? c->n : 0;
}
