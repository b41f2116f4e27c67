/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Caller parameters: the kernel's key[=value] tokens with its quoting, nothing else. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "module-params.h"

static void valid(const char *s) {
        const char *reason = NULL;
        size_t off = 0;
        cr_assert_eq(module_params_validate(s, &off, &reason), 0, "'%s' refused at %zu: %s", s, off,
                     reason ?: "");
}

static void invalid(const char *s, size_t at) {
        const char *reason = NULL;
        size_t off = 999;
        cr_assert_eq(module_params_validate(s, &off, &reason), -EINVAL, "'%s' accepted", s);
        cr_assert_eq(off, at, "'%s': offset %zu, expected %zu (%s)", s, off, at, reason ?: "");
        cr_assert_not_null(reason);
}

Test(module_params, accepts_kernel_forms) {
        valid(NULL);
        valid("");
        valid("   ");
        valid("x=1");
        valid("debug");
        valid("  index=-2 id=\"My Card\" enable=1,0,1  ");
        valid("\"id=My Card\"");
        valid("dyndbg=\"file foo.c +p\"");
        valid("opt-with-dash=1 a_b=c=d");
        valid("x=1;id");               /* odd but harmless: passed as data, never to a shell */
        valid("name=Ümlaut");          /* UTF-8 in values */
        valid("\"flag\"");
}

Test(module_params, refuses_shell_and_garbage) {
        invalid("x=1; id > /tmp/pwned", 8);   /* '>' cannot start a parameter name */
        invalid("x=1 $(id)", 4);
        invalid("x=1 `id`", 4);
        invalid("x=1 | id", 4);
        invalid("x=\"unterminated", 15);
        invalid("\"x=1", 4);
        invalid("x=1\nid", 3);
        invalid("x=1\tid=2", 3);
        invalid("x=\x1b[31m", 2);
        invalid("x=\x7f", 2);
        invalid("=1", 0);
        invalid("a.b=1", 1);
        invalid("a/b", 1);
        invalid("\"x\"y", 3);
}

Test(module_params, length_limit) {
        char big[MODULE_PARAMS_MAX + 2];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cr_assert_eq(module_params_validate(big, NULL, NULL), -E2BIG);
        big[MODULE_PARAMS_MAX] = '\0';
        cr_assert_eq(module_params_validate(big, NULL, NULL), 0);
}
