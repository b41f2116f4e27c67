/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line's blacklists (common/proc-cmdline.c): module_blacklist= as the kernel
 * reads it, modprobe.blacklist= as kmod reads it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "proc-cmdline.h"
#include "strv.h"

static void parse(const char *cmdline, char ***kernel, char ***modprobe) {
        cr_assert_eq(proc_cmdline_parse_blacklists(cmdline, kernel, modprobe), 0, "parsing '%s'", cmdline);
}

static void assert_list(char **l, const char *joined) {
        _cleanup_free_ char *s = strv_join(l, ",");

        cr_assert_not_null(s);
        cr_assert_str_eq(s, joined);
}

Test(proc_cmdline, none) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("BOOT_IMAGE=/vmlinuz root=/dev/vda ro quiet\n", &k, &m);
        cr_assert_null(k);
        cr_assert_null(m);
        parse("", &k, &m);
        cr_assert_null(k);
        cr_assert_null(m);
}

Test(proc_cmdline, both) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("root=/dev/vda module_blacklist=veth,snd_pcm modprobe.blacklist=dummy quiet\n", &k, &m);
        assert_list(k, "veth,snd_pcm");
        assert_list(m, "dummy");
}

/* A core parameter: the last module_blacklist= replaces the ones before. kmod adds up every
 * modprobe.blacklist=. */
Test(proc_cmdline, last_module_blacklist_wins_modprobe_adds_up) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("module_blacklist=a,b modprobe.blacklist=x module_blacklist=c modprobe.blacklist=y,x", &k, &m);
        assert_list(k, "c");
        assert_list(m, "x,y");
}

/* The kernel compares module_blacklist= entries byte for byte with the (underscored) module
 * name, so they stay as written; kmod's entries are names like modprobe.d's. */
Test(proc_cmdline, normalization) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("module_blacklist=snd-pcm modprobe.blacklist=snd-hda-intel", &k, &m);
        assert_list(k, "snd-pcm");
        assert_list(m, "snd_hda_intel");
}

/* parameq(): dashes and underscores are the same in the parameter's name; modprobe.blacklist is
 * matched by kmod as it is. */
Test(proc_cmdline, parameter_name_dashes) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("module-blacklist=veth modprobe-blacklist=dummy modprobe.black-list=tun", &k, &m);
        assert_list(k, "veth");
        cr_assert_null(m);
}

Test(proc_cmdline, quotes_empty_entries_and_prefixes) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("\"module_blacklist=a,,b\" x.module_blacklist=no module_blacklistx=no modprobe.blacklist=\",c,\"",
              &k, &m);
        assert_list(k, "a,b");
        assert_list(m, "c");
}

/* After a lone "--" the words are init's, not the kernel's. */
Test(proc_cmdline, stops_at_double_dash) {
        _cleanup_strv_free_ char **k = NULL, **m = NULL;

        parse("quiet -- module_blacklist=veth modprobe.blacklist=dummy", &k, &m);
        cr_assert_null(k);
        cr_assert_null(m);
}

Test(proc_cmdline, outputs_optional) {
        _cleanup_strv_free_ char **m = NULL;

        parse("module_blacklist=veth modprobe.blacklist=dummy", NULL, &m);
        assert_list(m, "dummy");
}
