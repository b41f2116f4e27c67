/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/modprobe-files.h"
#include "common/module-name.h"
#include "common/strv.h"
#include "core/denied-list.h"
#include "core/policy.h"
#include "engine/denied-file.h"
#include "settings/atomic-file.h"
struct DeniedFile {
        char *path;             /* MODPROBE_DENIED_CONF below the configuration root */
        char **refused;         /* the modules whose loads the policy refused by their content */
        char **by_name;         /* the modules the rules deny by name, as last computed */
};

#define MODULES_DEP_MAX (64 * 1024 * 1024)

static bool is_denied_by_name(const Config *config, const char *name) {
        PolicyVerdict v = {};
        bool denied;

        if (policy_check_name(&config->policy, name, &v) < 0)
                return false;
        denied = v.decision == POLICY_DENY;
        policy_verdict_done(&v);
        return denied;
}

/* Every module of the index, and every plain name in Deny= (a module installed later), that
 * the name rules deny. */
static int denied_by_name(const Config *config, const char *modules_dir, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL, **denied = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        if (asprintf(&path, "%s/modules.dep", modules_dir) < 0)
                return -ENOMEM;
        r = read_file_text(path, MODULES_DEP_MAX, &text);
        if (r < 0 && r != -ENOENT)
                return r;
        r = denied_names_from_modules_dep(strempty(text), &names);
        if (r < 0)
                return r;
        STRV_FOREACH(g, config->policy.deny)
                if (denied_name_is_valid(*g) && !strpbrk(*g, "*?[\\")) {
                        r = strv_extend(&names, *g);
                        if (r < 0)
                                return r;
                }
        STRV_FOREACH(n, names)
                if (is_denied_by_name(config, *n)) {
                        r = strv_extend(&denied, *n);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(denied);
        return 0;
}

/* Writes the file from the two sections as they are now: the names the rules deny (cached in
 * by_name, recomputed only when the rules or the index change) and the refused ones. */
static void denied_write(DeniedFile *m) {
        _cleanup_free_ char *text = NULL, *current = NULL;
        int r;

        r = denied_list_format(m->by_name, m->refused, &text);
        if (r < 0) {
                log_warning_errno(r, "Cannot write %s, it stays as it is: %m", m->path);
                return;
        }
        /* Writing it makes the index watch report modprobe.d changed, which calls this again:
         * an unchanged file is not written. */
        if (read_file_text(m->path, MODULES_DEP_MAX, &current) >= 0 && streq(current, text))
                return;
        r = write_file_atomic(m->path, text, 0644);
        if (r < 0) {
                log_warning_errno(r, "Cannot write %s, what it lists may load while modctld does not "
                                  "run: %m", m->path);
                return;
        }
        log_debug("Wrote %s: %zu module(s) denied by name, %zu refused when loaded.", m->path,
                  strv_length(m->by_name), strv_length(m->refused));
}

void denied_file_update(DeniedFile *m, const Config *config, const char *modules_dir) {
        _cleanup_(strv_freep) char **by_name = NULL;
        int r;

        assert(m);
        assert(config);
        assert(modules_dir);

        /* Mode=warn and Mode=off refuse nothing, so nothing is kept out. */
        if (config->policy.mode != POLICY_MODE_ENFORCE)
                m->refused = strv_free(m->refused);
        else {
                /* The whole index against the rules: once per rules or index change, not per
                 * refused load. */
                r = denied_by_name(config, modules_dir, &by_name);
                if (r < 0) {
                        log_warning_errno(r, "Cannot list the modules the policy denies for %s, "
                                          "it stays as it is: %m", m->path);
                        return;
                }
        }
        strv_free(m->by_name);
        m->by_name = TAKE_PTR(by_name);
        denied_write(m);
}

/* Only names that kmod may parse. A name denial is in the other section, computed from the
 * rules. */
void denied_file_load_failed(DeniedFile *m, const Config *config, const char *name, const Failure *failure) {
        _cleanup_free_ char *n = NULL;

        assert(m);
        assert(config);
        assert(name);
        assert(failure);

        if (failure->kind != FAILURE_POLICY_DENIED || config->policy.mode != POLICY_MODE_ENFORCE ||
            !denied_name_is_valid(name) || is_denied_by_name(config, name))
                return;
        n = module_request_normalize(name);
        if (!n) {
                log_oom();
                return;
        }
        if (strv_contains(m->refused, n))
                return;
        if (strv_push(&m->refused, TAKE_PTR(n)) < 0) {
                log_oom();
                return;
        }
        denied_write(m);
}

void denied_file_module_loaded(DeniedFile *m, const char *name) {
        assert(m);
        assert(name);

        if (!strv_contains(m->refused, name))
                return;
        strv_remove(m->refused, name);
        denied_write(m);
}

int denied_file_new(const char *config_root, DeniedFile **ret) {
        _cleanup_(denied_file_freep) DeniedFile *m = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        assert(ret);

        m = calloc(1, sizeof(DeniedFile));
        if (!m)
                return -ENOMEM;
        if (asprintf(&m->path, "%s%s", strempty(config_root), MODPROBE_DENIED_CONF) < 0)
                return -ENOMEM;
        r = read_file_text(m->path, MODULES_DEP_MAX, &text);
        if (r >= 0)
                r = denied_list_parse_refused(text, &m->refused);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read %s, starting with no refused modules: %m", m->path);
        *ret = TAKE_PTR(m);
        return 0;
}

DeniedFile *denied_file_free(DeniedFile *m) {
        if (!m)
                return NULL;
        strv_free(m->refused);
        strv_free(m->by_name);
        free(m->path);
        free(m);
        return NULL;
}

const char *denied_file_path(DeniedFile *m) {
        assert(m);
        return m->path;
}
