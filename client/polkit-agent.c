/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

pid_t polkit_agent_open(bool ask_password) {
        int pipe_fd[2];
        char notify[16];
        pid_t pid;

        /* stdin, not stdout: the agent reads the password from the terminal. Root needs none. */
        if (!ask_password || !isatty(STDIN_FILENO) || geteuid() == 0)
                return 0;
        if (access(PKTTYAGENT, X_OK) < 0)
                return 0;
        if (pipe2(pipe_fd, O_CLOEXEC) < 0)
                return 0;

        pid = fork();
        if (pid < 0) {
                safe_close(pipe_fd[0]);
                safe_close(pipe_fd[1]);
                return 0;
        }
        if (pid == 0) {
                /* The agent must not outlive us, e.g. after Ctrl-C during the call. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() == 1)
                        _exit(EXIT_FAILURE);
                safe_close(pipe_fd[0]);
                /* The notify fd must survive exec; a dup without O_CLOEXEC does. */
                int fd = dup(pipe_fd[1]);
                if (fd < 0)
                        _exit(EXIT_FAILURE);
                snprintf(notify, sizeof(notify), "%d", fd);
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--fallback", (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        /* The agent closes (or writes to) the notify fd once it is registered with polkit; if it
         * fails to start, its exit closes it too. Either way, wait for that and go on. */
        safe_close(pipe_fd[1]);
        struct pollfd p = { .fd = pipe_fd[0], .events = POLLIN };
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
        safe_close(pipe_fd[0]);
        return pid;
}

void polkit_agent_close(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        (void) kill(pid, SIGCONT);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}
