/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The index watch (sources/index-watch.c): inotify on the module indexes and the modprobe.d
 * directories, including ones created after the watch started. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sources/index-watch.h"

static unsigned fired;
static void on_change(void *userdata) {
        fired++;
}

/* Runs the loop until the watch fired (or 5 s pass, which fails the test). */
static void wait_fired(sd_event *e) {
        unsigned before = fired;
        for (int i = 0; i < 50 && fired == before; i++)
                cr_assert_geq(sd_event_run(e, 100 * 1000), 0);
        cr_assert_gt(fired, before);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        cr_assert(f);
        fputs(text, f);
        fclose(f);
}

Test(index_watch, files_dirs_and_late_dirs) {
        char tmp[] = "/tmp/modctl-watch-XXXXXX", p[512], q[1024], late[512];
        sd_event *e = NULL;
        IndexWatch *w = NULL;

        cr_assert(mkdtemp(tmp));
        snprintf(p, sizeof(p), "%s/modules", tmp);
        snprintf(late, sizeof(late), "%s/modprobe.d", tmp);
        cr_assert_eq(mkdir(p, 0755), 0);
        char *paths[] = { p, late, NULL };
        cr_assert_eq(sd_event_new(&e), 0);
        cr_assert_eq(index_watch_new(e, paths, on_change, NULL, &w), 0);

        /* depmod: write a temporary file and rename it over the index. */
        snprintf(q, sizeof(q), "%s/modules.dep.bin.tmp", p);
        write_file(q, "x");
        char dep[1024];
        snprintf(dep, sizeof(dep), "%s/modules.dep.bin", p);
        cr_assert_eq(rename(q, dep), 0);
        wait_fired(e);

        /* A configuration directory that did not exist when the watch started. */
        cr_assert_eq(mkdir(late, 0755), 0);
        wait_fired(e);
        snprintf(q, sizeof(q), "%s/blacklist.conf", late);
        write_file(q, "blacklist dummy\n");
        wait_fired(e);

        /* Unrelated names next to a watched directory do not count. */
        unsigned before = fired;
        snprintf(q, sizeof(q), "%s/unrelated", tmp);
        write_file(q, "x");
        cr_assert_geq(sd_event_run(e, 200 * 1000), 0);
        cr_assert_eq(fired, before);

        index_watch_free(w);
        sd_event_unref(e);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        cr_assert_eq(system(cmd), 0);
}
