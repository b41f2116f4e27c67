/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a caller could read itself (daemon/settings/file-access.c), and the settings reader
 * showing a modprobe.d file's lines only to callers who could read it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/file-access.h"
#include "modctl-bus.h"
#include "settings/settings.h"

#define NOBODY 65534
#define USER 1000
#define GROUP 1000

static const gid_t groups[] = { 24, 29 };
static const Caller nobody = { .uid = NOBODY, .gid = NOBODY };
static const Caller user = { .uid = USER, .gid = GROUP, .gids = groups, .n_gids = 2 };
static const Caller superuser = { .uid = 0, .gid = 0 };

static struct stat file_stat(uid_t uid, gid_t gid, mode_t mode) {
        return (struct stat) { .st_uid = uid, .st_gid = gid, .st_mode = S_IFREG | mode };
}

Test(file_access, mode_bits_as_the_kernel_reads_them) {
        struct stat st;

        st = file_stat(0, 0, 0600);
        cr_assert(caller_may_access(&superuser, &st, S_IROTH));
        cr_assert_not(caller_may_access(&nobody, &st, S_IROTH));
        cr_assert_not(caller_may_access(&user, &st, S_IROTH));
        st = file_stat(0, 0, 0644);
        cr_assert(caller_may_access(&nobody, &st, S_IROTH));
        cr_assert(caller_may_access(&CALLER_ANONYMOUS, &st, S_IROTH));

        /* The owner gets the owner's bits only, even where the others' would allow more. */
        st = file_stat(USER, 0, 0044);
        cr_assert_not(caller_may_access(&user, &st, S_IROTH));
        cr_assert(caller_may_access(&nobody, &st, S_IROTH));
        /* The group by the effective gid and by a supplementary one; a member gets the group's
         * bits only. */
        st = file_stat(0, GROUP, 0640);
        cr_assert(caller_may_access(&user, &st, S_IROTH));
        cr_assert_not(caller_may_access(&nobody, &st, S_IROTH));
        st = file_stat(0, 29, 0640);
        cr_assert(caller_may_access(&user, &st, S_IROTH));
        st = file_stat(0, 29, 0604);
        cr_assert_not(caller_may_access(&user, &st, S_IROTH));
        cr_assert(caller_may_access(&nobody, &st, S_IROTH));
        /* Unknown credentials own nothing and are in no group. */
        st = file_stat((uid_t) -1, (gid_t) -1, 0660);
        cr_assert_not(caller_may_access(&CALLER_ANONYMOUS, &st, S_IROTH));
        /* Directories: the search bit. */
        st = (struct stat) { .st_uid = 0, .st_gid = 0, .st_mode = S_IFDIR | 0744 };
        cr_assert_not(caller_may_access(&nobody, &st, S_IXOTH));
        cr_assert(caller_may_access(&superuser, &st, S_IXOTH));
}

static char root[] = "/tmp/modctl-access.XXXXXX";

static void setup(void) {
        strcpy(root, "/tmp/modctl-access.XXXXXX");
        cr_assert_not_null(mkdtemp(root));
        cr_assert_eq(chmod(root, 0700), 0); /* the prefix itself is not judged */
}

static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) system(cmd);
}

static void write_file(const char *rel, const char *text, mode_t mode) {
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        cr_assert_eq(system(cmd), 0);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
        cr_assert_eq(chmod(path, mode), 0);
}

static char *rel(const char *r) {
        char *p;
        cr_assert_geq(asprintf(&p, "%s%s", root, r), 0);
        return p;
}

Test(file_access, directories_on_the_path, .init = setup, .fini = teardown) {
        _cleanup_free_ char *pub = rel("/etc/modprobe.d/public.conf"), *dir = rel("/etc/modprobe.d");
        _cleanup_free_ char *hidden = rel("/secret/a.conf"), *link = rel("/etc/modprobe.d/link.conf");
        struct stat st;

        write_file("/etc/modprobe.d/public.conf", "options a b=1\n", 0644);
        write_file("/secret/a.conf", "options a b=2\n", 0644);
        cr_assert_eq(chmod(dir, 0755), 0);
        cr_assert_eq(caller_may_read_path(&nobody, root, pub, &st), 1);
        cr_assert_eq(st.st_mode & 07777, 0644);
        /* Without the prefix, the root-only prefix directory is judged too. */
        cr_assert_eq(caller_may_read_path(&nobody, NULL, pub, NULL), 0);
        cr_assert_eq(caller_may_read_path(&superuser, NULL, pub, NULL), 1);

        /* A directory on the way that the caller cannot search. */
        cr_assert_eq(chmod(dir, 0750), 0);
        cr_assert_eq(caller_may_read_path(&nobody, root, pub, NULL), 0);
        cr_assert_eq(chmod(dir, 0755), 0);

        /* A symbolic link is judged by where it leads. */
        {
                _cleanup_free_ char *sd = rel("/secret");
                cr_assert_eq(chmod(sd, 0700), 0);
                cr_assert_eq(symlink(hidden, link), 0);
                cr_assert_eq(caller_may_read_path(&nobody, root, link, NULL), 0);
                cr_assert_eq(chmod(sd, 0755), 0);
                cr_assert_eq(caller_may_read_path(&nobody, root, link, NULL), 1);
        }
        cr_assert_lt(caller_may_read_path(&nobody, root, "/nonexistent/x.conf", NULL), 0);
}

Test(file_access, settings_lines_only_for_those_who_could_read_them, .init = setup, .fini = teardown) {
        _cleanup_(settings_paths_freep) SettingsPaths *p = NULL;
        _cleanup_(settings_state_freep) SettingsState *s = NULL;
        _cleanup_free_ char *secret = rel("/etc/modprobe.d/secret.conf");
        _cleanup_free_ char *etc = rel("/etc"), *dir = rel("/etc/modprobe.d");
        char *paths[] = { dir, NULL };
        ModuleSettings ms = {};
        SettingSource *src = NULL;
        const char *file = NULL;
        size_t n = 0;

        write_file("/etc/modprobe.d/secret.conf",
                   "options modctl-test-base key=hunter2\ninstall modctl_test_base /sbin/secret-cmd\n"
                   "install snd_* /sbin/glob-cmd\n", 0600);
        write_file("/etc/modprobe.d/public.conf", "options modctl_test_base value=5\noptions other x=1\n", 0644);
        cr_assert_eq(chmod(etc, 0755), 0);
        cr_assert_eq(chmod(dir, 0755), 0);
        cr_assert_eq(settings_paths_new(root, paths, "quiet", &p), 0);
        cr_assert_eq(settings_state_load(p, &s), 0);

        /* Root sees every line. */
        cr_assert_eq(settings_query_as(s, NULL, "modctl_test_base", &superuser, &ms), 0);
        cr_assert_str_eq(ms.options, "value=5 key=hunter2");
        module_settings_done(&ms);
        cr_assert_eq(settings_query(s, NULL, "modctl_test_base", &ms), 0);
        cr_assert_str_eq(ms.options, "value=5 key=hunter2");
        module_settings_done(&ms);

        /* Nobody sees the public line, and that the other one is there and not readable. */
        cr_assert_eq(settings_query_as(s, NULL, "modctl_test_base", &nobody, &ms), 0);
        cr_assert_str_eq(ms.options, "value=5 " MODCTL_NOT_READABLE);
        module_settings_done(&ms);
        cr_assert_eq(settings_describe_as(s, p, NULL, "modctl-test-base", &nobody, &src, &n), 0);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(src[0].value, "value=5");
        cr_assert_str_eq(src[1].value, MODCTL_NOT_READABLE);
        cr_assert_str_eq(src[1].file, secret);
        setting_sources_free(src, n);
        cr_assert_eq(settings_query_as(s, NULL, "other", &CALLER_ANONYMOUS, &ms), 0);
        cr_assert_str_eq(ms.options, "x=1");
        module_settings_done(&ms);

        /* What a plan got from the root-only file, by name, by alias and by glob. */
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "modctl_test_base", NULL, &file));
        cr_assert_str_eq(file, secret);
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_COMMAND, "modctl_test_base", NULL, NULL));
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_COMMAND, "snd_hda_intel", NULL, NULL));
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "real_name", "modctl-test-base", NULL));
        cr_assert_not(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "other", NULL, NULL));
        cr_assert_not(settings_line_hidden(s, &nobody, SETTINGS_LINE_COMMAND, "other", "other", NULL));
        cr_assert_not(settings_line_hidden(s, &superuser, SETTINGS_LINE_COMMAND, "modctl_test_base", NULL, NULL));

        /* Made readable after it was read: still hidden, as what was read may not be what is
         * there now, until the files are read again. */
        cr_assert_eq(chmod(secret, 0644), 0);
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "modctl_test_base", NULL, NULL));
        s = settings_state_free(s);
        cr_assert_eq(settings_state_load(p, &s), 0);
        cr_assert_not(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "modctl_test_base", NULL, NULL));
        cr_assert_eq(settings_query_as(s, NULL, "modctl_test_base", &nobody, &ms), 0);
        cr_assert_str_eq(ms.options, "value=5 key=hunter2");
        module_settings_done(&ms);

        /* Readable by its group. */
        cr_assert_eq(chown(secret, 0, 29), 0);
        cr_assert_eq(chmod(secret, 0640), 0);
        s = settings_state_free(s);
        cr_assert_eq(settings_state_load(p, &s), 0);
        cr_assert(settings_line_hidden(s, &nobody, SETTINGS_LINE_OPTIONS, "modctl_test_base", NULL, NULL));
        cr_assert_not(settings_line_hidden(s, &user, SETTINGS_LINE_OPTIONS, "modctl_test_base", NULL, NULL));
}
