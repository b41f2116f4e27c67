/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kmod 33's weakdep (Debian 13 has kmod 34): weak dependencies from modprobe.d and from the
 * module directory's modules.weakdep are shown by resolver_module_info() and never planned.
 * The module tree is a copy of tests/modules' fixture with a modules.weakdep added. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "modctl-bus.h"
#include "core/resolver.h"
#include "strv.h"
#include "kernel/kernel.h"

static char tmp[] = "/tmp/modctl-weakdep-XXXXXX";
static char modules_dir[4096], confdir[4096];
static Resolver *resolver;

static int absent_get_state(Kernel *k, const char *name, KernelModuleState *ret) {
        *ret = KERNEL_MODULE_ABSENT;
        return 0;
}

static const KernelOps absent_ops = { .backend = "test", .get_state = absent_get_state };
static Kernel nothing_loaded = { .ops = &absent_ops };

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f, "%s", path);
        cr_assert_geq(fputs(text, f), 0);
        cr_assert_eq(fclose(f), 0);
}

static void setup(void) {
        char kver[128], cmd[8192], path[4096 + 64];
        FILE *f = fopen(MODCTL_TEST_MODULES_DIR "/kernel-release", "re");
        const char *paths[] = { confdir, NULL };

        cr_assert_not_null(f);
        cr_assert_not_null(fgets(kver, sizeof(kver), f));
        fclose(f);
        kver[strcspn(kver, "\n")] = '\0';
        cr_assert_not_null(mkdtemp(tmp));
        snprintf(cmd, sizeof(cmd), "cp -a '%s/root/lib/modules/%s' '%s/modules'", MODCTL_TEST_MODULES_DIR, kver, tmp);
        cr_assert_eq(system(cmd), 0);
        snprintf(modules_dir, sizeof(modules_dir), "%s/modules", tmp);
        snprintf(confdir, sizeof(confdir), "%s/modprobe.d", tmp);
        snprintf(cmd, sizeof(cmd), "mkdir '%s'", confdir);
        cr_assert_eq(system(cmd), 0);

        /* As depmod 33 writes it from MODULE_WEAKDEP(), and as an admin writes one. */
        snprintf(path, sizeof(path), "%s/modules.weakdep", modules_dir);
        write_file(path, "# Weak dependencies extracted from modules themselves.\n"
                         "weakdep modctl_test_dep modctl_test_soft\n");
        snprintf(path, sizeof(path), "%s/weak.conf", confdir);
        write_file(path, "weakdep modctl-test-dep modctl_test_chain modctl_test_soft\n"
                         "weakdep modctl_test_base modctl_test_fail\n");

        ResolverConfig config = { .modules_dir = modules_dir, .config_paths = paths };
        cr_assert_eq(resolver_new(&config, &resolver), 0);
}

static void teardown(void) {
        char cmd[256];

        resolver = resolver_free(resolver);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        (void) system(cmd);
}

TestSuite(resolver_weakdep, .init = setup, .fini = teardown);

static char **values(char **pairs, const char *key) {
        char **l = NULL;

        for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2)
                if (strcmp(pairs[i], key) == 0)
                        cr_assert_eq(strv_extend(&l, pairs[i + 1]), 0);
        return l;
}

Test(resolver_weakdep, info_shows_weakdeps_from_config_and_index) {
        _cleanup_(strv_freep) char **info = NULL, **weak = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(resolver_module_info(resolver, "modctl_test_dep", &info, &f), 0, "%s", strempty(f.message));
        weak = values(info, "weakdep");
        cr_assert_eq(strv_length(weak), 2, "weakdeps: %zu", strv_length(weak));
        cr_assert_str_eq(weak[0], "modctl_test_chain");
        cr_assert_str_eq(weak[1], "modctl_test_soft");
}

Test(resolver_weakdep, weakdeps_are_per_module) {
        _cleanup_(strv_freep) char **info = NULL, **weak = NULL;

        cr_assert_eq(resolver_module_info(resolver, "modctl_test_base", &info, NULL), 0);
        weak = values(info, "weakdep");
        cr_assert_eq(strv_length(weak), 1);
        cr_assert_str_eq(weak[0], "modctl_test_fail");
}

Test(resolver_weakdep, weakdeps_are_never_planned) {
        _cleanup_(plan_freep) Plan *p = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(resolver_plan_load(resolver, &nothing_loaded, "modctl_test_dep", NULL, 0, &p, &f), 0,
                     "%s", strempty(f.message));
        cr_assert_eq(p->n_steps, 2, "%zu steps", p->n_steps);
        cr_assert_str_eq(p->steps[0].name, "modctl_test_base");
        cr_assert_str_eq(p->steps[1].name, "modctl_test_dep");
}
