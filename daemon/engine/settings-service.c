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

/* modctld's two files of a role as they are before a change, to put back if the change does
 * not take effect (or, for Deny=, the policy does not reload). */
typedef struct FilesBackup {
        SettingsFile file;
        char *contents[2];
} FilesBackup;

static void files_backup_done(FilesBackup *b) {
        free(b->contents[0]);
        free(b->contents[1]);
}

static int files_backup(SettingsService *s, SettingsFile file, FilesBackup *b, Failure *failure) {
        b->file = file;
        for (size_t i = 0; i < 2; i++) {
                const char *path = s->paths->owned[file][i];
                int r = settings_snapshot(path, &b->contents[i]);
                if (r < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Cannot read %s: %s.", path, strerror(-r));
        }
        return 0;
}

static void files_restore(SettingsService *s, const FilesBackup *b) {
        for (size_t i = 0; i < 2; i++) {
                const char *path = s->paths->owned[b->file][i];
                int r = settings_restore(path, b->contents[i]);
                if (r < 0)
                        log_error_errno(r, "Failed to put back %s: %m", path);
        }
}

/* Reads every file again and checks that the change decides the effective state. */
static int check_effective(SettingsService *s, SettingKind kind, const char *name, bool on, const char *options,
                           bool runtime, Failure *failure) {
        _cleanup_(settings_state_freep) SettingsState *fresh = NULL;
        int r;

        r = settings_state_load(s->paths, &fresh);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r,
                                         "Cannot read the settings of module '%s' again after the change.", name);
        return settings_check_effective(fresh, s->paths, s->port->config(s->userdata), kind, name, on, options,
                                        runtime, failure);
}

int settings_service_change(SettingsService *s, SettingKind kind, const char *name, bool on, const char *options,
                            bool runtime, const Requester *who, Failure *failure) {
        _cleanup_(files_backup_done) FilesBackup backup = {};
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
        r = files_backup(s, setting_kind_file(kind), &backup, failure);
        if (r < 0)
                return r;

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
                        files_restore(s, &backup);
                        s->port->files_changed(s->userdata);
                        return r;
                }
        }
        /* A later file may cancel what was written (an empty Deny=, a file of the same name read
         * instead): then the change is not made, and the call says which file decides. */
        r = check_effective(s, kind, name, on, options, runtime, failure);
        if (r < 0) {
                files_restore(s, &backup);
                if (kind == SETTING_DISABLE) {
                        Failure ignored = FAILURE_NULL;
                        if (s->port->reload_policy(s->userdata, &ignored) < 0)
                                log_error("Failed to reload the policy after putting back %s: %s",
                                          s->paths->owned[backup.file][runtime], strempty(ignored.message));
                        failure_done(&ignored);
                }
                s->port->files_changed(s->userdata);
                return r;
        }
        /* One path for every change: the resolvers see the new modprobe.d at once, not only when
         * inotify says so, and the listeners (the hook's negative cache, module objects) hear
         * of it. */
        s->port->files_changed(s->userdata);

        const char *value = kind == SETTING_OPTIONS ? options : on ? "yes" : "no";
        s->port->setting_changed(s->userdata, name, setting_kind_to_string(kind), value, file, who);
        return 0;
}
