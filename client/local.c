/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "exit-status.h"
#include "i18n.h"
#include "local.h"
#include "macro.h"
#include "output.h"
#include "strv.h"

static void kmod_log_quiet(void *data, int priority, const char *file, int line, const char *fn,
                           const char *format, va_list args) {
        /* libkmod's own messages would come out in its words, not ours: drop them. */
}

struct kmod_ctx *local_kmod_new(const LocalIndex *idx) {
        const KmodDl *k = kmod_dl();
        char dir[PATH_MAX];
        const char *configs[2] = {};
        const char *dirname = NULL;
        struct kmod_ctx *ctx;

        if (!k)
                return NULL;

        if (idx && (idx->root || idx->release)) {
                struct utsname u;
                const char *release = idx->release;

                if (!release) {
                        if (uname(&u) < 0)
                                return NULL;
                        release = u.release;
                }
                if ((size_t) snprintf(dir, sizeof(dir), "%s/lib/modules/%s", idx->root ?: "", release) >= sizeof(dir)) {
                        log_error_line(_("module directory name too long"));
                        return NULL;
                }
                dirname = dir;
        }
        if (!dirname)
                /* Another module tree, for tests and for inspecting a chroot's. */
                dirname = getenv("MODCTL_MODULES_DIR");
        if (idx && idx->config)
                configs[0] = idx->config;

        ctx = k->kmod_new(dirname, configs[0] ? configs : NULL);
        if (!ctx) {
                log_error_line(_("cannot read the module index in %s"), dirname ?: "/lib/modules");
                return NULL;
        }
        k->kmod_set_log_fn(ctx, kmod_log_quiet, NULL);
        return ctx;
}

const char *local_kmod_dirname(struct kmod_ctx *ctx) {
        return kmod_dl()->kmod_get_dirname(ctx);
}

/* ---- /proc/modules ---- */

static int parse_line(char *line, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *holders = NULL;
        char *fields[7] = {}, *p = line, *w, *end;
        const char *state;
        char taint[32] = "";
        long long refcount = -1;
        size_t n = 0;

        while (n < ELEMENTSOF(fields) && (w = strsep(&p, " \t\n")))
                if (*w)
                        fields[n++] = w;
        if (n < 5)
                return -EBADMSG;

        holders = json_object_new_array();
        o = json_object_new_object();
        if (!holders || !o)
                return -ENOMEM;

        if (!streq(fields[2], "-")) {
                refcount = strtoll(fields[2], &end, 10);
                if (*end)
                        return -EBADMSG;
        }
        for (char *h = fields[3], *s; (s = strsep(&h, ","));) {
                if (!*s || streq(s, "-"))
                        continue;
                if (streq(s, "[permanent]")) {
                        refcount = -1;
                        continue;
                }
                if (json_object_array_add(holders, json_object_new_string(s)) < 0)
                        return -ENOMEM;
        }

        state = streq(fields[4], "Live") ? "live" : streq(fields[4], "Loading") ? "coming" :
                streq(fields[4], "Unloading") ? "going" : fields[4];
        if (n >= 7 && fields[6][0] == '(') {
                snprintf(taint, sizeof(taint), "%s", fields[6] + 1);
                taint[strcspn(taint, ")")] = '\0';
        }

        if (json_object_object_add(o, "name", json_object_new_string(fields[0])) < 0 ||
            json_object_object_add(o, "size", json_object_new_uint64(strtoull(fields[1], NULL, 10))) < 0 ||
            json_object_object_add(o, "refcount", json_object_new_int((int) refcount)) < 0 ||
            json_object_object_add(o, "holders", TAKE_PTR(holders)) < 0 ||
            json_object_object_add(o, "state", json_object_new_string(state)) < 0 ||
            json_object_object_add(o, "taint", json_object_new_string(taint)) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

int local_list(json_object **ret) {
        _cleanup_(json_object_putp) json_object *array = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *line = NULL;
        size_t size = 0;
        int r;

        const char *path = getenv("MODCTL_PROC_MODULES") ?: "/proc/modules";

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                log_error_line(_("cannot read %s: %s"), path, i18n_strerror(-r));
                return r;
        }

        array = json_object_new_array();
        if (!array)
                return log_oom();

        while (getline(&line, &size, f) > 0) {
                json_object *o = NULL;

                r = parse_line(line, &o);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        continue; /* not a module line: nothing we can show */
                if (json_object_array_add(array, o) < 0) {
                        json_object_put(o);
                        return log_oom();
                }
        }

        *ret = TAKE_PTR(array);
        return 0;
}

/* ---- the module index ---- */

static void unref_list(struct kmod_list **l) {
        if (*l)
                kmod_dl()->kmod_module_unref_list(*l);
}

void local_kmod_unrefp(struct kmod_ctx **c) {
        if (*c)
                kmod_dl()->kmod_unref(*c);
}

static void unref_module(struct kmod_module **m) {
        if (*m)
                kmod_dl()->kmod_module_unref(*m);
}

int local_info(const char *name_or_path, char ***ret_pairs) {
        __attribute__((cleanup(local_kmod_unrefp))) struct kmod_ctx *ctx = NULL;
        __attribute__((cleanup(unref_list))) struct kmod_list *list = NULL, *info = NULL;
        __attribute__((cleanup(unref_module))) struct kmod_module *mod = NULL;
        _cleanup_(strv_freep) char **pairs = NULL;
        const KmodDl *k;
        const char *path;
        int r;

        ctx = local_kmod_new(NULL);
        if (!ctx)
                return -EOPNOTSUPP;
        k = kmod_dl();

        if (strchr(name_or_path, '/')) {
                r = k->kmod_module_new_from_path(ctx, name_or_path, &mod);
                if (r < 0) {
                        log_error_line(_("cannot read module file '%s': %s"), name_or_path, i18n_strerror(-r));
                        return r;
                }
        } else {
                r = k->kmod_module_new_from_lookup(ctx, name_or_path, &list);
                if (r < 0 || !list) {
                        log_error_line(_("Module '%s' not found in %s."), name_or_path, local_kmod_dirname(ctx));
                        exit_status_note(MODCTL_EXIT_NOT_FOUND);
                        return -ENOENT;
                }
                mod = k->kmod_module_get_module(list);
        }

        path = k->kmod_module_get_path(mod);
        r = k->kmod_module_get_info(mod, &info);
        if (r < 0) {
                log_error_line(_("cannot read the module information of '%s': %s"),
                               k->kmod_module_get_name(mod), i18n_strerror(-r));
                return r;
        }

        if (strv_extend(&pairs, "filename") < 0 || strv_extend(&pairs, path ?: "(builtin)") < 0)
                return log_oom();
        KMOD_DL_FOREACH(k, l, info)
                if (strv_extend(&pairs, k->kmod_module_info_get_key(l)) < 0 ||
                    strv_extend(&pairs, strempty(k->kmod_module_info_get_value(l))) < 0) {
                        k->kmod_module_info_free_list(TAKE_PTR(info));
                        return log_oom();
                }
        k->kmod_module_info_free_list(TAKE_PTR(info));

        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

/* libkmod's print callback has no user data: the stream is a file-scope variable. */
static FILE *show_stream;

static void print_step(struct kmod_module *m, bool install, const char *options) {
        const KmodDl *k = kmod_dl();
        const char *path;

        if (install) {
                fprintf(show_stream, "install %s %s\n", k->kmod_module_get_install_commands(m), options);
                return;
        }
        path = k->kmod_module_get_path(m);
        if (path)
                fprintf(show_stream, "insmod %s %s\n", path, options);
        else if (k->kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN)
                fprintf(show_stream, "builtin %s\n", k->kmod_module_get_name(m));
}

/* Never called in a dry run; refuse in case it ever is, since NULL would mean system(3). */
static int refuse_install(struct kmod_module *m, const char *cmdline, void *data) {
        return -EPERM;
}

int local_show_depends(struct kmod_ctx *ctx, const char *name, const char *options, unsigned flags, FILE *f) {
        __attribute__((cleanup(unref_list))) struct kmod_list *list = NULL;
        const KmodDl *k = kmod_dl();
        int r;

        r = k->kmod_module_new_from_lookup(ctx, name, &list);
        if (r < 0 || !list)
                return -ENOENT;

        show_stream = f;
        KMOD_DL_FOREACH(k, l, list) {
                struct kmod_module *mod = k->kmod_module_get_module(l);

                r = k->kmod_module_probe_insert_module(mod, flags | KMOD_PROBE_DRY_RUN, options, refuse_install,
                                                       NULL, print_step);
                k->kmod_module_unref(mod);
                /* Positive values say why a module was skipped (blacklist): not an error. */
                if (r < 0)
                        return r;
        }
        return 0;
}

int local_show_depends_file(struct kmod_ctx *ctx, const char *path, const char *options, unsigned flags, FILE *f) {
        __attribute__((cleanup(unref_module))) struct kmod_module *mod = NULL;
        const KmodDl *k = kmod_dl();
        int r;

        /* What kmod 31's modprobe does with "./x.ko": libkmod names the module after the file
         * (x) and takes its dependencies from modules.dep under that name. */
        r = k->kmod_module_new_from_path(ctx, path, &mod);
        if (r < 0)
                return r;
        show_stream = f;
        r = k->kmod_module_probe_insert_module(mod, flags | KMOD_PROBE_DRY_RUN, options, refuse_install, NULL,
                                               print_step);
        return r < 0 ? r : 0;
}

int local_resolve(struct kmod_ctx *ctx, const char *name, bool apply_blacklist, FILE *f) {
        __attribute__((cleanup(unref_list))) struct kmod_list *list = NULL, *filtered = NULL;
        const KmodDl *k = kmod_dl();
        int r;

        r = k->kmod_module_new_from_lookup(ctx, name, &list);
        if (r < 0 || !list)
                return -ENOENT;
        if (apply_blacklist) {
                r = k->kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, list, &filtered);
                if (r < 0)
                        return r;
        }

        KMOD_DL_FOREACH(k, l, apply_blacklist ? filtered : list) {
                struct kmod_module *mod = k->kmod_module_get_module(l);
                fprintf(f, "%s\n", k->kmod_module_get_name(mod));
                k->kmod_module_unref(mod);
        }
        return 0;
}

int local_show_config(struct kmod_ctx *ctx, FILE *f) {
        const KmodDl *k = kmod_dl();
        const struct {
                const char *keyword;
                struct kmod_config_iter *(*get)(const struct kmod_ctx *ctx);
        } sections[] = {
                { "blacklist", k->kmod_config_get_blacklists },
                { "install",   k->kmod_config_get_install_commands },
                { "remove",    k->kmod_config_get_remove_commands },
                { "alias",     k->kmod_config_get_aliases },
                { "options",   k->kmod_config_get_options },
                { "softdep",   k->kmod_config_get_softdeps },
        };

        for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
                struct kmod_config_iter *it = sections[i].get(ctx);

                if (!it)
                        continue;
                while (k->kmod_config_iter_next(it)) {
                        const char *value = k->kmod_config_iter_get_value(it);

                        fprintf(f, "%s %s", sections[i].keyword, k->kmod_config_iter_get_key(it));
                        if (value)
                                fprintf(f, " %s", value);
                        fputc('\n', f);
                }
                k->kmod_config_iter_free_iter(it);
        }

        fputs("\n# End of configuration files. Dumping indexes now:\n\n", f);
        if (fflush(f) != 0)
                return -errno;
        /* libkmod writes the indexes to the descriptor itself. */
        (void) k->kmod_dump_index(ctx, KMOD_INDEX_MODULES_ALIAS, fileno(f));
        (void) k->kmod_dump_index(ctx, KMOD_INDEX_MODULES_SYMBOL, fileno(f));
        return 0;
}

int local_is_blacklisted(struct kmod_ctx *ctx, const char *name) {
        __attribute__((cleanup(unref_list))) struct kmod_list *list = NULL, *filtered = NULL;
        const KmodDl *k = kmod_dl();
        int r;

        r = k->kmod_module_new_from_lookup(ctx, name, &list);
        if (r < 0 || !list)
                return 0;
        r = k->kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, list, &filtered);
        if (r < 0)
                return r;
        return filtered == NULL;
}

int local_module_path(struct kmod_ctx *ctx, const char *name, char **ret) {
        __attribute__((cleanup(unref_module))) struct kmod_module *mod = NULL;
        const KmodDl *k = kmod_dl();
        const char *path;
        int r;

        r = k->kmod_module_new_from_name(ctx, name, &mod);
        if (r < 0)
                return r;
        path = k->kmod_module_get_path(mod);
        if (!path)
                return -ENOENT;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}
