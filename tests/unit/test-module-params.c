/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module parameters: the one grammar (module-params.h), the kernel's key[=value] tokens with its
 * quoting, and nothing a shell or modprobe's $CMDLINE_OPTS substitution could act on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "module-params.h"

static void valid(const char *s) {
        ModuleParamsError e = {};
        cr_assert_eq(module_params_validate(s, &e), 0, "'%s' refused at %zu: %s", s, e.offset, e.reason ?: "");
}

static void invalid(const char *s, size_t at) {
        ModuleParamsError e = { .offset = 999 };
        cr_assert_eq(module_params_validate(s, &e), -EINVAL, "'%s' accepted", s);
        cr_assert_eq(e.offset, at, "'%s': offset %zu, expected %zu (%s)", s, e.offset, at, e.reason ?: "");
        cr_assert_not_null(e.reason);
}

/* The sentence names the module, the parameter and the byte. */
static void message_has(const char *s, const char *param, const char *byte) {
        _cleanup_free_ char *m = NULL;
        cr_assert_lt(module_params_check("snd", s, &m), 0, "'%s' accepted", s);
        cr_assert_not_null(m);
        cr_assert(strstr(m, "module 'snd'"), "%s", m);
        cr_assert(strstr(m, param), "'%s': no %s in: %s", s, param, m);
        cr_assert(strstr(m, byte), "'%s': no %s in: %s", s, byte, m);
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
        valid("a.b=1");                 /* the kernel's module.param form */
        valid("\"flag\"");
        valid("x=");
        valid("x=\"\"");
        valid("fw=/lib/firmware/a.bin,b@2:3%+ x=-1");
        valid("id=\"a b-c\"");
}

Test(module_params, refuses_options_for_an_install_command) {
        invalid("--config=/tmp/evil.conf", 0);
        invalid("x=1 --dirname=/tmp/m", 4);
        invalid("-v", 0);
        invalid("\"-x=1\"", 1);
        invalid("id=\"a -v\"", 6);      /* the shell splits $CMDLINE_OPTS: "-v\"" would be a word */
        invalid("\"id=a  --config=x\"", 7);
}

Test(module_params, refuses_shell_syntax) {
        invalid("x=1; id > /tmp/pwned", 3);
        invalid("x=$(id)", 2);
        invalid("x=`id`", 2);
        invalid("x=1|id", 3);
        invalid("x=1&", 3);
        invalid("x=a<b", 3);
        invalid("x=a>b", 3);
        invalid("x=*", 2);
        invalid("x=?", 2);
        invalid("x=[a]", 2);
        invalid("x=~root", 2);
        invalid("x={a,b}", 2);
        invalid("x=!1", 2);
        invalid("x=a#c", 3);
        invalid("x=a'b'", 3);
        invalid("x=a\\b", 3);
        invalid("x=a^b", 3);
        invalid("x=\"$(id)\"", 3);
        invalid("x=\"a;b\"", 4);
        invalid("x=a\"b\"", 3);         /* quotes only around a whole value or token */
}

Test(module_params, refuses_garbage) {
        invalid("x=\"unterminated", 15);
        invalid("\"x=1", 4);
        invalid("x=1\nid", 3);
        invalid("x=1\tid=2", 3);
        invalid("x=\x1b[31m", 2);
        invalid("x=\x7f", 2);
        invalid("name=\xc3\x9cmlaut", 5);
        invalid("=1", 0);
        invalid("a/b", 1);
        invalid("\"x\"y", 3);
        invalid("x=\"a\"b", 5);
        invalid("\"\"", 1);
}

Test(module_params, messages_name_parameter_and_byte) {
        message_has("--config=/tmp/evil.conf", "parameter '--config'", "'-' at byte 0");
        message_has("x=1 a=$(touch /tmp/p)", "parameter 'a'", "'$' at byte 6");
        message_has("a=`id`", "parameter 'a'", "'`' at byte 2");
        message_has("id=\"a --dirname=/x\"", "parameter 'id'", "'-' at byte 6");
        message_has("a=1\n", "parameter 'a'", "byte 0x0a at byte 3");
        message_has("a=x'y", "parameter 'a'", "byte 0x27 at byte 3");
}

Test(module_params, split_like_the_kernel) {
        _cleanup_(strv_freep) char **l = NULL;
        cr_assert_eq(module_params_split(" a=1  \"id=My Card\" b=\"x y\" flag ", &l), 0);
        cr_assert_eq(strv_length(l), 4);
        cr_assert_str_eq(l[0], "a=1");
        cr_assert_str_eq(l[1], "id=My Card");
        cr_assert_str_eq(l[2], "b=x y");
        cr_assert_str_eq(l[3], "flag");
        cr_assert_eq(module_params_name_len(l[1]), 2);
        strv_freep(&l);
        cr_assert_eq(module_params_split("", &l), 0);
        cr_assert_eq(strv_length(l), 0);
        cr_assert_eq(module_params_split("a=$x", &l), -EINVAL);
}

Test(module_params, length_limit) {
        char big[MODULE_PARAMS_MAX + 2];
        _cleanup_free_ char *m = NULL;
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cr_assert_eq(module_params_validate(big, NULL), -E2BIG);
        cr_assert_eq(module_params_check("snd", big, &m), -E2BIG);
        cr_assert(strstr(m, "longer than 4096 bytes"), "%s", m);
        big[MODULE_PARAMS_MAX] = '\0';
        cr_assert_eq(module_params_validate(big, NULL), 0);
}
