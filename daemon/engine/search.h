/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* Search: the catalog's matches for a text, each joined with whether it is loaded and with its
 * settings as the caller sees them. */

#include <stdbool.h>
#include <stddef.h>

#include "common/failure.h"
#include "engine/module-registry.h"
#include "engine/settings-service.h"
#include "settings/catalog.h"

typedef struct SearchHit {
        const CatalogEntry *entry;      /* the catalog's: valid while the catalog is */
        bool loaded;
        ModuleSettings settings;
} SearchHit;

void search_hits_free(SearchHit *hits, size_t n);

int search_modules(const Catalog *catalog, const char *text, ModuleRegistry *modules, SettingsService *settings,
                   const Caller *caller, SearchHit **ret, size_t *ret_n, Failure *failure);
