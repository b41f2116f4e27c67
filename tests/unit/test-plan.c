/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <signal.h>

#include "core/plan.h"
#include "strv.h"

Test(plan, new_and_free) {
        Plan *p = NULL;

        cr_assert_eq(plan_new("snd", &p), 0);
        cr_assert_str_eq(p->request, "snd");
        cr_assert_null(p->target);
        cr_assert_eq(p->n_steps, 0);
        cr_assert_null(p->skipped);
        cr_assert_null(plan_free(p));
        cr_assert_null(plan_free(NULL));
}

Test(plan, add_step_copies_strings) {
        _cleanup_(plan_freep) Plan *p = NULL;
        char name[] = "a-b", path[] = "/x/a.ko", opts[] = "x=1";
        size_t i = 99;

        cr_assert_eq(plan_new("a", &p), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, name, path, opts, NULL, &i), 0);
        cr_assert_eq(i, 0);
        name[0] = path[0] = opts[0] = '?';
        cr_assert_str_eq(p->steps[0].name, "a-b");
        cr_assert_str_eq(p->steps[0].path, "/x/a.ko");
        cr_assert_str_eq(p->steps[0].options, "x=1");
        cr_assert_null(p->steps[0].command);
        cr_assert_not(p->steps[0].optional);
        cr_assert_not(p->steps[0].only_if_unused);

        cr_assert_eq(plan_add_step(p, PLAN_STEP_COMMAND, "c", NULL, NULL, "/bin/true", &i), 0);
        cr_assert_eq(i, 1);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_REMOVE, "d", NULL, NULL, NULL, NULL), 0);
        cr_assert_eq(p->n_steps, 3);
        cr_assert_eq(p->steps[2].kind, PLAN_STEP_REMOVE);
}

Test(plan, add_step_rejects_bad_input) {
        _cleanup_(plan_freep) Plan *p = NULL;

        cr_assert_eq(plan_new(NULL, &p), 0);
        cr_assert_null(p->request);
        cr_assert_eq(plan_add_step(p, _PLAN_STEP_KIND_MAX, "a", NULL, NULL, NULL, NULL), -EINVAL);
        cr_assert_eq(p->n_steps, 0);
}

/* A NULL plan or name is a bug in the caller, not input: it asserts (CONTRIBUTING). */
Test(plan, add_step_asserts_on_null_plan, .signal = SIGABRT) {
        (void) plan_add_step(NULL, PLAN_STEP_INSERT, "a", NULL, NULL, NULL, NULL);
}

Test(plan, add_step_asserts_on_null_name, .signal = SIGABRT) {
        _cleanup_(plan_freep) Plan *p = NULL;

        cr_assert_eq(plan_new(NULL, &p), 0);
        (void) plan_add_step(p, PLAN_STEP_INSERT, NULL, "/x", NULL, NULL, NULL);
}

Test(plan, deps_point_backwards_and_deduplicate) {
        _cleanup_(plan_freep) Plan *p = NULL;

        cr_assert_eq(plan_new("c", &p), 0);
        for (int i = 0; i < 3; i++)
                cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, (const char *[]) { "a", "b", "c" }[i], NULL, NULL,
                                           NULL, NULL), 0);

        cr_assert_eq(plan_step_add_dep(p, 2, 0), 0);
        cr_assert_eq(plan_step_add_dep(p, 2, 1), 0);
        cr_assert_eq(plan_step_add_dep(p, 2, 0), 0);
        cr_assert_eq(p->steps[2].n_deps, 2);
        cr_assert_eq(p->steps[2].deps[0], 0);
        cr_assert_eq(p->steps[2].deps[1], 1);

        /* Forward or self edges would break the execution order (and could form cycles). */
        cr_assert_eq(plan_step_add_dep(p, 0, 1), -EINVAL);
        cr_assert_eq(plan_step_add_dep(p, 1, 1), -EINVAL);
        cr_assert_eq(plan_step_add_dep(p, 3, 0), -EINVAL);
        cr_assert_eq(p->steps[0].n_deps, 0);
}

Test(plan, find) {
        _cleanup_(plan_freep) Plan *p = NULL;
        size_t i = 42;

        cr_assert_eq(plan_new("b", &p), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, "a", "/a.ko", NULL, NULL, NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_COMMAND, "b", NULL, NULL, "true", NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_REMOVE, "a", NULL, NULL, NULL, NULL), 0);

        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "a", &i), 0);
        cr_assert_eq(i, 0);
        cr_assert_eq(plan_find(p, PLAN_STEP_REMOVE, "a", &i), 0);
        cr_assert_eq(i, 2);
        cr_assert_eq(plan_find(p, PLAN_STEP_COMMAND, "b", &i), 0);
        cr_assert_eq(i, 1);
        i = 42;
        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "b", &i), -ENOENT);
        cr_assert_eq(i, 42);
        cr_assert_eq(plan_find(p, PLAN_STEP_INSERT, "zzz", NULL), -ENOENT);
}

Test(plan, skipped_deduplicates_and_remembers_builtin) {
        _cleanup_(plan_freep) Plan *p = NULL;

        cr_assert_eq(plan_new("x", &p), 0);
        cr_assert_eq(plan_add_skipped(p, "a"), 0);
        cr_assert_eq(plan_add_skipped_builtin(p, "b"), 0);
        cr_assert_eq(plan_add_skipped(p, "a"), 0);
        cr_assert_eq(plan_add_skipped_builtin(p, "b"), 0);
        cr_assert_eq(strv_length(p->skipped), 2);
        cr_assert_str_eq(p->skipped[0], "a");
        cr_assert_str_eq(p->skipped[1], "b");
        cr_assert_not(p->skipped_builtin[0]);
        cr_assert(p->skipped_builtin[1]);
}

Test(plan, describe) {
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_(strv_freep) char **l = NULL;

        cr_assert_eq(plan_new("x", &p), 0);
        cr_assert_eq(plan_add_skipped_builtin(p, "crc32c"), 0);
        cr_assert_eq(plan_add_skipped(p, "soundcore"), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, "a", "/m/a.ko", NULL, NULL, NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, "b", "/m/b.ko", "x=1 y=\"a b\"", NULL, NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_INSERT, "e", "/m/e.ko", "", NULL, NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_COMMAND, "c", NULL, NULL, "/bin/true x", NULL), 0);
        cr_assert_eq(plan_add_step(p, PLAN_STEP_REMOVE, "d", NULL, NULL, NULL, NULL), 0);

        cr_assert_eq(plan_describe(p, &l), 0);
        cr_assert_eq(strv_length(l), 7);
        cr_assert_str_eq(l[0], "builtin crc32c");
        cr_assert_str_eq(l[1], "loaded soundcore");
        cr_assert_str_eq(l[2], "insmod /m/a.ko");
        cr_assert_str_eq(l[3], "insmod /m/b.ko x=1 y=\"a b\"");
        cr_assert_str_eq(l[4], "insmod /m/e.ko");
        cr_assert_str_eq(l[5], "install /bin/true x");
        cr_assert_str_eq(l[6], "rmmod d");
}

Test(plan, describe_empty) {
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_(strv_freep) char **l = NULL;

        cr_assert_eq(plan_new("x", &p), 0);
        cr_assert_eq(plan_describe(p, &l), 0);
        cr_assert_not_null(l);
        cr_assert_null(l[0]);
}
