/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#include "common/array-util.h"
#include "settings/atomic-file.h"
#include "settings/catalog.h"
#include "core/elf-modinfo.h"
#include "core/module-file.h"
#include "common/module-name.h"
#include "core/signature.h"
#include "common/strv.h"
#include "common/utf8.h"

#define CATALOG_CACHE_MAGIC "modctl-catalog 1"

typedef struct Slot {
        const char *key;        /* name (by_name) or path (by_path) */
        size_t index;
        UT_hash_handle hh;
} Slot;

struct Catalog {
        CatalogEntry *entries;
        size_t n;
        Slot *by_name;
        Slot *slots;            /* backing store of by_name */
        char *dep_path;
        struct stat dep_st;
        char *lower;            /* per entry: "name\tdescription" in lower case, '-' as '_', NUL-separated */
        size_t *lower_offsets;
};

static void entry_done(CatalogEntry *e) {
        free(e->name);
        free(e->path);
        free(e->description);
        free(e->license);
        free(e->signer);
        free(e->aliases);
}

static DEFINE_ARRAY_FREE_FUNC(entry_array_free, CatalogEntry, entry_done);

Catalog *catalog_free(Catalog *c) {
        if (!c)
                return NULL;
        HASH_CLEAR(hh, c->by_name);
        free(c->slots);
        entry_array_free(c->entries, c->n);
        free(c->dep_path);
        free(c->lower);
        free(c->lower_offsets);
        free(c);
        return NULL;
}

size_t catalog_size(const Catalog *c) {
        return c ? c->n : 0;
}

const CatalogEntry *catalog_entry(const Catalog *c, size_t i) {
        assert(c);
        return i < c->n ? &c->entries[i] : NULL;
}

const CatalogEntry *catalog_find(const Catalog *c, const char *name) {
        char n[MODULE_NAME_LEN];
        Slot *s = NULL;

        if (!c || module_name_normalize(name, n) < 0)
                return NULL;
        HASH_FIND_STR(c->by_name, n, s);
        return s ? &c->entries[s->index] : NULL;
}

bool catalog_is_stale(const Catalog *c) {
        struct stat st;

        assert(c);

        if (stat(c->dep_path, &st) < 0)
                return true;
        return st.st_ino != c->dep_st.st_ino || st.st_size != c->dep_st.st_size ||
               st.st_mtim.tv_sec != c->dep_st.st_mtim.tv_sec || st.st_mtim.tv_nsec != c->dep_st.st_mtim.tv_nsec;
}

/* Every string of an entry is valid UTF-8, so that the bus can send it as it is (catalog.h): a
 * byte that starts no valid character becomes U+FFFD. Tabs and newlines would break the cache
 * file's lines and become spaces; nothing else is changed. */
static char *clean_strdup(const char *s) {
        char *d = utf8_escape_invalid(s ?: "");
        if (d)
                for (char *p = d; *p; p++)
                        if (*p == '\t' || *p == '\n' || *p == '\r')
                                *p = ' ';
        return d;
}

static int entry_from_file(CatalogEntry *e) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(strv_freep) char **pairs = NULL;
        const uint8_t *data;
        size_t size;
        unsigned flags;
        char *aliases = NULL;
        size_t alen = 0;
        int r;

        r = module_file_open(e->path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        r = module_map_fd(fd, &data, &size);
        if (r < 0)
                return r;
        r = elf_modinfo_parse(data, size, &pairs);
        if (r >= 0) {
                SignatureTrailer t;
                if (signature_trailer_parse(data, size, &t) >= 0) {
                        SignatureSigner s = {};
                        if (signature_signer_parse(t.pkcs7, t.pkcs7_size, &s) >= 0)
                                e->signer = clean_strdup(s.issuer_cn ?: s.skid);
                        signature_signer_done(&s);
                }
        }
        munmap((void *) data, size);
        if (r < 0)
                return r;

        e->description = clean_strdup(elf_modinfo_get(pairs, "description"));
        e->license = clean_strdup(elf_modinfo_get(pairs, "license"));
        for (char **p = pairs; p && p[0] && p[1]; p += 2) {
                size_t l;
                char *x;
                /* An alias that is not valid UTF-8 matches no device's modalias: left out. */
                if (strcmp(p[0], "alias") != 0 || strchr(p[1], ' ') || strchr(p[1], '\t') || strchr(p[1], '\n') ||
                    !utf8_is_valid(p[1]))
                        continue;
                l = strlen(p[1]);
                x = realloc(aliases, alen + l + 2);
                if (!x) {
                        free(aliases);
                        return -ENOMEM;
                }
                aliases = x;
                if (alen)
                        aliases[alen++] = ' ';
                memcpy(aliases + alen, p[1], l + 1);
                alen += l;
        }
        e->aliases = aliases ?: strdup("");
        if (!e->signer)
                e->signer = strdup("");
        return e->description && e->license && e->aliases && e->signer ? 0 : -ENOMEM;
}

/* The name of a module file as the kernel spells it: basename up to ".ko". */
static int name_from_path(const char *path, char ret[static MODULE_NAME_LEN]) {
        const char *b = strrchr(path, '/');
        const char *ko;
        char tmp[MODULE_NAME_LEN];

        b = b ? b + 1 : path;
        ko = strstr(b, ".ko");
        if (!ko || (size_t) (ko - b) >= MODULE_NAME_LEN)
                return -EINVAL;
        memcpy(tmp, b, ko - b);
        tmp[ko - b] = '\0';
        return module_name_normalize(tmp, ret);
}

typedef struct Known {
        char *path;
        CatalogEntry *entry;    /* borrowed, from the old catalog or the cache file */
        UT_hash_handle hh;
} Known;

static int copy_entry(CatalogEntry *d, const CatalogEntry *s) {
        *d = (CatalogEntry) { .mtime_ns = s->mtime_ns, .size = s->size };
        d->name = strdup(s->name);
        d->path = strdup(s->path);
        d->description = strdup(s->description);
        d->license = strdup(s->license);
        d->signer = strdup(s->signer);
        d->aliases = strdup(s->aliases);
        return d->name && d->path && d->description && d->license && d->signer && d->aliases ? 0 : -ENOMEM;
}

/* Reads the cache file into entries (owned by the caller). A bad file reads as empty. */
static void read_cache(const char *path, CatalogEntry **ret, size_t *ret_n) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        CatalogEntry *l = NULL;
        size_t n = 0, cap = 0;
        ssize_t k;

        *ret = NULL;
        *ret_n = 0;
        f = fopen(path, "re");
        if (!f)
                return;
        if ((k = getline(&line, &cap, f)) < 0 || strcmp(line, CATALOG_CACHE_MAGIC "\n") != 0)
                return;
        while ((k = getline(&line, &cap, f)) > 0) {
                char *fields[8], *p = line, *x;
                CatalogEntry *y;
                size_t i;

                if (line[k - 1] == '\n')
                        line[k - 1] = '\0';
                /* The cache is root's, but the bus sends its strings as they are (catalog.h):
                 * a line that is not valid UTF-8 is left out, and its module file read again. */
                if (!utf8_is_valid(line))
                        continue;
                for (i = 0; i < 8 && p; i++) {
                        fields[i] = p;
                        p = strchr(p, '\t');
                        if (p)
                                *p++ = '\0';
                }
                if (i != 8 || p)
                        continue;
                y = realloc(l, (n + 1) * sizeof(CatalogEntry));
                if (!y)
                        break;
                l = y;
                l[n] = (CatalogEntry) {
                        .path = strdup(fields[0]),
                        .mtime_ns = strtoull(fields[1], &x, 10),
                        .size = strtoull(fields[2], NULL, 10),
                        .name = strdup(fields[3]),
                        .description = strdup(fields[4]),
                        .license = strdup(fields[5]),
                        .signer = strdup(fields[6]),
                        .aliases = strdup(fields[7]),
                };
                if (!l[n].path || !l[n].name || !l[n].description || !l[n].license || !l[n].signer || !l[n].aliases) {
                        entry_done(&l[n]);
                        break;
                }
                n++;
        }
        *ret = l;
        *ret_n = n;
}

static int write_cache(const char *path, const Catalog *c) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        int r;

        if (!f)
                return -ENOMEM;
        fputs(CATALOG_CACHE_MAGIC "\n", f);
        for (size_t i = 0; i < c->n; i++) {
                const CatalogEntry *e = &c->entries[i];
                fprintf(f, "%s\t%llu\t%llu\t%s\t%s\t%s\t%s\t%s\n", e->path, (unsigned long long) e->mtime_ns,
                        (unsigned long long) e->size, e->name, e->description, e->license, e->signer, e->aliases);
        }
        r = ferror(f) ? -ENOMEM : 0;
        if (fclose(f) != 0 || r < 0)
                return -ENOMEM;
        return write_file_atomic(path, buf, 0644);
}

static int compare_entries(const void *a, const void *b) {
        return strcmp(((const CatalogEntry *) a)->name, ((const CatalogEntry *) b)->name);
}

static void lower_into(char *d, const char *s, bool name) {
        for (; *s; s++)
                *d++ = name && *s == '-' ? '_' : (char) tolower((unsigned char) *s);
        *d = '\0';
}

static int build_index(Catalog *c) {
        size_t total = 0, off = 0;

        qsort(c->entries, c->n, sizeof(CatalogEntry), compare_entries);
        c->slots = calloc(c->n ?: 1, sizeof(Slot));
        c->lower_offsets = calloc(c->n ?: 1, sizeof(size_t));
        if (!c->slots || !c->lower_offsets)
                return -ENOMEM;
        for (size_t i = 0; i < c->n; i++) {
                Slot *s = NULL;
                HASH_FIND_STR(c->by_name, c->entries[i].name, s);
                if (!s) {  /* the first of duplicate names (extra/ before kernel/ in modules.dep) */
                        c->slots[i] = (Slot) { .key = c->entries[i].name, .index = i };
                        HASH_ADD_KEYPTR(hh, c->by_name, c->slots[i].key, strlen(c->slots[i].key), &c->slots[i]);
                }
                total += strlen(c->entries[i].name) + strlen(c->entries[i].description) + 2;
        }
        c->lower = malloc(total + 1);
        if (!c->lower)
                return -ENOMEM;
        for (size_t i = 0; i < c->n; i++) {
                c->lower_offsets[i] = off;
                lower_into(c->lower + off, c->entries[i].name, true);
                off += strlen(c->entries[i].name);
                c->lower[off++] = '\t';
                lower_into(c->lower + off, c->entries[i].description, false);
                off += strlen(c->entries[i].description) + 1;
        }
        return 0;
}

static void known_freep(Known **known) {
        Known *kn, *kt;

        HASH_ITER(hh, *known, kn, kt) {
                HASH_DEL(*known, kn);
                free(kn);
        }
}

int catalog_build(const char *modules_dir, const char *cache_path, const Catalog *old, Catalog **ret,
                  CatalogStats *ret_stats) {
        _cleanup_(catalog_freep) Catalog *c = NULL;
        _cleanup_(fclosep) FILE *dep = NULL;
        _cleanup_free_ char *line = NULL;
        _cleanup_(known_freep) Known *known = NULL;
        CatalogEntry *cached = NULL;
        size_t n_cached = 0, cap = 0;
        CLEANUP_ARRAY(cached, n_cached, entry_array_free);
        Known *kn;
        CatalogStats stats = {};
        ssize_t k;
        int r = 0;

        assert(modules_dir);
        assert(ret);

        c = calloc(1, sizeof(Catalog));
        if (!c || asprintf(&c->dep_path, "%s/modules.dep", modules_dir) < 0)
                return -ENOMEM;
        dep = fopen(c->dep_path, "re");
        if (!dep)
                return -errno;
        if (fstat(fileno(dep), &c->dep_st) < 0)
                return -errno;

        /* What we know already, by path: the cache file first, then memory (fresher). */
        if (cache_path)
                read_cache(cache_path, &cached, &n_cached);
        for (size_t i = 0; i < n_cached + (old ? old->n : 0); i++) {
                CatalogEntry *e = i < n_cached ? &cached[i] : &old->entries[i - n_cached];
                HASH_FIND_STR(known, e->path, kn);
                if (kn) {
                        kn->entry = e;
                        continue;
                }
                kn = calloc(1, sizeof(Known));
                if (!kn)
                        return -ENOMEM;
                kn->path = e->path;
                kn->entry = e;
                HASH_ADD_KEYPTR(hh, known, kn->path, strlen(kn->path), kn);
        }

        while ((k = getline(&line, &cap, dep)) > 0) {
                char *colon = strchr(line, ':');
                char name[MODULE_NAME_LEN];
                _cleanup_(entry_done) CatalogEntry e = {};
                CatalogEntry *y;
                struct stat st;

                if (!colon)
                        continue;
                *colon = '\0';
                if (name_from_path(line, name) < 0)
                        continue;
                if (line[0] == '/')
                        e.path = strdup(line);
                else if (asprintf(&e.path, "%s/%s", modules_dir, line) < 0)
                        e.path = NULL;
                if (!e.path)
                        return -ENOMEM;
                if (stat(e.path, &st) >= 0) {
                        e.mtime_ns = (uint64_t) st.st_mtim.tv_sec * 1000000000ULL + (uint64_t) st.st_mtim.tv_nsec;
                        e.size = (uint64_t) st.st_size;
                }

                HASH_FIND_STR(known, e.path, kn);
                if (kn && kn->entry->mtime_ns == e.mtime_ns && kn->entry->size == e.size &&
                    strcmp(kn->entry->name, name) == 0) {
                        free(e.path);
                        r = copy_entry(&e, kn->entry);
                        stats.reused++;
                } else {
                        e.name = strdup(name);
                        r = e.name ? entry_from_file(&e) : -ENOMEM;
                        if (r < 0 && r != -ENOMEM) {
                                /* Unreadable: list it without facts. */
                                free(e.description);
                                free(e.license);
                                free(e.signer);
                                free(e.aliases);
                                e.description = strdup("");
                                e.license = strdup("");
                                e.signer = strdup("");
                                e.aliases = strdup("");
                                r = e.description && e.license && e.signer && e.aliases ? 0 : -ENOMEM;
                        }
                        stats.parsed++;
                }
                if (r < 0)
                        return r;
                y = realloc(c->entries, (c->n + 1) * sizeof(CatalogEntry));
                if (!y)
                        return -ENOMEM;
                c->entries = y;
                c->entries[c->n++] = e;
                e = (CatalogEntry) {};
        }

        r = build_index(c);
        if (r < 0)
                return r;
        if (cache_path && (stats.parsed > 0 || stats.reused != n_cached)) {
                /* A cache we cannot write costs the next start some time, nothing more. */
                stats.cache_written = write_cache(cache_path, c) >= 0;
        }

        if (ret_stats)
                *ret_stats = stats;
        *ret = TAKE_PTR(c);
        return 0;
}

int catalog_search(const Catalog *c, const char *text, size_t **ret, size_t *ret_n) {
        _cleanup_free_ char *needle = NULL;
        _cleanup_free_ size_t *l = NULL;
        size_t n = 0;

        assert(c);
        assert(text);

        needle = malloc(strlen(text) + 1);
        l = calloc(c->n ?: 1, sizeof(size_t));
        if (!needle || !l)
                return -ENOMEM;
        lower_into(needle, text, false);
        /* '-' and '_' alike in names: search for both spellings by normalizing the needle's
         * dashes when it could be a name. */
        bool namelike = !strpbrk(needle, " \t");
        _cleanup_free_ char *needle_name = strdup(needle);
        if (!needle_name)
                return -ENOMEM;
        for (char *p = needle_name; *p; p++)
                if (*p == '-')
                        *p = '_';

        for (size_t i = 0; i < c->n; i++) {
                const char *hay = c->lower + c->lower_offsets[i];
                const char *tab = strchr(hay, '\t');
                bool hit = !*needle;
                if (!hit && namelike) {
                        /* within the name part only */
                        const char *m = strstr(hay, needle_name);
                        hit = m && m < tab;
                }
                if (!hit)
                        hit = strstr(tab + 1, needle) != NULL;
                if (hit)
                        l[n++] = i;
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

int catalog_search_page(const Catalog *c, const char *text, size_t offset, size_t limit, size_t **ret,
                        size_t *ret_n, size_t *ret_total) {
        _cleanup_free_ size_t *all = NULL;
        size_t n = 0, count;
        int r;

        assert(c);
        assert(text);
        assert(ret);
        assert(ret_n);
        assert(ret_total);

        r = catalog_search(c, text, &all, &n);
        if (r < 0)
                return r;
        count = offset >= n ? 0 : MIN(limit, n - offset);
        if (count > 0 && offset > 0)
                memmove(all, all + offset, count * sizeof(size_t));
        *ret = TAKE_PTR(all);
        *ret_n = count;
        *ret_total = n;
        return 0;
}
