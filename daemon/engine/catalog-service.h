/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* What the daemon knows of the modules on disk, as opposed to the loaded ones: the catalog
 * (settings/catalog.h), built and refreshed on a thread of its own, and module descriptions,
 * remembered until the index changes. */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "core/resolver.h"
#include "settings/catalog.h"

typedef struct CatalogService CatalogService;

/* resolver (not owned) is the event loop's, for descriptions without a catalog. */
int catalog_service_new(sd_event *event, const char *modules_dir, const char *cache_path, Resolver *resolver,
                        CatalogService **ret);
CatalogService *catalog_service_free(CatalogService *c);
static inline void catalog_service_freep(CatalogService **c) { catalog_service_free(*c); }

/* Only the index watch tells when a remembered description goes stale: without it, nothing is
 * remembered. */
void catalog_service_set_index_watched(CatalogService *c, bool watched);
/* The module index changed: forget the descriptions. */
void catalog_service_invalidate(CatalogService *c);

/* The catalog, built or refreshed (after depmod) as needed: done is called once it is there (at
 * once when it is current), with NULL and a negative errno if it cannot be built. The catalog
 * stays valid until the event loop runs again. Returns < 0 (and never calls done) when the
 * build cannot start. */
typedef void (*catalog_service_done_t)(const Catalog *catalog, int error, void *userdata);
int catalog_service_get(CatalogService *c, catalog_service_done_t done, void *userdata);

/* A module's description (*ret NULL: it has none): from the catalog when it is current, else
 * from its file, read once until the index changes. */
int catalog_service_description(CatalogService *c, const char *name, char **ret);
