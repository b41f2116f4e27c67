/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* The modules that were loaded before modctld first started in this boot. The first start
 * writes their names to a file under /run; a later start in the same boot (after a crash, a
 * kill -9 in the middle of a plan, a restart) reads them back. A module loaded now that is not
 * among them was loaded since, by an earlier modctld or by another tool: nobody can say which,
 * so it is "external", not "loaded before the start". Plain C, never logs. */

#include <stdbool.h>

/* path: the file. loaded_now: the modules loaded now (NULL-terminated, may be NULL).
 * *ret_before: the modules loaded before the first start (this start's loaded_now if it is the
 * first). *ret_restart: whether an earlier start wrote the file. Errors: -errno from reading or
 * writing the file, -ENOMEM; the outputs are then untouched. */
int first_start_modules(const char *path, char * const *loaded_now, char ***ret_before, bool *ret_restart);
