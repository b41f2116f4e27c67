/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver against a module tree built from tests/modules (build-fixture.sh) and the
 * modprobe.d files in fixtures/modprobe.d. Loaded state comes from a small in-file Kernel, so
 * each test says exactly what is loaded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "modctl-bus.h"
#include "module-name.h"
#include "core/resolver.h"
#include "strv.h"
#include "kernel/kernel.h"

#ifndef MODCTL_TEST_MODULES_DIR
#error "MODCTL_TEST_MODULES_DIR must point at build-fixture.sh's OUTDIR"
#endif
#ifndef MODCTL_TEST_FIXTURES
#error "MODCTL_TEST_FIXTURES must point at tests/unit/fixtures"
#endif

/* ---- a Kernel that only knows what the test tells it ---- */

typedef struct TestModule {
        const char *name;
        KernelModuleState state;
        int refcount;
        const char *holders[4];
} TestModule;

typedef struct TestKernel {
        Kernel kernel;
        TestModule modules[8];
        size_t n_modules;
} TestKernel;

static const TestModule *test_kernel_find(Kernel *k, const char *name) {
        TestKernel *t = (TestKernel *) k;

        for (size_t i = 0; i < t->n_modules; i++)
                if (strcmp(t->modules[i].name, name) == 0)
                        return &t->modules[i];
        return NULL;
}

static int test_kernel_get_state(Kernel *k, const char *name, KernelModuleState *ret) {
        const TestModule *m = test_kernel_find(k, name);

        *ret = m ? m->state : KERNEL_MODULE_ABSENT;
        return 0;
}

static int test_kernel_get(Kernel *k, const char *name, KernelModule *ret) {
        const TestModule *m = test_kernel_find(k, name);
        KernelModule km = { .refcount = m ? m->refcount : 0 };

        if (!m || m->state == KERNEL_MODULE_BUILTIN)
                return -ENOENT;

        km.name = strdup(name);
        km.state = m->state;
        km.taint = strdup("");
        for (size_t i = 0; m->holders[i]; i++)
                cr_assert_eq(strv_extend(&km.holders, m->holders[i]), 0);
        *ret = km;
        return 0;
}

static void test_kernel_free(Kernel *k) {
        free(k);
}

static const KernelOps test_kernel_ops = {
        .backend = "test",
        .get_state = test_kernel_get_state,
        .get = test_kernel_get,
        .free = test_kernel_free,
};

static Kernel *test_kernel(const TestModule *modules) {
        TestKernel *t = calloc(1, sizeof(TestKernel));

        cr_assert_not_null(t);
        t->kernel.ops = &test_kernel_ops;
        for (; modules && modules->name; modules++)
                t->modules[t->n_modules++] = *modules;
        return &t->kernel;
}

#define LIVE(n) { .name = (n), .state = KERNEL_MODULE_LIVE }

/* ---- fixture ---- */

static char kver[128];
static char modules_dir[4096];
static Resolver *resolver;
static Kernel *nothing_loaded;

static void read_kver(void) {
        FILE *f = fopen(MODCTL_TEST_MODULES_DIR "/kernel-release", "re");

        cr_assert_not_null(f, "No fixture in " MODCTL_TEST_MODULES_DIR ": build tests/modules first.");
        cr_assert_not_null(fgets(kver, sizeof(kver), f));
        fclose(f);
        kver[strcspn(kver, "\n")] = '\0';
        snprintf(modules_dir, sizeof(modules_dir), "%s/root/lib/modules/%s", MODCTL_TEST_MODULES_DIR, kver);
}

static Resolver *new_resolver(const char *cmdline) {
        const char *const paths[] = { MODCTL_TEST_FIXTURES "/modprobe.d", NULL };
        ResolverConfig config = {
                .modules_dir = modules_dir,
                .config_paths = paths,
                .kernel_cmdline = cmdline,
        };
        Resolver *r = NULL;

        cr_assert_eq(resolver_new(&config, &r), 0);
        return r;
}

static void setup(void) {
        read_kver();
        resolver = new_resolver(NULL);
        nothing_loaded = test_kernel(NULL);
}

static void teardown(void) {
        resolver = resolver_free(resolver);
        nothing_loaded = kernel_free(nothing_loaded);
}

TestSuite(resolver, .init = setup, .fini = teardown);

static Plan *load_ok(Kernel *k, const char *name, const char *params, uint64_t flags) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;
        int r;

        r = resolver_plan_load(resolver, k, name, params, flags, &p, &f);
        cr_assert_eq(r, 0, "planning '%s' failed: %d %s", name, r, strempty(f.message));
        cr_assert_null(f.message);
        cr_assert_not_null(p);
        return p;
}

static void load_fails(Kernel *k, const char *name, FailureKind kind, const char *needle) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_lt(resolver_plan_load(resolver, k, name, NULL, 0, &p, &f), 0, "'%s' did not fail", name);
        cr_assert_null(p);
        cr_assert_eq(f.kind, kind, "'%s': kind %d, not %d: %s", name, f.kind, kind, strempty(f.message));
        cr_assert_not_null(f.message);
        cr_assert_not_null(strstr(f.message, needle), "'%s' not in '%s'", needle, f.message);
        failure_done(&f);
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static void assert_insert(const Plan *p, size_t i, const char *name, const char *options) {
        char ko[256];

        cr_assert_lt(i, p->n_steps);
        cr_assert_eq(p->steps[i].kind, PLAN_STEP_INSERT, "step %zu is not an insert", i);
        cr_assert_str_eq(p->steps[i].name, name);
        snprintf(ko, sizeof(ko), "%s.ko", name);
        cr_assert_not_null(p->steps[i].path);
        cr_assert_str_eq(basename_of(p->steps[i].path), ko);
        cr_assert_eq(strncmp(p->steps[i].path, modules_dir, strlen(modules_dir)), 0);
        if (options)
                cr_assert_str_eq(strempty(p->steps[i].options), options);
}

static bool has_dep(const PlanStep *s, size_t dep) {
        for (size_t i = 0; i < s->n_deps; i++)
                if (s->deps[i] == dep)
                        return true;
        return false;
}

/* ---- names ---- */

Test(resolver, invalid_names_are_refused) {
        char long_name[201];

        memset(long_name, 'a', 200);
        long_name[200] = '\0';

        load_fails(nothing_loaded, "../../etc/passwd", FAILURE_INVALID_NAME, "Invalid module name");
        load_fails(nothing_loaded, "foo bar", FAILURE_INVALID_NAME, "'foo bar'");
        load_fails(nothing_loaded, "", FAILURE_INVALID_NAME, "Invalid module name");
        load_fails(nothing_loaded, "/lib/modules/x.ko", FAILURE_INVALID_NAME, "file path");
        /* Long aliases are fine (a device modalias), they just match nothing here. */
        load_fails(nothing_loaded, long_name, FAILURE_NOT_FOUND, "not found");
        {
                char *huge = malloc(MODULE_ALIAS_MAX + 2);

                memset(huge, 'a', MODULE_ALIAS_MAX + 1);
                huge[MODULE_ALIAS_MAX + 1] = '\0';
                load_fails(nothing_loaded, huge, FAILURE_INVALID_NAME, "4095");
                free(huge);
        }
}

Test(resolver, invalid_alias_pattern) {
        load_fails(nothing_loaded, "modctl[x", FAILURE_INVALID_NAME, "modctl[x");
}

Test(resolver, missing_modules_dir) {
        ResolverConfig config = { .modules_dir = "/nonexistent/lib/modules/1.2.3" };
        _cleanup_(resolver_freep) Resolver *r = NULL;
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_eq(resolver_new(&config, &r), 0);
        cr_assert_str_eq(resolver_kernel_release(r), "1.2.3");
        cr_assert_eq(resolver_plan_load(r, nothing_loaded, "modctl_test_base", NULL, 0, &p, &f), -failure_kind_to_errno(FAILURE_NOT_FOUND));
        cr_assert_not_null(strstr(f.message, "/nonexistent/lib/modules/1.2.3"), "%s", f.message);
        failure_done(&f);
}

Test(resolver, kernel_release) {
        cr_assert_str_eq(resolver_kernel_release(resolver), kver);
}

Test(resolver, unknown_flags) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_eq(resolver_plan_load(resolver, nothing_loaded, "modctl_test_base", NULL, UINT64_C(1) << 40, &p,
                                        &f), -failure_kind_to_errno(FAILURE_INVALID_ARGUMENT));
        failure_done(&f);
}

/* ---- lookups ---- */

Test(resolver, by_name) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_base", NULL, 0);

        cr_assert_str_eq(p->request, "modctl_test_base");
        cr_assert_str_eq(p->target, "modctl_test_base");
        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        cr_assert_not(p->steps[0].optional);
        cr_assert_eq(p->steps[0].n_deps, 0);
        cr_assert_null(p->skipped);
}

Test(resolver, dash_underscore_equivalence) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-test-chain", NULL, 0);

        cr_assert_str_eq(p->request, "modctl-test-chain");
        cr_assert_str_eq(p->target, "modctl_test_chain");
        cr_assert_eq(p->n_steps, 3);
}

Test(resolver, alias_from_modules_alias) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-test-alias", NULL, 0);

        cr_assert_str_eq(p->target, "modctl_test_dep");
        cr_assert_eq(p->n_steps, 2);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_dep", "");
}

Test(resolver, alias_from_modprobe_d) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-config-alias", NULL, 0);

        cr_assert_str_eq(p->target, "modctl_test_base");
        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_base", "value=1");
}

Test(resolver, alias_with_several_modules_loads_all) {
        /* alias modctl-multi-alias: modctl_test_soft, then modctl_test_base */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-multi-alias", "x=1", 0);
        size_t base, soft;

        cr_assert_str_eq(p->target, "modctl_test_soft");
        cr_assert_eq(p->n_steps, 2);
        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "modctl_test_base", &base), 0);
        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "modctl_test_soft", &soft), 0);
        cr_assert_lt(base, soft);
        cr_assert(has_dep(&p->steps[soft], base));
        /* Every match gets the caller's parameters when modprobe probes it, but base comes
         * first as soft's pre softdep, without them, and modprobe skips it later as loaded. */
        cr_assert_str_eq(p->steps[base].options, "value=1");
        cr_assert_str_eq(p->steps[soft].options, "x=1");
}

Test(resolver, not_found) {
        load_fails(nothing_loaded, "modctl_no_such_module", FAILURE_NOT_FOUND,
                   "Module 'modctl_no_such_module' not found: no module or alias of that name in ");
}

/* ---- dependencies ---- */

Test(resolver, dependency_order) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_chain", NULL, 0);

        cr_assert_eq(p->n_steps, 3);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_dep", "");
        assert_insert(p, 2, "modctl_test_chain", "");
        cr_assert(has_dep(&p->steps[1], 0));
        cr_assert(has_dep(&p->steps[2], 0));
        cr_assert(has_dep(&p->steps[2], 1));
        for (size_t i = 0; i < p->n_steps; i++)
                cr_assert_not(p->steps[i].optional);
}

Test(resolver, softdep_from_module) {
        /* MODULE_SOFTDEP("pre: modctl_test_base"), through depmod's modules.softdep. */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_soft", NULL, 0);

        cr_assert_eq(p->n_steps, 2);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_soft", "");
        cr_assert(p->steps[0].optional);
        cr_assert_not(p->steps[1].optional);
        cr_assert(has_dep(&p->steps[1], 0));
}

Test(resolver, softdep_pre_and_post) {
        /* softdep modctl_test_nested pre: modctl_test_chain post: modctl_test_fail */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_nested", NULL, 0);

        cr_assert_eq(p->n_steps, 5);
        assert_insert(p, 0, "modctl_test_base", NULL);
        assert_insert(p, 1, "modctl_test_dep", NULL);
        assert_insert(p, 2, "modctl_test_chain", NULL);
        assert_insert(p, 3, "modctl_test_nested", NULL);
        assert_insert(p, 4, "modctl_test_fail", NULL);

        /* The pre softdep and what it needs are optional; the request itself is not. */
        cr_assert(p->steps[0].optional);
        cr_assert(p->steps[1].optional);
        cr_assert(p->steps[2].optional);
        cr_assert_not(p->steps[3].optional);
        cr_assert(p->steps[4].optional);

        cr_assert(has_dep(&p->steps[3], 2));
        cr_assert(has_dep(&p->steps[4], 3));
}

Test(resolver, softdep_that_is_also_required_becomes_required) {
        /* base is first reached as soft's optional pre softdep, then as a match of the alias. */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-multi-alias", NULL, 0);

        for (size_t i = 0; i < p->n_steps; i++)
                cr_assert_not(p->steps[i].optional, "step %s is optional", p->steps[i].name);
}

Test(resolver, softdep_of_softdep) {
        /* proprietary pre: soft (modprobe.d), soft pre: base (modules.softdep) */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_proprietary", NULL, 0);

        cr_assert_eq(p->n_steps, 3);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_soft", "");
        assert_insert(p, 2, "modctl_test_proprietary", "");
        cr_assert(p->steps[0].optional);
        cr_assert(p->steps[1].optional);
        cr_assert_not(p->steps[2].optional);
        cr_assert(has_dep(&p->steps[1], 0));
        cr_assert(has_dep(&p->steps[2], 1));
}

Test(resolver, install_command_with_softdeps_is_ignored_like_kmod) {
        /* modctl_cycle_a has an install command and softdeps (a cycle with modctl_cycle_b): kmod
         * ignores the install command of a module with softdeps and would insert it, but there
         * is no file. modprobe -D prints nothing and exits 0; a real modprobe fails. */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_cycle_a", NULL, MODCTL_LOAD_DRY_RUN);
        Failure f = FAILURE_NULL;
        Plan *q = NULL;

        cr_assert_eq(p->n_steps, 0);
        cr_assert_eq(resolver_plan_load(resolver, nothing_loaded, "modctl_cycle_a", NULL, 0, &q, &f),
                     -failure_kind_to_errno(FAILURE_NOT_FOUND));
        cr_assert_null(q);
        cr_assert_not_null(strstr(f.message, "install command is ignored"), "%s", f.message);
        failure_done(&f);
}

/* ---- options ---- */

Test(resolver, options_order) {
        _cleanup_(resolver_freep) Resolver *r = new_resolver(
                "BOOT_IMAGE=/boot/vmlinuz quiet modctl_test_base.value=5 modctl-test-base.name=\"a b\" "
                "\"modctl_test_base.quoted=x y\" modctl_test_dep.value=3 modctl_test_base.a.b=1 "
                "modctl_test_base.flag");
        _cleanup_(plan_freep) Plan *p = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(resolver_plan_load(r, nothing_loaded, "modctl_test_base", "value=9", 0, &p, &f), 0);
        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_base",
                      "value=1 value=5 name=\"a b\" quoted=\"x y\" flag value=9");
}

Test(resolver, options_without_cmdline_override_come_from_modprobe_d) {
        /* The host's /proc/cmdline has no modctl_test_* parameters. */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_base", "value=2", 0);

        assert_insert(p, 0, "modctl_test_base", "value=1 value=2");
}

Test(resolver, caller_params_go_to_the_request_only) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-test-alias", "x=1", 0);

        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_dep", "x=1");
}

/* ---- blacklist ---- */

Test(resolver, blacklist_hides_alias) {
        /* Like modprobe: nothing to do, and no error. */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-proprietary-alias", NULL, 0);
        _cleanup_(strv_freep) char **lines = NULL, **names = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(p->n_steps, 0);
        cr_assert_eq(strv_length(p->blacklisted), 1);
        cr_assert_str_eq(p->blacklisted[0], "modctl_test_proprietary");
        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_eq(strv_length(lines), 1);
        cr_assert_str_eq(lines[0], "blacklisted modctl_test_proprietary");

        /* Device aliases: nothing to load, said with the reason. */
        cr_assert_eq(resolver_lookup(resolver, "modctl-proprietary-alias", &names, &f), -failure_kind_to_errno(FAILURE_NOT_FOUND));
        cr_assert_not_null(strstr(f.message, "blacklist"));
        failure_done(&f);
}

Test(resolver, blacklist_does_not_apply_to_names) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_proprietary", NULL, 0);

        cr_assert_str_eq(p->target, "modctl_test_proprietary");
        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "modctl_test_proprietary", NULL), 0);
}

Test(resolver, blacklist_filters_alias_matches) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl-mixed-alias", NULL, 0);

        cr_assert_str_eq(p->target, "modctl_test_fail");
        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_fail", "");
}

/* ---- install commands ---- */

Test(resolver, install_command) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_hang", "delay_ms=1", 0);

        cr_assert_eq(p->n_steps, 1);
        cr_assert_eq(p->steps[0].kind, PLAN_STEP_COMMAND);
        cr_assert_str_eq(p->steps[0].name, "modctl_test_hang");
        /* Executed as written, the options in its environment; shown like modprobe -D: the
         * command as modprobe.d spells it, then the options. */
        cr_assert_str_eq(p->steps[0].command,
                         "echo hang $CMDLINE_OPTS; /sbin/modprobe --ignore-install modctl_test_hang $CMDLINE_OPTS");
        cr_assert_str_eq(p->steps[0].options, "delay_ms=7 delay_ms=1");
        _cleanup_(strv_freep) char **lines = NULL;
        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_str_eq(lines[0], "install echo hang $CMDLINE_OPTS; /sbin/modprobe --ignore-install "
                         "modctl_test_hang $CMDLINE_OPTS delay_ms=7 delay_ms=1");
}

Test(resolver, install_command_ignored) {
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_hang", NULL,
                                                MODCTL_LOAD_IGNORE_COMMANDS);

        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_hang", "delay_ms=7");
}

/* ---- loaded and built-in modules ---- */

Test(resolver, loaded_dependencies_are_skipped) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) { LIVE("modctl_test_base"), {} });
        _cleanup_(plan_freep) Plan *p = load_ok(k, "modctl_test_chain", NULL, 0);
        _cleanup_(strv_freep) char **lines = NULL;

        cr_assert_eq(p->n_steps, 2);
        assert_insert(p, 0, "modctl_test_dep", "");
        assert_insert(p, 1, "modctl_test_chain", "");
        cr_assert_eq(p->steps[0].n_deps, 0);
        cr_assert_eq(strv_length(p->skipped), 1);
        cr_assert_str_eq(p->skipped[0], "modctl_test_base");

        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_str_eq(lines[0], "loaded modctl_test_base");
}

Test(resolver, loaded_target_gives_empty_plan) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                { .name = "modctl_test_dep", .state = KERNEL_MODULE_COMING }, {} });
        _cleanup_(plan_freep) Plan *p = load_ok(k, "modctl-test-alias", NULL, 0);

        cr_assert_eq(p->n_steps, 0);
        cr_assert_str_eq(p->target, "modctl_test_dep");
        cr_assert_str_eq(p->skipped[0], "modctl_test_dep");
}

Test(resolver, builtin_reported_by_kernel) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                { .name = "modctl_test_base", .state = KERNEL_MODULE_BUILTIN }, {} });
        _cleanup_(plan_freep) Plan *p = load_ok(k, "modctl_test_dep", NULL, 0);
        _cleanup_(strv_freep) char **lines = NULL;

        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_dep", "");
        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_str_eq(lines[0], "builtin modctl_test_base");
}

/* A module of the real modules.builtin, which the fixture copies. */
static bool first_builtin(char *name, size_t size) {
        char path[4200], line[512];
        FILE *f;
        char *b, *dot;

        snprintf(path, sizeof(path), "%s/modules.builtin", modules_dir);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (!fgets(line, sizeof(line), f)) {
                fclose(f);
                return false;
        }
        fclose(f);

        line[strcspn(line, "\n")] = '\0';
        b = strrchr(line, '/');
        b = b ? b + 1 : line;
        dot = strstr(b, ".ko");
        if (dot)
                *dot = '\0';
        for (char *c = b; *c; c++)
                if (*c == '-')
                        *c = '_';
        snprintf(name, size, "%s", b);
        return true;
}

Test(resolver, builtin_from_modules_builtin) {
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_(strv_freep) char **lines = NULL, **info = NULL;
        char name[512], expect[600];
        Failure f = FAILURE_NULL;

        if (!first_builtin(name, sizeof(name)))
                cr_skip_test("The fixture has no modules.builtin.");

        p = load_ok(nothing_loaded, name, NULL, 0);
        cr_assert_eq(p->n_steps, 0);
        cr_assert_eq(plan_describe(p, &lines), 0);
        snprintf(expect, sizeof(expect), "builtin %s", name);
        cr_assert_str_eq(lines[0], expect);

        cr_assert_eq(resolver_module_info(resolver, name, &info, &f), 0, "%s", strempty(f.message));
        cr_assert_str_eq(info[0], "filename");
        cr_assert_str_eq(info[1], "(builtin)");

        Plan *u = NULL;
        cr_assert_eq(resolver_plan_unload(resolver, nothing_loaded, name, 0, &u, &f), -failure_kind_to_errno(FAILURE_BUILT_IN));
        cr_assert_not_null(strstr(f.message, "built into the kernel"));
        failure_done(&f);
}

/* ---- unload ---- */

static Plan *unload_ok(Kernel *k, const char *name, uint64_t flags) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_eq(resolver_plan_unload(resolver, k, name, flags, &p, &f), 0, "%s", strempty(f.message));
        return p;
}

static void unload_fails(Kernel *k, const char *name, uint64_t flags, FailureKind kind, const char *needle) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_lt(resolver_plan_unload(resolver, k, name, flags, &p, &f), 0);
        cr_assert_eq(f.kind, kind, "kind %d, not %d: %s", f.kind, kind, strempty(f.message));
        cr_assert_null(p);
        cr_assert_not_null(strstr(f.message, needle), "'%s' not in '%s'", needle, f.message);
        failure_done(&f);
}

Test(resolver, unload_simple) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) { LIVE("modctl_test_base"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl-test-base", 0);

        cr_assert_str_eq(p->target, "modctl_test_base");
        cr_assert_eq(p->n_steps, 1);
        cr_assert_eq(p->steps[0].kind, PLAN_STEP_REMOVE);
        cr_assert_str_eq(p->steps[0].name, "modctl_test_base");
        cr_assert_not(p->steps[0].only_if_unused);
}

Test(resolver, unload_by_alias) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                LIVE("modctl_test_base"), LIVE("modctl_test_dep"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl-test-alias", 0);

        cr_assert_eq(p->n_steps, 1);
        cr_assert_str_eq(p->steps[0].name, "modctl_test_dep");
}

Test(resolver, unload_not_loaded) {
        unload_fails(nothing_loaded, "modctl_test_base", 0, FAILURE_NOT_LOADED,
                     "Module 'modctl_test_base' is not loaded.");
}

Test(resolver, unload_not_found) {
        unload_fails(nothing_loaded, "modctl_no_such_module", 0, FAILURE_NOT_FOUND, "not found");
}

Test(resolver, unload_invalid_name) {
        unload_fails(nothing_loaded, "../x", 0, FAILURE_INVALID_NAME, "Invalid module name");
}

Test(resolver, unload_in_use_by_holders) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                { .name = "modctl_test_base", .state = KERNEL_MODULE_LIVE, .refcount = 1,
                  .holders = { "modctl_test_dep" } },
                LIVE("modctl_test_dep"), {} });

        unload_fails(k, "modctl_test_base", 0, FAILURE_IN_USE, "Module 'modctl_test_base' is in use by modctl_test_dep.");
}

Test(resolver, unload_in_use_by_refcount) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                { .name = "modctl_test_base", .state = KERNEL_MODULE_LIVE, .refcount = 2 }, {} });

        unload_fails(k, "modctl_test_base", 0, FAILURE_IN_USE, "reference count 2");
}

Test(resolver, unload_module_unknown_to_libkmod) {
        /* insmod'ed from elsewhere: the kernel knows it, the indexes do not. */
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) { LIVE("out_of_tree_thing"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "out_of_tree_thing", MODCTL_UNLOAD_REMOVE_UNUSED);

        cr_assert_eq(p->n_steps, 1);
        cr_assert_str_eq(p->steps[0].name, "out_of_tree_thing");
}

Test(resolver, unload_remove_unused) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                LIVE("modctl_test_base"), LIVE("modctl_test_dep"), LIVE("modctl_test_chain"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl_test_chain", MODCTL_UNLOAD_REMOVE_UNUSED);
        _cleanup_(strv_freep) char **lines = NULL;

        cr_assert_eq(p->n_steps, 3);
        cr_assert_str_eq(p->steps[0].name, "modctl_test_chain");
        cr_assert_str_eq(p->steps[1].name, "modctl_test_dep");
        cr_assert_str_eq(p->steps[2].name, "modctl_test_base");
        cr_assert_not(p->steps[0].only_if_unused);
        cr_assert(p->steps[1].only_if_unused);
        cr_assert(p->steps[2].only_if_unused);
        cr_assert(has_dep(&p->steps[1], 0));
        cr_assert(has_dep(&p->steps[2], 0));
        cr_assert(has_dep(&p->steps[2], 1));

        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_str_eq(lines[0], "rmmod modctl_test_chain");
}

Test(resolver, unload_remove_unused_skips_absent_dependencies) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                LIVE("modctl_test_dep"), LIVE("modctl_test_chain"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl_test_chain", MODCTL_UNLOAD_REMOVE_UNUSED);

        cr_assert_eq(p->n_steps, 2);
        cr_assert_str_eq(p->steps[1].name, "modctl_test_dep");
}

Test(resolver, unload_without_flag_keeps_dependencies) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) {
                LIVE("modctl_test_base"), LIVE("modctl_test_dep"), LIVE("modctl_test_chain"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl_test_chain", 0);

        cr_assert_eq(p->n_steps, 1);
}

Test(resolver, unload_remove_command) {
        _cleanup_(kernel_freep) Kernel *k = test_kernel((TestModule[]) { LIVE("modctl_test_proprietary"), {} });
        _cleanup_(plan_freep) Plan *p = unload_ok(k, "modctl_test_proprietary", 0);
        _cleanup_(plan_freep) Plan *q = unload_ok(k, "modctl_test_proprietary", MODCTL_UNLOAD_IGNORE_COMMANDS);

        cr_assert_eq(p->n_steps, 1);
        cr_assert_eq(p->steps[0].kind, PLAN_STEP_COMMAND);
        cr_assert_str_eq(p->steps[0].command, "echo removing proprietary");

        cr_assert_eq(q->n_steps, 1);
        cr_assert_eq(q->steps[0].kind, PLAN_STEP_REMOVE);
}

/* ---- modinfo ---- */

static const char *info_get(char **pairs, const char *key) {
        for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2)
                if (strcmp(pairs[i], key) == 0)
                        return pairs[i + 1];
        return NULL;
}

Test(resolver, info) {
        _cleanup_(strv_freep) char **info = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(resolver_module_info(resolver, "modctl-test-alias", &info, &f), 0);
        cr_assert_eq(strv_length(info) % 2, 0);
        cr_assert_str_eq(info[0], "filename");
        cr_assert_str_eq(basename_of(info[1]), "modctl_test_dep.ko");
        cr_assert_str_eq(info_get(info, "license"), "GPL");
        cr_assert_str_eq(info_get(info, "alias"), "modctl-test-alias");
        cr_assert_str_eq(info_get(info, "depends"), "modctl_test_base");
        cr_assert_str_eq(info_get(info, "name"), "modctl_test_dep");
}

Test(resolver, info_parameters) {
        _cleanup_(strv_freep) char **info = NULL;

        cr_assert_eq(resolver_module_info(resolver, "modctl_test_base", &info, NULL), 0);
        cr_assert_not_null(info_get(info, "parm"));
        cr_assert_not_null(strstr(info_get(info, "parm"), "value"));
}

Test(resolver, info_not_found) {
        _cleanup_(strv_freep) char **info = NULL;
        Failure f = FAILURE_NULL;

        cr_assert_eq(resolver_module_info(resolver, "modctl_no_such_module", &info, &f), -failure_kind_to_errno(FAILURE_NOT_FOUND));
        cr_assert_null(info);
        cr_assert_not_null(strstr(f.message, "modctl_no_such_module"));
        failure_done(&f);
}

/* ---- refresh ---- */

Test(resolver, refresh_picks_up_new_configuration) {
        char dir[] = "/tmp/modctl-resolver-XXXXXX", file[256];
        const char *paths[] = { dir, NULL };
        ResolverConfig config = { .modules_dir = modules_dir, .config_paths = paths };
        _cleanup_(resolver_freep) Resolver *r = NULL;
        _cleanup_(plan_freep) Plan *p = NULL;
        Failure f = FAILURE_NULL;
        FILE *out;

        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(resolver_new(&config, &r), 0);
        cr_assert_eq(resolver_refresh(r), 0);
        cr_assert_eq(resolver_plan_load(r, nothing_loaded, "modctl-late-alias", NULL, 0, &p, &f),
                     -failure_kind_to_errno(FAILURE_NOT_FOUND));
        failure_done(&f);

        snprintf(file, sizeof(file), "%s/late.conf", dir);
        out = fopen(file, "we");
        cr_assert_not_null(out);
        fputs("alias modctl-late-alias modctl_test_base\n", out);
        fclose(out);

        cr_assert_eq(resolver_refresh(r), 1);
        cr_assert_eq(resolver_plan_load(r, nothing_loaded, "modctl-late-alias", NULL, 0, &p, &f), 0,
                     "%s", strempty(f.message));
        cr_assert_str_eq(p->target, "modctl_test_base");

        unlink(file);
        rmdir(dir);
}

/* ---- parity with kmod's modprobe (fixtures/parity.d) ---- */

static Resolver *new_resolver_with(const char *extra_dir) {
        const char *const paths[] = { MODCTL_TEST_FIXTURES "/modprobe.d", extra_dir, NULL };
        ResolverConfig config = {
                .modules_dir = modules_dir,
                .config_paths = paths,
        };
        Resolver *r = NULL;

        cr_assert_eq(resolver_new(&config, &r), 0);
        return r;
}

static Plan *parity_load(Resolver *r, const char *name, const char *params, uint64_t flags) {
        Failure f = FAILURE_NULL;
        Plan *p = NULL;

        cr_assert_eq(resolver_plan_load(r, nothing_loaded, name, params, flags, &p, &f), 0, "%s: %s", name,
                     strempty(f.message));
        return p;
}

static char **show(Resolver *r, const char *name, const char *params, uint64_t flags) {
        Failure f = FAILURE_NULL;
        char **lines = NULL;

        cr_assert_eq(resolver_show_depends(r, name, params, flags, &lines, &f), 0, "%s: %s", name,
                     strempty(f.message));
        cr_assert_not_null(lines);
        return lines;
}

Test(resolver, install_command_shows_parameters_like_modprobe) {
        _cleanup_(resolver_freep) Resolver *r = new_resolver_with(MODCTL_TEST_FIXTURES "/parity.d");
        _cleanup_(plan_freep) Plan *p = parity_load(r, "modctl_test_selfreq", "foo=1", MODCTL_LOAD_DRY_RUN);
        _cleanup_(strv_freep) char **lines = NULL, **kmod = show(r, "modctl_test_selfreq", "foo=1", 0),
                                   **kmod_bare = show(r, "modctl_test_selfreq", NULL, 0);

        cr_assert_eq(p->n_steps, 1);
        cr_assert_eq(p->steps[0].kind, PLAN_STEP_COMMAND);
        /* What runs: the command, with $CMDLINE_OPTS (none here) expanded. */
        cr_assert_str_eq(p->steps[0].command, "/bin/true");
        cr_assert_eq(plan_describe(p, &lines), 0);
        cr_assert_str_eq(lines[0], "install /bin/true foo=1");
        /* modprobe -D, byte for byte: a space and the options, even when there are none. */
        cr_assert_eq(strv_length(kmod), 1);
        cr_assert_str_eq(kmod[0], "install /bin/true foo=1");
        cr_assert_str_eq(kmod_bare[0], "install /bin/true ");
}

Test(resolver, install_command_with_softdep_inserts_like_kmod) {
        _cleanup_(resolver_freep) Resolver *r = new_resolver_with(MODCTL_TEST_FIXTURES "/parity.d");
        _cleanup_(plan_freep) Plan *p = parity_load(r, "modctl_test_soft", NULL, 0);
        _cleanup_(strv_freep) char **kmod = show(r, "modctl_test_soft", NULL, 0);

        cr_assert_eq(p->n_steps, 2);
        assert_insert(p, 0, "modctl_test_base", "value=1");
        assert_insert(p, 1, "modctl_test_soft", "");
        cr_assert_eq(strv_length(kmod), 2);
        cr_assert_eq(strncmp(kmod[1], "insmod ", 7), 0, "%s", kmod[1]);
}

Test(resolver, ignore_install_drops_the_targets_softdeps) {
        /* softdep modctl_test_nested pre: modctl_test_chain post: modctl_test_fail */
        _cleanup_(plan_freep) Plan *p = load_ok(nothing_loaded, "modctl_test_nested", NULL, MODCTL_LOAD_IGNORE_COMMANDS);
        _cleanup_(strv_freep) char **kmod = show(resolver, "modctl_test_nested", NULL, MODCTL_LOAD_IGNORE_COMMANDS);

        cr_assert_eq(p->n_steps, 1);
        assert_insert(p, 0, "modctl_test_nested", "");
        cr_assert_eq(strv_length(kmod), 1);
}

Test(resolver, name_known_only_from_a_remove_command) {
        _cleanup_(resolver_freep) Resolver *r = new_resolver_with(MODCTL_TEST_FIXTURES "/parity.d");
        _cleanup_(plan_freep) Plan *p = parity_load(r, "modctl-remove-only", NULL, MODCTL_LOAD_DRY_RUN);
        _cleanup_(strv_freep) char **kmod = show(r, "modctl-remove-only", NULL, 0);
        Failure f = FAILURE_NULL;
        Plan *q = NULL;

        /* modprobe -D: nothing, exit 0. A real load has nothing to insert: not found. */
        cr_assert_eq(p->n_steps, 0);
        cr_assert_eq(strv_length(kmod), 0);
        cr_assert_eq(resolver_plan_load(r, nothing_loaded, "modctl-remove-only", NULL, 0, &q, &f), -failure_kind_to_errno(FAILURE_NOT_FOUND));
        failure_done(&f);
}

Test(resolver, post_softdep_of_a_dependency_comes_right_after_it) {
        _cleanup_(resolver_freep) Resolver *r = new_resolver_with(MODCTL_TEST_FIXTURES "/parity.d");
        _cleanup_(plan_freep) Plan *p = parity_load(r, "modctl_test_chain", NULL, 0);
        _cleanup_(strv_freep) char **kmod = show(r, "modctl_test_chain", NULL, 0);

        cr_assert_eq(p->n_steps, 4);
        assert_insert(p, 0, "modctl_test_base", NULL);
        assert_insert(p, 1, "modctl_test_dep", NULL);
        cr_assert_eq(p->steps[2].kind, PLAN_STEP_COMMAND);
        cr_assert_str_eq(p->steps[2].name, "modctl_test_selfreq");
        cr_assert(p->steps[2].optional);
        cr_assert(has_dep(&p->steps[2], 1));
        assert_insert(p, 3, "modctl_test_chain", NULL);
        cr_assert_not(p->steps[3].optional);

        cr_assert_eq(strv_length(kmod), 4);
        cr_assert_str_eq(kmod[2], "install /bin/true ");
}

Test(resolver, builtin_shows_where_it_falls) {
        char dir[] = "/tmp/modctl-resolver-XXXXXX", file[256], name[512], expect[600];
        _cleanup_(resolver_freep) Resolver *r = NULL;
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_(strv_freep) char **lines = NULL, **kmod = NULL;
        FILE *out;

        cr_assert(first_builtin(name, sizeof(name)), "The fixture has no modules.builtin.");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(file, sizeof(file), "%s/builtin.conf", dir);
        out = fopen(file, "we");
        cr_assert_not_null(out);
        fprintf(out, "softdep modctl_test_dep pre: %s\n", name);
        fclose(out);

        r = new_resolver_with(dir);
        p = parity_load(r, "modctl_test_chain", NULL, 0);
        kmod = show(r, "modctl_test_chain", NULL, 0);
        cr_assert_eq(plan_describe(p, &lines), 0);
        snprintf(expect, sizeof(expect), "builtin %s", name);
        cr_assert_eq(strv_length(lines), 4);
        cr_assert_eq(strncmp(lines[0], "insmod ", 7), 0);
        cr_assert_str_eq(lines[1], expect);
        cr_assert_eq(strncmp(lines[2], "insmod ", 7), 0);
        cr_assert_eq(strv_length(kmod), 4);
        cr_assert_str_eq(kmod[1], expect);

        unlink(file);
        rmdir(dir);
}

Test(resolver, show_depends_not_found_in_modprobes_words) {
        Failure f = FAILURE_NULL;
        char **lines = NULL;

        cr_assert_eq(resolver_show_depends(resolver, "modctl_no_such_module", NULL, 0, &lines, &f), -failure_kind_to_errno(FAILURE_NOT_FOUND));
        cr_assert_null(lines);
        cr_assert_not_null(strstr(f.message, "Module modctl_no_such_module not found in directory "), "%s", f.message);
        failure_done(&f);
}
