/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include <libkmod.h>

#include "common/array-util.h"
#include "common/log.h"
#include "modctl-values.h"
#include "common/modprobe-files.h"
#include "common/module-name.h"
#include "common/module-params.h"
#include "common/proc-cmdline.h"
#include "core/resolver.h"
#include "common/strv.h"
#include "kernel/kernel.h"

struct Resolver {
        struct kmod_ctx *ctx;
        char *modules_dir;      /* as configured; NULL: libkmod's default */
        char **config_paths;    /* as configured; NULL: libkmod's defaults */
        char *exclude_config;   /* a file in them libkmod must not read, or NULL */
        char **config_files;    /* with exclude_config: the files libkmod was given */
        char *kernel_cmdline;   /* the override, or NULL */
        char *proc_cmdline;     /* with an override: what libkmod read, to take its options out again */
        char **cmdline_blacklist; /* with an override: its modprobe.blacklist= (libkmod read /proc's) */
        char *kernel_release;
        bool resources_loaded;
};

static void kmod_module_unrefp(struct kmod_module **m) {
        if (*m)
                kmod_module_unref(*m);
}

static void kmod_module_unref_listp(struct kmod_list **l) {
        if (*l)
                kmod_module_unref_list(*l);
}

static void kmod_module_info_free_listp(struct kmod_list **l) {
        if (*l)
                kmod_module_info_free_list(*l);
}

/* ---- kernel command line ---- */

static bool is_cmdline_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The "param[=value]" entries of cmdline for module modname, as libkmod reads them from
 * /proc/cmdline: "mod.param=value" words, where double quotes group spaces, and a word quoted as
 * a whole ("mod.param=a b") comes back as param="a b". Joined by spaces; NULL when none. */
static int cmdline_options_for(const char *cmdline, const char *modname, char **ret) {
        _cleanup_(strv_freep) char **opts = NULL;
        const char *p = cmdline;
        int resolver;

        while (p && *p) {
                _cleanup_free_ char *word = NULL, *mod = NULL, *opt = NULL;
                const char *start, *dot, *eq, *body, *end;
                bool quoted = false, whole = false;
                size_t len;

                while (is_cmdline_space(*p))
                        p++;
                if (!*p)
                        break;

                start = p;
                for (; *p && (quoted || !is_cmdline_space(*p)); p++)
                        if (*p == '"')
                                quoted = !quoted;
                len = (size_t) (p - start);

                body = start;
                end = start + len;
                if (len >= 2 && start[0] == '"' && end[-1] == '"') {
                        whole = true;
                        body++;
                        end--;
                }

                word = strndup(body, (size_t) (end - body));
                if (!word)
                        return -ENOMEM;

                /* Module name: up to the first '.', without '=' or quotes. */
                dot = strchr(word, '.');
                if (!dot || dot == word)
                        continue;
                eq = strchr(word, '=');
                if (eq && eq < dot)
                        continue;
                if (memchr(word, '"', (size_t) (dot - word)))
                        continue;
                /* Parameter name: no further '.' and no quotes before the value. */
                if (memchr(dot + 1, '.', eq ? (size_t) (eq - dot - 1) : strlen(dot + 1)) ||
                    memchr(dot + 1, '"', eq ? (size_t) (eq - dot - 1) : strlen(dot + 1)))
                        continue;
                if (dot[1] == '\0' || dot + 1 == eq)
                        continue;

                mod = strndup(word, (size_t) (dot - word));
                if (!mod)
                        return -ENOMEM;
                for (char *c = mod; *c; c++)
                        if (*c == '-')
                                *c = '_';
                if (strcmp(mod, modname) != 0)
                        continue;

                if (whole && eq)
                        resolver = asprintf(&opt, "%.*s\"%s\"", (int) (eq - dot), dot + 1, eq + 1);
                else
                        resolver = asprintf(&opt, "%s", dot + 1);
                if (resolver < 0)
                        return -ENOMEM;

                resolver = strv_push(&opts, opt);
                if (resolver < 0)
                        return resolver;
                opt = NULL;
        }

        if (!opts) {
                *ret = NULL;
                return 0;
        }

        *ret = strv_join(opts, " ");
        return *ret ? 0 : -ENOMEM;
}

/* ---- the libkmod context ---- */

static void resolver_kmod_log(void *data, int priority, const char *file, int line, const char *fn,
                              const char *format, va_list args) {
        _cleanup_free_ char *msg = NULL;
        size_t n;

        if (vasprintf(&msg, format, args) < 0)
                return;
        n = strlen(msg);
        while (n > 0 && msg[n - 1] == '\n')
                msg[--n] = '\0';

        log_internal(priority, 0, "libkmod: %s", msg);
}

/* libkmod's default configuration directories (kmod 30), in precedence order. */
static char *const kmod_default_config_paths[] = {
        (char *) "/etc/modprobe.d", (char *) "/run/modprobe.d", (char *) "/usr/local/lib/modprobe.d",
        (char *) "/lib/modprobe.d", NULL,
};

/* What libkmod is to read: the configured paths, or with an excluded file, the files those
 * paths hold by libkmod's own rules minus that one. */
static int resolver_config_files(Resolver *resolver, char ***ret) {
        assert(resolver->exclude_config);
        return modprobe_config_files(resolver->config_paths ?: kmod_default_config_paths,
                                     resolver->exclude_config, ret);
}

static int resolver_open_ctx(Resolver *resolver, struct kmod_ctx **ret) {
        _cleanup_(strv_freep) char **files = NULL;
        struct kmod_ctx *ctx;
        int k;

        if (resolver->exclude_config) {
                k = resolver_config_files(resolver, &files);
                if (k < 0)
                        return k;
        }
        ctx = kmod_new(resolver->modules_dir, (const char *const *) (files ?: resolver->config_paths));
        if (!ctx)
                return -ENOMEM;
        if (files) {
                strv_free(resolver->config_files);
                resolver->config_files = TAKE_PTR(files);
        }

        kmod_set_log_fn(ctx, resolver_kmod_log, resolver);
        /* libkmod's info messages are about its own contexts and files: noise unless debugging. */
        kmod_set_log_priority(ctx, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);

        /* Without indexes (no depmod run, or no such directory) libkmod still works, it just
         * finds nothing: every lookup then fails with a message naming the directory. A daemon
         * that can still list and unload is more useful than none, and refresh retries. */
        resolver->resources_loaded = kmod_load_resources(ctx) >= 0;

        *ret = ctx;
        return 0;
}

static int resolver_set_release(Resolver *resolver) {
        const char *dir = kmod_get_dirname(resolver->ctx), *slash;
        char *release;

        if (!dir)
                return -EIO;
        slash = strrchr(dir, '/');
        release = strdup(slash ? slash + 1 : dir);
        if (!release)
                return -ENOMEM;

        free(resolver->kernel_release);
        resolver->kernel_release = release;
        return 0;
}

int resolver_new(const ResolverConfig *config, Resolver **ret) {
        _cleanup_(resolver_freep) Resolver *resolver = NULL;
        int k;

        assert(ret);

        resolver = calloc(1, sizeof(Resolver));
        if (!resolver)
                return -ENOMEM;

        if (config && config->modules_dir) {
                resolver->modules_dir = strdup(config->modules_dir);
                if (!resolver->modules_dir)
                        return -ENOMEM;
        }
        if (config && config->config_paths) {
                resolver->config_paths = strv_copy((char *const *) config->config_paths);
                if (!resolver->config_paths)
                        return -ENOMEM;
        }
        if (config && config->exclude_config) {
                resolver->exclude_config = strdup(config->exclude_config);
                if (!resolver->exclude_config)
                        return -ENOMEM;
        }
        if (config && config->kernel_cmdline) {
                resolver->kernel_cmdline = strdup(config->kernel_cmdline);
                if (!resolver->kernel_cmdline)
                        return -ENOMEM;
                k = proc_cmdline_parse_blacklists(resolver->kernel_cmdline, NULL, &resolver->cmdline_blacklist);
                if (k < 0)
                        return k;
        }

        k = resolver_open_ctx(resolver, &resolver->ctx);
        if (k < 0)
                return k;

        /* libkmod appends the mod.param= options of /proc/cmdline to those of modprobe.d. With
         * an override we must take exactly those out again, so read what it read. */
        if (resolver->kernel_cmdline) {
                /* Unreadable: libkmod reads nothing either, then. */
                (void) proc_cmdline_read(&resolver->proc_cmdline);
        }

        k = resolver_set_release(resolver);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(resolver);
        return 0;
}

Resolver *resolver_free(Resolver *resolver) {
        if (!resolver)
                return NULL;

        if (resolver->ctx)
                kmod_unref(resolver->ctx);
        free(resolver->modules_dir);
        strv_free(resolver->config_paths);
        free(resolver->exclude_config);
        strv_free(resolver->config_files);
        free(resolver->kernel_cmdline);
        free(resolver->proc_cmdline);
        strv_free(resolver->cmdline_blacklist);
        free(resolver->kernel_release);
        free(resolver);
        return NULL;
}

static bool config_files_changed(Resolver *resolver) {
        _cleanup_(strv_freep) char **files = NULL;
        size_t n;

        /* Given files rather than directories, libkmod does not notice a file added to them. */
        if (!resolver->exclude_config)
                return false;
        if (resolver_config_files(resolver, &files) < 0)
                return true;
        n = strv_length(files);
        if (n != strv_length(resolver->config_files))
                return true;
        for (size_t i = 0; i < n; i++)
                if (!streq(files[i], resolver->config_files[i]))
                        return true;
        return false;
}

int resolver_refresh(Resolver *resolver) {
        assert(resolver);

        if (resolver->resources_loaded && kmod_validate_resources(resolver->ctx) == KMOD_RESOURCES_OK &&
            !config_files_changed(resolver))
                return 0;
        return resolver_reload(resolver);
}

int resolver_reload(Resolver *resolver) {
        struct kmod_ctx *ctx;
        int k;

        assert(resolver);

        /* Indexes or configuration changed. A new context covers both cases (MUST_RELOAD and
         * MUST_RECREATE), and the old one stays in use if this fails. */
        k = resolver_open_ctx(resolver, &ctx);
        if (k < 0)
                return k;

        kmod_unref(resolver->ctx);
        resolver->ctx = ctx;

        if (resolver->kernel_cmdline) {
                free(resolver->proc_cmdline);
                resolver->proc_cmdline = NULL;
                (void) proc_cmdline_read(&resolver->proc_cmdline);
        }

        k = resolver_set_release(resolver);
        if (k < 0)
                return k;
        return 1;
}

const char *resolver_kernel_release(Resolver *resolver) {
        return resolver ? resolver->kernel_release : NULL;
}

/* ---- lookups shared by load, unload and info ---- */

static bool module_is_builtin(Resolver *resolver, struct kmod_module *mod) {
        _cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;

        if (kmod_module_get_path(mod))
                return false;

        /* Without a modules.dep entry, a name lookup can only succeed through the builtin
         * indexes (modules.builtin, modules.builtin.modinfo). */
        if (kmod_module_new_from_name_lookup(resolver->ctx, kmod_module_get_name(mod), &m) < 0 || !m)
                return false;
        return !kmod_module_get_path(m);
}

static KernelModuleState kernel_state(Kernel *k, const char *name) {
        KernelModuleState s;

        if (!k || kernel_get_state(k, name, &s) < 0)
                return KERNEL_MODULE_ABSENT;
        return s;
}

static int lookup(Resolver *resolver, const char *name, struct kmod_list **ret, Failure *failure) {
        struct kmod_list *list = NULL;
        int k;

        k = kmod_module_new_from_lookup(resolver->ctx, name, &list);
        if (k == -EINVAL)
                return failure_set(failure, FAILURE_INVALID_NAME,
                                   "Invalid module name '%s': it is not a valid alias pattern.", name);
        if (k < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, k,
                                         "Failed to look up module '%s' in %s: %s.", name,
                                         kmod_get_dirname(resolver->ctx), strerror(-k));
        if (!list)
                return failure_set(failure, FAILURE_NOT_FOUND,
                                   "Module '%s' not found: no module or alias of that name in %s.", name,
                                   kmod_get_dirname(resolver->ctx));

        *ret = list;
        return 0;
}

/* ---- kmod's probe order ---- */

/* libkmod decides what modprobe does with a module: the order (modules.dep, pre softdeps, the
 * module, post softdeps, each softdep with its own tree), the install commands (ignored for a
 * module that has softdeps, and for the target under --ignore-install, which also drops the
 * target's softdeps), the options (modprobe.d by name and by the alias used, /proc/cmdline, then
 * the caller's for the target only) and the blacklist for alias matches. We ask libkmod for that
 * sequence itself, with a dry run that calls back for every step instead of acting, so the
 * resolver cannot drift from modprobe. Nothing is run or inserted: the dry-run flag is always
 * set, and the install callback refuses in case it ever were not. */

typedef struct ProbeStep {
        struct kmod_module *mod;
        bool install;           /* modprobe would run the install command */
        char *options;          /* as libkmod built them (modprobe -D prints them as they are) */
} ProbeStep;

typedef struct ProbeSequence {
        ProbeStep *steps;
        size_t n_steps;
        int error;
} ProbeSequence;

/* libkmod's print callback has no userdata. A resolver is used by one thread at a time (libkmod
 * is not thread-safe), so a per-thread pointer is enough. */
static _Thread_local ProbeSequence *probe_current;

static void probe_sequence_done(ProbeSequence *q) {
        for (size_t i = 0; i < q->n_steps; i++) {
                kmod_module_unref(q->steps[i].mod);
                free(q->steps[i].options);
        }
        free(q->steps);
        *q = (ProbeSequence) {};
}

static void probe_record(struct kmod_module *m, bool install, const char *options) {
        ProbeSequence *q = probe_current;
        ProbeStep *steps;
        char *o;

        if (!q || q->error < 0)
                return;
        o = strdup(strempty(options));
        steps = o ? realloc(q->steps, sizeof(ProbeStep) * (q->n_steps + 1)) : NULL;
        if (!steps) {
                free(o);
                q->error = -ENOMEM;
                return;
        }
        q->steps = steps;
        q->steps[q->n_steps++] = (ProbeStep) { .mod = kmod_module_ref(m), .install = install, .options = o };
}

static int probe_refuse_install(struct kmod_module *m, const char *cmd, void *data) {
        return -EPERM;
}

/* Appends to q what modprobe -D would show for mod, one of the modules the request matched,
 * duplicates included. Returns 1 if mod is an alias match that modprobe.d blacklists (nothing
 * appended), 0 otherwise. */
static int probe_sequence(struct kmod_module *mod, const char *params, bool ignore_commands, ProbeSequence *q) {
        unsigned flags = KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
        int k;

        if (ignore_commands)
                flags |= KMOD_PROBE_IGNORE_COMMAND;

        probe_current = q;
        k = kmod_module_probe_insert_module(mod, flags, params && params[0] ? params : NULL, probe_refuse_install,
                                            NULL, probe_record);
        probe_current = NULL;
        if (q->error < 0)
                return q->error;
        if (k < 0)
                return k;
        return k > 0 ? 1 : 0;
}

/* ---- load planning ---- */

/* A load request's name and flags, as every load-shaped entry point checks them. */
static int validate_load_request(const char *name, uint64_t flags, Failure *failure) {
        int r;

        r = module_request_validate(name, failure);
        if (r < 0)
                return r;
        if (flags & ~MODCTL_LOAD_FLAGS_ALL)
                return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                   "Unknown flags 0x%" PRIx64 " for loading module '%s'.",
                                   flags & ~MODCTL_LOAD_FLAGS_ALL, name);
        return 0;
}

static int append_option(char **opts, const char *more) {
        char *n;

        if (!more || !more[0])
                return 0;
        if (!*opts || !(*opts)[0]) {
                n = strdup(more);
        } else if (asprintf(&n, "%s %s", *opts, more) < 0)
                n = NULL;
        if (!n)
                return -ENOMEM;
        free(*opts);
        *opts = n;
        return 0;
}

/* modprobe.d options, then the kernel command line's mod.param=, then params (the caller's, for
 * the module the request named; NULL for the others). */
static int module_options(Resolver *resolver, struct kmod_module *mod, const char *params, char **ret) {
        _cleanup_free_ char *opts = NULL, *theirs = NULL, *ours = NULL;
        const char *name = kmod_module_get_name(mod), *config = kmod_module_get_options(mod);
        int k;

        if (config) {
                opts = strdup(config);
                if (!opts)
                        return -ENOMEM;
        }

        if (resolver->kernel_cmdline) {
                /* libkmod already appended /proc/cmdline's options: cut them off, then add the
                 * override's. */
                k = cmdline_options_for(resolver->proc_cmdline, name, &theirs);
                if (k < 0)
                        return k;
                if (opts && theirs) {
                        size_t n = strlen(opts), t = strlen(theirs);

                        if (n == t && strcmp(opts, theirs) == 0)
                                opts[0] = '\0';
                        else if (n > t && opts[n - t - 1] == ' ' && strcmp(opts + n - t, theirs) == 0)
                                opts[n - t - 1] = '\0';
                }

                k = cmdline_options_for(resolver->kernel_cmdline, name, &ours);
                if (k < 0)
                        return k;
                k = append_option(&opts, ours);
                if (k < 0)
                        return k;
        }

        if (params) {
                k = append_option(&opts, params);
                if (k < 0)
                        return k;
        }

        *ret = TAKE_PTR(opts);
        return 0;
}

static bool step_required(char **required, const char *name) {
        return strv_contains(required, name);
}

/* Per step, the names of its post softdeps: a later step for one of them waits for it. */
typedef struct PostTable {
        char ***names;
        size_t n;
} PostTable;

static void post_table_done(PostTable *t) {
        strv_array_free(t->names, t->n);
}

static int step_index(const Plan *plan, const char *name, size_t *ret) {
        if (plan_find(plan, PLAN_STEP_INSERT, name, ret) >= 0 || plan_find(plan, PLAN_STEP_COMMAND, name, ret) >= 0)
                return 0;
        return -ENOENT;
}

/* The dependency edges of the plan's step for mod: its modules.dep entries and its pre softdeps
 * that have steps, and the earlier steps that name it as a post softdep. Only edges to earlier
 * steps: kmod's order puts every module after its modules.dep entries; a softdep that comes
 * later is part of a softdep cycle, which kmod breaks by taking the order as it falls. One
 * softdep lookup per step. */
static int plan_edges(Plan *plan, PostTable *posts, struct kmod_module *mod, size_t step, Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *deps = NULL, *pre = NULL, *post = NULL;
        _cleanup_(strv_freep) char **post_names = NULL;
        const char *name = kmod_module_get_name(mod);
        struct kmod_list *l;
        char ***names;
        size_t i;
        int k;

        deps = kmod_module_get_dependencies(mod);
        kmod_list_foreach(l, deps) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                if (step_index(plan, kmod_module_get_name(m), &i) < 0)
                        continue;
                if (i >= step)
                        return failure_set(failure, FAILURE_DEPENDENCY_CYCLE,
                                           "Module '%s' cannot be loaded: modules.dep has it depend on '%s', which "
                                           "depends on it (a cycle; run depmod).", name, kmod_module_get_name(m));
                k = plan_step_add_dep(plan, step, i);
                if (k < 0)
                        return k;
        }

        k = kmod_module_get_softdeps(mod, &pre, &post);
        if (k < 0)
                return failure_set(failure, FAILURE_INTERNAL, "Failed to read the soft dependencies of '%s': %s.",
                                   name, strerror(-k));
        kmod_list_foreach(l, pre) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                if (step_index(plan, kmod_module_get_name(m), &i) >= 0 && i < step) {
                        k = plan_step_add_dep(plan, step, i);
                        if (k < 0)
                                return k;
                }
        }
        kmod_list_foreach(l, post) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                k = strv_extend(&post_names, kmod_module_get_name(m));
                if (k < 0)
                        return k;
        }

        for (size_t j = 0; j < posts->n && j < step; j++)
                if (strv_contains(posts->names[j], name)) {
                        k = plan_step_add_dep(plan, step, j);
                        if (k < 0)
                                return k;
                }

        names = realloc(posts->names, sizeof(char **) * (step + 1));
        if (!names)
                return -ENOMEM;
        posts->names = names;
        for (; posts->n <= step; posts->n++)
                posts->names[posts->n] = NULL;
        posts->names[step] = TAKE_PTR(post_names);
        return 0;
}

static bool plan_has(const Plan *plan, const char *name) {
        return plan_find(plan, PLAN_STEP_INSERT, name, NULL) >= 0 ||
               plan_find(plan, PLAN_STEP_COMMAND, name, NULL) >= 0 ||
               strv_contains(plan->skipped, name);
}

/* One step of kmod's sequence into the plan. A module already in the plan is not added again
 * (modprobe -D lists it again; modprobe itself skips it then, as it is loaded by that time). */
static int plan_add_probe_step(Resolver *resolver, Kernel *kernel, Plan *plan, PostTable *posts,
                               const ProbeStep *s, bool is_target, const char *params, char **required,
                               uint64_t flags, const char *request, Failure *failure) {
        _cleanup_free_ char *options = NULL;
        const char *name = kmod_module_get_name(s->mod), *path = kmod_module_get_path(s->mod);
        const char *install = kmod_module_get_install_commands(s->mod);
        KernelModuleState state;
        size_t step;
        int k;

        if (plan_has(plan, name))
                return 0;

        state = kernel_state(kernel, name);
        if (state == KERNEL_MODULE_LIVE || state == KERNEL_MODULE_COMING)
                return plan_add_skipped(plan, name);
        if (state == KERNEL_MODULE_BUILTIN || (!path && module_is_builtin(resolver, s->mod)))
                return plan_add_skipped_builtin(plan, name);

        if (!s->install && !path) {
                _cleanup_(kmod_module_unref_listp) struct kmod_list *pre = NULL, *post = NULL;

                /* Nothing modprobe could insert: -D shows nothing for it and exits 0 (a name
                 * that modprobe.d only gives a remove command, or a softdep on a module that is
                 * not there); a real load of a required module fails, as modprobe's does. */
                if ((flags & MODCTL_LOAD_DRY_RUN) || !step_required(required, name))
                        return 0;
                if (install && kmod_module_get_softdeps(s->mod, &pre, &post) >= 0 && (pre || post))
                        return failure_set(
                                failure, FAILURE_NOT_FOUND,
                                "Module '%s' not found in %s: its modprobe.d install command is ignored "
                                "because it also has soft dependencies, as modprobe does.",
                                name, kmod_get_dirname(resolver->ctx));
                if (is_target || strcmp(name, request) == 0)
                        return failure_set(
                                failure, FAILURE_NOT_FOUND,
                                "Module '%s' not found: '%s' resolves to it, but it is not in %s.", name,
                                request, kmod_get_dirname(resolver->ctx));
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "Module '%s' cannot be loaded: it needs '%s', which is not in %s.",
                                   request, name, kmod_get_dirname(resolver->ctx));
        }

        k = module_options(resolver, s->mod, is_target ? params : NULL, &options);
        if (k < 0)
                return k;

        if (s->install) {
                /* Run as written: the options reach it as $CMDLINE_OPTS in its environment
                 * (command.c), never spliced into the shell line. The shell still splits and
                 * globs them unquoted, so every option (modprobe.d's, the command line's, the
                 * caller's) must pass the parameter grammar: no word starting with '-', no
                 * glob or shell byte. The caller's passed it on the bus already; a file written
                 * before, or by hand, is caught here. The sentence names no option: it may come
                 * from a file only root can read. */
                if (module_params_validate(options, NULL) < 0)
                        return failure_set(failure, FAILURE_INVALID_PARAMETERS,
                                           "Module '%s' is not loaded: its modprobe.d install command would get "
                                           "options outside the parameter grammar (from modprobe.d or the kernel "
                                           "command line) as $CMDLINE_OPTS; see modctl(1), PARAMETERS.", name);
                k = plan_add_step(plan, PLAN_STEP_COMMAND, name, path, options, install, &step);
                if (k < 0)
                        return k;
                plan->steps[step].config_command = strdup(install);
                if (!plan->steps[step].config_command)
                        return -ENOMEM;
        } else {
                k = plan_add_step(plan, PLAN_STEP_INSERT, name, path, options, NULL, &step);
                if (k < 0)
                        return k;
        }
        plan->steps[step].optional = !step_required(required, name);

        return plan_edges(plan, posts, s->mod, step, failure);
}

/* The target and its modules.dep entries: what modprobe must insert (softdeps may fail). */
static int add_required(char ***required, struct kmod_module *mod) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *deps = NULL;
        struct kmod_list *l;
        int k;

        if (!strv_contains(*required, kmod_module_get_name(mod))) {
                k = strv_extend(required, kmod_module_get_name(mod));
                if (k < 0)
                        return k;
        }
        deps = kmod_module_get_dependencies(mod);
        kmod_list_foreach(l, deps) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                if (strv_contains(*required, kmod_module_get_name(m)))
                        continue;
                k = strv_extend(required, kmod_module_get_name(m));
                if (k < 0)
                        return k;
        }
        return 0;
}

/* An overridden command line's modprobe.blacklist= hides module from a request by an alias, as
 * libkmod hides the ones of /proc/cmdline it read itself. */
static bool cmdline_blacklists(Resolver *resolver, const char *module, const char *request) {
        _cleanup_free_ char *normalized = NULL;

        if (!strv_contains(resolver->cmdline_blacklist, module))
                return false;
        normalized = module_request_normalize(request);
        return normalized && strcmp(normalized, module) != 0;
}

static int plan_load(Resolver *resolver, Kernel *k, const char *name, const char *params, uint64_t flags,
                     Plan **ret, Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **required = NULL;
        _cleanup_(post_table_done) PostTable posts = {};
        struct kmod_list *l;
        int r;

        r = validate_load_request(name, flags, failure);
        if (r < 0)
                return r;

        r = lookup(resolver, name, &list, failure);
        if (r < 0)
                return r;

        r = plan_new(name, &plan);
        if (r < 0)
                return r;

        kmod_list_foreach(l, list) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                r = add_required(&required, m);
                if (r < 0)
                        return r;
        }

        /* modprobe probes every module the request matched, in lookup order, each with the
         * caller's parameters; the first one that is not blacklisted is the plan's target. */
        kmod_list_foreach(l, list) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);
                _cleanup_(probe_sequence_done) ProbeSequence q = {};
                KernelModuleState state = kernel_state(k, kmod_module_get_name(m));

                /* A match that is loaded already: modprobe does nothing for it. */
                if (state == KERNEL_MODULE_LIVE || state == KERNEL_MODULE_COMING) {
                        r = plan_add_skipped(plan, kmod_module_get_name(m));
                        if (r < 0)
                                return r;
                        if (!plan->target) {
                                plan->target = strdup(kmod_module_get_name(m));
                                if (!plan->target)
                                        return -ENOMEM;
                        }
                        continue;
                }

                r = probe_sequence(m, params, flags & MODCTL_LOAD_IGNORE_COMMANDS, &q);
                if (r < 0)
                        return failure_set_errno(failure, FAILURE_INTERNAL, r,
                                                 "Failed to resolve the dependencies of '%s': %s.",
                                                 kmod_module_get_name(m), strerror(-r));
                if (r > 0 || cmdline_blacklists(resolver, kmod_module_get_name(m), name)) {
                        r = plan_add_blacklisted(plan, kmod_module_get_name(m));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!plan->target) {
                        plan->target = strdup(kmod_module_get_name(m));
                        if (!plan->target)
                                return -ENOMEM;
                }

                for (size_t i = 0; i < q.n_steps; i++) {
                        r = plan_add_probe_step(resolver, k, plan, &posts, &q.steps[i], q.steps[i].mod == m,
                                                params, required, flags, name, failure);
                        if (r < 0)
                                return r;
                }
        }

        /* Only blacklisted matches: modprobe prints nothing and exits 0, and so do we; the
         * plan shows them as "blacklisted NAME". */
        if (!plan->target) {
                plan->target = strdup(plan->blacklisted ? plan->blacklisted[0] : name);
                if (!plan->target)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(plan);
        return 0;
}

/* Every error comes back with a sentence, also the ones (like ENOMEM) deep helpers return bare. */
static int failure_finish(Failure *failure, Failure *local, int error, const char *what, const char *name) {
        if (local->error == 0)
                /* A bare errno says nothing about the request itself: not the caller's mistake. */
                failure_set_errno(local, FAILURE_INTERNAL, error, "Failed to %s module '%s': %s.", what,
                                  strempty(name), strerror(-error));
        if (failure)
                failure_move(failure, local);
        else
                failure_done(local);
        return error;
}

int resolver_plan_load(Resolver *resolver, Kernel *k, const char *name, const char *params, uint64_t flags,
                       Plan **ret, Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(ret);

        r = plan_load(resolver, k, name, params, flags, ret, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "resolve", name);
        return 0;
}

/* A module given as a file: its depends= resolved by name, each as a load of that name would be
 * (modules.dep, softdeps, install commands), then the file itself. */
static int plan_load_file(Resolver *resolver, Kernel *k, const char *file, const char *name, char **depends,
                          int fd, const char *params, uint64_t flags, Plan **ret, Failure *failure) {
        _cleanup_(kmod_module_unrefp) struct kmod_module *self = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **required = NULL;
        _cleanup_(post_table_done) PostTable posts = {};
        _cleanup_free_ char *options = NULL;
        KernelModuleState state;
        size_t step;
        int r;

        if (!module_name_is_valid(name))
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "'%s' is not a loadable module: the name in its .modinfo is not a module name.",
                                   file);
        if (flags & ~MODCTL_LOAD_FLAGS_ALL)
                return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                   "Unknown flags 0x%" PRIx64 " for loading the module file '%s'.",
                                   flags & ~MODCTL_LOAD_FLAGS_ALL, file);

        r = plan_new(file, &plan);
        if (r < 0)
                return r;
        plan->target = strdup(name);
        if (!plan->target)
                return -ENOMEM;

        /* Loaded already (by this name, from whichever file): nothing to do, as modprobe does. */
        state = kernel_state(k, name);
        if (state == KERNEL_MODULE_LIVE || state == KERNEL_MODULE_COMING || state == KERNEL_MODULE_BUILTIN) {
                r = state == KERNEL_MODULE_BUILTIN ? plan_add_skipped_builtin(plan, name) : plan_add_skipped(plan, name);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(plan);
                return 0;
        }

        STRV_FOREACH(d, depends) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;

                if (!module_name_is_valid(*d))
                        return failure_set(failure, FAILURE_BAD_MODULE,
                                           "'%s' is not a loadable module: its depends= names '%s', which is not "
                                           "a module name.", file, *d);
                r = kmod_module_new_from_name(resolver->ctx, *d, &m);
                if (r < 0)
                        return r;
                r = add_required(&required, m);
                if (r < 0)
                        return r;
        }

        STRV_FOREACH(d, depends) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
                _cleanup_(probe_sequence_done) ProbeSequence q = {};

                if (plan_has(plan, *d))
                        continue;
                r = kmod_module_new_from_name(resolver->ctx, *d, &m);
                if (r < 0)
                        return r;
                if (kmod_module_get_path(m) || kmod_module_get_install_commands(m)) {
                        r = probe_sequence(m, NULL, flags & MODCTL_LOAD_IGNORE_COMMANDS, &q);
                        if (r < 0)
                                return failure_set_errno(failure, FAILURE_INTERNAL, r,
                                                         "Failed to resolve the dependencies of '%s': %s.", *d,
                                                         strerror(-r));
                }
                for (size_t i = 0; i < q.n_steps; i++) {
                        r = plan_add_probe_step(resolver, k, plan, &posts, &q.steps[i], q.steps[i].mod == m, NULL,
                                                required, flags, *d, failure);
                        if (r < 0)
                                return r;
                }
                if (plan_has(plan, *d))
                        continue;
                state = kernel_state(k, *d);
                if (state == KERNEL_MODULE_LIVE || state == KERNEL_MODULE_COMING)
                        r = plan_add_skipped(plan, *d);
                else if (state == KERNEL_MODULE_BUILTIN || module_is_builtin(resolver, m))
                        r = plan_add_skipped_builtin(plan, *d);
                else
                        return failure_set(failure, FAILURE_NOT_FOUND,
                                           "The module file '%s' cannot be loaded: it needs '%s', which is not in %s.",
                                           file, *d, kmod_get_dirname(resolver->ctx));
                if (r < 0)
                        return r;
        }

        /* modprobe.d's options and the kernel command line's apply by the module's name. */
        r = kmod_module_new_from_name(resolver->ctx, name, &self);
        if (r < 0)
                return r;
        r = module_options(resolver, self, params, &options);
        if (r < 0)
                return r;
        r = plan_add_step(plan, PLAN_STEP_INSERT, name, file, options, NULL, &step);
        if (r < 0)
                return r;
        for (size_t i = 0; i < step; i++) {
                r = plan_step_add_dep(plan, step, i);
                if (r < 0)
                        return r;
        }
        if (fd >= 0) {
                plan->steps[step].fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (plan->steps[step].fd < 0)
                        return -errno;
        }

        *ret = TAKE_PTR(plan);
        return 0;
}

int resolver_plan_load_file(Resolver *resolver, Kernel *k, const char *file, const char *name, char **depends,
                            int fd, const char *params, uint64_t flags, Plan **ret, Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(file);
        assert(name);
        assert(ret);

        r = plan_load_file(resolver, k, file, name, depends, fd, params, flags, ret, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "resolve the dependencies of", name);
        return 0;
}

/* Name or alias to modules, with modprobe's blacklist rule: modprobe.d's blacklist (and the
 * kernel command line's modprobe.blacklist=) hides a module found through an alias, never a
 * module asked for by its own name. */
static int lookup_allowed(Resolver *resolver, const char *name, char ***ret_names, Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL, *allowed = NULL;
        _cleanup_(strv_freep) char **names = NULL, **blacklisted = NULL;
        _cleanup_free_ char *normalized = NULL, *joined = NULL;
        struct kmod_list *l;
        int r;

        r = lookup(resolver, name, &list, failure);
        if (r < 0)
                return r;

        normalized = module_request_normalize(name);
        if (!normalized)
                return -ENOMEM;
        r = kmod_module_apply_filter(resolver->ctx, KMOD_FILTER_BLACKLIST, list, &allowed);
        if (r < 0)
                return r;

        kmod_list_foreach(l, list) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);
                const char *n = kmod_module_get_name(m);
                bool ok = strcmp(n, normalized) == 0;
                struct kmod_list *a;

                kmod_list_foreach(a, allowed) {
                        _cleanup_(kmod_module_unrefp) struct kmod_module *x = kmod_module_get_module(a);

                        if (strcmp(kmod_module_get_name(x), n) == 0)
                                ok = true;
                }
                /* An overridden command line's modprobe.blacklist=, as libkmod applies /proc's. */
                if (ok && strcmp(n, normalized) != 0 && strv_contains(resolver->cmdline_blacklist, n))
                        ok = false;
                if (strv_contains(ok ? names : blacklisted, n))
                        continue;
                r = strv_extend(ok ? &names : &blacklisted, n);
                if (r < 0)
                        return r;
        }

        if (!names) {
                joined = strv_join(blacklisted, ", ");
                if (!joined)
                        return -ENOMEM;
                return failure_set(failure, FAILURE_NOT_FOUND,
                                   "Module '%s' not found: it is an alias of %s, which modprobe.d blacklists.",
                                   name, joined);
        }

        *ret_names = TAKE_PTR(names);
        return 0;
}

int resolver_lookup(Resolver *resolver, const char *name, char ***ret_names, Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(ret_names);

        r = module_request_validate(name, &local);
        if (r >= 0)
                r = lookup_allowed(resolver, name, ret_names, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "look up", name);
        return 0;
}

/* ---- modprobe -D, byte for byte ---- */

static int show_depends(Resolver *resolver, const char *name, const char *params, uint64_t flags,
                        char ***ret_lines, Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        struct kmod_list *l;
        int r;

        r = validate_load_request(name, flags, failure);
        if (r < 0)
                return r;

        r = kmod_module_new_from_lookup(resolver->ctx, name, &list);
        if (r < 0 || !list)
                /* modprobe's own words (it says so for an invalid pattern too). */
                return failure_set(failure, FAILURE_NOT_FOUND, "Module %s not found in directory %s", name,
                                   kmod_get_dirname(resolver->ctx));

        lines = calloc(1, sizeof(char *));
        if (!lines)
                return -ENOMEM;

        kmod_list_foreach(l, list) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);
                _cleanup_(probe_sequence_done) ProbeSequence q = {};

                r = probe_sequence(m, params, flags & MODCTL_LOAD_IGNORE_COMMANDS, &q);
                if (r < 0)
                        return failure_set_errno(failure, FAILURE_INTERNAL, r,
                                                 "Failed to resolve the dependencies of '%s': %s.",
                                                 kmod_module_get_name(m), strerror(-r));

                for (size_t i = 0; i < q.n_steps; i++) {
                        struct kmod_module *s = q.steps[i].mod;
                        const char *path = kmod_module_get_path(s);
                        char *line = NULL;

                        /* modprobe's print_action: the command or path, a space, the options
                         * (so a line may end in a space); a module without a file shows only
                         * if it is built in. */
                        if (q.steps[i].install)
                                r = asprintf(&line, "install %s %s", kmod_module_get_install_commands(s),
                                             q.steps[i].options);
                        else if (path)
                                r = asprintf(&line, "insmod %s %s", path, q.steps[i].options);
                        else if (kmod_module_get_initstate(s) == KMOD_MODULE_BUILTIN)
                                r = asprintf(&line, "builtin %s", kmod_module_get_name(s));
                        else
                                continue;
                        if (r < 0)
                                return -ENOMEM;
                        r = strv_push(&lines, line);
                        if (r < 0) {
                                free(line);
                                return r;
                        }
                }
        }

        *ret_lines = TAKE_PTR(lines);
        return 0;
}

int resolver_show_depends(Resolver *resolver, const char *name, const char *params, uint64_t flags,
                          char ***ret_lines, Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(ret_lines);

        r = show_depends(resolver, name, params, flags, ret_lines, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "resolve", name);
        return 0;
}

/* ---- unload planning ---- */

static bool state_is_loaded(KernelModuleState s) {
        return s == KERNEL_MODULE_LIVE || s == KERNEL_MODULE_COMING || s == KERNEL_MODULE_GOING;
}

typedef struct Removal {
        char *name;
        char **deps;            /* modules.dep of this module */
        bool added;
        size_t step;
} Removal;

static void removal_done(Removal *resolver) {
        free(resolver->name);
        strv_free(resolver->deps);
}

static DEFINE_ARRAY_FREE_FUNC(removal_array_free, Removal, removal_done);

static int module_dep_names(Resolver *resolver, const char *name, char ***ret) {
        _cleanup_(kmod_module_unrefp) struct kmod_module *mod = NULL;
        _cleanup_(kmod_module_unref_listp) struct kmod_list *deps = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        struct kmod_list *l;
        int r;

        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        r = kmod_module_new_from_name(resolver->ctx, name, &mod);
        if (r < 0)
                return r;

        deps = kmod_module_get_dependencies(mod);
        kmod_list_foreach(l, deps) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);

                r = strv_extend(&names, kmod_module_get_name(m));
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(names);
        return 0;
}

static int removal_add(Removal **l, size_t *n, const char *name, Resolver *resolver) {
        Removal *a;
        char *c;
        char **deps = NULL;
        int r;

        r = module_dep_names(resolver, name, &deps);
        if (r < 0)
                return r;
        c = strdup(name);
        a = c ? realloc(*l, sizeof(Removal) * (*n + 1)) : NULL;
        if (!a) {
                free(c);
                strv_free(deps);
                return -ENOMEM;
        }
        *l = a;
        (*l)[(*n)++] = (Removal) { .name = c, .deps = deps };
        return 0;
}

static int check_in_use(Kernel *k, const char *name, Failure *failure) {
        _cleanup_free_ char *holders = NULL;
        KernelModule km = {};
        int r;

        if (!k || kernel_get(k, name, &km) < 0)
                return 0;

        if (km.holders && km.holders[0]) {
                holders = strv_join(km.holders, ", ");
                r = holders ? failure_set(failure, FAILURE_IN_USE, "Module '%s' is in use by %s.", name,
                                          holders)
                            : -ENOMEM;
        } else if (km.refcount > 0)
                r = failure_set(failure, FAILURE_IN_USE, "Module '%s' is in use (reference count %d).", name,
                                km.refcount);
        else
                r = 0;

        kernel_module_done(&km);
        return r;
}

/* --remove-holders: the loaded modules holding name, transitively, each after the modules that
 * hold it (the order they can be removed in), appended to *holders. */
static int collect_holders(Kernel *k, const char *name, char ***holders, unsigned depth, Failure *failure) {
        KernelModule km = {};
        int r = 0;

        if (!k || kernel_get(k, name, &km) < 0)
                return 0;
        if (depth > 64) {
                r = failure_set(failure, FAILURE_DEPENDENCY_CYCLE,
                                "Module '%s' cannot be unloaded with its holders: they hold each other in a cycle.",
                                name);
                goto finish;
        }
        STRV_FOREACH(h, km.holders) {
                if (strv_contains(*holders, *h))
                        continue;
                r = collect_holders(k, *h, holders, depth + 1, failure);
                if (r < 0)
                        goto finish;
                if (strv_contains(*holders, *h))
                        continue;
                r = strv_extend(holders, *h);
                if (r < 0)
                        goto finish;
        }
finish:
        kernel_module_done(&km);
        return r;
}

/* Like check_in_use(), for a module whose holders are all removed before it: only references
 * beyond the ones its holders take keep it in use. */
static int check_in_use_besides_holders(Kernel *k, const char *name, Failure *failure) {
        KernelModule km = {};
        int r = 0, others;

        if (!k || kernel_get(k, name, &km) < 0)
                return 0;
        others = km.refcount;
        STRV_FOREACH(h, km.holders)
                others--;
        if (km.refcount < 0)
                r = failure_set(failure, FAILURE_IN_USE, "Module '%s' cannot be unloaded (it has no exit function).",
                                name);
        else if (others > 0)
                r = failure_set(failure, FAILURE_IN_USE,
                                "Module '%s' is in use (reference count %d besides its holders).", name, others);
        kernel_module_done(&km);
        return r;
}

static int plan_unload(Resolver *resolver, Kernel *k, const char *name, uint64_t flags, Plan **ret,
                       Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        _cleanup_(plan_freep) Plan *plan = NULL;
        _cleanup_(strv_freep) char **targets = NULL;
        _cleanup_free_ char *normalized = NULL;
        Removal *removals = NULL;
        size_t n_removals = 0, n_targets;
        CLEANUP_ARRAY(removals, n_removals, removal_array_free);
        KernelModuleState state;
        struct kmod_list *l;
        int r;

        r = module_request_validate(name, failure);
        if (r < 0)
                return r;
        if (flags & ~MODCTL_UNLOAD_FLAGS_ALL)
                return failure_set(failure, FAILURE_INVALID_ARGUMENT,
                                   "Unknown flags 0x%" PRIx64 " for unloading module '%s'.",
                                   flags & ~MODCTL_UNLOAD_FLAGS_ALL, name);

        normalized = module_request_normalize(name);
        if (!normalized)
                return -ENOMEM;

        /* A loaded module by that exact name wins, even one libkmod does not know (insmod'ed from
         * elsewhere); otherwise resolve it like modprobe -r does, aliases included. */
        state = kernel_state(k, normalized);
        if (state_is_loaded(state)) {
                r = strv_extend(&targets, normalized);
                if (r < 0)
                        return r;
        } else if (state == KERNEL_MODULE_BUILTIN)
                return failure_set(failure, FAILURE_BUILT_IN,
                                   "Module '%s' is built into the kernel and cannot be unloaded.", name);
        else {
                bool builtin = false;

                r = lookup(resolver, name, &list, failure);
                if (r < 0)
                        return r;

                kmod_list_foreach(l, list) {
                        _cleanup_(kmod_module_unrefp) struct kmod_module *m = kmod_module_get_module(l);
                        KernelModuleState s = kernel_state(k, kmod_module_get_name(m));

                        if (state_is_loaded(s)) {
                                r = strv_extend(&targets, kmod_module_get_name(m));
                                if (r < 0)
                                        return r;
                        } else if (s == KERNEL_MODULE_BUILTIN || module_is_builtin(resolver, m))
                                builtin = true;
                }

                if (!targets) {
                        if (builtin)
                                return failure_set(failure, FAILURE_BUILT_IN,
                                                   "Module '%s' is built into the kernel and cannot be unloaded.",
                                                   name);
                        return failure_set(failure, FAILURE_NOT_LOADED, "Module '%s' is not loaded.", name);
                }
        }

        r = plan_new(name, &plan);
        if (r < 0)
                return r;
        plan->target = strdup(targets[0]);
        if (!plan->target)
                return -ENOMEM;

        if (flags & MODCTL_UNLOAD_REMOVE_HOLDERS) {
                /* The holders go first, each after the modules holding it; then the targets. */
                _cleanup_(strv_freep) char **ordered = NULL;

                STRV_FOREACH(t, targets) {
                        r = collect_holders(k, *t, &ordered, 0, failure);
                        if (r < 0)
                                return r;
                }
                STRV_FOREACH(t, targets)
                        if (!strv_contains(ordered, *t)) {
                                r = strv_extend(&ordered, *t);
                                if (r < 0)
                                        return r;
                        }
                strv_free(targets);
                targets = TAKE_PTR(ordered);
        }

        STRV_FOREACH(t, targets) {
                r = flags & MODCTL_UNLOAD_REMOVE_HOLDERS ? check_in_use_besides_holders(k, *t, failure)
                                                         : check_in_use(k, *t, failure);
                if (r < 0)
                        return r;
        }

        /* The requested modules first, then what they leave unused. */
        STRV_FOREACH(t, targets) {
                r = removal_add(&removals, &n_removals, *t, resolver);
                if (r < 0)
                        return r;
        }
        n_targets = n_removals;

        for (size_t i = 0; i < n_targets; i++) {
                _cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
                const char *command = NULL;

                r = kmod_module_new_from_name(resolver->ctx, removals[i].name, &m);
                if (r < 0)
                        return r;
                if (!(flags & MODCTL_UNLOAD_IGNORE_COMMANDS))
                        command = kmod_module_get_remove_commands(m);

                r = plan_add_step(plan, command ? PLAN_STEP_COMMAND : PLAN_STEP_REMOVE, removals[i].name,
                                  NULL, NULL, command, &removals[i].step);
                if (r < 0)
                        return r;
                removals[i].added = true;
        }

        /* --remove-holders: a module is removed after the modules that hold it. */
        for (size_t i = 0; (flags & MODCTL_UNLOAD_REMOVE_HOLDERS) && i < n_targets; i++) {
                KernelModule km = {};

                if (!k || kernel_get(k, removals[i].name, &km) < 0)
                        continue;
                for (size_t j = 0; j < n_targets && r >= 0; j++)
                        if (j != i && strv_contains(km.holders, removals[j].name))
                                r = plan_step_add_dep(plan, removals[i].step, removals[j].step);
                kernel_module_done(&km);
                if (r < 0)
                        return r;
        }

        if (flags & MODCTL_UNLOAD_REMOVE_UNUSED) {
                /* Candidates: the loaded modules.dep closure of the targets. modules.dep lines are
                 * already transitive, but following each candidate's own line costs nothing and
                 * covers hand-edited files. */
                for (size_t i = 0; i < n_removals; i++)
                        STRV_FOREACH(d, removals[i].deps) {
                                bool known = false;

                                for (size_t j = 0; j < n_removals; j++)
                                        if (strcmp(removals[j].name, *d) == 0)
                                                known = true;
                                if (known || !state_is_loaded(kernel_state(k, *d)))
                                        continue;

                                r = removal_add(&removals, &n_removals, *d, resolver);
                                if (r < 0)
                                        return r;
                        }

                /* A module is removed after every module in the plan that depends on it. */
                for (size_t left = n_removals - n_targets; left > 0; left--) {
                        size_t pick = SIZE_MAX;

                        for (size_t i = n_targets; i < n_removals && pick == SIZE_MAX; i++) {
                                bool needed = false;

                                if (removals[i].added)
                                        continue;
                                for (size_t j = 0; j < n_removals; j++)
                                        if (!removals[j].added && j != i &&
                                            strv_contains(removals[j].deps, removals[i].name))
                                                needed = true;
                                if (!needed)
                                        pick = i;
                        }
                        if (pick == SIZE_MAX) {
                                return failure_set(failure, FAILURE_DEPENDENCY_CYCLE,
                                                   "Module '%s' cannot be unloaded with its dependencies: "
                                                   "modules.dep has a cycle.", name);
                        }

                        r = plan_add_step(plan, PLAN_STEP_REMOVE, removals[pick].name, NULL, NULL, NULL,
                                          &removals[pick].step);
                        if (r < 0)
                                return r;
                        plan->steps[removals[pick].step].only_if_unused = true;
                        removals[pick].added = true;

                        for (size_t j = 0; j < n_removals; j++)
                                if (j != pick && strv_contains(removals[j].deps, removals[pick].name)) {
                                        r = plan_step_add_dep(plan, removals[pick].step, removals[j].step);
                                        if (r < 0)
                                                return r;
                                }
                }
        }

        *ret = TAKE_PTR(plan);
        return 0;
}

int resolver_plan_unload(Resolver *resolver, Kernel *k, const char *name, uint64_t flags, Plan **ret,
                         Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(ret);

        r = plan_unload(resolver, k, name, flags, ret, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "plan the unloading of", name);
        return 0;
}

/* ---- modinfo ---- */

/* ---- weak dependencies ---- */

/* Appends to *list the names after "weakdep MODULE" on the lines of path that are for module
 * (a normalized name), each once. A file that is not there has none. */
static int weakdeps_from_file(const char *path, const char *module, char ***list) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        int r;

        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (getline(&line, &size, f) >= 0) {
                char *save = NULL, *w, n[MODULE_NAME_LEN];

                w = strtok_r(line, " \t\n", &save);
                if (!w || strcmp(w, "weakdep") != 0)
                        continue;
                w = strtok_r(NULL, " \t\n", &save);
                if (!w || module_name_normalize(w, n) < 0 || strcmp(n, module) != 0)
                        continue;
                while ((w = strtok_r(NULL, " \t\n", &save))) {
                        if (strv_contains(*list, w))
                                continue;
                        r = strv_extend(list, w);
                        if (r < 0)
                                return r;
                }
        }
        return ferror(f) ? -EIO : 0;
}

/* kmod 33's weak dependencies of module: "weakdep MODULE NAME..." lines in modprobe.d and in
 * the module directory's modules.weakdep, which depmod 33 writes from MODULE_WEAKDEP(). Like
 * modprobe, nothing ever loads them (libkmod 30 does not know the keyword, so no plan has
 * them); `modctl info` shows them, as kmod 34's modinfo and modprobe -c do. */
static int module_weakdeps(Resolver *resolver, const char *module, char ***ret) {
        _cleanup_(strv_freep) char **files = NULL, **list = NULL;
        _cleanup_free_ char *index = NULL;
        int r;

        r = modprobe_config_files(resolver->config_paths ?: kmod_default_config_paths, resolver->exclude_config, &files);
        if (r < 0)
                return r;
        if (asprintf(&index, "%s/modules.weakdep", kmod_get_dirname(resolver->ctx)) < 0)
                return -ENOMEM;
        r = strv_extend(&files, index);
        if (r < 0)
                return r;
        STRV_FOREACH(file, files) {
                r = weakdeps_from_file(*file, module, &list);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int module_info(Resolver *resolver, const char *name, char ***ret_pairs, Failure *failure) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        _cleanup_(kmod_module_info_free_listp) struct kmod_list *info = NULL;
        _cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
        _cleanup_(strv_freep) char **pairs = NULL, **weak = NULL, **weak_seen = NULL;
        const char *path;
        struct kmod_list *l;
        int r;

        r = module_request_validate(name, failure);
        if (r < 0)
                return r;

        r = lookup(resolver, name, &list, failure);
        if (r < 0)
                return r;

        m = kmod_module_get_module(list);
        path = kmod_module_get_path(m);
        if (!path && !module_is_builtin(resolver, m))
                return failure_set(failure, FAILURE_NOT_FOUND,
                                   "Module '%s' not found: '%s' resolves to it, but it is not in %s.",
                                   kmod_module_get_name(m), name, kmod_get_dirname(resolver->ctx));

        r = kmod_module_get_info(m, &info);
        if (r < 0)
                return failure_set(failure, FAILURE_BAD_MODULE,
                                   "Failed to read the module information of '%s' from %s: %s.",
                                   kmod_module_get_name(m), path ?: "modules.builtin.modinfo", strerror(-r));

        pairs = calloc(1, sizeof(char *));
        if (!pairs)
                return -ENOMEM;
        r = strv_extend(&pairs, "filename");
        if (r < 0)
                return r;
        r = strv_extend(&pairs, path ?: "(builtin)");
        if (r < 0)
                return r;

        kmod_list_foreach(l, info) {
                r = strv_extend(&pairs, kmod_module_info_get_key(l));
                if (r < 0)
                        return r;
                r = strv_extend(&pairs, strempty(kmod_module_info_get_value(l)));
                if (r < 0)
                        return r;
                if (strcmp(kmod_module_info_get_key(l), "weakdep") == 0) {
                        r = strv_extend(&weak_seen, strempty(kmod_module_info_get_value(l)));
                        if (r < 0)
                                return r;
                }
        }

        /* Those of modprobe.d and modules.weakdep, after the module's own MODULE_WEAKDEP()s. */
        r = module_weakdeps(resolver, kmod_module_get_name(m), &weak);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Failed to read the weak dependencies of '%s': %s.",
                                         kmod_module_get_name(m), strerror(-r));
        STRV_FOREACH(w, weak) {
                if (strv_contains(weak_seen, *w))
                        continue;
                r = strv_extend(&pairs, "weakdep");
                if (r < 0)
                        return r;
                r = strv_extend(&pairs, *w);
                if (r < 0)
                        return r;
        }

        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

int resolver_module_info(Resolver *resolver, const char *name, char ***ret_pairs, Failure *failure) {
        _cleanup_(failure_donep) Failure local = FAILURE_NULL;
        int r;

        assert(resolver);
        assert(ret_pairs);

        r = module_info(resolver, name, ret_pairs, &local);
        if (r < 0)
                return failure_finish(failure, &local, r, "read information about", name);
        return 0;
}
