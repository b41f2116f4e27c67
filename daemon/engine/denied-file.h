/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE)
#error "engine/denied-file.h is the manager's: only engine/ may include it"
#endif

/* MODPROBE_DENIED_CONF: while modctld runs it is kept equal to what the policy keeps out, so
 * that whatever loads modules when modctld does not run (udevd after modctl-udev-handoff stop
 * replays the driverless devices, kmod's modprobe through kernel.modprobe or
 * HookFallback=modprobe) leaves those modules out too. It must already be on disk when modctld
 * ends, since a crash (kill -9) writes nothing: so it is written at start, before the boot list
 * and coldplug, and again whenever the policy, the module index or the set of refused loads
 * changes. modctld's own resolver and settings never read it (ResolverConfig.exclude_config,
 * SettingsPaths.excluded): the policy judges, not that copy. Failures to write are logged: the
 * file is a safety net, never a reason to refuse work. */

#include "common/daemon-config.h"
#include "common/failure.h"

typedef struct DeniedFile DeniedFile;

/* Reads what the last run found refused: it stays until this run loads it. */
int denied_file_new(const char *config_root, DeniedFile **ret);
DeniedFile *denied_file_free(DeniedFile *d);
static inline void denied_file_freep(DeniedFile **d) { denied_file_free(*d); }

const char *denied_file_path(DeniedFile *d);
/* The rules or the module index (modules_dir/modules.dep) changed: list the names the rules
 * deny again, and write the file if it changed. */
void denied_file_update(DeniedFile *d, const Config *config, const char *modules_dir);
/* A load failed: if the policy refused it by its content, keep it out too. */
void denied_file_load_failed(DeniedFile *d, const Config *config, const char *name, const Failure *failure);
/* Loaded: the policy let it in (a later configuration, or a load by hand), so it is no longer
 * kept out. */
void denied_file_module_loaded(DeniedFile *d, const char *name);
