/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kernel/command.h"
#include "common/time-util.h"
#include "common/macro.h"
#include "common/module-params.h"

static int pidfd_open_compat(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Wait for the child's pidfd to become readable (it exited), or for the deadline. */
static int wait_exit(int pidfd, uint64_t deadline) {
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return -ETIMEDOUT;

                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n = poll(&p, 1, (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT32_MAX));
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

int command_run(const char *command, const char *module, const char *options, uint64_t timeout_usec,
                int *ret_status) {
        _cleanup_free_ char *module_env = NULL, *options_env = NULL;
        _cleanup_(closep) int pidfd = -EBADF;

        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int r, status;

        assert(command);
        assert(module);

        /* The parameters reach the command as data: $CMDLINE_OPTS in the command line is a shell
         * variable here, expanded after the line is parsed, so nothing in them is ever read as
         * shell syntax (no ';', '$(...)', quotes or redirections). The shell still splits and globs
         * the expansion when the line leaves it unquoted, as modprobe.d's own form does: options
         * outside the parameter grammar (a word starting with '-', a glob byte) never get here.
         * The resolver refuses them with a sentence; this is the last line. Globbing stays on for
         * the line itself ("set -f" would change what an admin's own pattern means). */
        if (module_params_validate(options, NULL) < 0)
                return -EINVAL;
        if (asprintf(&module_env, "MODPROBE_MODULE=%s", module) < 0 ||
            asprintf(&options_env, "CMDLINE_OPTS=%s", strempty(options)) < 0)
                return -ENOMEM;

        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) command, NULL };
        char *envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "HOME=/", module_env, options_env,
                         NULL };

        /* The daemon blocks signals for sd-event and may ignore some (SIGPIPE): the command starts
         * with none blocked and every disposition at its default. */
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

        r = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        pidfd = pidfd_open_compat(pid);
        if (pidfd < 0) {
                /* Without a pidfd we cannot bound the wait; refuse rather than hang a worker. */
                r = -errno;
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }

        r = wait_exit(pidfd, now_usec(CLOCK_MONOTONIC) + timeout_usec);
        if (r == -ETIMEDOUT)
                kill(-pid, SIGKILL), kill(pid, SIGKILL);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (r < 0)
                return r;

        if (ret_status)
                *ret_status = status;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;
        return 0;
}
