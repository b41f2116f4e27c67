/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libudev.h>

#include "common/strv.h"
#include "common/module-name.h"
#include "sources/udev.h"

struct DeviceMonitor {
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *source;
        const char *source_name;
        device_added_t handler;
        void *userdata;
};

DeviceMonitor *device_monitor_free(DeviceMonitor *d) {
        if (!d)
                return NULL;
        sd_event_source_disable_unref(d->source);
        udev_monitor_unref(d->monitor);
        udev_unref(d->udev);
        free(d);
        return NULL;
}

const char *device_monitor_source(DeviceMonitor *d) {
        assert(d);

        return d->source_name;
}

static int on_device(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DeviceMonitor *d = userdata;

        /* Non-blocking socket: drain what is queued. */
        for (;;) {
                struct udev_device *dev = udev_monitor_receive_device(d->monitor);
                if (!dev)
                        return 0;
                const char *action = udev_device_get_action(dev);
                const char *alias = udev_device_get_property_value(dev, "MODALIAS");
                if (action && strcmp(action, "add") == 0 && alias && *alias)
                        d->handler(alias, strempty(udev_device_get_syspath(dev)), d->userdata);
                udev_device_unref(dev);
        }
}

int device_monitor_new(sd_event *event, const char *udev_control, device_added_t handler, void *userdata,
                       DeviceMonitor **ret) {
        _cleanup_(device_monitor_freep) DeviceMonitor *d = NULL;
        int r;

        assert(ret);

        d = calloc(1, sizeof(DeviceMonitor));
        if (!d)
                return -ENOMEM;
        d->handler = handler;
        d->userdata = userdata;
        d->udev = udev_new();
        if (!d->udev)
                return negative_errno();

        /* With udevd running, the kernel source would race it: take the events after its rules. */
        d->source_name = udev_control && access(udev_control, F_OK) >= 0 ? "udev" : "kernel";
        d->monitor = udev_monitor_new_from_netlink(d->udev, d->source_name);
        if (!d->monitor)
                return negative_errno();
        r = udev_monitor_enable_receiving(d->monitor);
        if (r < 0)
                return r;
        /* A burst of hotplug (a dock, a USB hub) must not overflow the socket; best effort. */
        (void) udev_monitor_set_receive_buffer_size(d->monitor, 8 * 1024 * 1024);
        r = sd_event_add_io(event, &d->source, udev_monitor_get_fd(d->monitor), EPOLLIN, on_device, d);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(d->source, "device-uevent");

        *ret = TAKE_PTR(d);
        return 0;
}

/* The whole file, however long: a CPU's modalias lists every feature flag (600 bytes on qemu's
 * -cpu max), and a cut-off alias would match other modules or none. */
static int read_modalias(int dirfd, char **ret) {
        _cleanup_(closep) int fd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[MODULE_ALIAS_MAX + 2];
        size_t len = 0;

        if (fd < 0)
                return -errno;
        while (len < sizeof(buf) - 1) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (!buf[0])
                return -ENODATA;
        if (!module_alias_is_valid(buf))
                return -E2BIG; /* longer than a page, or not an alias at all */
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* Depth-first over real directories only: sysfs links (subsystem, driver, device, ...) would
 * lead back into the tree and show devices twice. */
static int walk(int dirfd, unsigned depth, char ***aliases) {
        _cleanup_free_ char *alias = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        r = read_modalias(dirfd, &alias);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && !strv_contains(*aliases, alias)) {
                r = strv_push(aliases, TAKE_PTR(alias));
                if (r < 0)
                        return r;
        }
        if (depth > 64)
                return 0;

        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        r = 0;
        for (struct dirent *de; (de = readdir(d)); ) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_(closep) int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0)
                        continue; /* gone meanwhile, or not ours to read */
                r = walk(sub, depth + 1, aliases);
                if (r < 0)
                        break;
        }
        return r;
}

int devices_enumerate_modaliases(const char *sysfs, char ***ret) {
        _cleanup_(strv_freep) char **aliases = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        int r;

        assert(ret);

        if (asprintf(&path, "%s/devices", sysfs) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = walk(fd, 0, &aliases);
        if (r < 0)
                return r;
        if (!aliases) {
                aliases = calloc(1, sizeof(char *));
                if (!aliases)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(aliases);
        return 0;
}

/* ---- the walk on its own thread ---- */

struct DeviceEnumeration {
        char *sysfs;
        pthread_t thread;
        bool joined;
        int result;             /* written by the thread before it signals */
        char **aliases;         /* likewise */
        int fd;                 /* eventfd: the thread is done */
        sd_event_source *source;
        devices_enumerated_t done;
        void *userdata;
};

static void *enumeration_thread(void *userdata) {
        DeviceEnumeration *e = userdata;
        uint64_t one = 1;

        e->result = devices_enumerate_modaliases(e->sysfs, &e->aliases);
        (void) !write(e->fd, &one, sizeof(one));
        return NULL;
}

static void enumeration_join(DeviceEnumeration *e) {
        if (!e->joined) {
                (void) pthread_join(e->thread, NULL);
                e->joined = true;
        }
}

static int on_enumerated(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DeviceEnumeration *e = userdata;
        char **aliases;
        int result;

        enumeration_join(e);
        e->source = sd_event_source_disable_unref(e->source);
        aliases = TAKE_PTR(e->aliases);
        result = e->result;
        /* The callback owns the list and may free e. */
        e->done(result, aliases, e->userdata);
        return 0;
}

DeviceEnumeration *device_enumeration_free(DeviceEnumeration *e) {
        if (!e)
                return NULL;
        /* The walk has no way to stop early; it is short (a few hundred directories). */
        enumeration_join(e);
        sd_event_source_disable_unref(e->source);
        safe_close(e->fd);
        strv_free(e->aliases);
        free(e->sysfs);
        free(e);
        return NULL;
}

int devices_enumerate_async(sd_event *event, const char *sysfs, devices_enumerated_t done, void *userdata,
                            DeviceEnumeration **ret) {
        _cleanup_(device_enumeration_freep) DeviceEnumeration *e = NULL;
        int r;

        assert(event);
        assert(sysfs);
        assert(done);
        assert(ret);

        e = calloc(1, sizeof(DeviceEnumeration));
        if (!e)
                return -ENOMEM;
        e->joined = true; /* until the thread exists */
        e->done = done;
        e->userdata = userdata;
        e->sysfs = strdup(sysfs);
        if (!e->sysfs)
                return -ENOMEM;
        e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (e->fd < 0)
                return -errno;
        r = sd_event_add_io(event, &e->source, e->fd, EPOLLIN, on_enumerated, e);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(e->source, "coldplug-walk");

        r = -pthread_create(&e->thread, NULL, enumeration_thread, e);
        if (r < 0)
                return r;
        e->joined = false;
        *ret = TAKE_PTR(e);
        return 0;
}
