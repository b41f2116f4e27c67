/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* json-c, opened with dlopen() the first time a JSON value is made, as kmod-dl.c and
 * smartcols-dl.c do for their libraries: a plain `modctl load`, `unload` or `modprobe` makes
 * none, and a linked libjson-c would be mapped and relocated on every start of modctl. The
 * functions modctl calls are defined here under json-c's own names (its header declares them),
 * each forwarding to the library's, so the callers stay as they are. The executable exports
 * none of them, so json-c's calls among its own functions stay inside json-c. */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#define JSON_DL_FUNCTIONS(X)                                                                    \
        X(int, json_object_array_add, (json_object *a, json_object *v), (a, v))                \
        X(json_object *, json_object_array_get_idx, (const json_object *a, size_t i), (a, i))   \
        X(size_t, json_object_array_length, (const json_object *a), (a))                        \
        X(json_object *, json_object_get, (json_object *o), (o))                                \
        X(json_bool, json_object_get_boolean, (const json_object *o), (o))                      \
        X(int64_t, json_object_get_int64, (const json_object *o), (o))                          \
        X(struct lh_table *, json_object_get_object, (const json_object *o), (o))               \
        X(const char *, json_object_get_string, (json_object *o), (o))                          \
        X(int, json_object_is_type, (const json_object *o, enum json_type t), (o, t))           \
        X(json_object *, json_object_new_array, (void), ())                                     \
        X(json_object *, json_object_new_boolean, (json_bool b), (b))                           \
        X(json_object *, json_object_new_int, (int32_t i), (i))                                 \
        X(json_object *, json_object_new_int64, (int64_t i), (i))                               \
        X(json_object *, json_object_new_null, (void), ())                                      \
        X(json_object *, json_object_new_object, (void), ())                                    \
        X(json_object *, json_object_new_string, (const char *s), (s))                          \
        X(json_object *, json_object_new_string_len, (const char *s, const int n), (s, n))      \
        X(json_object *, json_object_new_uint64, (uint64_t i), (i))                             \
        X(int, json_object_object_add, (json_object *o, const char *k, json_object *v), (o, k, v)) \
        X(json_bool, json_object_object_get_ex, (const json_object *o, const char *k, json_object **v), (o, k, v)) \
        X(int, json_object_put, (json_object *o), (o))                                          \
        X(const char *, json_object_to_json_string_ext, (json_object *o, int flags), (o, flags))

static struct {
#define JSON_DL_FIELD(ret, name, params, args) ret (*name) params;
        JSON_DL_FUNCTIONS(JSON_DL_FIELD)
#undef JSON_DL_FIELD
} table;

/* json-c is a hard dependency of the package (Depends:), and its functions have no way to say
 * that the library is missing: without it modctl says so and stops, as the dynamic linker
 * would have done at start. */
static void json_dl_open(void) {
        void *dl;

        if (table.json_object_put)
                return;
        dl = dlopen("libjson-c.so.5", RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, dlerror());
                exit(EXIT_FAILURE);
        }
#define JSON_DL_RESOLVE(ret, name, params, args)                                                \
        table.name = (ret (*) params) dlsym(dl, #name);                                         \
        if (!table.name) {                                                                      \
                fprintf(stderr, "%s: libjson-c.so.5 lacks %s\n", program_invocation_short_name, #name); \
                exit(EXIT_FAILURE);                                                             \
        }
        JSON_DL_FUNCTIONS(JSON_DL_RESOLVE)
#undef JSON_DL_RESOLVE
        /* Kept open for the life of the process, like a linked library. */
}

#define JSON_DL_FORWARD(ret, name, params, args)                                                \
        ret name params {                                                                       \
                json_dl_open();                                                                 \
                return table.name args;                                                         \
        }
JSON_DL_FUNCTIONS(JSON_DL_FORWARD)
#undef JSON_DL_FORWARD
