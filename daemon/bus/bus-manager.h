/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_BUS) && !defined(MODCTL_LAYER_MAIN)
#error "bus/ is the D-Bus layer: only bus/ and main.c may include it"
#endif

/* org.modctl1.Manager on /org/modctl1: the vtable, its handlers and the signals. */

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus-context.h"
#include "bus/bus-object.h"

/* Adds the object's vtable (userdata: the context). */
/* The same object on another connection (a private socket's), same userdata. */
extern const BusObjectImplementation bus_manager_object;

/* ModuleLoaded or ModuleUnloaded(name, origin). */
void bus_manager_emit_module_event(BusContext *b, bool loaded, const char *name, const char *origin);
/* PolicyWarning: Mode=warn let a module load that the policy would have denied. */
void bus_manager_emit_policy_warning(BusContext *b, const char *module, const char *rule, const char *reason);
/* ConfigReloaded: a reload (ReloadConfig or SIGHUP) was applied ("applied", "") or refused
 * ("refused", the FILE:LINE message); refused means the previous configuration stays. */
void bus_manager_emit_config_reloaded(BusContext *b, bool applied, const char *message);
/* ModuleLoadFailed(name, origin, error name, message), for `modctl monitor` and friends. */
void bus_manager_emit_load_failed(BusContext *b, const char *name, const char *origin, const Failure *failure);
/* AutoloadFinished(batch, requested, inserted, failed, usec): "boot" or "coldplug" is done. */
void bus_manager_emit_autoload_finished(BusContext *b, const char *batch, unsigned requested, unsigned inserted,
                                        unsigned failed, uint64_t usec);
/* SettingChanged(module, setting, value, file): a persistent setting changed through the API. */
void bus_manager_emit_setting_changed(BusContext *b, const char *module, const char *setting, const char *value,
                                      const char *file);
