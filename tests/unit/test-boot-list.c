/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot list: modules-load.d parsing, precedence and masking, modules_load= on the command line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/boot-list.h"
#include "strv.h"

static char root[] = "/tmp/modctl-boot-list.XXXXXX";

static void write_file(const char *rel, const char *text) {
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        cr_assert_eq(system(cmd), 0);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

static void make_link(const char *rel, const char *target) {
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        cr_assert_eq(system(cmd), 0);
        cr_assert_eq(symlink(target, path), 0);
}

static void setup(void) {
        strcpy(root, "/tmp/modctl-boot-list.XXXXXX");
        cr_assert_not_null(mkdtemp(root));
}

static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) system(cmd);
}

static char *joined(char **l) {
        return strv_join(l, " ");
}

Test(boot_list, comments_blanks_and_whitespace) {
        _cleanup_(strv_freep) char **names = NULL;
        cr_assert_eq(boot_list_parse_string("# a comment\n; another\n\n  snd  \n\tloop\r\nsnd\n#snd_dummy\nfuse", &names), 0);
        _cleanup_free_ char *s = joined(names);
        cr_assert_str_eq(s, "snd loop fuse");
}

Test(boot_list, precedence_and_masking, .init = setup, .fini = teardown) {
        _cleanup_(strv_freep) char **files = NULL, **names = NULL;

        write_file("/usr/lib/modules-load.d/10-vendor.conf", "vendor_only\n");
        write_file("/usr/lib/modules-load.d/20-net.conf", "from_usr_lib\n");
        write_file("/etc/modules-load.d/20-net.conf", "from_etc\n");            /* hides /usr/lib's */
        write_file("/run/modules-load.d/20-net.conf", "from_run\n");            /* hidden by /etc */
        write_file("/run/modules-load.d/30-run.conf", "from_run_30\n");
        write_file("/usr/local/lib/modules-load.d/40-local.conf", "local\n");
        write_file("/usr/lib/modules-load.d/50-masked.conf", "masked_module\n");
        make_link("/etc/modules-load.d/50-masked.conf", "/dev/null");
        write_file("/etc/modules-load.d/60-empty.conf", "");
        write_file("/etc/modules-load.d/README", "not_a_conf\n");
        write_file("/etc/modules-load.d/.hidden.conf", "hidden\n");

        cr_assert_eq(boot_list_files(root, &files), 0);
        cr_assert_eq(strv_length(files), 5);
        /* File-name order, whatever the directory. */
        cr_assert(strstr(files[0], "/usr/lib/modules-load.d/10-vendor.conf"));
        cr_assert(strstr(files[1], "/etc/modules-load.d/20-net.conf"));
        cr_assert(strstr(files[2], "/run/modules-load.d/30-run.conf"));
        cr_assert(strstr(files[3], "/usr/local/lib/modules-load.d/40-local.conf"));
        cr_assert(strstr(files[4], "/etc/modules-load.d/60-empty.conf"));

        cr_assert_eq(boot_list_load(root, "quiet", &names), 0);
        _cleanup_free_ char *s = joined(names);
        cr_assert_str_eq(s, "vendor_only from_etc from_run_30 local");
}

Test(boot_list, no_directories_is_empty, .init = setup, .fini = teardown) {
        _cleanup_(strv_freep) char **names = NULL;
        cr_assert_eq(boot_list_load(root, "", &names), 0);
        cr_assert_not_null(names);
        cr_assert_eq(strv_length(names), 0);
}

Test(boot_list, cmdline) {
        _cleanup_(strv_freep) char **names = NULL;
        cr_assert_eq(boot_list_parse_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/sda1 modules_load=loop,nbd quiet "
                                             "rd.modules_load=fuse,,loop xmodules_load=no "
                                             "\"modules_load=a b\" modules_load= modules_loadx=no", &names), 0);
        _cleanup_free_ char *s = joined(names);
        cr_assert_str_eq(s, "loop nbd fuse a b");
}

Test(boot_list, files_then_cmdline_without_duplicates, .init = setup, .fini = teardown) {
        _cleanup_(strv_freep) char **names = NULL;
        write_file("/etc/modules-load.d/a.conf", "loop\nsnd\n");
        cr_assert_eq(boot_list_load(root, "modules_load=snd,fuse", &names), 0);
        _cleanup_free_ char *s = joined(names);
        cr_assert_str_eq(s, "loop snd fuse");
}

Test(boot_list, unreadable_file_is_an_error, .init = setup, .fini = teardown) {
        _cleanup_(strv_freep) char **names = NULL;
        cr_assert_eq(boot_list_parse_file("/nonexistent/x.conf", &names), -ENOENT);
}
