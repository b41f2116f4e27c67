/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* The text of MODPROBE_DENIED_CONF (modprobe-files.h): a "blacklist NAME" line for every
 * module that modctld's policy keeps out, so that udevd's kmod builtin (which applies the
 * blacklist to every module it looks up) and kmod's modprobe (which applies it to alias
 * lookups: devices, request_module()) leave them out while modctld does not run. Two sections:
 * the modules the name rules deny (Deny=, Allow=, modctl disable), computed again whenever the
 * policy or the index changes, and the modules whose loads the policy refused by their content
 * (License=, Signature=, ...), which the file itself carries across a restart. Plain C, never
 * logs. kmod parses this file as root, so only names made of [A-Za-z0-9_-] are ever written. */

#include <stdbool.h>

/* What may be written: 1 to 55 letters, digits, '_' and '-', not starting with '-'. */
bool denied_name_is_valid(const char *name);

/* The file's text: a header, then each section sorted, names spelled as the kernel spells them
 * ('_'), each listed once, a refused name that is also denied by name only in the first.
 * Errors: -EINVAL (a name that is not valid; nothing is returned), -ENOMEM. */
int denied_list_format(char **by_name, char **refused, char **ret);

/* The refused section of a text written by denied_list_format(); lines that are not valid
 * "blacklist NAME" lines are skipped. *ret is never NULL. Errors: -ENOMEM. */
int denied_list_parse_refused(const char *text, char ***ret);

/* The module names of a modules.dep text (the first field of each line, without directory,
 * ".ko" and compression suffix, as the kernel spells them), in file order. Lines that do not
 * give a valid name are skipped. *ret is never NULL. Errors: -ENOMEM. */
int denied_names_from_modules_dep(const char *text, char ***ret);
