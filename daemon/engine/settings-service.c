/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strv.h"
#include "engine/settings-service.h"

struct SettingsService {
        SettingsPaths *paths;
        SettingsState *state;           /* NULL until needed or after a change */
        const SettingsServicePort *port;
        void *userdata;
};

int settings_service_new(const char *root, char *const *modprobe_paths, const char *cmdline,
                         const SettingsServicePort *port, void *userdata, SettingsService **ret) {
        _cleanup_(settings_service_freep) SettingsService *s = NULL;
        int r;

        assert(port);
        assert(ret);

        s = calloc(1, sizeof(SettingsService));
        if (!s)
                return -ENOMEM;
        s->port = port;
        s->userdata = userdata;
        r = settings_paths_new(root, modprobe_paths, cmdline, &s->paths);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

SettingsService *settings_service_free(SettingsService *s) {
        if (!s)
                return NULL;
        settings_state_free(s->state);
        settings_paths_free(s->paths);
        free(s);
        return NULL;
}

const SettingsPaths *settings_service_paths(SettingsService *s) {
        assert(s);
        return s->paths;
}

const SettingsState *settings_service_state(SettingsService *s) {
        int r;

        assert(s);

        /* A settings read is a request too: without inotify the check drops a stale state. */
        s->port->refresh(s->userdata);
        if (s->state)
                return s->state;
        r = settings_state_load(s->paths, &s->state);
        if (r < 0) {
                log_warning_errno(r, "Cannot read modprobe.d and modules-load.d: %m");
                return NULL;
        }
        return s->state;
}

void settings_service_invalidate(SettingsService *s) {
        assert(s);
        s->state = settings_state_free(s->state);
}

int settings_service_query(SettingsService *s, const char *name, const Caller *caller, ModuleSettings *ret) {
        const SettingsState *state;

        assert(s);
        assert(name);
        assert(ret);

        state = settings_service_state(s);
        if (!state) {
                *ret = (ModuleSettings) { .options = strdup("") };
                return ret->options ? 0 : -ENOMEM;
        }
        return settings_query_as(state, s->port->config(s->userdata), name, caller, ret);
}

int settings_service_describe(SettingsService *s, const char *name, const Caller *caller, ModuleSettings *ret,
                              SettingSource **ret_sources, size_t *ret_n, Failure *failure) {
        _cleanup_(module_settings_done) ModuleSettings ms = {};
        const SettingsState *state;
        const Config *config;
        int r;

        assert(s);
        assert(name);
        assert(ret);
        assert(ret_sources);
        assert(ret_n);

        state = settings_service_state(s);
        if (!state)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the settings of module '%s'.", name);
        config = s->port->config(s->userdata);
        r = settings_query_as(state, config, name, caller, &ms);
        if (r >= 0)
                r = settings_describe_as(state, s->paths, config, name, caller, ret_sources, ret_n);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory reading the settings of module '%s'.",
                                   name);
        *ret = ms;
        ms = (ModuleSettings) {};
        return 0;
}

/* The policy files as they are before a Deny= change, to put back if the policy does not
 * reload. */
typedef struct PolicyFilesBackup {
        char *contents[2];
} PolicyFilesBackup;

static void policy_files_backup_done(PolicyFilesBackup *b) {
        free(b->contents[0]);
        free(b->contents[1]);
}

static int policy_files_backup(SettingsService *s, PolicyFilesBackup *b, Failure *failure) {
        for (size_t i = 0; i < 2; i++) {
                const char *file = s->paths->owned[SETTINGS_FILE_POLICY][i];
                int r = settings_snapshot(file, &b->contents[i]);
                if (r < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Cannot read %s: %s.", file, strerror(-r));
        }
        return 0;
}

static void policy_files_restore(SettingsService *s, const PolicyFilesBackup *b) {
        for (size_t i = 0; i < 2; i++) {
                const char *file = s->paths->owned[SETTINGS_FILE_POLICY][i];
                int r = settings_restore(file, b->contents[i]);
                if (r < 0)
                        log_error_errno(r, "Failed to put back %s: %m", file);
        }
}

int settings_service_change(SettingsService *s, SettingKind kind, const char *name, bool on, const char *options,
                            bool runtime, Failure *failure) {
        _cleanup_(policy_files_backup_done) PolicyFilesBackup backup = {};
        _cleanup_free_ char *file = NULL;
        const SettingsState *state;
        bool changed = false;
        int r;

        assert(s);
        assert(name);

        state = settings_service_state(s);
        if (!state)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot read the current settings of module '%s'.",
                                   name);
        if (kind == SETTING_DISABLE) {
                r = policy_files_backup(s, &backup, failure);
                if (r < 0)
                        return r;
        }

        r = settings_change(state, s->paths, s->port->config(s->userdata), kind, name, on, options, runtime,
                            &changed, &file, failure);
        if (r < 0)
                return r;
        if (!changed) {
                log_debug("Setting %s of module %s is already as asked.", setting_kind_to_string(kind), name);
                return 0;
        }

        if (kind == SETTING_DISABLE) {
                r = s->port->reload_policy(s->userdata, failure);
                if (r < 0) {
                        policy_files_restore(s, &backup);
                        s->port->files_changed(s->userdata);
                        return r;
                }
        }
        /* One path for every change: the resolvers see the new modprobe.d at once, not only when
         * inotify says so, and the listeners (the hook's negative cache, module objects) hear
         * of it. */
        s->port->files_changed(s->userdata);

        const char *value = kind == SETTING_OPTIONS ? options : on ? "yes" : "no";
        log_info("Module %s: %s set to '%s' in %s.", name, setting_kind_to_string(kind), value, file);
        s->port->setting_changed(s->userdata, name, setting_kind_to_string(kind), value, file);
        return 0;
}
