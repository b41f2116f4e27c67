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
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/failure.h"

#include "engine/manager-sources.h"

typedef struct Autoload Autoload;
typedef struct ManagerEvents ManagerEvents;

/* Called once per load when it is over: failure is NULL on success, changed lists the modules
 * inserted. May be called before AutoloadPort.load returns. The manager's manager_done_t. */
typedef void (*autoload_done_t)(const Failure *failure, char **changed, void *userdata);

/* What autoload may ask of whoever creates it (the manager), with that owner's userdata. */
typedef struct AutoloadPort {
        sd_event *(*event)(void *userdata);
        /* Load name on behalf of origin (ORIGIN_BOOT, ORIGIN_DEVICE). */
        void (*load)(void *userdata, const char *name, const char *origin, autoload_done_t done, void *done_userdata);
        /* The modules a device alias resolves to, blacklist applied. */
        int (*lookup_alias)(void *userdata, const char *alias, char ***ret, Failure *failure);
        /* Before looking up: make sure the index is current (free with the index watch). */
        void (*refresh_index)(void *userdata);
        /* A batch ("boot", "coldplug") begins, and is done. */
        void (*started)(void *userdata, const char *batch);
        void (*finished)(void *userdata, const char *batch, unsigned requested, unsigned inserted, unsigned failed,
                         uint64_t usec);
        /* The timeline's clock, and a piece of one of the start's phases (TIMELINE_PHASE_*'s
         * names: "boot-list", "plan-boot", "device-walk", "device-lookup", "plan-coldplug"). */
        uint64_t (*now)(void *userdata);
        void (*phase)(void *userdata, const char *phase, uint64_t began, uint64_t ended);
        int (*add_listener)(void *userdata, const ManagerEvents *events, void *listener);
        void (*remove_listener)(void *userdata, const ManagerEvents *events, void *listener);
} AutoloadPort;


/* Listens to the manager: loads and user unloads keep the sticky set, an applied configuration
 * reload coldplugs again. */
int autoload_new(const AutoloadPort *port, void *userdata, const AutoloadConfig *config, Autoload **ret);
Autoload *autoload_free(Autoload *a);
static inline void autoload_freep(Autoload **a) { autoload_free(*a); }

/* Begins the coldplug's walk over /sys (and the device monitor, held until autoload_start) before
 * autoload starts, so that the walk runs beside the wait for the bus and the boot list's
 * planning; autoload_start's coldplug takes its result. Optional; 0 if it cannot. */
int autoload_prewalk(Autoload *a);
/* Starts the boot list and coldplug batches and the device monitor. */
int autoload_start(Autoload *a);
/* Coldplug again (a configuration reload): sticky unloads are respected. */
int autoload_coldplug(Autoload *a);
/* True once every boot-list load has finished, successfully or not. */
bool autoload_boot_done(Autoload *a);
