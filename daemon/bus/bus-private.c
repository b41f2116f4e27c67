/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus/bus-private.h"
#include "common/log.h"
#include "common/macro.h"

typedef struct PrivateConnection PrivateConnection;

struct PrivateConnection {
        sd_bus *bus;
        BusPrivate *owner;
        PrivateConnection *prev, *next;
};

struct BusPrivate {
        sd_event *event;
        bus_private_publish_t publish;  /* puts the objects on each new connection */
        void *userdata;
        char *path;
        int fd;
        sd_event_source *source;
        PrivateConnection *connections;
};

static PrivateConnection *connection_free(PrivateConnection *c) {
        if (!c)
                return NULL;
        if (c->prev)
                c->prev->next = c->next;
        else if (c->owner)
                c->owner->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        sd_bus_flush_close_unref(c->bus);
        free(c);
        return NULL;
}

BusPrivate *bus_private_free(BusPrivate *p) {
        if (!p)
                return NULL;
        while (p->connections)
                connection_free(p->connections);
        sd_event_source_disable_unref(p->source);
        if (p->fd >= 0) {
                safe_close(p->fd);
                (void) unlink(p->path);
        }
        free(p->path);
        free(p);
        return NULL;
}

static int on_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        PrivateConnection *c = userdata;

        log_debug("Private connection closed.");
        connection_free(c);
        return 0;
}

static int on_connection(sd_event_source *s, int listen_fd, uint32_t revents, void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        BusPrivate *p = userdata;
        PrivateConnection *c;
        struct ucred ucred;
        socklen_t len = sizeof(ucred);
        sd_id128_t id;
        int fd, r;

        fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(-errno, "Failed to accept a private connection: %m");
                return 0;
        }

        /* The socket is 0600 already; this holds even if someone loosened its mode. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &len) < 0 || ucred.uid != 0) {
                log_warning("Refused a private connection from uid %d: only root may use %s.",
                            len == sizeof(ucred) ? (int) ucred.uid : -1, p->path);
                safe_close(fd);
                return 0;
        }

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0) {
                safe_close(fd);
                return log_warning_errno(r, "Failed to set up a private connection: %m"), 0;
        }
        r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(bus, true, id);
        if (r >= 0)
                r = sd_bus_set_description(bus, "private");
        if (r >= 0)
                r = p->publish(bus, p->userdata);
        if (r >= 0)
                r = sd_bus_attach_event(bus, p->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_warning_errno(r, "Failed to set up a private connection: %m"), 0;

        c = calloc(1, sizeof(*c));
        if (!c)
                return log_oom(), 0;
        r = sd_bus_match_signal(bus, NULL, NULL, "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                "Disconnected", on_disconnected, c);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                free(c);
                return log_warning_errno(r, "Failed to start a private connection: %m"), 0;
        }

        c->bus = TAKE_PTR(bus);
        c->owner = p;
        c->next = p->connections;
        if (c->next)
                c->next->prev = c;
        p->connections = c;
        log_debug("Private connection from pid %d.", (int) ucred.pid);
        return 0;
}

static int listen_socket(const char *path, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(path);
        _cleanup_free_ char *dir = strdup(path);
        int fd;

        if (!dir)
                return -ENOMEM;
        if (n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, n + 1);

        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A socket answering belongs to a running daemon; a silent one was left behind. */
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0) {
                safe_close(fd);
                return -EADDRINUSE;
        }
        safe_close(fd);
        (void) unlink(path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Bound with umask 077 so no moment exists where others could connect. */
        mode_t old = umask(0077);
        int b = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (b < 0 || chmod(path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
                int r = -errno;
                safe_close(fd);
                (void) unlink(path);
                return r;
        }
        *ret = fd;
        return 0;
}

int bus_private_start(sd_event *event, const char *path, bus_private_publish_t publish, void *userdata,
                      BusPrivate **ret) {
        BusPrivate *p;
        int r;

        assert(event);
        assert(publish);
        assert(ret);

        p = calloc(1, sizeof(*p));
        if (!p)
                return log_oom();
        p->event = event;
        p->publish = publish;
        p->userdata = userdata;
        p->fd = -EBADF;
        p->path = strdup(path ?: BUS_PRIVATE_SOCKET_DEFAULT);
        if (!p->path) {
                bus_private_free(p);
                return log_oom();
        }

        r = listen_socket(p->path, &p->fd);
        if (r < 0) {
                bus_private_free(p);
                return log_error_errno(r, "Failed to listen on the private socket %s: %m",
                                       path ?: BUS_PRIVATE_SOCKET_DEFAULT);
        }
        r = sd_event_add_io(event, &p->source, p->fd, EPOLLIN, on_connection, p);
        if (r < 0) {
                bus_private_free(p);
                return log_error_errno(r, "Failed to watch the private socket: %m");
        }

        *ret = p;
        return 0;
}
