/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus contract shared by modctld and its clients. dbus/org.modctl1.xml is the
 * authoritative description; tests/integration checks the live daemon against it. */

#define MODCTL_BUS_NAME          "org.modctl1"
#define MODCTL_BUS_PATH          "/org/modctl1"
#define MODCTL_BUS_INTERFACE     "org.modctl1.Manager"

/* One object per loaded module, below an org.freedesktop.DBus.ObjectManager at MODCTL_BUS_PATH:
 * MODCTL_MODULE_PATH_PREFIX "/" + the name escaped with sd_bus_path_encode(). */
#define MODCTL_MODULE_PATH_PREFIX "/org/modctl1/module"
#define MODCTL_MODULE_INTERFACE   "org.modctl1.Module"

/* The methods' flags and markers, which the daemon's plain-C core reads without knowing the bus. */
#include "modctl-values.h"


/* In a dry-run reply every entry is one step of the plan, prefixed like modprobe -D:
 * "insmod PATH [PARAMS]", "install COMMAND", "builtin NAME" or "loaded NAME". */

/* Error names, as listed in dbus/org.modctl1.xml. Each is one failure kind (common/failure.h)
 * and maps to exactly one errno in daemon/bus/bus-error.c, so a client using
 * sd_bus_error_get_errno() gets a meaningful value too. */
#define MODCTL_ERROR_PREFIX            "org.modctl1.Error."
#define MODCTL_ERROR_INVALID_NAME      "org.modctl1.Error.InvalidName"
#define MODCTL_ERROR_INVALID_ARGUMENT  "org.modctl1.Error.InvalidArgument"
#define MODCTL_ERROR_NOT_FOUND         "org.modctl1.Error.NotFound"
#define MODCTL_ERROR_NOT_LOADED        "org.modctl1.Error.NotLoaded"
#define MODCTL_ERROR_BUILT_IN          "org.modctl1.Error.BuiltIn"
#define MODCTL_ERROR_IN_USE            "org.modctl1.Error.InUse"
#define MODCTL_ERROR_KERNEL_REJECTED   "org.modctl1.Error.KernelRejected"
#define MODCTL_ERROR_COMMAND_FAILED    "org.modctl1.Error.CommandFailed"
#define MODCTL_ERROR_DEPENDENCY_CYCLE  "org.modctl1.Error.DependencyCycle"
#define MODCTL_ERROR_TIMEOUT           "org.modctl1.Error.Timeout"
#define MODCTL_ERROR_BAD_MODULE        "org.modctl1.Error.BadModule"
#define MODCTL_ERROR_INTERNAL          "org.modctl1.Error.Internal"
#define MODCTL_ERROR_POLICY_DENIED     "org.modctl1.Error.PolicyDenied"
#define MODCTL_ERROR_INVALID_CONFIG    "org.modctl1.Error.InvalidConfig"
/* A setting comes from a file modctld does not manage (an admin's modprobe.d, modules-load.d or
 * modctld.conf.d file), or a file at modctld's own path was not written by modctld. */
#define MODCTL_ERROR_MANAGED_ELSEWHERE "org.modctl1.Error.ManagedElsewhere"
/* Too many inspections (CheckPolicy, dry runs, Info) or authorizations queued, by this caller or
 * by everyone: nothing was done; try again later. */
#define MODCTL_ERROR_BUSY              "org.modctl1.Error.Busy"
/* Module parameters (Load, CheckPolicy) or options (SetOptions) outside the one grammar of
 * common/module-params.h: the sentence names the module, the parameter and the byte. Also a
 * load whose modprobe.d install command would get such options as $CMDLINE_OPTS. */
#define MODCTL_ERROR_INVALID_PARAMETERS "org.modctl1.Error.InvalidParameters"
/* modctld is near the memory limit of its cgroup (memory.max or memory.high): new loads and
 * searches are refused, work already accepted finishes; try again when memory is free. */
#define MODCTL_ERROR_MEMORY_SHORT      "org.modctl1.Error.MemoryShort"
