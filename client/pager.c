/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "macro.h"
#include "pager.h"

static pid_t pager_pid;

/* systemd's rule: no pager on a dumb terminal, or when we do not know the terminal at all. */
static bool terminal_is_dumb(void) {
        const char *term = getenv("TERM");
        return !term || streq(term, "dumb");
}

/* Whether we run with privileges that the person at the terminal does not have by themselves:
 * set-uid or set-gid, sudo, or an effective uid other than the login session's owner. Unknown
 * (no session) counts as privileged: the pager then only runs in secure mode. */
static bool running_with_escalated_privileges(void) {
        uid_t owner;

        if (geteuid() != getuid() || getegid() != getgid())
                return true;
        if (getenv("SUDO_UID"))
                return true;
        if (sd_pid_get_owner_uid(0, &owner) < 0)
                return true;
        return owner != geteuid();
}

/* $SYSTEMD_PAGERSECURE: 1 when set true, 0 when set false, -1 when unset or not a boolean. */
static int pager_secure_env(void) {
        const char *e = getenv("SYSTEMD_PAGERSECURE");

        static const char *const truthy[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const falsy[] = { "0", "no", "n", "false", "f", "off" };

        if (!e)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(truthy); i++) {
                if (strcasecmp(e, truthy[i]) == 0)
                        return 1;
                if (strcasecmp(e, falsy[i]) == 0)
                        return 0;
        }
        return -1;
}

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

/* secure: the pager must not open files or run commands (less's LESSSECURE=1: no '!', 'v',
 * ':e' or '|'), because it runs with privileges its user does not otherwise have. only_less:
 * the secure mode was implied, not asked for, so only a pager known to honour LESSSECURE runs,
 * as in systemd; others (more's '!', a $PAGER of any kind) do not. */
static _noreturn_ void pager_exec(const char *command, bool secure, bool only_less) {
        const char *less = getenv("SYSTEMD_LESS");

        if (secure)
                (void) setenv("LESSSECURE", "1", 1);
        else
                (void) unsetenv("LESSSECURE");

        /* less: quit if one screen (F), raw colors (R), chop long lines (S), no init (X),
         * long prompt (M), exit on Ctrl-C (K). */
        if (!getenv("LESS"))
                (void) setenv("LESS", less ?: "FRSXMK", 1);
        if (!getenv("LESSCHARSET"))
                (void) setenv("LESSCHARSET", "utf-8", 1);

        if (command && !only_less) {
                execl("/bin/sh", "sh", "-c", command, (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        execlp("less", "less", (char *) NULL);
        if (!only_less)
                execlp("more", "more", (char *) NULL);
        /* No pager at all: copy through, so the output is not lost. */
        execlp("cat", "cat", (char *) NULL);
        _exit(EXIT_FAILURE);
}

int pager_open(void) {
        const char *command;
        bool secure, only_less;
        int fd[2], secure_env;

        if (pager_pid > 0)
                return 1;
        if (!isatty(STDOUT_FILENO) || terminal_is_dumb())
                return 0;

        secure_env = pager_secure_env();
        secure = secure_env > 0 || (secure_env < 0 && running_with_escalated_privileges());
        only_less = secure && secure_env < 0;

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
                pager_exec(command, secure, only_less);
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
