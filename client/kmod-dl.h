/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libkmod, opened with dlopen() the first time an offline path needs it. Linking it would put
 * libkmod and its own libraries (libcrypto, liblzma, libzstd) into every start of modctl,
 * while only the read-only fallbacks and modprobe's -D, -c and -R use it. */

#include <libkmod.h>

#define KMOD_DL_SYMBOLS(X)                      \
        X(kmod_new)                             \
        X(kmod_unref)                           \
        X(kmod_set_log_fn)                      \
        X(kmod_get_dirname)                     \
        X(kmod_list_next)                       \
        X(kmod_dump_index)                      \
        X(kmod_config_get_blacklists)           \
        X(kmod_config_get_install_commands)     \
        X(kmod_config_get_remove_commands)      \
        X(kmod_config_get_aliases)              \
        X(kmod_config_get_options)              \
        X(kmod_config_get_softdeps)             \
        X(kmod_config_iter_next)                \
        X(kmod_config_iter_get_key)             \
        X(kmod_config_iter_get_value)           \
        X(kmod_config_iter_free_iter)           \
        X(kmod_module_new_from_lookup)          \
        X(kmod_module_new_from_path)            \
        X(kmod_module_new_from_name)            \
        X(kmod_module_unref)                    \
        X(kmod_module_unref_list)               \
        X(kmod_module_get_module)               \
        X(kmod_module_get_name)                 \
        X(kmod_module_get_path)                 \
        X(kmod_module_get_initstate)            \
        X(kmod_module_get_install_commands)     \
        X(kmod_module_probe_insert_module)      \
        X(kmod_module_apply_filter)             \
        X(kmod_module_get_info)                 \
        X(kmod_module_info_get_key)             \
        X(kmod_module_info_get_value)           \
        X(kmod_module_info_free_list)           \
        X(kmod_module_get_versions)             \
        X(kmod_module_version_get_symbol)       \
        X(kmod_module_version_get_crc)          \
        X(kmod_module_versions_free_list)       \
        X(kmod_module_get_symbols)              \
        X(kmod_module_symbol_get_symbol)        \
        X(kmod_module_symbol_get_crc)           \
        X(kmod_module_symbols_free_list)        \
        X(kmod_module_get_refcnt)               \
        X(kmod_module_get_holders)              \
        X(kmod_module_get_dependencies)         \
        X(kmod_module_get_remove_commands)      \
        X(kmod_module_get_softdeps)

typedef struct KmodDl {
#define KMOD_DL_FIELD(s) typeof(s) *s;
        KMOD_DL_SYMBOLS(KMOD_DL_FIELD)
#undef KMOD_DL_FIELD
} KmodDl;

/* The table, or NULL (printed) when libkmod.so.2 or one of its symbols is missing. */
const KmodDl *kmod_dl(void);

/* kmod_list_foreach() through the table. */
#define KMOD_DL_FOREACH(k, e, list) for (struct kmod_list *e = (list); e; e = (k)->kmod_list_next((list), e))
