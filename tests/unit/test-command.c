/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* install/remove commands: environment, exit status, timeout. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/command.h"

Test(command, runs_with_module_in_environment) {
        int status = -1;
        cr_assert_eq(command_run("test \"$MODPROBE_MODULE\" = snd && test \"$HOME\" = /", "snd", NULL, 60000000, &status), 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(command, nonzero_exit_is_echild) {
        int status = -1;
        cr_assert_eq(command_run("exit 7", "snd", NULL, 60000000, &status), -ECHILD);
        cr_assert_eq(WEXITSTATUS(status), 7);
}

Test(command, killed_after_timeout, .timeout = 10) {
        cr_assert_eq(command_run("exec sleep 60", "snd", NULL, 200000, NULL), -ETIMEDOUT);
}

Test(command, stdin_is_dev_null) {
        /* A command that reads stdin must not hang on the daemon's stdin. */
        cr_assert_eq(command_run("read x; test -z \"$x\"", "snd", NULL, 60000000, NULL), 0);
}

/* The parameters are data: a caller's "x=1; touch FILE" must not run touch, and the command
 * still sees every token in $CMDLINE_OPTS. Options outside the parameter grammar (shell syntax,
 * globs, a word that would be an option of the command) never reach the shell at all. */
Test(command, parameters_are_not_shell_syntax) {
        char dir[] = "/tmp/modctl-cmd-XXXXXX", *check = NULL, *cmd = NULL;
        const char *const refused[] = {
                "x=1; touch pwned", "x=$(touch pwned)", "x=`touch pwned`", "--config=/tmp/evil.conf",
                "a=1 --dirname=/tmp", "id=\"a -v\"", "x=*", "x=~", "x=a|b", NULL,
        };
        cr_assert_not_null(mkdtemp(dir));
        cr_assert(asprintf(&check, "%s/ran", dir) > 0);
        cr_assert(asprintf(&cmd, "touch %s; echo $CMDLINE_OPTS >/dev/null", check) > 0);

        for (size_t i = 0; refused[i]; i++) {
                cr_assert_eq(command_run(cmd, "snd", refused[i], 60000000, NULL), -EINVAL, "%s", refused[i]);
                cr_assert_neq(access(check, F_OK), 0, "the command ran with '%s'", refused[i]);
        }

        /* Word-split like modprobe's substitution, each token one argument. */
        cr_assert_eq(command_run("set -- $CMDLINE_OPTS; test $# = 3 && test \"$1\" = a=1 && test \"$3\" = c",
                                 "snd", "a=1 b=2 c", 60000000, NULL), 0);
        /* A quoted value splits into words that start with no '-'. */
        cr_assert_eq(command_run("for w in $CMDLINE_OPTS; do case $w in -*) exit 1;; esac; done", "snd",
                                 "id=\"My Card\" x=-1", 60000000, NULL), 0);
        cr_assert_eq(command_run(cmd, "snd", "x=1", 60000000, NULL), 0);
        cr_assert_eq(access(check, F_OK), 0);
        unlink(check);
        free(check);
        free(cmd);
        rmdir(dir);
}

/* SIGPIPE ignored in the daemon must not be inherited: the command starts with every
 * disposition at its default and no signal blocked. */
Test(command, signal_dispositions_reset) {
        sigset_t block;

        signal(SIGPIPE, SIG_IGN);
        signal(SIGUSR1, SIG_IGN);
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, NULL);

        /* glibc keeps its two internal real-time signals (32, 33) ignored in the child; SIGPIPE is
         * bit 12, SIGUSR1 bit 9 of SigIgn. */
        cr_assert_eq(command_run("ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status); "
                                 "test $(( 0x$ign & 0x1200 )) = 0 && "
                                 "grep -Eq '^SigBlk:[[:space:]]*0+$' /proc/self/status", "snd", NULL, 60000000, NULL), 0,
                     "the command inherited ignored or blocked signals");
}
