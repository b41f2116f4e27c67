/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel-enforced ownership for the fake kernel: no BPF, nothing reaches the kernel. The state
 * follows the settings as the real programs would (attached once anything is asked of them,
 * kept while OwnershipOnExit=keep), so the daemon's properties, status and reloads can be
 * tested without a kernel. MODCTL_FAKE_OWNERSHIP_UNAVAILABLE=REASON makes it unavailable.
 *
 * MODCTL_FAKE_OWNERSHIP_REPORTS=PATH binds a datagram socket there: each datagram
 * "request NAME [refused]" or "finit_module FILE [refused]" becomes a report about its sender,
 * with the pid and uid the kernel attaches and the comm from /proc/PID/comm, as the BPF
 * programs read them from the requesting task. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "ownership.h"

struct Ownership {
        bool active;
        bool pinned;
        ownership_report_t report;
        void *userdata;
        sd_event_source *reports;
};

static int on_report_datagram(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Ownership *o = userdata;
        char buf[512], cbuf[CMSG_SPACE(sizeof(struct ucred))], path[64], comm[16] = "";
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        struct ucred cred = { .pid = 0, .uid = (uid_t) -1 };
        ssize_t n;

        n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0)
                return 0;
        buf[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) cred.pid);
        FILE *f = fopen(path, "re");
        if (f) {
                size_t k = fread(comm, 1, sizeof(comm) - 1, f);
                fclose(f);
                comm[k] = '\0';
                comm[strcspn(comm, "\n")] = '\0'; /* the kernel's line end, not part of comm */
        }

        char *arg = strchr(buf, ' ');
        if (!arg)
                return 0;
        *arg++ = '\0';
        bool refused = false;
        char *flag = strrchr(arg, ' ');
        if (flag && streq(flag, " refused")) {
                *flag = '\0';
                refused = true;
        }
        bool request = streq(buf, "request");
        OwnershipReport r = {
                .action = request ? OWNERSHIP_ACTION_REQUEST : OWNERSHIP_ACTION_FINIT_MODULE,
                .refused = refused,
                .pid = cred.pid,
                .tgid = cred.pid,
                .uid = cred.uid,
                .name = request ? arg : "",
                .file = request ? "" : arg,
                .exe = "",
                .cgroup = "",
                .unit = "",
        };
        memcpy(r.comm, comm, sizeof(r.comm));
        if (o->report)
                o->report(&r, o->userdata);
        return 0;
}

static int listen_reports(Ownership *o, sd_event *event, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, one = 1, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        r = sd_event_add_io(event, &o->reports, fd, EPOLLIN, on_report_datagram, o);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(o->reports, true);
        return 0;
}

int ownership_new(sd_event *event, ownership_report_t report, void *userdata, Ownership **ret) {
        const char *reports = getenv("MODCTL_FAKE_OWNERSHIP_REPORTS");
        Ownership *o;
        int r;

        assert(ret);
        o = calloc(1, sizeof(Ownership));
        if (!o)
                return -ENOMEM;
        o->report = report;
        o->userdata = userdata;
        if (reports && event) {
                r = listen_reports(o, event, reports);
                if (r < 0) {
                        free(o);
                        return r;
                }
        }
        *ret = o;
        return 0;
}

Ownership *ownership_free(Ownership *o) {
        if (!o)
                return NULL;
        sd_event_source_disable_unref(o->reports);
        free(o);
        return NULL;
}

int ownership_apply(Ownership *o, OwnershipMode mode, KernelRequests requests, OwnershipOnExit on_exit,
                    Failure *failure) {
        const char *unavailable = getenv("MODCTL_FAKE_OWNERSHIP_UNAVAILABLE");

        assert(o);
        if (!o->active && mode == OWNERSHIP_SHARED && requests == KERNEL_REQUESTS_ANY &&
            on_exit == OWNERSHIP_ON_EXIT_RELEASE)
                return 0;
        if (unavailable && !o->active)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "%s", unavailable);
        o->active = true;
        o->pinned = on_exit == OWNERSHIP_ON_EXIT_KEEP;
        return 0;
}

void ownership_get_state(Ownership *o, OwnershipState *ret) {
        assert(o);
        *ret = (OwnershipState) { .active = o->active, .pinned = o->pinned };
}
