/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The flags the org.modctl1.Manager methods take and the markers they return (see
 * dbus/org.modctl1.xml): part of the bus contract, in a header of their own so that code which
 * must not know D-Bus (the daemon's core) reads the same values. modctl-bus.h includes it. */

#include <stdint.h>

/* Flags of Manager.Load(). */
#define MODCTL_LOAD_DRY_RUN            (UINT64_C(1) << 0) /* resolve and return the plan, insert nothing */
#define MODCTL_LOAD_IGNORE_COMMANDS    (UINT64_C(1) << 1) /* skip modprobe.d install commands, insert directly */
#define MODCTL_LOAD_FORCE_VERMAGIC     (UINT64_C(1) << 2) /* finit_module flag MODULE_INIT_IGNORE_VERMAGIC */
#define MODCTL_LOAD_FORCE_MODVERSION   (UINT64_C(1) << 3) /* finit_module flag MODULE_INIT_IGNORE_MODVERSIONS */
#define MODCTL_LOAD_VERDICTS           (UINT64_C(1) << 4) /* with DRY_RUN: also judge the plan and predict taints */
#define MODCTL_LOAD_FLAGS_ALL          (UINT64_C(0x1f))

/* Flags of Manager.CheckPolicy(): none yet. */
#define MODCTL_CHECK_POLICY_FLAGS_ALL  (UINT64_C(0))

/* Flags of Manager.Unload(). */
#define MODCTL_UNLOAD_REMOVE_UNUSED    (UINT64_C(1) << 0) /* also remove dependencies left unused, like modprobe -r */
#define MODCTL_UNLOAD_IGNORE_COMMANDS  (UINT64_C(1) << 1) /* skip modprobe.d remove commands */
#define MODCTL_UNLOAD_REMOVE_HOLDERS   (UINT64_C(1) << 2) /* first remove the modules holding it, like
                                                           * modprobe -r --remove-holders (kmod 30) */
#define MODCTL_UNLOAD_FLAGS_ALL        (UINT64_C(0x7))

/* Flags of Manager.SetBootLoad(), SetBlacklisted(), SetDisabled() and SetOptions(). */
#define MODCTL_SETTING_RUNTIME         (UINT64_C(1) << 0) /* write the file under /run: lost at reboot */
#define MODCTL_SETTING_FLAGS_ALL       (UINT64_C(0x1))

/* What settings, Search, the Options property, dry runs and CheckPolicy show in place of a line
 * of a modprobe.d or modules-load.d file the caller could not read itself (the file's name may
 * be shown, its contents never are). Stable: clients may look for it. */
#define MODCTL_NOT_READABLE            "managed elsewhere (not readable)"
