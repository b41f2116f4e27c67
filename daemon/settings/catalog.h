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

/* The catalog of the modules available for this kernel: every module in modules.dep with the
 * description, license, signer and aliases from its .modinfo and signature. Building it means
 * reading every module file once; the result is kept in memory and in a cache file, each entry
 * keyed by its file's path, size and mtime, so a rebuild after depmod (or a daemon start with a
 * current cache file) only stat()s the files and reads the changed ones. Plain C, never logs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every string in an entry but path is valid UTF-8 (a name is printable ASCII, an alias that is
 * not valid is left out, invalid bytes of the other fields become U+FFFD), from a module file
 * and from the cache file alike: a Search reply sends them without checking them again. */
typedef struct CatalogEntry {
        char *name;             /* as the kernel spells it */
        char *path;             /* absolute */
        char *description;      /* "" when none */
        char *license;
        char *signer;           /* the signing key's name ("" when unsigned) */
        char *aliases;          /* space-separated */
        uint64_t mtime_ns;
        uint64_t size;
} CatalogEntry;

typedef struct Catalog Catalog;

typedef struct CatalogStats {
        size_t parsed;          /* module files read */
        size_t reused;          /* entries kept from memory or the cache file */
        bool cache_written;
} CatalogStats;

/* Builds the catalog of modules_dir (where modules.dep lives), reusing the entries of old (may
 * be NULL) and of cache_path (may be NULL; a missing, stale or corrupt cache file is ignored)
 * whose files did not change, and rewrites cache_path when anything changed. Errors: -errno
 * when modules.dep cannot be read, -ENOMEM. A module file that cannot be read gets an entry
 * with empty fields. */
int catalog_build(const char *modules_dir, const char *cache_path, const Catalog *old, Catalog **ret,
                  CatalogStats *ret_stats);
Catalog *catalog_free(Catalog *c);
static inline void catalog_freep(Catalog **c) { catalog_free(*c); }

/* Whether modules.dep changed since c was built (one stat). */
bool catalog_is_stale(const Catalog *c);

size_t catalog_size(const Catalog *c);
const CatalogEntry *catalog_entry(const Catalog *c, size_t i);
const CatalogEntry *catalog_find(const Catalog *c, const char *name);

/* The entries whose name or description contains text, case-insensitively, '-' and '_' alike
 * in names; every entry for "". Sorted by name. *ret: indexes (free()). */
int catalog_search(const Catalog *c, const char *text, size_t **ret, size_t *ret_n);
/* One page of catalog_search(): the matches [offset, offset + limit) in the same order (none
 * when offset is past the end, or limit is 0), and *ret_total the number of all matches. */
int catalog_search_page(const Catalog *c, const char *text, size_t offset, size_t limit, size_t **ret,
                        size_t *ret_n, size_t *ret_total);
