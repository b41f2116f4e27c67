/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "common/array-util.h"
#include "common/macro.h"
#include "engine/search.h"

typedef struct Loaded {
        const char *name;
        UT_hash_handle hh;
} Loaded;

/* The kernel's list of loaded modules, once, as a set to look each hit up in. */
typedef struct LoadedSet {
        KernelModule *modules;
        size_t n_modules;
        Loaded *slots;
        Loaded *by_name;
} LoadedSet;

static void loaded_set_done(LoadedSet *s) {
        HASH_CLEAR(hh, s->by_name);
        free(s->slots);
        kernel_module_array_free(s->modules, s->n_modules);
}

static int loaded_set_fill(LoadedSet *s, ModuleRegistry *modules) {
        int r;

        r = module_registry_list(modules, &s->modules, &s->n_modules);
        if (r < 0)
                return r;
        s->slots = calloc(MAX(s->n_modules, (size_t) 1), sizeof(Loaded));
        if (!s->slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_modules; i++) {
                s->slots[i].name = s->modules[i].name;
                HASH_ADD_KEYPTR(hh, s->by_name, s->slots[i].name, strlen(s->slots[i].name), &s->slots[i]);
        }
        return 0;
}

static bool loaded_set_contains(LoadedSet *s, const char *name) {
        Loaded *l = NULL;
        HASH_FIND_STR(s->by_name, name, l);
        return l;
}

static void search_hit_done(SearchHit *h) {
        module_settings_done(&h->settings);
}

DEFINE_ARRAY_FREE_FUNC(search_hits_free, SearchHit, search_hit_done);

int search_modules(const Catalog *catalog, const char *text, ModuleRegistry *modules, SettingsService *settings,
                   const Caller *caller, SearchHit **ret, size_t *ret_n, Failure *failure) {
        _cleanup_(loaded_set_done) LoadedSet loaded = {};
        _cleanup_free_ size_t *matches = NULL;
        SearchHit *hits = NULL;
        size_t n = 0, n_hits = 0;
        CLEANUP_ARRAY(hits, n_hits, search_hits_free);
        int r;

        assert(catalog);
        assert(text);
        assert(modules);
        assert(settings);
        assert(ret);
        assert(ret_n);

        r = catalog_search(catalog, text, &matches, &n);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot search the module catalog for '%s': %s.",
                                   text, strerror(-r));
        r = loaded_set_fill(&loaded, modules);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the list of loaded modules: %s.",
                                   strerror(-r));

        hits = calloc(MAX(n, (size_t) 1), sizeof(SearchHit));
        if (!hits)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory searching for '%s'.", text);
        for (; n_hits < n; n_hits++) {
                SearchHit *h = &hits[n_hits];

                h->entry = catalog_entry(catalog, matches[n_hits]);
                h->loaded = loaded_set_contains(&loaded, h->entry->name);
                r = settings_service_query(settings, h->entry->name, caller, &h->settings);
                if (r < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Cannot read the settings of module '%s': %s.",
                                           h->entry->name, strerror(-r));
        }
        *ret = TAKE_PTR(hits);
        *ret_n = n_hits;
        return 0;
}
