/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The index watch without inotify: the files' identity checked per request, a watch lost to an
 * overflow or to a failing inotify, and taken up again on the retry timer. */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/index-watch.h"

static char tmp[] = "/tmp/modctl-iwatch-XXXXXX";
static char buf[8][512];
static sd_event *event;
static IndexWatch *watch;
static unsigned fired;

static const char *at(const char *rel) {
        static unsigned n;
        char *b = buf[n++ % 8];
        snprintf(b, sizeof(buf[0]), "%s/%s", tmp, rel);
        return b;
}

static void write_file(const char *rel, const char *text) {
        FILE *f = fopen(at(rel), "we");
        cr_assert(f, "%s: %m", at(rel));
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
}

static void on_change(void *userdata) {
        fired++;
}

static void setup(void) {
        cr_assert(mkdtemp(tmp));
        cr_assert_eq(mkdir(at("modules"), 0755), 0);
        cr_assert_eq(mkdir(at("etc"), 0755), 0);
        cr_assert_eq(mkdir(at("etc/modprobe.d"), 0755), 0);
        write_file("modules/modules.alias.bin", "a");
        write_file("etc/modprobe.d/a.conf", "options dummy numdummies=1\n");
        cr_assert_eq(sd_event_new(&event), 0);
        fired = 0;
}

static void teardown(void) {
        char cmd[300];
        watch = index_watch_free(watch);
        event = sd_event_unref(event);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        cr_assert_eq(system(cmd), 0);
        strcpy(tmp, "/tmp/modctl-iwatch-XXXXXX");
}

TestSuite(index_watch_off, .init = setup, .fini = teardown, .timeout = 60);

static void start(const IndexWatchOptions *opts) {
        char *paths[] = { (char *) at("modules"), (char *) at("etc/modprobe.d"),
                          (char *) at("run/modules-load.d"), NULL };
        cr_assert_eq(index_watch_new(event, paths, opts, on_change, NULL, &watch), 0);
}

/* Runs the loop until cond holds; a condition that never comes fails by the suite's timeout. */
#define RUN_UNTIL(cond)                                                   \
        do {                                                              \
                while (!(cond))                                           \
                        cr_assert_geq(sd_event_run(event, UINT64_MAX), 0); \
        } while (0)

/* ---- inotify that fails at first ---- */

static unsigned init_failures;  /* how many more inotify_init calls fail */
static unsigned init_calls;

static int failing_init(void) {
        init_calls++;
        if (init_failures > 0) {
                init_failures--;
                errno = EMFILE;
                return -1;
        }
        return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

/* Each kind of change is seen by the next check, and only once. */
Test(index_watch_off, every_change_is_seen_by_the_next_check) {
        start(&(IndexWatchOptions) { .no_inotify = true });
        cr_assert_not(index_watch_is_active(watch));
        cr_assert_eq(index_watch_check(watch), 0);

        /* A new alias in a new file. */
        write_file("etc/modprobe.d/b.conf", "alias late dummy\n");
        cr_assert_eq(index_watch_check(watch), 1);
        cr_assert_eq(fired, 1u);
        cr_assert_eq(index_watch_check(watch), 0);

        /* A changed option in a file that was there, same size. */
        write_file("etc/modprobe.d/a.conf", "options dummy numdummies=2\n");
        cr_assert_eq(index_watch_check(watch), 1);

        /* depmod: a new index renamed over the old one. */
        write_file("modules/modules.alias.bin.tmp", "b");
        cr_assert_eq(rename(at("modules/modules.alias.bin.tmp"), at("modules/modules.alias.bin")), 0);
        cr_assert_eq(index_watch_check(watch), 1);

        /* A boot-list directory (and file) that did not exist, under a parent that did not. */
        cr_assert_eq(mkdir(at("run"), 0755), 0);
        cr_assert_eq(mkdir(at("run/modules-load.d"), 0755), 0);
        cr_assert_eq(index_watch_check(watch), 1);
        write_file("run/modules-load.d/x.conf", "dummy\n");
        cr_assert_eq(index_watch_check(watch), 1);

        /* The directory replaced by another one with the same names. */
        cr_assert_eq(mkdir(at("etc/modprobe.d.new"), 0755), 0);
        write_file("etc/modprobe.d.new/a.conf", "options dummy numdummies=2\n");
        write_file("etc/modprobe.d.new/b.conf", "alias late dummy\n");
        cr_assert_eq(rename(at("etc/modprobe.d"), at("etc/modprobe.d.old")), 0);
        cr_assert_eq(rename(at("etc/modprobe.d.new"), at("etc/modprobe.d")), 0);
        cr_assert_eq(index_watch_check(watch), 1);

        /* A removed file. */
        cr_assert_eq(unlink(at("etc/modprobe.d/b.conf")), 0);
        cr_assert_eq(index_watch_check(watch), 1);

        /* Unrelated files next to the watched directories do not count. */
        write_file("etc/unrelated", "x");
        cr_assert_eq(index_watch_check(watch), 0);
        cr_assert_eq(fired, 7u);
}

/* fs.inotify.max_user_instances used up at start: off, checked per request, and on again once
 * inotify works, which calls back once; from then on inotify reports, the check does nothing. */
Test(index_watch_off, inotify_unavailable_at_start_then_retried) {
        init_failures = 3;
        init_calls = 0;
        start(&(IndexWatchOptions) { .inotify_init = failing_init, .retry_first_usec = 1000,
                                     .retry_max_usec = 4000 });
        cr_assert_not(index_watch_is_active(watch));
        cr_assert_eq(init_calls, 1u);

        write_file("etc/modprobe.d/b.conf", "alias late dummy\n");
        cr_assert_eq(index_watch_check(watch), 1);
        cr_assert_eq(fired, 1u);

        /* Two more failures (backoff), then the watch is taken up and says so once. */
        RUN_UNTIL(index_watch_is_active(watch));
        cr_assert_eq(init_calls, 4u);
        cr_assert_eq(fired, 2u);

        write_file("etc/modprobe.d/c.conf", "alias later dummy\n");
        cr_assert_eq(index_watch_check(watch), 0);
        RUN_UNTIL(fired > 2);
}

/* ---- a fake inotify: a pipe that the test writes events into ---- */

static int pipe_fds[2] = { -1, -1 };
static int next_wd;
static bool watches_fail;               /* inotify_add_watch fails with ENOSPC */
static char watched_paths[64][512];

static int pipe_init(void) {
        cr_assert_eq(pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
        return pipe_fds[0];
}

static unsigned add_calls;

static int fake_add_watch(int fd, const char *path, uint32_t mask) {
        add_calls++;
        if (watches_fail) {
                errno = ENOSPC;
                return -1;
        }
        struct stat st;
        if (stat(path, &st) < 0)
                return -1;
        if ((mask & IN_ONLYDIR) && !S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
        }
        for (int i = 1; i <= next_wd; i++)
                if (strcmp(watched_paths[i], path) == 0)
                        return i;
        cr_assert_lt(next_wd + 1, 64);
        snprintf(watched_paths[++next_wd], sizeof(watched_paths[0]), "%s", path);
        return next_wd;
}

static int wd_of(const char *path) {
        for (int i = 1; i <= next_wd; i++)
                if (strcmp(watched_paths[i], path) == 0)
                        return i;
        cr_assert_fail("%s is not watched", path);
        return -1;
}

static void send_event(int wd, uint32_t mask) {
        struct inotify_event e = { .wd = wd, .mask = mask };
        cr_assert_eq(write(pipe_fds[1], &e, sizeof(e)), (ssize_t) sizeof(e));
}

static void fake_start(void) {
        next_wd = 0;
        watches_fail = false;
        start(&(IndexWatchOptions) { .inotify_init = pipe_init, .add_watch = fake_add_watch,
                                     .retry_first_usec = 1000, .retry_max_usec = 1000 });
        cr_assert(index_watch_is_active(watch));
}

/* An overflow: events were lost, so everything is watched again and reloaded once. */
Test(index_watch_off, overflow_watches_again_and_calls_back) {
        fake_start();
        unsigned before = add_calls;

        send_event(-1, IN_Q_OVERFLOW);
        RUN_UNTIL(fired == 1);
        cr_assert(index_watch_is_active(watch));
        /* Every path watched again (a directory replaced meanwhile gets a watch of its own):
         * two watches (parent and self) for each of the three paths. */
        cr_assert_eq(add_calls - before, 6u, "%u", add_calls - before);
        close(pipe_fds[1]);
}

/* A watch lost for good (the ancestor gone, and inotify refusing new watches): off, the check
 * sees changes, and the retry takes it up again once inotify works. */
Test(index_watch_off, lost_watch_goes_off_then_comes_back) {
        fake_start();
        int etc = wd_of(at("etc"));

        watches_fail = true;
        send_event(etc, IN_IGNORED);
        RUN_UNTIL(fired == 1);
        cr_assert_not(index_watch_is_active(watch));
        close(pipe_fds[1]);

        write_file("etc/modprobe.d/b.conf", "alias late dummy\n");
        cr_assert_eq(index_watch_check(watch), 1);
        cr_assert_eq(fired, 2u);
        cr_assert_eq(index_watch_check(watch), 0);

        watches_fail = false;
        RUN_UNTIL(index_watch_is_active(watch));
        cr_assert_eq(fired, 3u);
        cr_assert_eq(index_watch_check(watch), 0);
        close(pipe_fds[1]);
}

/* ---- the watch with inotify: files, directories, and a directory made later ---- */

static unsigned late_fired;
static void on_late_change(void *userdata) {
        late_fired++;
}

/* Runs the loop until the watch fired (a watch that never fires fails by the test's timeout). */
static void wait_late_fired(sd_event *e) {
        unsigned before = late_fired;
        while (late_fired == before)
                cr_assert_geq(sd_event_run(e, UINT64_MAX), 0);
}

static void write_path(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        cr_assert(f);
        fputs(text, f);
        fclose(f);
}

Test(index_watch, files_dirs_and_late_dirs) {
        char dir[] = "/tmp/modctl-watch-XXXXXX", p[512], q[1024], late[512];
        sd_event *e = NULL;
        IndexWatch *w = NULL;

        cr_assert(mkdtemp(dir));
        snprintf(p, sizeof(p), "%s/modules", dir);
        snprintf(late, sizeof(late), "%s/modprobe.d", dir);
        cr_assert_eq(mkdir(p, 0755), 0);
        char *paths[] = { p, late, NULL };
        cr_assert_eq(sd_event_new(&e), 0);
        cr_assert_eq(index_watch_new(e, paths, NULL, on_late_change, NULL, &w), 0);

        /* depmod: write a temporary file and rename it over the index. */
        snprintf(q, sizeof(q), "%s/modules.dep.bin.tmp", p);
        write_path(q, "x");
        char dep[1024];
        snprintf(dep, sizeof(dep), "%s/modules.dep.bin", p);
        cr_assert_eq(rename(q, dep), 0);
        wait_late_fired(e);

        /* A configuration directory that did not exist when the watch started. */
        cr_assert_eq(mkdir(late, 0755), 0);
        wait_late_fired(e);
        snprintf(q, sizeof(q), "%s/blacklist.conf", late);
        write_path(q, "blacklist dummy\n");
        wait_late_fired(e);

        /* Unrelated names next to a watched directory do not count. */
        unsigned before = late_fired;
        snprintf(q, sizeof(q), "%s/unrelated", dir);
        write_path(q, "x");
        cr_assert_geq(sd_event_run(e, 200 * 1000), 0);
        cr_assert_eq(late_fired, before);

        index_watch_free(w);
        sd_event_unref(e);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}
