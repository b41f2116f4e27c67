/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uthash.h>

#include "settings/atomic-file.h"
#include "settings/boot-list.h"
#include "modctl-values.h"
#include "common/modprobe-files.h"
#include "common/module-name.h"
#include "common/module-params.h"
#include "common/proc-cmdline.h"
#include "settings/settings.h"
#include "common/strv.h"

#define SETTINGS_FILE_MAX (1024 * 1024)

static const char *const kind_table[_SETTING_MAX] = {
        [SETTING_BOOT]      = "boot",
        [SETTING_BLACKLIST] = "blacklist",
        [SETTING_DISABLE]   = "disable",
        [SETTING_OPTIONS]   = "options",
};

const char *setting_kind_to_string(SettingKind k) {
        return k < _SETTING_MAX ? kind_table[k] : NULL;
}

/* libkmod's default configuration directories, in precedence order. */
static const char *const modprobe_dirs[] = {
        "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d", NULL,
};

static const char *const owned_paths[_SETTINGS_FILE_MAX][2] = {
        [SETTINGS_FILE_MODULES_LOAD] = { "/etc/modules-load.d/modctl.conf", "/run/modules-load.d/modctl-runtime.conf" },
        [SETTINGS_FILE_MODPROBE]     = { "/etc/modprobe.d/modctl.conf", "/run/modprobe.d/modctl-runtime.conf" },
        [SETTINGS_FILE_POLICY]       = { "/etc/modctl/modctld.conf.d/50-modctl-disabled.conf",
                                         "/run/modctl/modctld.conf.d/50-modctl-disabled-runtime.conf" },
};

SettingsFile setting_kind_file(SettingKind k) {
        return k == SETTING_BOOT ? SETTINGS_FILE_MODULES_LOAD :
               k == SETTING_DISABLE ? SETTINGS_FILE_POLICY : SETTINGS_FILE_MODPROBE;
}

static SettingsFile file_of_kind(SettingKind k) {
        return k == SETTING_BOOT ? SETTINGS_FILE_MODULES_LOAD :
               k == SETTING_DISABLE ? SETTINGS_FILE_POLICY : SETTINGS_FILE_MODPROBE;
}

SettingsPaths *settings_paths_free(SettingsPaths *p) {
        if (!p)
                return NULL;
        free(p->root);
        strv_free(p->modprobe_paths);
        free(p->excluded);
        free(p->cmdline);
        for (size_t i = 0; i < _SETTINGS_FILE_MAX; i++)
                for (size_t j = 0; j < 2; j++)
                        free(p->owned[i][j]);
        free(p);
        return NULL;
}

int settings_paths_new(const char *root, char * const *modprobe_paths, const char *cmdline, SettingsPaths **ret) {
        _cleanup_(settings_paths_freep) SettingsPaths *p = NULL;

        assert(ret);

        p = calloc(1, sizeof(SettingsPaths));
        if (!p)
                return -ENOMEM;
        p->root = strdup(root && strcmp(root, "/") != 0 ? root : "");
        if (!p->root)
                return -ENOMEM;
        if (cmdline && !(p->cmdline = strdup(cmdline)))
                return -ENOMEM;
        if (asprintf(&p->excluded, "%s%s", p->root, MODPROBE_DENIED_CONF) < 0)
                return -ENOMEM;
        if (modprobe_paths) {
                p->modprobe_paths = strv_copy(modprobe_paths);
                if (!p->modprobe_paths)
                        return -ENOMEM;
        } else
                for (const char *const *d = modprobe_dirs; *d; d++) {
                        char *s;
                        if (asprintf(&s, "%s%s", p->root, *d) < 0 || strv_push(&p->modprobe_paths, s) < 0)
                                return -ENOMEM;
                }
        for (size_t i = 0; i < _SETTINGS_FILE_MAX; i++)
                for (size_t j = 0; j < 2; j++)
                        if (asprintf(&p->owned[i][j], "%s%s", p->root, owned_paths[i][j]) < 0)
                                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

bool settings_path_is_owned(const SettingsPaths *p, const char *path) {
        assert(p);
        assert(path);

        for (size_t i = 0; i < _SETTINGS_FILE_MAX; i++)
                for (size_t j = 0; j < 2; j++)
                        if (strcmp(p->owned[i][j], path) == 0)
                                return true;
        return false;
}

bool settings_name_is_valid(const char *name) {
        size_t n;

        assert(name);

        n = strlen(name);

        if (n == 0 || n > 55 || name[0] == '-')
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* ---- reading every file ---- */

typedef struct Entry {
        SettingKind kind;
        char *value;            /* options; NULL for the boolean kinds */
        const char *file;       /* points into SettingsState.files */
} Entry;

typedef struct NameEntries {
        char *name;             /* as the kernel spells it */
        Entry *entries;
        size_t n;
        UT_hash_handle hh;
} NameEntries;

/* What was read from one file: who could read it then, and the names its lines that reach
 * libkmod (options, install, remove) apply to, as patterns, for hiding what libkmod built
 * from a file a caller could not read. */
typedef struct FileInfo {
        bool has_stat;          /* false for the kernel command line: anyone reads /proc/cmdline */
        struct stat st;         /* as stat() said just before reading it */
        char **option_names;    /* '-' as '_' */
        char **command_names;
} FileInfo;

struct SettingsState {
        NameEntries *names;
        char **files;           /* every file read, and "kernel command line" */
        FileInfo *info;         /* parallel to files */
        char *root;             /* SettingsPaths.root: the prefix not judged for readability */
};

SettingsState *settings_state_free(SettingsState *s) {
        NameEntries *e, *t;

        if (!s)
                return NULL;
        HASH_ITER(hh, s->names, e, t) {
                HASH_DEL(s->names, e);
                for (size_t i = 0; i < e->n; i++)
                        free(e->entries[i].value);
                free(e->entries);
                free(e->name);
                free(e);
        }
        for (size_t i = 0; s->info && s->files && s->files[i]; i++) {
                strv_free(s->info[i].option_names);
                strv_free(s->info[i].command_names);
        }
        free(s->info);
        strv_free(s->files);
        free(s->root);
        free(s);
        return NULL;
}

static const NameEntries *state_find(const SettingsState *s, const char *name) {
        char n[MODULE_NAME_LEN];
        NameEntries *e = NULL;

        if (module_name_normalize(name, n) < 0)
                return NULL;
        HASH_FIND_STR(s->names, n, e);
        return e;
}

static int state_add(SettingsState *s, SettingKind kind, const char *name, const char *value, const char *file) {
        char n[MODULE_NAME_LEN];
        NameEntries *e = NULL;
        Entry *l;

        if (module_name_normalize(name, n) < 0)
                return 0; /* not a module name: nothing we can report it for */
        HASH_FIND_STR(s->names, n, e);
        if (!e) {
                e = calloc(1, sizeof(NameEntries));
                if (!e || !(e->name = strdup(n))) {
                        free(e);
                        return -ENOMEM;
                }
                HASH_ADD_KEYPTR(hh, s->names, e->name, strlen(e->name), e);
        }
        l = realloc(e->entries, (e->n + 1) * sizeof(Entry));
        if (!l)
                return -ENOMEM;
        e->entries = l;
        e->entries[e->n] = (Entry) { .kind = kind, .file = file };
        if (value && !(e->entries[e->n].value = strdup(value)))
                return -ENOMEM;
        e->n++;
        return 0;
}

/* The last file added, as stored in s->files. st: the file's stat, taken before it was read;
 * NULL for the kernel command line. */
static const char *state_add_file(SettingsState *s, const char *path, const struct stat *st) {
        size_t n = strv_length(s->files);
        FileInfo *info = realloc(s->info, (n + 1) * sizeof(FileInfo));

        if (!info)
                return NULL;
        s->info = info;
        info[n] = (FileInfo) { .has_stat = st != NULL };
        if (st)
                info[n].st = *st;
        if (strv_extend(&s->files, path) < 0)
                return NULL;
        return s->files[n];
}

static FileInfo *state_file_info(const SettingsState *s, const char *file) {
        for (size_t i = 0; s->files && s->files[i]; i++)
                if (s->files[i] == file)
                        return &s->info[i];
        return NULL;
}

/* Whether caller could read file itself, and file is still what was read then. */
static bool state_file_visible(const SettingsState *s, const char *file, const Caller *caller) {
        const FileInfo *info;
        struct stat st;

        if (!caller || caller_is_privileged(caller))
                return true;
        info = state_file_info(s, file);
        if (!info || !info->has_stat)
                return info != NULL;
        if (!caller_may_access(caller, &info->st, S_IROTH))
                return false;
        if (caller_may_read_path(caller, s->root, file, &st) <= 0)
                return false;
        return st.st_dev == info->st.st_dev && st.st_ino == info->st.st_ino &&
               st.st_mode == info->st.st_mode && st.st_uid == info->st.st_uid &&
               st.st_gid == info->st.st_gid;
}

/* libkmod's underscores(): '-' becomes '_', except inside a [...] class. */
static char *name_pattern(const char *name) {
        char *p = strdup(name);
        bool in_class = false;

        for (char *q = p; q && *q; q++) {
                if (*q == '[')
                        in_class = true;
                else if (*q == ']')
                        in_class = false;
                else if (*q == '-' && !in_class)
                        *q = '_';
        }
        return p;
}


/* Calls f for each logical line of a modprobe.d text: comments dropped, "\\\n" joins lines,
 * runs of blanks become one space, leading and trailing blanks stripped. */
static int for_each_line(char *text, int (*f)(char *line, void *userdata), void *userdata) {
        char *line = text;
        int r;

        for (char *p = text; ; p++) {
                if (*p == '\\' && p[1] == '\n') {
                        p[0] = p[1] = ' ';
                        continue;
                }
                if (*p != '\n' && *p != '\0')
                        continue;
                bool end = *p == '\0';
                *p = '\0';

                /* Normalize in place. */
                char *w = line;
                bool blank = true;
                for (char *q = line; *q; q++) {
                        bool is_blank = *q == ' ' || *q == '\t' || *q == '\r';
                        if (is_blank && blank)
                                continue;
                        *w++ = is_blank ? ' ' : *q;
                        blank = is_blank;
                }
                if (w > line && w[-1] == ' ')
                        w--;
                *w = '\0';
                if (line[0] && line[0] != '#') {
                        r = f(line, userdata);
                        if (r < 0)
                                return r;
                }
                if (end)
                        return 0;
                line = p + 1;
        }
}

typedef struct ModprobeParse {
        SettingsState *state;
        const char *file;
        FileInfo *info;
} ModprobeParse;

static int modprobe_line(char *line, void *userdata) {
        ModprobeParse *mp = userdata;
        char *cmd = line, *name, *rest;

        name = strchr(cmd, ' ');
        if (!name)
                return 0;
        *name++ = '\0';
        rest = strchr(name, ' ');
        if (rest)
                *rest++ = '\0';
        if (strcmp(cmd, "options") == 0 || strcmp(cmd, "install") == 0 || strcmp(cmd, "remove") == 0) {
                char *pattern = name_pattern(name);
                if (!pattern || strv_push(cmd[0] == 'o' ? &mp->info->option_names : &mp->info->command_names,
                                          pattern) < 0) {
                        free(pattern);
                        return -ENOMEM;
                }
        }
        if (strcmp(cmd, "blacklist") == 0)
                return state_add(mp->state, SETTING_BLACKLIST, name, NULL, mp->file);
        if (strcmp(cmd, "options") == 0 && rest)
                return state_add(mp->state, SETTING_OPTIONS, name, rest, mp->file);
        return 0;
}

static int load_modprobe(SettingsState *s, const SettingsPaths *p) {
        _cleanup_(strv_freep) char **files = NULL;
        int r;

        r = modprobe_config_files(p->modprobe_paths, p->excluded, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *text = NULL;
                ModprobeParse mp = { .state = s };
                struct stat st;

                /* Who may see its lines is judged by the stat taken before reading it. */
                if (stat(*f, &st) < 0)
                        continue;
                r = read_file_text(*f, SETTINGS_FILE_MAX, &text);
                if (r < 0)
                        continue; /* unreadable: libkmod skips it too */
                mp.file = state_add_file(s, *f, &st);
                if (!mp.file)
                        return -ENOMEM;
                mp.info = state_file_info(s, mp.file);
                r = for_each_line(text, modprobe_line, &mp);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_boot(SettingsState *s, const SettingsPaths *p) {
        _cleanup_(strv_freep) char **files = NULL, **names = NULL;
        int r;

        r = boot_list_files(p->root, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                _cleanup_(strv_freep) char **l = NULL;
                const char *file;
                struct stat st;

                if (stat(*f, &st) < 0 || boot_list_parse_file(*f, &l) < 0)
                        continue;
                file = state_add_file(s, *f, &st);
                if (!file)
                        return -ENOMEM;
                STRV_FOREACH(n, l) {
                        r = state_add(s, SETTING_BOOT, *n, NULL, file);
                        if (r < 0)
                                return r;
                }
        }

        _cleanup_free_ char *text = NULL;
        const char *cmdline = p->cmdline;
        if (!cmdline && read_file_text("/proc/cmdline", 64 * 1024, &text) >= 0)
                cmdline = text;
        if (!cmdline)
                return 0;
        /* modules_load= and, as kmod reads it, modprobe.blacklist= (a modprobe.d "blacklist"
         * line for each name). */
        r = boot_list_parse_cmdline(cmdline, &names);
        if (r < 0)
                return r;
        _cleanup_(strv_freep) char **blacklist = NULL;
        r = proc_cmdline_parse_blacklists(cmdline, NULL, &blacklist);
        if (r < 0)
                return r;
        if (names || blacklist) {
                const char *file = state_add_file(s, "kernel command line", NULL);
                if (!file)
                        return -ENOMEM;
                STRV_FOREACH(n, names) {
                        r = state_add(s, SETTING_BOOT, *n, NULL, file);
                        if (r < 0)
                                return r;
                }
                STRV_FOREACH(n, blacklist) {
                        r = state_add(s, SETTING_BLACKLIST, *n, NULL, file);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int settings_state_load(const SettingsPaths *p, SettingsState **ret) {
        _cleanup_(settings_state_freep) SettingsState *s = NULL;
        int r;

        assert(p);
        assert(ret);

        s = calloc(1, sizeof(SettingsState));
        if (!s || !(s->root = strdup(p->root)))
                return -ENOMEM;
        r = load_boot(s, p);
        if (r < 0)
                return r;
        r = load_modprobe(s, p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- queries ---- */

/* The Deny= glob (and its file) that disables name, or the Allow= list that leaves it out. */
static bool policy_disables(const Config *c, const char *name, const char **ret_glob, const char **ret_file,
                            bool *ret_allow) {
        char n[MODULE_NAME_LEN];
        size_t n_deny_files = strv_length(c->policy.deny_files);

        if (module_name_normalize(name, n) < 0)
                return false;
        for (size_t i = 0; c->policy.deny && c->policy.deny[i]; i++)
                if (fnmatch(c->policy.deny[i], n, 0) == 0) {
                        *ret_glob = c->policy.deny[i];
                        *ret_file = i < n_deny_files ? c->policy.deny_files[i] : "";
                        *ret_allow = false;
                        return true;
                }
        if (strv_length(c->policy.allow) == 0)
                return false;
        STRV_FOREACH(g, c->policy.allow)
                if (fnmatch(*g, n, 0) == 0)
                        return false;
        *ret_glob = NULL;
        *ret_file = c->policy.allow_files && c->policy.allow_files[0] ? c->policy.allow_files[0] : "";
        *ret_allow = true;
        return true;
}

static const char *entry_value(const SettingsState *s, const Entry *e, const Caller *caller) {
        return state_file_visible(s, e->file, caller) ? e->value : MODCTL_NOT_READABLE;
}

int settings_query(const SettingsState *s, const Config *config, const char *name, ModuleSettings *ret) {
        return settings_query_as(s, config, name, NULL, ret);
}

int settings_query_as(const SettingsState *s, const Config *config, const char *name, const Caller *caller,
                      ModuleSettings *ret) {
        const NameEntries *e = state_find(s, name);
        ModuleSettings m = {};
        const char *glob, *file;
        bool allow;
        size_t len = 0;

        assert(ret);

        for (size_t i = 0; e && i < e->n; i++) {
                if (e->entries[i].kind == SETTING_BOOT)
                        m.boot = true;
                else if (e->entries[i].kind == SETTING_BLACKLIST)
                        m.blacklisted = true;
                else if (e->entries[i].kind == SETTING_OPTIONS)
                        len += strlen(entry_value(s, &e->entries[i], caller)) + 1;
        }
        m.disabled = config && policy_disables(config, name, &glob, &file, &allow);
        m.options = calloc(1, len + 1);
        if (!m.options)
                return -ENOMEM;
        for (size_t i = 0; e && i < e->n; i++)
                if (e->entries[i].kind == SETTING_OPTIONS) {
                        if (m.options[0])
                                strcat(m.options, " ");
                        strcat(m.options, entry_value(s, &e->entries[i], caller));
                }
        *ret = m;
        return 0;
}

void module_settings_done(ModuleSettings *m) {
        if (!m)
                return;
        free(m->options);
        m->options = NULL;
}

void setting_sources_free(SettingSource *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].value);
                free(l[i].file);
        }
        free(l);
}

static int sources_add(SettingSource **l, size_t *n, const SettingsPaths *p, SettingKind kind, const char *value,
                       const char *file) {
        SettingSource *x = realloc(*l, (*n + 1) * sizeof(SettingSource));

        if (!x)
                return -ENOMEM;
        *l = x;
        x[*n] = (SettingSource) { .kind = kind, .owned = settings_path_is_owned(p, file) };
        x[*n].value = strdup(value);
        x[*n].file = strdup(file);
        (*n)++;
        return x[*n - 1].value && x[*n - 1].file ? 0 : -ENOMEM;
}

/* A Deny= or Allow= line's file ("" for built in): policy files are read by the configuration,
 * not here, so only their current state is judged. */
static bool policy_file_visible(const SettingsPaths *p, const char *file, const Caller *caller) {
        return !caller || caller_is_privileged(caller) || !*file ||
               caller_may_read_path(caller, p->root, file, NULL) > 0;
}

static int describe_overridden(const SettingsState *s, const SettingsPaths *p, const Config *config,
                               const char *name, SettingSource **l, size_t *n);

int settings_describe(const SettingsState *s, const SettingsPaths *p, const Config *config, const char *name,
                      SettingSource **ret, size_t *ret_n) {
        return settings_describe_as(s, p, config, name, NULL, ret, ret_n);
}

int settings_describe_as(const SettingsState *s, const SettingsPaths *p, const Config *config,
                         const char *name, const Caller *caller, SettingSource **ret, size_t *ret_n) {
        const NameEntries *e;
        SettingSource *l = NULL;
        const char *glob, *file;
        bool allow;
        size_t n = 0;
        int r = 0;

        assert(s);
        assert(p);
        assert(name);
        assert(ret);
        assert(ret_n);

        e = state_find(s, name);

        for (size_t i = 0; e && i < e->n && r >= 0; i++)
                r = sources_add(&l, &n, p, e->entries[i].kind,
                                state_file_visible(s, e->entries[i].file, caller) ?
                                        e->entries[i].value ?: "yes" : MODCTL_NOT_READABLE,
                                e->entries[i].file);
        if (r >= 0 && config && policy_disables(config, name, &glob, &file, &allow)) {
                /* Every Deny= glob that matches, each with its file. */
                char nn[MODULE_NAME_LEN];
                size_t n_files = strv_length(config->policy.deny_files);
                (void) module_name_normalize(name, nn);
                for (size_t i = 0; !allow && config->policy.deny[i] && r >= 0; i++) {
                        _cleanup_free_ char *v = NULL;
                        if (fnmatch(config->policy.deny[i], nn, 0) != 0)
                                continue;
                        const char *f = i < n_files ? config->policy.deny_files[i] : "";
                        if (asprintf(&v, "Deny=%s", config->policy.deny[i]) < 0)
                                r = -ENOMEM;
                        else
                                r = sources_add(&l, &n, p, SETTING_DISABLE,
                                                policy_file_visible(p, f, caller) ? v : MODCTL_NOT_READABLE,
                                                f);
                }
                if (allow && r >= 0) {
                        _cleanup_free_ char *globs = strv_join(config->policy.allow, " "), *v = NULL;
                        if (!globs || asprintf(&v, "Allow=%s", globs) < 0)
                                r = -ENOMEM;
                        else
                                r = sources_add(&l, &n, p, SETTING_DISABLE,
                                                policy_file_visible(p, file, caller) ? v :
                                                MODCTL_NOT_READABLE, file);
                }
        }
        /* What modctld set and another file cancels: that file decides, and says so. Our own
         * files are world-readable and so is what is said of them. */
        if (r >= 0)
                r = describe_overridden(s, p, config, name, &l, &n);
        if (r < 0) {
                setting_sources_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

static bool pattern_matches(char **patterns, const char *name) {
        STRV_FOREACH(q, patterns)
                if (fnmatch(*q, name, 0) == 0 || strcmp(*q, name) == 0)
                        return true;
        return false;
}

bool settings_line_hidden(const SettingsState *s, const Caller *caller, SettingsLine what, const char *name,
                          const char *alias, const char **ret_file) {
        _cleanup_free_ char *n = NULL, *a = NULL;

        assert(s);
        assert(caller);
        assert(name);

        n = name_pattern(name);
        a = alias ? name_pattern(alias) : NULL;
        if (!n || (alias && !a)) {
                /* Out of memory: hide rather than show. */
                if (ret_file)
                        *ret_file = "modprobe.d";
                return true;
        }
        for (size_t i = 0; s->files && s->files[i]; i++) {
                char **patterns = what == SETTINGS_LINE_OPTIONS ? s->info[i].option_names :
                                                                  s->info[i].command_names;

                if (!pattern_matches(patterns, n) && !(a && (pattern_matches(patterns, a) ||
                                                             pattern_matches(patterns, alias))))
                        continue;
                if (state_file_visible(s, s->files[i], caller))
                        continue;
                if (ret_file)
                        *ret_file = s->files[i];
                return true;
        }
        return false;
}

/* ---- changing modctld's own files ---- */

/* The model of one of our files: module names (boot, blacklist, disable) and options lines. */
typedef struct OwnedFile {
        char **boot;
        char **blacklist;
        char **deny;
        char **options;         /* name, value, name, value, ... */
} OwnedFile;

static void owned_file_done(OwnedFile *o) {
        strv_free(o->boot);
        strv_free(o->blacklist);
        strv_free(o->deny);
        strv_free(o->options);
}

static void owned_files_done(OwnedFile (*f)[2]) {
        owned_file_done(&(*f)[0]);
        owned_file_done(&(*f)[1]);
}

typedef struct OwnedParse {
        SettingsFile file;
        OwnedFile *model;
} OwnedParse;

static int owned_line(char *line, void *userdata) {
        OwnedParse *op = userdata;
        OwnedFile *o = op->model;
        char *arg;

        switch (op->file) {
        case SETTINGS_FILE_MODULES_LOAD:
                return line[0] == ';' ? 0 : strv_extend(&o->boot, line);
        case SETTINGS_FILE_POLICY:
                if (strncmp(line, "Deny=", 5) != 0 || !line[5])
                        return 0;
                return strv_extend(&o->deny, line + 5);
        case SETTINGS_FILE_MODPROBE:
                arg = strchr(line, ' ');
                if (!arg)
                        return 0;
                *arg++ = '\0';
                if (strcmp(line, "blacklist") == 0)
                        return strv_extend(&o->blacklist, arg);
                if (strcmp(line, "options") == 0) {
                        char *value = strchr(arg, ' ');
                        if (!value)
                                return 0;
                        *value++ = '\0';
                        if (strv_extend(&o->options, arg) < 0 || strv_extend(&o->options, value) < 0)
                                return -ENOMEM;
                }
                return 0;
        default:
                return 0;
        }
}

static int owned_file_read(const char *path, SettingsFile file, OwnedFile *ret, const char *name, Failure *failure) {
        _cleanup_free_ char *text = NULL;
        OwnedParse op = { .file = file, .model = ret };
        int r;

        *ret = (OwnedFile) {};
        r = read_file_text(path, SETTINGS_FILE_MAX, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot change the settings of module '%s': "
                                   "cannot read %s: %s.", name, path, strerror(-r));
        if (strncmp(text, SETTINGS_FILE_HEADER "\n", strlen(SETTINGS_FILE_HEADER) + 1) != 0)
                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                   "Cannot change the settings of module '%s': %s was not written by modctld "
                                   "(its first line is not \"%s\"), and modctld does not rewrite files it does "
                                   "not manage. Move it away, or edit it by hand.", name, path, SETTINGS_FILE_HEADER);
        r = for_each_line(text, owned_line, &op);
        if (r < 0) {
                owned_file_done(ret);
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while reading %s.", path);
        }
        return 0;
}

static int owned_file_format(const OwnedFile *o, SettingsFile file, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        int r;

        if (!f)
                return -ENOMEM;
        fputs(SETTINGS_FILE_HEADER "\n", f);
        switch (file) {
        case SETTINGS_FILE_MODULES_LOAD:
                fputs("# Modules loaded at boot (modctl enable NAME; modctl disable --boot NAME).\n", f);
                STRV_FOREACH(n, o->boot)
                        fprintf(f, "%s\n", *n);
                break;
        case SETTINGS_FILE_MODPROBE:
                fputs("# Blacklisted modules and module options (modctl blacklist, modctl options).\n", f);
                STRV_FOREACH(n, o->blacklist)
                        fprintf(f, "blacklist %s\n", *n);
                for (char **p = o->options; p && p[0] && p[1]; p += 2)
                        fprintf(f, "options %s %s\n", p[0], p[1]);
                break;
        case SETTINGS_FILE_POLICY:
                fputs("# Modules that are never loaded (modctl disable NAME).\n[Policy]\n", f);
                STRV_FOREACH(n, o->deny)
                        fprintf(f, "Deny=%s\n", *n);
                break;
        default:
                break;
        }
        r = ferror(f) ? -ENOMEM : 0;
        if (fclose(f) != 0 || r < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static char **owned_list(OwnedFile *o, SettingKind kind) {
        return kind == SETTING_BOOT ? o->boot : kind == SETTING_BLACKLIST ? o->blacklist : o->deny;
}

static char ***owned_list_ptr(OwnedFile *o, SettingKind kind) {
        return kind == SETTING_BOOT ? &o->boot : kind == SETTING_BLACKLIST ? &o->blacklist : &o->deny;
}

/* Removes every spelling of name ('-' or '_') from l. Returns true if one was there. */
static bool list_remove_name(char **l, const char *name) {
        bool found = false;
        for (size_t i = 0; l && l[i]; ) {
                if (module_name_equal(l[i], name)) {
                        free(l[i]);
                        memmove(l + i, l + i + 1, (strv_length(l + i + 1) + 1) * sizeof(char *));
                        found = true;
                } else
                        i++;
        }
        return found;
}

static bool options_remove_name(char **l, const char *name) {
        bool found = false;
        for (size_t i = 0; l && l[i] && l[i + 1]; ) {
                if (module_name_equal(l[i], name)) {
                        free(l[i]);
                        free(l[i + 1]);
                        memmove(l + i, l + i + 2, (strv_length(l + i + 2) + 1) * sizeof(char *));
                        found = true;
                } else
                        i += 2;
        }
        return found;
}

static const char *options_get(char **l, const char *name) {
        for (size_t i = 0; l && l[i] && l[i + 1]; i += 2)
                if (module_name_equal(l[i], name))
                        return l[i + 1];
        return NULL;
}

/* Whether the parameter names of a and b overlap; *ret_param gets the first shared one. */
static bool options_share_param(const char *a, const char *b, char **ret_param) {
        _cleanup_(strv_freep) char **words = NULL;

        /* a passed the grammar; b is an admin's line, read leniently. */
        if (module_params_split(a, &words) < 0)
                return false;
        STRV_FOREACH(wp, words) {
                const char *w = *wp;
                size_t k = module_params_name_len(w);
                for (const char *q = b; *q; ) {
                        size_t l = strcspn(q, " ");
                        size_t kq;

                        if (*q == '"')
                                q++, l--;
                        kq = strcspn(q, "= ");
                        if (kq == k && strncmp(q, w, k) == 0) {
                                *ret_param = strndup(w, k);
                                return true;
                        }
                        q += l;
                        while (*q == ' ')
                                q++;
                }
        }
        return false;
}

int settings_snapshot(const char *path, char **ret) {
        int r;

        assert(path);
        assert(ret);

        r = read_file_text(path, SETTINGS_FILE_MAX, ret);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

int settings_restore(const char *path, const char *old_contents) {
        if (!old_contents)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        return write_file_atomic(path, old_contents, 0644);
}

/* Is the setting made by a file that is not ours? Fails naming it. */
static int check_not_elsewhere(const SettingsState *s, const SettingsPaths *p, const Config *config, SettingKind kind,
                               const char *name, Failure *failure) {
        const NameEntries *e = state_find(s, name);
        static const char *const what[_SETTING_MAX] = {
                [SETTING_BOOT] = "in the boot list",
                [SETTING_BLACKLIST] = "blacklisted",
                [SETTING_DISABLE] = "disabled",
        };

        if (kind == SETTING_DISABLE) {
                const char *glob, *file;
                bool allow;
                char nn[MODULE_NAME_LEN];
                size_t n_files = strv_length(config->policy.deny_files);

                if (!policy_disables(config, name, &glob, &file, &allow))
                        return 0;
                if (allow)
                        return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                           "Module '%s' is disabled because it is not in Allow= (%s), which modctld "
                                           "does not manage; change Allow= there.", name, *file ? file : "built-in");
                (void) module_name_normalize(name, nn);
                for (size_t i = 0; config->policy.deny[i]; i++)
                        if (fnmatch(config->policy.deny[i], nn, 0) == 0 &&
                            !(i < n_files && settings_path_is_owned(p, config->policy.deny_files[i])))
                                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                                   "Module '%s' is disabled by Deny=%s in %s, a file modctld does "
                                                   "not manage; remove it there.", name, config->policy.deny[i],
                                                   i < n_files ? config->policy.deny_files[i] : "?");
                return 0;
        }

        for (size_t i = 0; e && i < e->n; i++)
                if (e->entries[i].kind == kind && !settings_path_is_owned(p, e->entries[i].file))
                        return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                           "Module '%s' is %s by %s, which modctld does not manage; change it there.",
                                           name, what[kind], e->entries[i].file);
        return 0;
}

static int write_owned(const char *path, OwnedFile *o, SettingsFile file, const char *name, Failure *failure) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = owned_file_format(o, file, &text);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory while writing %s.", path);
        r = write_file_atomic(path, text, 0644);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Cannot change the settings of module '%s': "
                                   "cannot write %s: %s.", name, path, strerror(-r));
        return 0;
}

int settings_change(const SettingsState *s, const SettingsPaths *p, const Config *config, SettingKind kind,
                    const char *name, bool on, const char *options, bool runtime, bool *ret_changed,
                    char **ret_file, Failure *failure) {
        _cleanup_(owned_files_done) OwnedFile files[2] = {};
        SettingsFile file = file_of_kind(kind);
        char n[MODULE_NAME_LEN];
        bool dirty[2] = {};
        int r;

        assert(s);
        assert(p);
        assert(config);
        assert(kind < _SETTING_MAX);
        assert(ret_changed);

        if (!settings_name_is_valid(name))
                return failure_set(failure, FAILURE_INVALID_NAME, "Invalid module name '%.60s': settings take a "
                                   "module name of letters, digits, '_' and '-' (at most 55).", name);
        (void) module_name_normalize(name, n);
        if (kind == SETTING_OPTIONS) {
                _cleanup_free_ char *message = NULL;

                r = module_params_check(n, options, &message);
                if (r == -ENOMEM)
                        return failure_set_errno(failure, FAILURE_INTERNAL, r, "Out of memory.");
                if (r < 0)
                        return failure_set(failure, FAILURE_INVALID_PARAMETERS, "%s", message);
        }

        for (size_t i = 0; i < 2; i++) {
                r = owned_file_read(p->owned[file][i], file, &files[i], n, failure);
                if (r < 0)
                        return r;
        }

        if (kind == SETTING_OPTIONS) {
                const NameEntries *e = state_find(s, n);
                const char *cur = options_get(files[runtime].options, n);

                /* A parameter an admin's file sets cannot be overridden from here. */
                for (size_t i = 0; e && i < e->n; i++) {
                        _cleanup_free_ char *param = NULL;
                        if (e->entries[i].kind != SETTING_OPTIONS || settings_path_is_owned(p, e->entries[i].file))
                                continue;
                        if (options_share_param(options, e->entries[i].value, &param))
                                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                                   "Parameter '%s' of module '%s' is set by %s (options %s), which "
                                                   "modctld does not manage; change it there.", param, n,
                                                   e->entries[i].file, e->entries[i].value);
                }
                /* The options go to one of our files; the other one drops its line. */
                dirty[!runtime] = options_remove_name(files[!runtime].options, n);
                if (!cur || strcmp(cur, options) != 0) {
                        options_remove_name(files[runtime].options, n);
                        if (*options && (strv_extend(&files[runtime].options, n) < 0 ||
                                         strv_extend(&files[runtime].options, options) < 0))
                                return failure_set(failure, FAILURE_INTERNAL, "Out of memory.");
                        dirty[runtime] = true;
                }
        } else if (on) {
                ModuleSettings cur = {};
                r = settings_query(s, config, n, &cur);
                if (r < 0)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory.");
                bool already = kind == SETTING_BOOT ? cur.boot : kind == SETTING_BLACKLIST ? cur.blacklisted : cur.disabled;
                module_settings_done(&cur);
                if (!already && !strv_contains(owned_list(&files[runtime], kind), n)) {
                        if (strv_extend(owned_list_ptr(&files[runtime], kind), n) < 0)
                                return failure_set(failure, FAILURE_INTERNAL, "Out of memory.");
                        dirty[runtime] = true;
                }
        } else {
                r = check_not_elsewhere(s, p, config, kind, n, failure);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < 2; i++)
                        dirty[i] = list_remove_name(owned_list(&files[i], kind), n);
        }

        for (size_t i = 0; i < 2; i++)
                if (dirty[i]) {
                        r = write_owned(p->owned[file][i], &files[i], file, n, failure);
                        if (r < 0)
                                return r;
                }
        *ret_changed = dirty[0] || dirty[1];
        if (ret_file) {
                *ret_file = strdup(p->owned[file][dirty[1] && !dirty[0] ? 1 : runtime]);
                if (!*ret_file)
                        return failure_set(failure, FAILURE_INTERNAL, "Out of memory.");
        }
        return 0;
}

/* ---- whether a change took effect ---- */

/* The file that hides owned file path, a file of the same name in the directory of the
 * persistent file of that role, which is read instead of it (kmod and systemd take the first
 * of a name in precedence order). NULL when nothing hides it. */
static char *shadowing_file(const SettingsPaths *p, SettingsFile file, const char *path) {
        const char *persistent = p->owned[file][0], *slash = strrchr(persistent, '/'), *base = strrchr(path, '/');
        char *candidate = NULL;
        struct stat st;

        if (!slash || !base || streq(path, persistent))
                return NULL;
        if (asprintf(&candidate, "%.*s%s", (int) (slash - persistent), persistent, base) < 0)
                return NULL;
        if (streq(candidate, path) || lstat(candidate, &st) < 0) {
                free(candidate);
                return NULL;
        }
        return candidate;
}

/* Whether the owned file at path has an entry of kind for name (n: normalized). */
static bool owned_has(const char *path, SettingsFile file, SettingKind kind, const char *n) {
        _cleanup_(owned_file_done) OwnedFile o = {};
        Failure ignored = FAILURE_NULL;
        bool found = false;

        if (owned_file_read(path, file, &o, n, &ignored) < 0) {
                failure_done(&ignored);
                return false;
        }
        if (kind == SETTING_OPTIONS)
                return options_get(o.options, n) != NULL;
        STRV_FOREACH(g, owned_list(&o, kind)) {
                _cleanup_free_ char *pattern = name_pattern(*g);
                if (pattern && fnmatch(pattern, n, 0) == 0)
                        found = true;
        }
        return found;
}

static int describe_overridden(const SettingsState *s, const SettingsPaths *p, const Config *config,
                               const char *name, SettingSource **l, size_t *n) {
        char nn[MODULE_NAME_LEN];
        int r;

        if (module_name_normalize(name, nn) < 0)
                return 0;
        for (SettingKind kind = 0; kind < _SETTING_MAX; kind++) {
                SettingsFile file = file_of_kind(kind);

                for (size_t i = 0; i < 2; i++) {
                        const char *ours = p->owned[file][i];
                        _cleanup_free_ char *shadow = NULL, *v = NULL;

                        /* Nothing is read before /etc: only a reset of Deny= cancels a file there. */
                        if ((i == 0 && kind != SETTING_DISABLE) || !owned_has(ours, file, kind, nn))
                                continue;
                        shadow = shadowing_file(p, file, ours);
                        if (shadow) {
                                if (asprintf(&v, "hides modctld's %s", ours) < 0)
                                        return -ENOMEM;
                                r = sources_add(l, n, p, kind, v, shadow);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (kind == SETTING_DISABLE && config && config->policy.deny_reset_file) {
                                const char *glob, *f;
                                bool allow;

                                if (policy_disables(config, nn, &glob, &f, &allow) && !allow)
                                        continue;
                                if (asprintf(&v, "Deny= (empty: resets modctld's Deny=%s in %s)", nn, ours) < 0)
                                        return -ENOMEM;
                                r = sources_add(l, n, p, kind, v, config->policy.deny_reset_file);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

int settings_check_effective(const SettingsState *s, const SettingsPaths *p, const Config *config,
                             SettingKind kind, const char *name, bool on, const char *options, bool runtime,
                             Failure *failure) {
        static const char *const what[_SETTING_MAX] = {
                [SETTING_BOOT] = "in the boot list",
                [SETTING_BLACKLIST] = "blacklisted",
                [SETTING_DISABLE] = "disabled",
                [SETTING_OPTIONS] = "given these options",
        };
        SettingsFile file = file_of_kind(kind);
        const char *ours = p->owned[file][runtime];
        _cleanup_(module_settings_done) ModuleSettings m = {};
        _cleanup_free_ char *shadow = NULL;
        char n[MODULE_NAME_LEN];
        bool effective;
        int r;

        assert(s);
        assert(p);
        assert(config);
        assert(kind < _SETTING_MAX);
        assert(name);

        if (module_name_normalize(name, n) < 0)
                return 0;
        r = settings_query(s, config, n, &m);
        if (r < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Out of memory.");

        if (kind == SETTING_OPTIONS) {
                const NameEntries *e = state_find(s, n);
                ssize_t at = -1;

                if (!options || !*options)
                        return 0;
                for (size_t i = 0; e && i < e->n; i++)
                        /* (Its value as read back: blanks are folded.) */
                        if (e->entries[i].kind == SETTING_OPTIONS && streq(e->entries[i].file, ours))
                                at = (ssize_t) i;
                effective = at >= 0;
                /* The kernel takes the last value of a parameter: a later line decides. */
                for (size_t i = at + 1; effective && e && i < e->n; i++) {
                        _cleanup_free_ char *param = NULL;
                        if (e->entries[i].kind == SETTING_OPTIONS &&
                            options_share_param(options, e->entries[i].value, &param))
                                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                                   "Parameter '%s' of module '%s' is set again by %s (options %s), "
                                                   "which is read after modctld's %s, and the last value wins; "
                                                   "modctld has put its file back. Change it there.",
                                                   param, n, e->entries[i].file, e->entries[i].value, ours);
                }
        } else
                effective = (kind == SETTING_BOOT ? m.boot : kind == SETTING_BLACKLIST ? m.blacklisted :
                             m.disabled) == on;
        if (effective)
                return 0;

        if (kind != SETTING_OPTIONS && !on)
                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                   "Module '%s' is still %s after modctld removed it from %s: a file modctld does "
                                   "not manage sets it (modctl settings %s names it).", n, what[kind], ours, n);
        shadow = shadowing_file(p, file, ours);
        if (shadow)
                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                   "Module '%s' is not %s: %s has the same name as modctld's %s and is read "
                                   "instead of it, so the setting would have no effect; modctld has put its file "
                                   "back. Change it in %s, or set it without --runtime.",
                                   n, what[kind], shadow, ours, shadow);
        if (kind == SETTING_DISABLE && config->policy.deny_reset_file)
                return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                                   "Module '%s' is not disabled: the empty Deny= in %s is read after modctld's %s "
                                   "and resets the list, so Deny=%s would have no effect; modctld has put its file "
                                   "back. Disable it in %s, after that line.",
                                   n, config->policy.deny_reset_file, ours, n, config->policy.deny_reset_file);
        return failure_set(failure, FAILURE_MANAGED_ELSEWHERE,
                           "Module '%s' is not %s after modctld wrote %s: another file overrides it, so the "
                           "setting would have no effect; modctld has put its file back (modctl settings %s "
                           "shows the files).", n, what[kind], ours, n);
}
