/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "pager.h"

static pid_t pager_pid;

static const char *pager_command(void) {
        const char *p;

        p = getenv("SYSTEMD_PAGER");
        if (!p)
                p = getenv("PAGER");
        if (!p)
                return NULL; /* the default: less, then more */
        p += strspn(p, " \t");
        return p;
}

static _noreturn_ void pager_exec(const char *command) {
        const char *less = getenv("SYSTEMD_LESS");

        /* less: quit if one screen (F), raw colors (R), chop long lines (S), no init (X),
         * long prompt (M), exit on Ctrl-C (K). */
        if (!getenv("LESS"))
                (void) setenv("LESS", less ?: "FRSXMK", 1);
        if (!getenv("LESSCHARSET"))
                (void) setenv("LESSCHARSET", "utf-8", 1);

        if (command) {
                execl("/bin/sh", "sh", "-c", command, (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        execlp("less", "less", (char *) NULL);
        execlp("more", "more", (char *) NULL);
        /* No pager at all: copy through, so the output is not lost. */
        execlp("cat", "cat", (char *) NULL);
        _exit(EXIT_FAILURE);
}

int pager_open(void) {
        const char *command;
        int fd[2];

        if (pager_pid > 0)
                return 1;
        if (!isatty(STDOUT_FILENO))
                return 0;

        command = pager_command();
        if (command && (*command == '\0' || streq(command, "cat")))
                return 0;

        if (pipe2(fd, O_CLOEXEC) < 0)
                return -errno;

        fflush(stdout);
        pager_pid = fork();
        if (pager_pid < 0) {
                int r = -errno;
                safe_close(fd[0]);
                safe_close(fd[1]);
                pager_pid = 0;
                return r;
        }
        if (pager_pid == 0) {
                /* The pager exits with us, and gets the terminal's signals itself. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (dup2(fd[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                safe_close(fd[0]);
                safe_close(fd[1]);
                pager_exec(command);
        }

        if (dup2(fd[1], STDOUT_FILENO) < 0) {
                int r = -errno;
                safe_close(fd[0]);
                safe_close(fd[1]);
                return r;
        }
        safe_close(fd[0]);
        safe_close(fd[1]);
        /* A pager quit early (q in less) must not kill us with SIGPIPE mid-write. */
        signal(SIGPIPE, SIG_IGN);
        return 1;
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;

        fflush(stdout);
        /* EOF for the pager: stdout is our only copy of the pipe's write end. */
        (void) close(STDOUT_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}
