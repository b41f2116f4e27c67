/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Arrays of n elements that own what they hold, freed the way systemd's alloc-util.h and
 * memory-util.h do it:
 *
 *     static void removal_done(Removal *r) { free(r->name); strv_free(r->deps); }
 *     static DEFINE_ARRAY_FREE_FUNC(removal_array_free, Removal, removal_done);
 *
 *     Removal *removals = NULL;
 *     size_t n_removals = 0;
 *     CLEANUP_ARRAY(removals, n_removals, removal_array_free);
 *
 * CLEANUP_ARRAY frees the array with its current length when the scope ends, so error paths
 * need no goto; TAKE_PTR(removals) (with n_removals = 0) hands it over instead. */

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "macro.h"

#define ARRAY_CONCATENATE_(a, b) a##b
#define ARRAY_CONCATENATE(a, b) ARRAY_CONCATENATE_(a, b)

/* Every element of array, as a pointer: FOREACH_ARRAY(i, removals, n_removals) free(i->name); */
#define FOREACH_ARRAY(i, array, n)                                                              \
        for (__typeof__(&*(array)) i = (array), _end_##i = (i) ? (i) + (n) : NULL; i && i < _end_##i; i++)

/* Defines void name(type *array, size_t n): calls helper(&array[i]) for each element, then frees
 * the array. helper takes a pointer to one element and frees what it owns (not the element). */
#define DEFINE_ARRAY_FREE_FUNC(name, type, helper)                      \
        void name(type *array, size_t n) {                              \
                assert(array || n == 0);                                \
                FOREACH_ARRAY(_item_, array, n)                         \
                        helper(_item_);                                 \
                free(array);                                            \
        }

typedef void (*free_array_func_t)(void *array, size_t n);

typedef struct ArrayCleanup {
        void **parray;
        size_t *pn;
        free_array_func_t pfunc;
} ArrayCleanup;

static inline void array_cleanup(const ArrayCleanup *c) {
        assert(c);
        assert(!c->parray == !c->pn);

        if (!c->parray)
                return;
        if (*c->parray) {
                assert(c->pfunc);
                c->pfunc(*c->parray, *c->pn);
                *c->parray = NULL;
        }
        *c->pn = 0;
}

/* Frees array (n elements) with func when the enclosing scope ends. func must take a pointer to
 * the element type and a size_t: the compiler checks that. */
#define CLEANUP_ARRAY(array, n, func)                                                           \
        _cleanup_(array_cleanup) _unused_ const ArrayCleanup ARRAY_CONCATENATE(_cleanup_array_, __COUNTER__) = { \
                .parray = (void **) &(array),                                                   \
                .pn = &(n),                                                                     \
                .pfunc = (free_array_func_t) ({                                                 \
                        void (*_f_)(__typeof__((array)[0]) *_a_, size_t _b_) = (func);          \
                        _f_;                                                                    \
                }),                                                                             \
        }

/* A fixed-size array whose elements own something, e.g. char *old[2] = {}: calls func(&array[i])
 * for each element when the scope ends. Only for real arrays (not pointers): the build checks. */
typedef struct ElementsCleanup {
        void *array;
        size_t n;
        size_t size;
        void (*func)(void *element);
} ElementsCleanup;

static inline void elements_cleanup(const ElementsCleanup *c) {
        assert(c);

        for (size_t i = 0; i < c->n; i++)
                c->func((char *) c->array + i * c->size);
}

#define CLEANUP_ELEMENTS(a, f)                                                           \
        _Static_assert(!__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])), \
                       "CLEANUP_ELEMENTS needs an array, not a pointer");                       \
        _cleanup_(elements_cleanup) _unused_ const ElementsCleanup ARRAY_CONCATENATE(_cleanup_elements_, __COUNTER__) = { \
                .array = (a),                                                               \
                .n = ELEMENTSOF(a),                                                         \
                .size = sizeof((a)[0]),                                                     \
                .func = (void (*)(void *)) ({                                                   \
                        void (*_f_)(__typeof__((a)[0]) *_e_) = (f);                      \
                        _f_;                                                                    \
                }),                                                                             \
        }
