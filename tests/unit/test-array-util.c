/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cleanup helpers for arrays and string lists (common/array-util.h, common/strv.h): each
 * frees exactly what is left in its variable when the scope ends, and nothing that was taken. */
#include <criterion/criterion.h>
#include <string.h>

#include "array-util.h"
#include "macro.h"
#include "strv.h"

typedef struct Item {
        char *name;
        int *freed;     /* counts how often an element's destructor ran */
} Item;

static void item_done(Item *i) {
        free(i->name);
        (*i->freed)++;
}

static DEFINE_ARRAY_FREE_FUNC(item_array_free, Item, item_done);

static int fill(Item **ret, size_t *ret_n, size_t n, int *freed) {
        Item *a = calloc(n, sizeof(Item));
        cr_assert_not_null(a);
        for (size_t i = 0; i < n; i++)
                a[i] = (Item) { .name = strdup("x"), .freed = freed };
        *ret = a;
        *ret_n = n;
        return 0;
}

Test(array_util, free_func_runs_helper_on_each_element) {
        int freed = 0;
        Item *a;
        size_t n;

        fill(&a, &n, 3, &freed);
        item_array_free(a, n);
        cr_assert_eq(freed, 3);

        item_array_free(NULL, 0);       /* takes NULL, as every destructor does */
        cr_assert_eq(freed, 3);
}

static void scope_with_array(int *freed, size_t n) {
        Item *a = NULL;
        size_t n_a = 0;
        CLEANUP_ARRAY(a, n_a, item_array_free);

        fill(&a, &n_a, n, freed);
}

Test(array_util, cleanup_array_frees_at_scope_end) {
        int freed = 0;

        scope_with_array(&freed, 4);
        cr_assert_eq(freed, 4);
        scope_with_array(&freed, 0);
        cr_assert_eq(freed, 4);
}

static Item *scope_that_hands_over(int *freed, size_t *ret_n) {
        Item *a = NULL;
        size_t n_a = 0;
        CLEANUP_ARRAY(a, n_a, item_array_free);

        fill(&a, &n_a, 2, freed);
        *ret_n = n_a;
        n_a = 0;
        return TAKE_PTR(a);
}

Test(array_util, cleanup_array_leaves_what_was_taken) {
        int freed = 0;
        size_t n;
        Item *a = scope_that_hands_over(&freed, &n);

        cr_assert_eq(freed, 0);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(a[1].name, "x");
        item_array_free(a, n);
        cr_assert_eq(freed, 2);
}

static void scope_with_growing_array(int *freed) {
        Item *a = NULL;
        size_t n_a = 0;
        CLEANUP_ARRAY(a, n_a, item_array_free);

        /* The length at scope end counts, not the one when CLEANUP_ARRAY was declared. */
        for (size_t i = 0; i < 5; i++) {
                Item *b = realloc(a, sizeof(Item) * (n_a + 1));
                cr_assert_not_null(b);
                a = b;
                a[n_a++] = (Item) { .name = strdup("y"), .freed = freed };
        }
}

Test(array_util, cleanup_array_sees_the_final_length) {
        int freed = 0;

        scope_with_growing_array(&freed);
        cr_assert_eq(freed, 5);
}

static void count_done(int **p) {
        if (*p)
                (**p)++;
}

Test(array_util, cleanup_elements_runs_on_each_slot) {
        int freed = 0;

        {
                int *slots[3] = { &freed, NULL, &freed };
                CLEANUP_ELEMENTS(slots, count_done);
        }
        cr_assert_eq(freed, 2);
}

Test(array_util, foreach_array) {
        int v[] = { 1, 2, 3 }, sum = 0, *none = NULL;

        FOREACH_ARRAY(i, v, ELEMENTSOF(v))
                sum += *i;
        cr_assert_eq(sum, 6);
        FOREACH_ARRAY(i, none, 0)
                cr_assert_fail("an empty array has no elements");
}

static char **scope_with_strv(bool take) {
        _cleanup_strv_free_ char **l = NULL;

        cr_assert_eq(strv_extend(&l, "a"), 0);
        cr_assert_eq(strv_extend(&l, "b"), 0);
        return take ? TAKE_PTR(l) : NULL;
}

Test(strv, cleanup_and_array_free) {
        char **l = scope_with_strv(true);
        char ***lists;

        cr_assert_eq(strv_length(l), 2);
        cr_assert_null(scope_with_strv(false));

        lists = calloc(3, sizeof(char **));
        cr_assert_not_null(lists);
        lists[0] = l;
        lists[2] = strv_copy(STRV_MAKE("c"));
        strv_array_free(lists, 3);      /* a NULL list in between is fine */
        strv_array_free(NULL, 0);
}
