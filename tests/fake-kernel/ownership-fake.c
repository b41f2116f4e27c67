/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel-enforced ownership for the fake kernel: no BPF, nothing reaches the kernel. The state
 * follows the settings as the real programs would (attached once anything is asked of them,
 * kept while OwnershipOnExit=keep), so the daemon's properties, status and reloads can be
 * tested without a kernel. MODCTL_FAKE_OWNERSHIP_UNAVAILABLE=REASON makes it unavailable.
 * Kernel requests are judged as the kernel_module_request program judges them, with the same
 * plain-C rule (ownership-cause.h); see ownership-fake.h for how tests make them.
 *
 * MODCTL_FAKE_OWNERSHIP_REPORTS=PATH binds a datagram socket there: each datagram
 * "request NAME [refused]" or "finit_module FILE [refused]" becomes a report about its sender,
 * with the pid and uid the kernel attaches and the comm from /proc/PID/comm, as the BPF
 * programs read them from the requesting task.
 *
 * Reports wake the daemon as the programs' would (modctl_bpf_submit_flags()): a request that
 * passes waits in a queue, the ring buffer's stand-in, until ownership_drain() or the event
 * loop's next wakeup (a post source, as in ownership.c); anything else is reported at once,
 * after what waited before it. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "kernel/bpf/ownership.h"
#include "kernel/bpf/ownership-cause.h"

_Static_assert(MODCTL_CAUSE_WINDOW_NSEC == OWNERSHIP_CAUSE_WINDOW_SEC * 1000000000ULL,
               "the cause window differs between the BPF program and its reports");
#include "ownership-fake.h"

#define FAKE_CAUSES 64
#define FAKE_QUEUE 64

/* A report that did not wake the daemon, with copies of the strings that were not literals. */
typedef struct FakeQueued {
        OwnershipReport report;
        char name[MODCTL_BPF_NAME_MAX];
        char file[256];
} FakeQueued;

typedef struct FakeCause {
        char key[MODCTL_BPF_NAME_MAX];
        struct modctl_bpf_cause cause;
} FakeCause;

struct Ownership {
        bool active;
        bool pinned;
        __u32 requests;         /* MODCTL_BPF_REQUESTS_* */
        ownership_report_t report;
        void *userdata;
        FakeCause causes[FAKE_CAUSES];  /* the program's "causes" map; the oldest goes first */
        FakeCause threads[FAKE_CAUSES]; /* its "thread_causes", keyed by the thread id as text */
        int listen_fd;
        sd_event_source *listen_source;
        sd_event_source *reports;
        sd_event_source *drain_source;
        FakeQueued queue[FAKE_QUEUE];
        size_t n_queued;
};

void ownership_drain(Ownership *o) {
        assert(o);

        /* A report may make its listener ask for more; what it queues waits for the next drain. */
        size_t n = o->n_queued;
        o->n_queued = 0;
        for (size_t i = 0; i < n; i++) {
                FakeQueued *q = &o->queue[i];
                q->report.name = q->name;
                q->report.file = q->file;
                if (o->report)
                        o->report(&q->report, o->userdata);
        }
}

/* As bpf_ringbuf_submit() with modctl_bpf_submit_flags(): queued, or reported at once after
 * everything queued before it. */
static void submit(Ownership *o, const OwnershipReport *r) {
        __u32 kind = r->action == OWNERSHIP_ACTION_REQUEST ? MODCTL_BPF_EVENT_REQUEST :
                     r->action == OWNERSHIP_ACTION_INIT_MODULE ? MODCTL_BPF_EVENT_LOAD_DATA : MODCTL_BPF_EVENT_READ_FILE;

        if (modctl_bpf_submit_flags(kind, r->refused) & BPF_RB_NO_WAKEUP) {
                if (o->n_queued == FAKE_QUEUE)
                        ownership_drain(o);
                FakeQueued *q = &o->queue[o->n_queued++];
                q->report = *r;
                snprintf(q->name, sizeof(q->name), "%s", strempty(r->name));
                snprintf(q->file, sizeof(q->file), "%s", strempty(r->file));
                return;
        }
        ownership_drain(o);
        if (o->report)
                o->report(r, o->userdata);
}

static int on_drain(sd_event_source *s, void *userdata) {
        ownership_drain(userdata);
        return 0;
}

static uint64_t now_nsec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static FakeCause *cause_find(FakeCause *table, const char *key) {
        for (size_t i = 0; i < FAKE_CAUSES; i++)
                if (table[i].key[0] && strncmp(table[i].key, key, MODCTL_BPF_NAME_MAX) == 0)
                        return &table[i];
        return NULL;
}

static void cause_store(FakeCause *table, const char *key, const struct modctl_bpf_cause *c) {
        FakeCause *slot = cause_find(table, key), *oldest = &table[0];

        for (size_t i = 0; !slot && i < FAKE_CAUSES; i++) {
                if (!table[i].key[0])
                        slot = &table[i];
                else if (table[i].cause.at < oldest->cause.at)
                        oldest = &table[i];
        }
        slot = slot ?: oldest;
        snprintf(slot->key, sizeof(slot->key), "%s", key);
        slot->cause = *c;
}

static const struct modctl_bpf_cause *cause_lookup(FakeCause *table, const char *key) {
        FakeCause *c = cause_find(table, key);
        return c ? &c->cause : NULL;
}

/* record_components() of ownership.bpf.c */
static void record_components(Ownership *o, const char *name, int off, int len, const struct modctl_bpf_cause *c) {
        __u8 start[MODCTL_CAUSE_COMPONENTS] = {}, clen[MODCTL_CAUSE_COMPONENTS] = {};
        int n = modctl_cause_components(name, off, len, start, clen);

        for (int k = 0; k < n; k++) {
                char key[MODCTL_BPF_NAME_MAX] = {};
                struct modctl_bpf_cause stored;

                memcpy(key, name + start[k], clen[k] & (MODCTL_BPF_NAME_MAX - 1));
                modctl_cause_merge(&stored, cause_lookup(o->causes, key), c);
                cause_store(o->causes, key, &stored);
        }
}

/* kthread_cause() of ownership.bpf.c */
static const struct modctl_bpf_cause *kthread_cause(Ownership *o, const char *name, int off, int len, pid_t tid,
                                                    uint64_t now, struct modctl_bpf_cause *ret) {
        char key[MODCTL_BPF_NAME_MAX] = {}, tkey[16];
        const struct modctl_bpf_cause *c, *old;
        struct modctl_bpf_cause stored;

        memcpy(key, name + off, len & (MODCTL_BPF_NAME_MAX - 1));
        snprintf(tkey, sizeof(tkey), "%d", (int) tid);
        c = modctl_cause_valid(cause_lookup(o->causes, key), now);
        old = modctl_cause_valid(cause_lookup(o->threads, tkey), now);
        if (!c)
                c = old;
        if (!c)
                return NULL;
        stored = *c;
        stored.at = now;
        modctl_cause_merge(ret, old, &stored);
        cause_store(o->threads, tkey, ret);
        if (modctl_cause_has_paren(name))
                record_components(o, name, off, len, ret);
        return ret;
}

/* The same steps as modctl_module_request() in ownership.bpf.c. */
bool ownership_fake_request(Ownership *o, const OwnershipFakeRequest *req) {
        char name[MODCTL_BPF_NAME_MAX] = {};
        struct modctl_bpf_cause found;
        const struct modctl_bpf_cause *cause = NULL;
        uint64_t now;
        int off, len = 0, refused;
        bool crypto;

        assert(o);
        assert(req);

        if (!o->active)
                return false;
        now = req->now_nsec ?: now_nsec();
        snprintf(name, sizeof(name), "%s", req->name);
        off = modctl_cause_crypto_offset(name);
        crypto = off >= 0;
        if (crypto) {
                len = modctl_cause_crypto_len(name, off);
                if (req->kthread)
                        cause = kthread_cause(o, name, off, len, req->pid, now, &found);
                else if (modctl_cause_has_paren(name)) {
                        found = (struct modctl_bpf_cause) {
                                .at = now, .pid = req->pid, .tgid = req->pid, .uid = req->uid,
                                .privileged = req->privileged,
                        };
                        snprintf(found.comm, sizeof(found.comm), "%s", strempty(req->comm));
                        record_components(o, name, off, len, &found);
                }
        }
        refused = modctl_request_refused(o->requests, req->privileged, req->kthread, crypto, cause);

        {
                OwnershipReport r = {
                        .action = OWNERSHIP_ACTION_REQUEST,
                        .refused = refused,
                        .pid = req->pid,
                        .tgid = req->pid,
                        .ppid = req->kthread ? 2 : 1,
                        .uid = req->uid,
                        .name = name,
                        .file = "",
                        .exe = req->kthread ? "" : "/usr/bin/fake",
                        .cgroup = req->kthread ? "/" : "/user.slice/fake.scope",
                        .unit = req->kthread ? "" : "fake.scope",
                        .kthread = req->kthread,
                        .cause = !(crypto && req->kthread) ? OWNERSHIP_CAUSE_SELF :
                                 cause ? OWNERSHIP_CAUSE_RECORDED : OWNERSHIP_CAUSE_UNKNOWN,
                        .cause_cgroup = "",
                };
                snprintf(r.comm, sizeof(r.comm), "%s", strempty(req->comm));
                if (cause) {
                        r.cause_pid = cause->pid;
                        r.cause_tgid = cause->tgid;
                        r.cause_uid = cause->uid;
                        snprintf(r.cause_comm, sizeof(r.cause_comm), "%.*s", (int) sizeof(cause->comm), cause->comm);
                        r.cause_cgroup = "/user.slice/fake.scope";
                }
                submit(o, &r);
        }
        return refused;
}

/* "kthread=0 pid=7 uid=65534 cap=0 comm=python3 name=crypto-pcrypt(aes)"; what is left out is
 * the peer's, as the kernel's current task: its pid, uid and comm, privileged if root. */
static int parse_request(int fd, char *text, char *comm, size_t comm_size, OwnershipFakeRequest *ret) {
        OwnershipFakeRequest req = {};
        char *name = strstr(text, "name=");
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        char path[64];
        FILE *f;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        req.pid = cred.pid;
        req.uid = cred.uid;
        req.privileged = cred.uid == 0;
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) cred.pid);
        comm[0] = '\0';
        f = fopen(path, "re");
        if (f) {
                if (fgets(comm, (int) comm_size, f))
                        comm[strcspn(comm, "\n")] = '\0';
                fclose(f);
        }
        req.comm = comm;

        if (!name)
                return -EINVAL;
        *name = '\0';
        req.name = name + 5;
        for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (strncmp(w, "kthread=", 8) == 0)
                        req.kthread = streq(w + 8, "1");
                else if (strncmp(w, "pid=", 4) == 0)
                        req.pid = (pid_t) strtol(w + 4, NULL, 10);
                else if (strncmp(w, "uid=", 4) == 0)
                        req.uid = (uid_t) strtoul(w + 4, NULL, 10);
                else if (strncmp(w, "cap=", 4) == 0)
                        req.privileged = streq(w + 4, "1");
                else if (strncmp(w, "comm=", 5) == 0)
                        req.comm = w + 5;
                else
                        return -EINVAL;
        }
        *ret = req;
        return 0;
}

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Ownership *o = userdata;
        char buf[512], comm[16];
        OwnershipFakeRequest req;
        ssize_t n;

        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0) {
                /* The source is the event loop's (floating): turn it off, it goes with the loop. */
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                close(fd);
                return 0;
        }
        buf[n] = '\0';
        if (parse_request(fd, buf, comm, sizeof(comm), &req) < 0)
                (void) send(fd, "malformed", 9, MSG_NOSIGNAL);
        else if (ownership_fake_request(o, &req))
                (void) send(fd, "refused", 7, MSG_NOSIGNAL);
        else
                (void) send(fd, "allowed", 7, MSG_NOSIGNAL);
        return 0;
}

static int on_connect(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (c < 0)
                return 0;
        if (sd_event_add_io(sd_event_source_get_event(s), NULL, c, EPOLLIN, on_request, userdata) < 0)
                close(c);
        return 0;
}

static int listen_requests(Ownership *o, sd_event *event, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        o->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (o->listen_fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(o->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(o->listen_fd, 8) < 0)
                return -errno;
        /* Any test user is a task that may make the kernel ask. */
        if (chmod(path, 0666) < 0)
                return -errno;
        return sd_event_add_io(event, &o->listen_source, o->listen_fd, EPOLLIN, on_connect, o);
}

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
                .cause_cgroup = "",
                .unit = "",
        };
        memcpy(r.comm, comm, sizeof(r.comm));
        submit(o, &r);
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
        const char *path = getenv("MODCTL_FAKE_OWNERSHIP_REQUESTS");
        const char *reports = getenv("MODCTL_FAKE_OWNERSHIP_REPORTS");
        Ownership *o;

        assert(ret);
        o = calloc(1, sizeof(Ownership));
        if (!o)
                return -ENOMEM;
        o->report = report;
        o->userdata = userdata;
        o->listen_fd = -EBADF;
        if (path && event) {
                int r = listen_requests(o, event, path);
                if (r < 0) {
                        ownership_free(o);
                        return r;
                }
        }
        if (reports && event) {
                int r = listen_reports(o, event, reports);
                if (r < 0) {
                        ownership_free(o);
                        return r;
                }
        }
        if (event) {
                int r = sd_event_add_post(event, &o->drain_source, on_drain, o);
                if (r < 0) {
                        ownership_free(o);
                        return r;
                }
                (void) sd_event_source_set_priority(o->drain_source, OWNERSHIP_REPORT_PRIORITY);
        }
        *ret = o;
        return 0;
}

Ownership *ownership_free(Ownership *o) {
        if (!o)
                return NULL;
        sd_event_source_disable_unref(o->listen_source);
        sd_event_source_disable_unref(o->reports);
        sd_event_source_disable_unref(o->drain_source);
        if (o->listen_fd >= 0)
                close(o->listen_fd);
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
        o->requests = requests == KERNEL_REQUESTS_NONE ? MODCTL_BPF_REQUESTS_NONE :
                      requests == KERNEL_REQUESTS_PRIVILEGED ? MODCTL_BPF_REQUESTS_PRIVILEGED :
                      MODCTL_BPF_REQUESTS_ANY;
        return 0;
}

void ownership_get_state(Ownership *o, OwnershipState *ret) {
        assert(o);
        *ret = (OwnershipState) { .active = o->active, .pinned = o->pinned };
}
