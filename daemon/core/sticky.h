/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* Sticky unloads. A module that an admin unloaded through modctl (origin "user") stays
 * unloaded for devices: coldplug (daemon start, replays) does not load it again. It comes back
 * when someone loads it (any load, by any tool: the admin's decision has been overridden) or
 * when a device that wants it is added (a new "add" uevent: hardware that appears now is a new
 * request). The set is kept in a file under /run, so a daemon restart keeps it and a reboot
 * forgets it. Plain C, never logs. */

#include <stdbool.h>

typedef enum DeviceTrigger {
        DEVICE_TRIGGER_COLDPLUG,   /* devices that were there already */
        DEVICE_TRIGGER_HOTPLUG,    /* an "add" uevent */
} DeviceTrigger;

typedef struct Sticky Sticky;

/* path: where the set is kept (NULL: in memory only). A missing file is an empty set. */
int sticky_new(const char *path, Sticky **ret);
Sticky *sticky_free(Sticky *s);
static inline void sticky_freep(Sticky **s) { sticky_free(*s); }

/* A user unloaded name. */
int sticky_unloaded(Sticky *s, const char *name);
/* name was loaded (by anyone): it is no longer held back. */
int sticky_loaded(Sticky *s, const char *name);
/* May a device load name? A hotplug says yes and forgets the unload. */
bool sticky_allows(Sticky *s, const char *name, DeviceTrigger trigger);
bool sticky_contains(Sticky *s, const char *name);
