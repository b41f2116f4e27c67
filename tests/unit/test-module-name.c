/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "module-name.h"

/* A string of n copies of c. */
static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        cr_assert_not_null(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

Test(module_name, limit_follows_module_name_len) {
        _cleanup_free_ char *max = repeat('a', MODULE_NAME_LEN - 1), *over = repeat('a', MODULE_NAME_LEN);

        cr_assert_eq(MODULE_NAME_LEN, 64);
        cr_assert(module_name_is_valid(max));
        cr_assert_not(module_name_is_valid(over));
}

Test(module_name, valid_names) {
        cr_assert(module_name_is_valid("snd"));
        cr_assert(module_name_is_valid("snd-hda-intel"));
        cr_assert(module_name_is_valid("a.b"));
        cr_assert(module_name_is_valid("x"));
}

Test(module_name, invalid_names) {
        cr_assert_not(module_name_is_valid(NULL));
        cr_assert_not(module_name_is_valid(""));
        cr_assert_not(module_name_is_valid("a/b"));
        cr_assert_not(module_name_is_valid(".."));
        cr_assert_not(module_name_is_valid(".hidden"));
        cr_assert_not(module_name_is_valid("-r"));
        cr_assert_not(module_name_is_valid("a b"));
        cr_assert_not(module_name_is_valid("a\tb"));
        cr_assert_not(module_name_is_valid("a\n"));
        cr_assert_not(module_name_is_valid("caf\xc3\xa9"));
        cr_assert_not(module_name_is_valid("a\x7f"));
}

Test(module_name, normalize) {
        char n[MODULE_NAME_LEN] = "untouched";
        _cleanup_free_ char *over = repeat('a', MODULE_NAME_LEN);

        cr_assert_eq(module_name_normalize("snd-hda-intel", n), 0);
        cr_assert_str_eq(n, "snd_hda_intel");

        strcpy(n, "untouched");
        cr_assert_eq(module_name_normalize("../etc", n), -EINVAL);
        cr_assert_eq(module_name_normalize(over, n), -EINVAL);
        cr_assert_str_eq(n, "untouched", "the output is not written on failure");
}

Test(module_name, equal_treats_dash_as_underscore) {
        cr_assert(module_name_equal("snd-hda_intel", "snd_hda-intel"));
        cr_assert_not(module_name_equal("snd", "snd_hda"));
        cr_assert_not(module_name_equal("snd_hda", "snd"));
}

Test(module_name, request_limits) {
        _cleanup_free_ char *max = repeat('a', MODULE_REQUEST_MAX), *over = repeat('a', MODULE_REQUEST_MAX + 1);

        cr_assert(module_request_is_valid("snd"));
        cr_assert(module_request_is_valid("rtnl-link-dummy"));
        cr_assert(module_request_is_valid("pci:v00008086d00002668sv*sd*bc*sc*i*"));
        cr_assert(module_request_is_valid(max));
        cr_assert_not(module_request_is_valid(over));
        cr_assert_not(module_request_is_valid(NULL));
        cr_assert_not(module_request_is_valid(""));
        cr_assert_not(module_request_is_valid("-r"));
        cr_assert_not(module_request_is_valid("a..b"));
        cr_assert_not(module_request_is_valid("/lib/modules/x.ko"));
        cr_assert_not(module_request_is_valid("a b"));
}

Test(module_name, request_normalize) {
        _cleanup_free_ char *n = module_request_normalize("snd-hda-intel");

        cr_assert_str_eq(n, "snd_hda_intel");
}
