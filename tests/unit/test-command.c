/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* install/remove commands: environment, exit status, timeout. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/wait.h>

#include "command.h"

Test(command, runs_with_module_in_environment) {
        int status = -1;
        cr_assert_eq(command_run("test \"$MODPROBE_MODULE\" = snd && test \"$HOME\" = /", "snd", 5000000, &status), 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(command, nonzero_exit_is_echild) {
        int status = -1;
        cr_assert_eq(command_run("exit 7", "snd", 5000000, &status), -ECHILD);
        cr_assert_eq(WEXITSTATUS(status), 7);
}

Test(command, killed_after_timeout, .timeout = 10) {
        cr_assert_eq(command_run("exec sleep 60", "snd", 200000, NULL), -ETIMEDOUT);
}

Test(command, stdin_is_dev_null) {
        /* A command that reads stdin must not hang on the daemon's stdin. */
        cr_assert_eq(command_run("read x; test -z \"$x\"", "snd", 5000000, NULL), 0);
}
