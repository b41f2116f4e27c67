/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "settings/ is part of the plain-C core: the kernel backend may not include it"
#endif

/* What lasts across reboots for a module: whether it loads at boot (modules-load.d), is
 * blacklisted (modprobe.d "blacklist": no loading by alias), is disabled (a Deny= rule of
 * modctld's policy: never loaded) and which options it gets (modprobe.d "options").
 *
 * Reading reports the effective state from every file the system reads, and which file set
 * it. Changing writes only modctld's own files (SettingsPaths.owned: one persistent file under
 * /etc and one runtime file under /run per kind), atomically, and refuses to touch a file of
 * that name that modctld did not write (its first line is not SETTINGS_FILE_HEADER). An entry
 * in an admin's file cannot be undone through modctld: the change fails with
 * FAILURE_MANAGED_ELSEWHERE naming that file. Plain C, never logs. */

#include <stdbool.h>
#include <stddef.h>

#include "common/daemon-config.h"
#include "common/failure.h"
#include "settings/file-access.h"

#define SETTINGS_FILE_HEADER "# Managed by modctld: changes made here by hand are lost."

typedef enum SettingKind {
        SETTING_BOOT,           /* "boot": modules-load.d */
        SETTING_BLACKLIST,      /* "blacklist": modprobe.d blacklist */
        SETTING_DISABLE,        /* "disable": modctld.conf.d Deny= */
        SETTING_OPTIONS,        /* "options": modprobe.d options */
        _SETTING_MAX,
} SettingKind;

const char *setting_kind_to_string(SettingKind k);

typedef enum SettingsFile {
        SETTINGS_FILE_MODULES_LOAD,     /* /etc/modules-load.d/modctl.conf */
        SETTINGS_FILE_MODPROBE,         /* /etc/modprobe.d/modctl.conf: blacklist and options */
        SETTINGS_FILE_POLICY,           /* /etc/modctl/modctld.conf.d/50-modctl-disabled.conf */
        _SETTINGS_FILE_MAX,
} SettingsFile;

typedef struct SettingsPaths {
        char *root;                     /* "" for / */
        char **modprobe_paths;          /* what the resolver reads (directories or files), in precedence order */
        char *excluded;                 /* modctld's MODPROBE_DENIED_CONF below root: not a setting, never read */
        char *cmdline;                  /* the kernel command line; NULL: /proc/cmdline */
        char *owned[_SETTINGS_FILE_MAX][2]; /* [file][0]: persistent, under /etc; [1]: runtime, under /run */
} SettingsPaths;

/* root: "" or NULL for /; modprobe_paths: NULL for libkmod's default directories below root. */
int settings_paths_new(const char *root, char * const *modprobe_paths, const char *cmdline, SettingsPaths **ret);
SettingsPaths *settings_paths_free(SettingsPaths *p);
static inline void settings_paths_freep(SettingsPaths **p) { settings_paths_free(*p); }
bool settings_path_is_owned(const SettingsPaths *p, const char *path);

/* Every modules-load.d and modprobe.d file, parsed once. */
typedef struct SettingsState SettingsState;
int settings_state_load(const SettingsPaths *p, SettingsState **ret);
SettingsState *settings_state_free(SettingsState *s);
static inline void settings_state_freep(SettingsState **s) { settings_state_free(*s); }

/* A module's effective settings. options: every "options" line for it, joined in the order
 * libkmod applies them ("" for none). */
typedef struct ModuleSettings {
        bool boot;
        bool blacklisted;
        bool disabled;
        char *options;
} ModuleSettings;

/* name: a module name ('-' and '_' alike). config: the policy in force (Deny=, Allow=). As root
 * sees it: every line of every file. */
int settings_query(const SettingsState *s, const Config *config, const char *name, ModuleSettings *ret);
/* As caller sees it (NULL: root): the options of a file caller could not read itself
 * (caller_may_read_path(), and the file must still be the one that was read) are
 * MODCTL_NOT_READABLE instead. Whether a module loads at boot or is blacklisted stays true: it
 * decides what a load does, which anyone can watch. */
int settings_query_as(const SettingsState *s, const Config *config, const char *name, const Caller *caller,
                      ModuleSettings *ret);
void module_settings_done(ModuleSettings *m);

/* One source of a setting: the value ("yes", the options, or the Deny=/Allow= rule), the file
 * it was read from ("kernel command line" for modules_load=) and whether that file is
 * modctld's own (so the API can change it). */
typedef struct SettingSource {
        SettingKind kind;
        char *value;
        char *file;
        bool owned;
} SettingSource;

int settings_describe(const SettingsState *s, const SettingsPaths *p, const Config *config, const char *name,
                      SettingSource **ret, size_t *ret_n);
/* The same as caller sees it (NULL: root): the value of a source in a file caller could not
 * read is MODCTL_NOT_READABLE; its file is named. */
int settings_describe_as(const SettingsState *s, const SettingsPaths *p, const Config *config,
                         const char *name, const Caller *caller, SettingSource **ret, size_t *ret_n);

typedef enum SettingsLine {
        SETTINGS_LINE_OPTIONS,  /* modprobe.d "options" */
        SETTINGS_LINE_COMMAND,  /* modprobe.d "install" and "remove" */
} SettingsLine;

/* Whether a line of that kind in a modprobe.d file caller (not NULL) could not read applies to
 * module name or to alias (may be NULL), matched as libkmod matches them (fnmatch(3) on the
 * name with '-' as '_'), so that what libkmod built from it can be hidden from caller. *ret_file
 * (may be NULL): the first such file. */
bool settings_line_hidden(const SettingsState *s, const Caller *caller, SettingsLine what, const char *name,
                          const char *alias, const char **ret_file);
void setting_sources_free(SettingSource *l, size_t n);

/* The strict name rule for settings: letters, digits, '_' and '-', 1 to 55 bytes (the names
 * end up in modprobe.d, modules-load.d and Deny= globs, so nothing those syntaxes treat
 * specially may pass). */
bool settings_name_is_valid(const char *name);
/* Options are checked by the one parameter grammar, module_params_check() (module-params.h). */

/* Changes one setting of one module. on: add (true) or remove (false) for the boolean kinds;
 * options: the new options for SETTING_OPTIONS ("" removes modctld's options line). runtime:
 * write the runtime file under /run instead of the persistent one (removing always clears
 * both of modctld's files). Nothing is written when the effective state is already what is
 * asked: *ret_changed is then false. Errors (failure says why, naming the module and file):
 * FAILURE_INVALID_NAME, FAILURE_INVALID_ARGUMENT, FAILURE_MANAGED_ELSEWHERE (an admin's file
 * sets it, or a file at modctld's path was not written by modctld), FAILURE_INTERNAL (I/O).
 * ret_file: the file written (may be NULL). */
int settings_change(const SettingsState *s, const SettingsPaths *p, const Config *config, SettingKind kind,
                    const char *name, bool on, const char *options, bool runtime, bool *ret_changed,
                    char **ret_file, Failure *failure);

/* Which of modctld's files a kind of setting lives in. */
SettingsFile setting_kind_file(SettingKind k);

/* After settings_change() and a reload (s and config read afresh): whether the change took
 * effect. It does not when another file cancels it: a same-named file in a directory read
 * first hides modctld's file (kmod's and systemd's precedence), an empty Deny= in a drop-in
 * read after modctld's resets the list, or an options line read after modctld's sets the same
 * parameter again (the kernel takes the last). Then FAILURE_MANAGED_ELSEWHERE naming that
 * file, saying modctld has put its file back (the caller does that). */
int settings_check_effective(const SettingsState *s, const SettingsPaths *p, const Config *config,
                             SettingKind kind, const char *name, bool on, const char *options, bool runtime,
                             Failure *failure);

/* Puts back what settings_change() replaced: the file's old contents (NULL: it did not exist).
 * Used when the configuration does not reload after a Deny= change. */
int settings_restore(const char *path, const char *old_contents);
/* The current contents of path, NULL when it does not exist. */
int settings_snapshot(const char *path, char **ret);
