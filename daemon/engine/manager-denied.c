/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of MODPROBE_DENIED_CONF: while modctld runs it keeps that file equal to
 * what the policy keeps out, so that whatever loads modules when modctld does not run (udevd
 * after modctl-udev-handoff stop replays the driverless devices, kmod's modprobe through
 * kernel.modprobe or HookFallback=modprobe) leaves those modules out too. It must already be on
 * disk when modctld ends, since a crash (kill -9) writes nothing: so it is written at start,
 * before the boot list and coldplug, and again whenever the policy, the module index or the
 * set of refused loads changes. modctld's own resolver and settings never read it
 * (ResolverConfig.exclude_config, SettingsPaths.excluded): the policy judges, not that copy. */

#include <assert.h>
#include <string.h>

#include "settings/atomic-file.h"
#include "core/denied-list.h"
#include "common/log.h"
#include "engine/manager-private.h"
#include "common/modprobe-files.h"
#include "common/module-name.h"
#include "common/strv.h"

#define MODULES_DEP_MAX (64 * 1024 * 1024)

static bool is_denied_by_name(Manager *m, const char *name) {
        PolicyVerdict v = {};
        bool denied;

        if (policy_check_name(&m->config->policy, name, &v) < 0)
                return false;
        denied = v.decision == POLICY_DENY;
        policy_verdict_done(&v);
        return denied;
}

/* Every module of the index, and every plain name in Deny= (a module installed later), that
 * the name rules deny. */
static int denied_by_name(Manager *m, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL, **denied = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        if (asprintf(&path, "%s/modules.dep", m->modules_dir) < 0)
                return -ENOMEM;
        r = read_file_text(path, MODULES_DEP_MAX, &text);
        if (r < 0 && r != -ENOENT)
                return r;
        r = denied_names_from_modules_dep(strempty(text), &names);
        if (r < 0)
                return r;
        STRV_FOREACH(g, m->config->policy.deny)
                if (denied_name_is_valid(*g) && !strpbrk(*g, "*?[\\")) {
                        r = strv_extend(&names, *g);
                        if (r < 0)
                                return r;
                }
        STRV_FOREACH(n, names)
                if (is_denied_by_name(m, *n)) {
                        r = strv_extend(&denied, *n);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(denied);
        return 0;
}

/* Writes the file from the two sections as they are now: the names the rules deny (cached in
 * m->denied_by_name, recomputed only when the rules or the index change) and the refused ones. */
static void denied_write(Manager *m) {
        _cleanup_free_ char *text = NULL, *current = NULL;
        int r;

        r = denied_list_format(m->denied_by_name, m->denied_refused, &text);
        if (r < 0) {
                log_warning_errno(r, "Cannot write %s, it stays as it is: %m", m->denied_path);
                return;
        }
        /* Writing it makes the index watch report modprobe.d changed, which calls this again:
         * an unchanged file is not written. */
        if (read_file_text(m->denied_path, MODULES_DEP_MAX, &current) >= 0 && streq(current, text))
                return;
        r = write_file_atomic(m->denied_path, text, 0644);
        if (r < 0) {
                log_warning_errno(r, "Cannot write %s, what it lists may load while modctld does not "
                                  "run: %m", m->denied_path);
                return;
        }
        log_debug("Wrote %s: %zu module(s) denied by name, %zu refused when loaded.", m->denied_path,
                  strv_length(m->denied_by_name), strv_length(m->denied_refused));
}

void manager_denied_update(Manager *m) {
        _cleanup_(strv_freep) char **by_name = NULL;
        int r;

        assert(m);

        if (!m->denied_path)
                return;
        /* Mode=warn and Mode=off refuse nothing, so nothing is kept out. */
        if (m->config->policy.mode != POLICY_MODE_ENFORCE)
                m->denied_refused = strv_free(m->denied_refused);
        else {
                /* The whole index against the rules: once per rules or index change, not per
                 * refused load. */
                r = denied_by_name(m, &by_name);
                if (r < 0) {
                        log_warning_errno(r, "Cannot list the modules the policy denies for %s, "
                                          "it stays as it is: %m", m->denied_path);
                        return;
                }
        }
        strv_free(m->denied_by_name);
        m->denied_by_name = TAKE_PTR(by_name);
        denied_write(m);
}

/* A load the policy refused by the module's content (a name denial is in the other section,
 * computed from the rules) stays out of udevd's reach too. Only names that kmod may parse. */
static void on_load_failed(const char *name, const char *origin, const Failure *failure, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *n = NULL;

        if (failure->kind != FAILURE_POLICY_DENIED || m->config->policy.mode != POLICY_MODE_ENFORCE ||
            !denied_name_is_valid(name) || is_denied_by_name(m, name))
                return;
        n = module_request_normalize(name);
        if (!n) {
                log_oom();
                return;
        }
        if (strv_contains(m->denied_refused, n))
                return;
        if (strv_push(&m->denied_refused, TAKE_PTR(n)) < 0) {
                log_oom();
                return;
        }
        denied_write(m);
}

/* Loaded: the policy let it in (a later configuration, or a load by hand), so it is no longer
 * kept out. */
static void on_module_loaded(const char *name, const char *origin, void *userdata) {
        Manager *m = userdata;

        if (!strv_contains(m->denied_refused, name))
                return;
        strv_remove(m->denied_refused, name);
        denied_write(m);
}

static void on_config_reloaded(bool applied, const char *message, void *userdata) {
        if (applied)
                manager_denied_update(userdata);
}

static void on_index_changed(void *userdata) {
        manager_denied_update(userdata);
}

static const ManagerEvents denied_events = {
        .load_failed = on_load_failed,
        .module_loaded = on_module_loaded,
        .config_reloaded = on_config_reloaded,
        .index_changed = on_index_changed,
};

int manager_denied_init(Manager *m) {
        _cleanup_free_ char *text = NULL;
        int r;

        assert(m);

        if (asprintf(&m->denied_path, "%s%s", strempty(m->config_root), MODPROBE_DENIED_CONF) < 0)
                return -ENOMEM;
        /* What the last run found refused stays until this run loads it. */
        r = read_file_text(m->denied_path, MODULES_DEP_MAX, &text);
        if (r >= 0)
                r = denied_list_parse_refused(text, &m->denied_refused);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read %s, starting with no refused modules: %m", m->denied_path);
        if (r == -ENOMEM)
                return r;
        return manager_add_listener(m, &denied_events, m);
}

void manager_denied_free(Manager *m) {
        manager_remove_listener(m, &denied_events, m);
        m->denied_refused = strv_free(m->denied_refused);
        m->denied_by_name = strv_free(m->denied_by_name);
        free(m->denied_path);
        m->denied_path = NULL;
}
