/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* Names that resolved to nothing, so that a kernel asking for the same missing module again
 * (socket() on an unknown family asks every time) is answered without a lookup. The owner
 * drops everything when the module index or the modprobe configuration changes. Bounded: when
 * full, it starts over. Plain C, never logs. */

#include <stdbool.h>
#include <stddef.h>

typedef struct NegativeCache NegativeCache;

int negative_cache_new(size_t max_entries, NegativeCache **ret);
NegativeCache *negative_cache_free(NegativeCache *c);
static inline void negative_cache_freep(NegativeCache **c) { negative_cache_free(*c); }

bool negative_cache_contains(NegativeCache *c, const char *name);
int negative_cache_add(NegativeCache *c, const char *name);
void negative_cache_clear(NegativeCache *c);
size_t negative_cache_size(NegativeCache *c);
