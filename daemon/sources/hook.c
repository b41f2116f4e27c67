/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "sources/hook.h"
#include "common/log.h"
#include "common/module-name.h"
#include "modctl-hook.h"
#include "sources/negative-cache.h"
#include "common/ratelimit.h"
#include "common/strv.h"
#include "common/time-util.h"

#define NEGATIVE_CACHE_MAX 4096
/* The kernel runs at most 50 helpers at once; anything beyond this many open connections is
 * not the kernel, and waits in the listen backlog until some close. */
#define HOOK_CONNECTIONS_MAX 256u
/* Out of file descriptors: stop accepting for this long (or until a connection closes). */
#define HOOK_PAUSE_USEC (250 * USEC_PER_MSEC)

typedef struct Connection Connection;

struct Hook {
        const HookPort *port;
        void *userdata;          /* the port's */
        char *socket_path;
        char *fallback_path;     /* the helper's fallback counter, next to the socket */
        int fd;
        bool socket_created;     /* ours to unlink (not from socket activation) */
        sd_event_source *listen_source;
        NegativeCache *cache;
        Connection *connections;
        unsigned n_connections;
        bool paused;             /* not accepting: at the connection cap, or out of fds */
        sd_event_source *resume_timer;
        RateLimit log_limit;     /* warnings a peer can provoke */
        HookStatistics stats;
        bool listening;          /* added to the port's listeners */
};

/* One helper's connection: waits for its request, then for the manager's answer. */
struct Connection {
        Hook *hook;
        int fd;
        pid_t pid;
        uid_t uid;
        sd_event_source *io;
        sd_event_source *timer;
        char name[MODCTL_HOOK_NAME_MAX + 1];
        Connection *prev, *next;
};

static void hook_resume(Hook *h);

static Connection *connection_free(Connection *c) {
        if (!c)
                return NULL;
        if (c->hook) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        c->hook->connections = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->hook->n_connections--;
                hook_resume(c->hook);
        }
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        safe_close(c->fd);
        free(c);
        return NULL;
}

static void send_reply(int fd, ModctlHookStatus status, int error) {
        ModctlHookReply reply = modctl_hook_make_reply(status, error);
        /* The helper may be gone (the kernel killed its caller): nothing to do about that. */
        (void) send(fd, &reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void connection_reply(Connection *c, ModctlHookStatus status, int error) {
        send_reply(c->fd, status, error);
        connection_free(c);
}

static void on_load_done(const Failure *failure, char **changed, void *userdata) {
        Connection *c = userdata;
        Hook *h = c->hook;

        h->port->request_done(h->userdata, c->name, (int) c->pid, failure);
        if (!failure) {
                log_debug("Kernel request for '%s' (pid %d): loaded.", c->name, (int) c->pid);
                connection_reply(c, MODCTL_HOOK_STATUS_LOADED, 0);
                return;
        }
        /* Cached only while someone tells us when the index or configuration changes. */
        if (failure->kind == FAILURE_NOT_FOUND && h->port->index_is_watched(h->userdata))
                (void) negative_cache_add(h->cache, c->name);
        log_debug("Kernel request for '%s' (pid %d) failed: %s", c->name, (int) c->pid, strempty(failure->message));
        connection_reply(c, MODCTL_HOOK_STATUS_FAILED, failure->error);
}

static void handle_request(Connection *c) {
        Hook *h = c->hook;
        _cleanup_free_ char *normalized = NULL;

        h->stats.requests++;

        if (!module_request_is_valid(c->name)) {
                log_notice("Kernel request for an invalid module name '%s' (pid %d) refused.", c->name, (int) c->pid);
                connection_reply(c, MODCTL_HOOK_STATUS_FAILED, EINVAL);
                return;
        }

        /* A module's init asking for itself, or for a module another job is inserting right now:
         * waiting would deadlock (that insert waits for this helper to exit), and the kernel
         * treats a module that is coming as there, as modprobe does. */
        normalized = module_request_normalize(c->name);
        if (normalized && h->port->module_in_flight(h->userdata, normalized)) {
                h->stats.in_flight++;
                log_debug("Kernel request for '%s' (pid %d): being inserted right now, answered at once.",
                          c->name, (int) c->pid);
                connection_reply(c, MODCTL_HOOK_STATUS_LOADED, 0);
                return;
        }

        if (negative_cache_contains(h->cache, c->name)) {
                h->stats.cache_hits++;
                connection_reply(c, MODCTL_HOOK_STATUS_FAILED, ENOENT);
                return;
        }

        h->stats.cache_misses++;
        if (h->port->load_pending(h->userdata, c->name))
                h->stats.coalesced++;
        log_debug("Kernel request for '%s' (pid %d).", c->name, (int) c->pid);
        /* Who the hook saw: the helper the kernel started, by its peer credentials. */
        Requester who;
        requester_set(&who, c->uid, c->pid, NULL, NULL);
        /* The answer may come back before load() returns; c is not touched after. */
        h->port->load(h->userdata, c->name, &who, on_load_done, c);
}

static void reject(Connection *c, int error, const char *why) {
        unsigned suppressed = 0;

        c->hook->stats.malformed++;
        if (ratelimit_below(&c->hook->log_limit, &suppressed))
                log_warning("Rejected a kernel module request from pid %d on %s: %s (%s); closing the connection. "
                            "(%u similar messages suppressed)",
                            (int) c->pid, c->hook->socket_path, why, strerrorname_np(error) ?: "?", suppressed);
        connection_reply(c, MODCTL_HOOK_STATUS_BAD_REQUEST, error);
}

/* Reads and handles the request. Returns -EAGAIN when it has not arrived yet; otherwise c is
 * answered or handed on, and must not be touched. */
static int connection_receive(Connection *c) {
        char buf[MODCTL_HOOK_REQUEST_MAX];
        ssize_t n;
        int r;

        n = recv(c->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return -EAGAIN;
        if (n <= 0) {
                /* Hung up without asking: nothing to answer. */
                log_debug("Kernel request connection from pid %d closed without a request.", (int) c->pid);
                connection_free(c);
                return 0;
        }

        /* Answered only once the request is read: closing a socket with unread data makes the
         * peer see ECONNRESET instead of our reply. */
        if (c->uid != 0) {
                unsigned suppressed = 0;

                c->hook->stats.refused++;
                if (ratelimit_below(&c->hook->log_limit, &suppressed))
                        log_warning("Refused a kernel module request from uid %u (pid %d) on %s: only root may ask. "
                                    "(%u similar messages suppressed)",
                                    (unsigned) c->uid, (int) c->pid, c->hook->socket_path, suppressed);
                connection_reply(c, MODCTL_HOOK_STATUS_REFUSED, EACCES);
                return 0;
        }

        r = modctl_hook_parse_request(buf, (size_t) n, c->name);
        switch (r) {
        case 0:
                break;
        case -ENODATA:
                reject(c, -r, "the message is shorter than a header");
                return 0;
        case -EPROTONOSUPPORT:
                reject(c, -r, "unsupported protocol version");
                return 0;
        case -EMSGSIZE:
                reject(c, -r, "the message is too large");
                return 0;
        case -EINVAL:
                reject(c, -r, "the name is empty or contains invalid bytes");
                return 0;
        default:
                reject(c, -r, "not a modctl request");
                return 0;
        }

        /* One request per connection: from here on only the answer matters. */
        c->io = sd_event_source_disable_unref(c->io);
        c->timer = sd_event_source_disable_unref(c->timer);
        handle_request(c);
        return 0;
}

static int on_connection_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) connection_receive(userdata);
        return 0;
}

static int on_connection_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;
        reject(c, ETIMEDOUT, "no request within " STRINGIFY(MODCTL_HOOK_RECEIVE_TIMEOUT_SEC) " s");
        return 0;
}

static void accept_one(Hook *h, int fd) {
        sd_event *e = h->port->event(h->userdata);
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        Connection *c;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_warning_errno(-errno, "Cannot read the credentials of a kernel request peer: %m");
                safe_close(fd);
                return;
        }
        c = calloc(1, sizeof(Connection));
        if (!c) {
                log_oom();
                safe_close(fd);
                return;
        }
        c->fd = fd;
        c->pid = cred.pid;
        c->uid = cred.uid;  /* checked when the request arrives */
        c->hook = h;
        h->n_connections++;
        c->next = h->connections;
        if (c->next)
                c->next->prev = c;
        h->connections = c;

        /* The helper sends right after connect(), so the request is usually queued already:
         * answering it now saves a trip around the event loop and a timer. */
        if (connection_receive(c) != -EAGAIN)
                return;

        r = sd_event_add_io(e, &c->io, fd, EPOLLIN, on_connection_io, c);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC,
                                               MODCTL_HOOK_RECEIVE_TIMEOUT_SEC * USEC_PER_SEC, 0,
                                               on_connection_timeout, c);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch a kernel request connection: %m");
                connection_free(c);
        }
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        Hook *h = userdata;

        h->resume_timer = sd_event_source_disable_unref(h->resume_timer);
        hook_resume(h);
        return 0;
}

/* Stop accepting: the listening socket stays readable while connections wait in its backlog,
 * so an event loop that could not accept them would spin. retry_usec > 0: also try again
 * after that long (out of fds: a close elsewhere may free one without us noticing). */
static void hook_pause(Hook *h, uint64_t retry_usec) {
        if (!h->paused) {
                h->paused = true;
                (void) sd_event_source_set_enabled(h->listen_source, SD_EVENT_OFF);
        }
        if (retry_usec > 0 && !h->resume_timer)
                (void) sd_event_add_time_relative(h->port->event(h->userdata), &h->resume_timer, CLOCK_MONOTONIC, retry_usec,
                                                  0, on_resume, h);
}

static void hook_resume(Hook *h) {
        if (!h->paused || !h->listen_source || h->n_connections >= HOOK_CONNECTIONS_MAX)
                return;
        h->paused = false;
        h->resume_timer = sd_event_source_disable_unref(h->resume_timer);
        (void) sd_event_source_set_enabled(h->listen_source, SD_EVENT_ON);
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Hook *h = userdata;

        /* Take everything that is queued: a storm of helpers arrives at once. */
        for (;;) {
                if (h->n_connections >= HOOK_CONNECTIONS_MAX) {
                        unsigned suppressed = 0;
                        if (ratelimit_below(&h->log_limit, &suppressed))
                                log_warning("%u kernel request connections open on %s; accepting more once some "
                                            "close. (%u similar messages suppressed)",
                                            h->n_connections, h->socket_path, suppressed);
                        hook_pause(h, 0);
                        return 0;
                }

                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        int r = -errno;
                        unsigned suppressed = 0;

                        if (r == -EAGAIN || r == -EINTR || r == -ECONNABORTED)
                                return 0;
                        if (ratelimit_below(&h->log_limit, &suppressed))
                                log_warning_errno(r, "Cannot accept a kernel request on %s: %m; pausing the listener. "
                                                  "(%u similar messages suppressed)", h->socket_path, suppressed);
                        /* EMFILE, ENFILE, ENOBUFS, ENOMEM: wait for resources instead of spinning. */
                        hook_pause(h, HOOK_PAUSE_USEC);
                        return 0;
                }
                accept_one(h, cfd);
        }
}

static void hook_forget_missing(void *userdata) {
        Hook *h = userdata;

        if (negative_cache_size(h->cache) > 0)
                log_debug("Module index or modprobe.d changed; forgetting %zu missing module names.",
                          negative_cache_size(h->cache));
        negative_cache_clear(h->cache);
}

/* The socket from systemd (modctld-request.socket), if it passed one for our path. */
static int socket_from_systemd(Hook *h) {
        int n = sd_listen_fds(false);
        for (int fd = SD_LISTEN_FDS_START; n > 0 && fd < SD_LISTEN_FDS_START + n; fd++)
                if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, h->socket_path, 0) > 0)
                        return fd;
        return -ENOENT;
}

static int socket_create(Hook *h, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -EBADF;
        size_t n = strlen(h->socket_path);
        _cleanup_free_ char *dir = strdup(h->socket_path);

        if (!dir)
                return -ENOMEM;
        if (n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, h->socket_path, n + 1);

        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        /* A socket file left by a daemon that died is stale; one that answers belongs to a
         * daemon that is still running, which keeps it. */
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0)
                return -EADDRINUSE;
        safe_close(fd);
        (void) unlink(h->socket_path);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* Only the kernel's helper (root) has any business here: others cannot even connect,
         * so they cannot hold connections or file descriptors of the daemon. SO_PEERCRED is
         * checked as well. */
        if (chmod(h->socket_path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
                int r = -errno;
                (void) unlink(h->socket_path);
                return r;
        }
        *ret = TAKE_FD(fd);
        return 0;
}

static const ManagerEvents hook_events = {
        .index_changed = hook_forget_missing,
};

int hook_new(const HookPort *port, void *userdata, const HookConfig *config, Hook **ret) {
        _cleanup_(hook_freep) Hook *h = NULL;
        const char *path = config && config->socket_path ? config->socket_path : MODCTL_HOOK_SOCKET;
        int r;

        assert(port);
        assert(ret);

        h = calloc(1, sizeof(Hook));
        if (!h)
                return -ENOMEM;
        h->port = port;
        h->userdata = userdata;
        h->fd = -EBADF;
        h->log_limit = RATELIMIT_INIT(10 * USEC_PER_SEC, 10);
        h->socket_path = strdup(path);
        if (!h->socket_path)
                return -ENOMEM;
        const char *slash = strrchr(path, '/');
        if (asprintf(&h->fallback_path, "%.*s/%s", slash ? (int) (slash - path) : 1, slash ? path : ".",
                     MODCTL_HOOK_FALLBACK_FILE) < 0)
                return -ENOMEM;
        r = negative_cache_new(NEGATIVE_CACHE_MAX, &h->cache);
        if (r < 0)
                return r;
        r = port->add_listener(userdata, &hook_events, h);
        if (r < 0)
                return r;
        h->listening = true;

        *ret = TAKE_PTR(h);
        return 0;
}

int hook_start(Hook *h) {
        sd_event *e;
        int r;

        assert(h);
        e = h->port->event(h->userdata);

        h->fd = socket_from_systemd(h);
        if (h->fd < 0) {
                r = socket_create(h, &h->fd);
                if (r < 0)
                        return log_error_errno(r, "Cannot listen on %s for kernel module requests: %m", h->socket_path);
                h->socket_created = true;
        } else {
                int flags = fcntl(h->fd, F_GETFL);
                if (flags >= 0)
                        (void) fcntl(h->fd, F_SETFL, flags | O_NONBLOCK);
        }

        r = sd_event_add_io(e, &h->listen_source, h->fd, EPOLLIN, on_listen, h);
        if (r < 0)
                return log_error_errno(r, "Cannot watch %s: %m", h->socket_path);
        (void) sd_event_source_set_description(h->listen_source, "hook-listen");

        log_info("Serving kernel module requests on %s.", h->socket_path);
        return 0;
}

void hook_get_statistics(Hook *h, HookStatistics *ret) {
        struct stat st;

        assert(ret);

        *ret = h ? h->stats : (HookStatistics) {};
        if (h && stat(h->fallback_path, &st) >= 0)
                ret->fallbacks = (uint64_t) st.st_size;  /* one byte per fallback */
}

Hook *hook_free(Hook *h) {
        if (!h)
                return NULL;

        if (h->listening)
                h->port->remove_listener(h->userdata, &hook_events, h);
        h->listen_source = sd_event_source_disable_unref(h->listen_source);
        h->resume_timer = sd_event_source_disable_unref(h->resume_timer);
        while (h->connections)
                connection_free(h->connections);
        if (h->socket_created)
                (void) unlink(h->socket_path);
        safe_close(h->fd);
        negative_cache_free(h->cache);
        free(h->fallback_path);
        free(h->socket_path);
        free(h);
        return NULL;
}
