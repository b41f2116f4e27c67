/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

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

void search_hits_free(SearchHit *hits, size_t n) {
        for (size_t i = 0; i < n; i++)
                module_settings_done(&hits[i].settings);
        free(hits);
}

int search_modules(const Catalog *catalog, const char *text, ModuleRegistry *modules, SettingsService *settings,
                   const Caller *caller, SearchHit **ret, size_t *ret_n, Failure *failure) {
        _cleanup_(loaded_set_done) LoadedSet loaded = {};
        _cleanup_free_ size_t *matches = NULL;
        SearchHit *hits;
        size_t n = 0;
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
        for (size_t i = 0; i < n; i++) {
                hits[i].entry = catalog_entry(catalog, matches[i]);
                hits[i].loaded = loaded_set_contains(&loaded, hits[i].entry->name);
                r = settings_service_query(settings, hits[i].entry->name, caller, &hits[i].settings);
                if (r < 0) {
                        r = failure_set(failure, FAILURE_INTERNAL, "Cannot read the settings of module '%s': %s.",
                                        hits[i].entry->name, strerror(-r));
                        search_hits_free(hits, i);
                        return r;
                }
        }
        *ret = hits;
        *ret_n = n;
        return 0;
}
