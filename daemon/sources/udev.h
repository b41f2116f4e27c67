/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_MAIN)
#error "sources/ are request sources: main.c wires them to the manager"
#endif

/* Devices that want drivers: the udev monitor for devices that appear, and the walk over
 * /sys/devices for the ones already there (coldplug). It only reports modaliases; what gets
 * loaded for them is the manager's business (autoload.c). */

#include <systemd/sd-event.h>

typedef struct DeviceMonitor DeviceMonitor;

/* Called on the event loop for every "add" uevent that carries a MODALIAS. */
typedef void (*device_added_t)(const char *modalias, const char *syspath, void *userdata);

/* The "udev" source when systemd-udevd runs (it forwards events once its rules have run, with
 * the properties they set), the "kernel" source otherwise (early boot, containers, our VM).
 * udev_control: the file whose existence says udevd runs, normally /run/udev/control. */
int device_monitor_new(sd_event *event, const char *udev_control, device_added_t handler, void *userdata,
                       DeviceMonitor **ret);
DeviceMonitor *device_monitor_free(DeviceMonitor *d);
static inline void device_monitor_freep(DeviceMonitor **d) { device_monitor_free(*d); }
const char *device_monitor_source(DeviceMonitor *d);

/* The distinct modaliases of the devices below sysfs/devices (sysfs: normally "/sys"), in the
 * order found. Never follows symlinks, so each device is seen once. */
int devices_enumerate_modaliases(const char *sysfs, char ***ret);

/* devices_enumerate_modaliases() on a thread of its own, so the event loop goes on dispatching
 * (a walk over /sys takes a noticeable time at boot). done runs on the event loop with the
 * walk's result and, on success, the list (which it then owns); it may free the enumeration.
 * Freeing it before done waits for the walk to end and drops its result. */
typedef struct DeviceEnumeration DeviceEnumeration;
typedef void (*devices_enumerated_t)(int result, char **aliases, void *userdata);
int devices_enumerate_async(sd_event *event, const char *sysfs, devices_enumerated_t done, void *userdata,
                            DeviceEnumeration **ret);
DeviceEnumeration *device_enumeration_free(DeviceEnumeration *e);
static inline void device_enumeration_freep(DeviceEnumeration **e) { device_enumeration_free(*e); }
