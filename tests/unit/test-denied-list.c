/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file of denied modules that modctld keeps for udevd and kmod's tools, and the modprobe.d
 * file list that leaves it out for modctld itself. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/denied-list.h"
#include "modprobe-files.h"
#include "strv.h"

Test(denied_list, names_kmod_may_parse) {
        cr_assert(denied_name_is_valid("i6300esb"));
        cr_assert(denied_name_is_valid("snd-hda_intel"));
        cr_assert_not(denied_name_is_valid(""));
        cr_assert_not(denied_name_is_valid("-x"));
        cr_assert_not(denied_name_is_valid("a b"));
        cr_assert_not(denied_name_is_valid("a\nblacklist b"));
        cr_assert_not(denied_name_is_valid("a$(id)"));
        cr_assert_not(denied_name_is_valid("pci:v00008086*"));
        cr_assert_not(denied_name_is_valid("../x"));
        cr_assert_not(denied_name_is_valid("a1234567890123456789012345678901234567890123456789012345"));
}

Test(denied_list, format_sorts_normalizes_and_keeps_sections) {
        char *by_name[] = { "snd-hda-intel", "e1000", "e1000", NULL };
        char *refused[] = { "zz_top", "e1000", "b-mod", NULL };
        _cleanup_free_ char *text = NULL;
        _cleanup_(strv_freep) char **back = NULL;

        cr_assert_eq(denied_list_format(by_name, refused, &text), 0);
        cr_assert(strncmp(text, "# Managed by modctld: changes made here by hand are lost.\n", 58) == 0);
        const char *a = strstr(text, "# Denied by name"), *b = strstr(text, "# Refused by the policy");
        cr_assert(a && b && a < b);
        cr_assert(strstr(a, "\nblacklist e1000\nblacklist snd_hda_intel\n# Refused"));
        cr_assert(strstr(b, "\nblacklist b_mod\nblacklist zz_top\n"));
        cr_assert_null(strstr(b, "e1000"), "listed once, in the first section");

        cr_assert_eq(denied_list_parse_refused(text, &back), 0);
        cr_assert_eq(strv_length(back), 2);
        cr_assert_str_eq(back[0], "b_mod");
        cr_assert_str_eq(back[1], "zz_top");
}

Test(denied_list, format_refuses_what_kmod_would_misread) {
        char *bad[] = { "ok", "x\ninstall ok /bin/sh", NULL };
        char *none[] = { NULL };
        char *text = (char *) 0x1;

        cr_assert_eq(denied_list_format(bad, none, &text), -EINVAL);
        cr_assert_eq(text, (char *) 0x1, "ret untouched on failure");
        cr_assert_eq(denied_list_format(none, bad, &text), -EINVAL);
        cr_assert_eq(text, (char *) 0x1);

        cr_assert_eq(denied_list_format(NULL, NULL, &text), 0);
        cr_assert_null(strstr(text, "blacklist "));
        free(text);
}

Test(denied_list, parse_skips_other_lines) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *text =
                "blacklist before_any_section\n"
                "# Denied by name (Deny=, Allow=, modctl disable):\n"
                "blacklist by_name\n"
                "# Refused by the policy when loaded (License=, Signature=, OutOfTree=, Staging=, Vermagic=):\n"
                "blacklist good\n"
                "blacklist bad$(id)\n"
                "install evil /bin/sh\n"
                "blacklist  spaced\n"
                "blacklist good\n"
                "blacklist last";

        cr_assert_eq(denied_list_parse_refused(text, &l), 0);
        cr_assert_eq(strv_length(l), 2);
        cr_assert_str_eq(l[0], "good");
        cr_assert_str_eq(l[1], "last");
}

Test(denied_list, names_from_modules_dep) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *text =
                "kernel/drivers/watchdog/i6300esb.ko.xz:\n"
                "kernel/sound/pci/hda/snd-hda-intel.ko.zst: kernel/sound/snd.ko.zst\n"
                "extra/plain.ko:\n"
                "garbage line\n"
                "extra/not-a-module.txt:\n"
                "extra/weird$name.ko:\n";

        cr_assert_eq(denied_names_from_modules_dep(text, &l), 0);
        cr_assert_eq(strv_length(l), 3);
        cr_assert_str_eq(l[0], "i6300esb");
        cr_assert_str_eq(l[1], "snd_hda_intel");
        cr_assert_str_eq(l[2], "plain");
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

Test(modprobe_files, kmod_rules_without_the_excluded_file) {
        char dir[] = "/tmp/modctl-denied.XXXXXX", a[300], b[300], p[400], excl[400], cmd[600];
        _cleanup_(strv_freep) char **files = NULL, **all = NULL;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(a, sizeof(a), "%s/etc", dir);
        snprintf(b, sizeof(b), "%s/run", dir);
        cr_assert_eq(mkdir(a, 0755), 0);
        cr_assert_eq(mkdir(b, 0755), 0);
        snprintf(p, sizeof(p), "%s/z.conf", a);
        write_file(p, "");
        snprintf(p, sizeof(p), "%s/z.conf", b); /* hidden by etc's */
        write_file(p, "");
        snprintf(p, sizeof(p), "%s/a.conf", b);
        write_file(p, "");
        snprintf(p, sizeof(p), "%s/ignored.txt", b);
        write_file(p, "");
        snprintf(excl, sizeof(excl), "%s/modctl-denied.conf", b);
        write_file(excl, "blacklist x\n");

        char *paths[] = { a, b, NULL };
        cr_assert_eq(modprobe_config_files(paths, excl, &files), 0);
        cr_assert_eq(strv_length(files), 2);
        cr_assert(strstr(files[0], "/run/a.conf"));
        cr_assert(strstr(files[1], "/etc/z.conf"));

        cr_assert_eq(modprobe_config_files(paths, NULL, &all), 0);
        cr_assert_eq(strv_length(all), 3);
        cr_assert(strstr(all[1], "/run/modctl-denied.conf"));

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void) system(cmd);
}
