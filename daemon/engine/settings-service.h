/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "engine/ is the manager: the core and the kernel backend may not call up into it"
#endif

/* The persistent settings as the daemon serves them: where the files are, their parsed state
 * (read again after any change), and a change made effective. What "effective" takes belongs
 * to whoever owns the resolvers and the policy: the service reaches it through its port. */

#include <stdbool.h>

#include "common/daemon-config.h"
#include "common/failure.h"
#include "settings/file-access.h"
#include "settings/settings.h"

typedef struct SettingsService SettingsService;

typedef struct SettingsServicePort {
        /* Before a read: make sure a change of the files is seen (without inotify, the manager
         * compares their identity, and a change comes back as files_changed). */
        void (*refresh)(void *userdata);
        /* The configuration in force (Deny=, Allow= decide Disabled). */
        const Config *(*config)(void *userdata);
        /* Deny= changed: reload the policy; on failure the service puts the files back. */
        int (*reload_policy)(void *userdata, Failure *failure);
        /* A settings file changed: everything that caches what the files say must drop it
         * (the service's own state included: it calls settings_service_invalidate() back). */
        void (*files_changed)(void *userdata);
        /* A setting changed through the API: setting is setting_kind_to_string(), value "yes",
         * "no" or the options, file the file written. */
        void (*setting_changed)(void *userdata, const char *module, const char *setting, const char *value,
                                const char *file);
} SettingsServicePort;

/* root: NULL or "" for /; modprobe_paths: NULL for libkmod's defaults; cmdline: NULL for
 * /proc/cmdline. */
int settings_service_new(const char *root, char *const *modprobe_paths, const char *cmdline,
                         const SettingsServicePort *port, void *userdata, SettingsService **ret);
SettingsService *settings_service_free(SettingsService *s);
static inline void settings_service_freep(SettingsService **s) { settings_service_free(*s); }

const SettingsPaths *settings_service_paths(SettingsService *s);
/* The parsed files; NULL if they cannot be read (logged). */
const SettingsState *settings_service_state(SettingsService *s);
/* Drops the parsed files: the next reader reads them again. */
void settings_service_invalidate(SettingsService *s);

/* A module's effective settings (all false and "" when the files cannot be read), as caller sees
 * them (NULL: root; see settings_query_as()). */
int settings_service_query(SettingsService *s, const char *name, const Caller *caller, ModuleSettings *ret);
/* The same, and every source with its file (GetModuleSettings). */
int settings_service_describe(SettingsService *s, const char *name, const Caller *caller, ModuleSettings *ret,
                              SettingSource **ret_sources, size_t *ret_n, Failure *failure);
/* Changes a setting (see settings_change()) and makes it effective through the port; a Deny=
 * change whose policy does not reload puts the files back as they were. */
int settings_service_change(SettingsService *s, SettingKind kind, const char *name, bool on, const char *options,
                            bool runtime, Failure *failure);
