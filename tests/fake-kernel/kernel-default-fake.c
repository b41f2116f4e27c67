/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings/atomic-file.h"
#include "kernel/kernel-default.h"
#include "kernel-fake.h"

/* MODCTL_FAKE_CRASH_BEFORE_RENAME=SUFFIX: die like a crash (SIGKILL, no cleanup) when a
 * settings file ending in SUFFIX has been written and synced but not yet renamed into place,
 * so the tests can show that the old file survives. */
static void crash_before_rename(const char *path) {
        const char *suffix = getenv("MODCTL_FAKE_CRASH_BEFORE_RENAME");
        size_t n = strlen(path), k = suffix ? strlen(suffix) : 0;

        if (suffix && *suffix && n >= k && strcmp(path + n - k, suffix) == 0)
                raise(SIGKILL);
}

/* MODCTL_FAKE_HOLD=NAME: inserts of NAME block, like a module init that never returns; each
 * time one starts to wait, a line "NAME" goes to the fifo MODCTL_FAKE_HOLD_NOTIFY (if set), the
 * event a test waits for. */
static void notify_hold(const char *name) {
        const char *path = getenv("MODCTL_FAKE_HOLD_NOTIFY");
        int fd;

        if (!path || (fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
                return;
        (void) !write(fd, name, strlen(name));
        (void) !write(fd, "\n", 1);
        close(fd);
}

/* MODCTL_FAKE_VIRTUAL_CLOCK=1: the timeline's clock is the fake's virtual one (kernel-fake.h),
 * so that `modctl analyze` prints the same every run. */
int kernel_new_default(Kernel **ret) {
        Kernel *k = NULL;
        int r;

        if (getenv("MODCTL_FAKE_CRASH_BEFORE_RENAME"))
                atomic_file_before_rename = crash_before_rename;
        r = kernel_new_fake(&k);
        if (r < 0)
                return r;
        if (getenv("MODCTL_FAKE_HOLD")) {
                kernel_fake_on_hold = notify_hold;
                r = kernel_fake_hold(k, getenv("MODCTL_FAKE_HOLD"));
                if (r < 0) {
                        kernel_free(k);
                        return r;
                }
        }
        if (getenv("MODCTL_FAKE_VIRTUAL_CLOCK"))
                (void) kernel_fake_use_virtual_clock(k, 1000000);
        *ret = k;
        return 0;
}
