/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* Loads nobody asked for by name: the boot list (origin "boot": modules-load.d and
 * modules_load= on the kernel command line) and drivers for devices (origin "device": coldplug
 * of the devices present at start, then every "add" uevent with a MODALIAS). A batch's loads
 * are planned and submitted one per event-loop dispatch (boot list first), so the scheduler
 * inserts from the first plan on and runs independent plans in parallel; the walk over /sys
 * for coldplug runs on a thread meanwhile. */

#include <stdbool.h>

#include "engine/manager-sources.h"

typedef struct Manager Manager;
typedef struct Autoload Autoload;


/* Listens to the manager: loads and user unloads keep the sticky set, an applied configuration
 * reload coldplugs again. */
int autoload_new(Manager *m, const AutoloadConfig *config, Autoload **ret);
Autoload *autoload_free(Autoload *a);
static inline void autoload_freep(Autoload **a) { autoload_free(*a); }

/* Starts the boot list and coldplug batches and the device monitor. */
int autoload_start(Autoload *a);
/* Coldplug again (a configuration reload): sticky unloads are respected. */
int autoload_coldplug(Autoload *a);
/* True once every boot-list load has finished, successfully or not. */
bool autoload_boot_done(Autoload *a);
