/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
/* The real kernel backend: the only code in modctl that inserts, removes or inspects modules
 * of the running kernel. Also the helpers shared by both backends. */

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libudev.h>

#include "common/module-name.h"
#include "kernel/kernel.h"
#include "kernel/command.h"
#include "common/array-util.h"
#include "common/macro.h"
#include "common/strv.h"
#include "kernel/trusted-keys.h"

#define IN_SET_ACCESS(r) ((r) == -EACCES || (r) == -EPERM)

void kernel_module_done(KernelModule *m) {
        if (!m)
                return;
        free(m->name);
        strv_free(m->holders);
        free(m->taint);
        *m = (KernelModule) {};
}

DEFINE_ARRAY_FREE_FUNC(kernel_module_array_free, KernelModule, kernel_module_done);

static const char * const state_table[_KERNEL_MODULE_STATE_MAX] = {
        [KERNEL_MODULE_ABSENT] = "absent",
        [KERNEL_MODULE_BUILTIN] = "builtin",
        [KERNEL_MODULE_LIVE] = "live",
        [KERNEL_MODULE_COMING] = "coming",
        [KERNEL_MODULE_GOING] = "going",
};

const char *kernel_module_state_to_string(KernelModuleState s) {
        if ((int) s < 0 || s >= _KERNEL_MODULE_STATE_MAX)
                return NULL;
        return state_table[s];
}

const char *kernel_insert_error_hint(int error) {
        switch (abs(error)) {
        case ENOEXEC:
                return "the file is not a valid module for this kernel";
        case ENOENT:
        case EINVAL:
                return "unknown symbol or parameter, see the kernel log";
        case EEXIST:
                return "already loaded";
        case ENODEV:
                return "the module's init found no matching device";
        case EKEYREJECTED:
        case EBADMSG:
                return "signature rejected";
        case ENOKEY:
                return "required key not available (signature enforcement)";
        case EKEYEXPIRED:
                return "the signing key has expired";
        case EPERM:
                return "not permitted (missing CAP_SYS_MODULE, or module loading disabled)";
        case EACCES:
                return "access denied by a security policy or a noexec mount";
        case ETXTBSY:
                return "the module file is open for writing";
        case EBUSY:
                return "the module's init found its device or resource busy";
        case ENOMEM:
                return "out of kernel memory";
        case ENOSPC:
                return "the module's init ran out of a kernel resource";
        case EFAULT:
                return "bad address inside the module or its init";
        case EFBIG:
                return "the module file is too large";
        case EOPNOTSUPP:
                return "the kernel cannot decompress this module";
        case ENOSYS:
                return "the kernel has no module support";
        case ETIMEDOUT:
                return "the module's init timed out";
        case EIO:
                return "the module's init failed with an I/O error, see the kernel log";
        default:
                return "see the kernel log";
        }
}

typedef struct RealKernel {
        Kernel base;
        char *root;              /* "" for the live system */
        char *decompression;     /* read once at creation: it cannot change while we run */
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *source;
        kernel_event_handler_t handler;
        void *userdata;
} RealKernel;

static RealKernel *real_kernel(Kernel *k) {
        return (RealKernel *) k;
}

/* The first line of a small sysfs file, without its newline. */
static int read_one_line(const char *path, char **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *line = NULL;
        size_t allocated = 0;
        ssize_t n;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        errno = 0;
        n = getline(&line, &allocated, f);
        if (n < 0) {
                if (errno > 0)
                        return -errno;
                n = 0;
                free(line);
                line = strdup("");
                if (!line)
                        return -ENOMEM;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
                line[--n] = '\0';
        *ret = TAKE_PTR(line);
        return 0;
}

static int real_insert(Kernel *k, const char *name, int fd, const char *params, unsigned flags) {
        if (fd < 0)
                return -EBADF;
        if (syscall(SYS_finit_module, fd, params ?: "", flags) < 0)
                return negative_errno();
        return 0;
}

static int real_remove(Kernel *k, const char *name) {
        char n[MODULE_NAME_LEN];
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        if (syscall(SYS_delete_module, n, O_NONBLOCK) < 0)
                return negative_errno();
        return 0;
}

static int real_get_state(Kernel *k, const char *name, KernelModuleState *ret) {
        RealKernel *rk = real_kernel(k);
        _cleanup_(freep) char *dir = NULL, *path = NULL, *state = NULL;
        char n[MODULE_NAME_LEN];
        KernelModuleState s;
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/sys/module/%s", rk->root, n) < 0 ||
            asprintf(&path, "%s/initstate", dir) < 0)
                return -ENOMEM;

        r = read_one_line(path, &state);
        if (r == -ENOENT) {
                /* Built-in modules get a /sys/module directory (for their parameters or
                 * version) but no initstate, which only loadable modules have. */
                if (access(dir, F_OK) < 0) {
                        if (errno != ENOENT)
                                return -errno;
                        *ret = KERNEL_MODULE_ABSENT;
                } else
                        *ret = KERNEL_MODULE_BUILTIN;
                return 0;
        }
        if (r < 0)
                return r;

        if (strcmp(state, "live") == 0)
                s = KERNEL_MODULE_LIVE;
        else if (strcmp(state, "coming") == 0)
                s = KERNEL_MODULE_COMING;
        else if (strcmp(state, "going") == 0)
                s = KERNEL_MODULE_GOING;
        else
                return -EBADMSG;
        *ret = s;
        return 0;
}

/* Splits the "used by" column: "a,b," or "-", possibly with "[permanent]," for a module
 * that has an init but no exit function and so can never be removed. */
static int parse_holders(const char *column, char ***ret, bool *ret_permanent) {
        _cleanup_(strv_freep) char **l = NULL;
        _cleanup_(freep) char *copy = NULL;
        bool permanent = false;
        size_t n = 0;
        char *p, *word;

        if (strcmp(column, "-") != 0) {
                copy = strdup(column);
                if (!copy)
                        return -ENOMEM;
                p = copy;
                while ((word = strsep(&p, ","))) {
                        char **nl;

                        if (word[0] == '\0')
                                continue;
                        if (strcmp(word, "[permanent]") == 0) {
                                permanent = true;
                                continue;
                        }
                        nl = reallocarray(l, n + 2, sizeof(char *));
                        if (!nl)
                                return -ENOMEM;
                        l = nl;
                        l[n] = strdup(word);
                        if (!l[n])
                                return -ENOMEM;
                        l[++n] = NULL;
                }
        }
        *ret = TAKE_PTR(l);
        *ret_permanent = permanent;
        return 0;
}

/* One line of /proc/modules: "name size refcount holders state address [(taint)]".
 * Without CONFIG_MODULE_UNLOAD refcount and holders are both "-". */
static int parse_proc_modules_line(const char *line, KernelModule *ret) {
        _cleanup_(freep) char *copy = NULL;
        _cleanup_(strv_freep) char **holders = NULL;
        _cleanup_(freep) char *name = NULL, *taint = NULL;
        char *fields[7] = {}, *p, *end;
        unsigned long long size;
        size_t n = 0;
        bool permanent;
        int refcount, r;
        KernelModuleState state;

        copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        p = copy;
        while (n < ELEMENTSOF(fields)) {
                char *w = strsep(&p, " \t\n");
                if (!w)
                        break;
                if (w[0] != '\0')
                        fields[n++] = w;
        }
        if (n < 5)
                return -EBADMSG;

        errno = 0;
        size = strtoull(fields[1], &end, 10);
        if (errno != 0 || *end != '\0')
                return -EBADMSG;

        if (strcmp(fields[2], "-") == 0)
                refcount = -1;
        else {
                long v;

                errno = 0;
                v = strtol(fields[2], &end, 10);
                if (errno != 0 || *end != '\0' || v < -1 || v > INT_MAX)
                        return -EBADMSG;
                /* A module being removed prints -1: delete_module() has taken the base
                 * reference away (module_refcount() is refcnt - MODULE_REF_BASE). Nobody
                 * holds it. */
                refcount = v < 0 ? 0 : (int) v;
        }

        r = parse_holders(fields[3], &holders, &permanent);
        if (r < 0)
                return r;
        if (permanent)
                refcount = -1;

        if (strcmp(fields[4], "Live") == 0)
                state = KERNEL_MODULE_LIVE;
        else if (strcmp(fields[4], "Loading") == 0)
                state = KERNEL_MODULE_COMING;
        else if (strcmp(fields[4], "Unloading") == 0)
                state = KERNEL_MODULE_GOING;
        else
                return -EBADMSG;

        /* The address may be missing on exotic configurations; the taint is the only field in
         * parentheses, so look for it rather than counting. */
        const char *t = "";
        for (size_t i = 5; i < n; i++) {
                size_t l = strlen(fields[i]);
                if (l >= 2 && fields[i][0] == '(' && fields[i][l - 1] == ')') {
                        fields[i][l - 1] = '\0';
                        t = fields[i] + 1;
                }
        }

        name = strdup(fields[0]);
        taint = strdup(t);
        if (!name || !taint)
                return -ENOMEM;

        *ret = (KernelModule) {
                .name = TAKE_PTR(name),
                .size = size,
                .refcount = refcount,
                .holders = TAKE_PTR(holders),
                .state = state,
                .taint = TAKE_PTR(taint),
        };
        return 0;
}

static int open_proc_modules(RealKernel *rk, FILE **ret) {
        _cleanup_(freep) char *path = NULL;
        FILE *f;

        if (asprintf(&path, "%s/proc/modules", rk->root) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        *ret = f;
        return 0;
}

static int real_get(Kernel *k, const char *name, KernelModule *ret) {
        RealKernel *rk = real_kernel(k);
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *line = NULL;
        char n[MODULE_NAME_LEN];
        size_t allocated = 0, len;
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        r = open_proc_modules(rk, &f);
        if (r < 0)
                return r; /* -ENOENT without module support: nothing is loaded */

        len = strlen(n);
        while (getline(&line, &allocated, f) >= 0)
                if (strncmp(line, n, len) == 0 && line[len] == ' ')
                        return parse_proc_modules_line(line, ret);
        return -ENOENT;
}

static int real_list(Kernel *k, KernelModule **ret, size_t *ret_n) {
        RealKernel *rk = real_kernel(k);
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *line = NULL;
        KernelModule *l = NULL;
        size_t allocated = 0, n = 0;
        int r;

        r = open_proc_modules(rk, &f);
        if (r == -ENOENT) {
                /* A kernel without module support has no /proc/modules and no modules. */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;

        while (getline(&line, &allocated, f) >= 0) {
                KernelModule *nl;

                if (line[0] == '\n' || line[0] == '\0')
                        continue;
                nl = reallocarray(l, n + 1, sizeof(KernelModule));
                if (!nl) {
                        kernel_module_array_free(l, n);
                        return -ENOMEM;
                }
                l = nl;
                r = parse_proc_modules_line(line, &l[n]);
                if (r < 0) {
                        kernel_module_array_free(l, n);
                        return r;
                }
                n++;
        }

        *ret = l;
        *ret_n = n;
        return 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* A parameter's value as sysfs prints it; arrays and strings are one line, but be lenient. */
static int read_parameter(int dir_fd, const char *name, char **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        int fd;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        buf = malloc(4097);
        if (!buf)
                return -ENOMEM;
        size = fread(buf, 1, 4096, f);
        if (ferror(f))
                return -errno ?: -EIO;
        while (size > 0 && buf[size - 1] == '\n')
                size--;
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static int real_get_parameters(Kernel *k, const char *name, bool world_readable_only, char ***ret) {
        RealKernel *rk = real_kernel(k);
        _cleanup_(freep) char *dir = NULL;
        _cleanup_(strv_freep) char **names = NULL, **pairs = NULL;
        char n[MODULE_NAME_LEN];
        size_t n_names = 0;
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/sys/module/%s", rk->root, n) < 0)
                return -ENOMEM;
        if (access(dir, F_OK) < 0)
                return -errno;
        free(dir);
        if (asprintf(&dir, "%s/sys/module/%s/parameters", rk->root, n) < 0)
                return -ENOMEM;

        d = opendir(dir);
        if (!d && errno != ENOENT)
                return -errno;
        for (struct dirent *de; d && (de = readdir(d)); ) {
                char **nl;

                if (de->d_name[0] == '.')
                        continue;
                nl = reallocarray(names, n_names + 2, sizeof(char *));
                if (!nl)
                        return -ENOMEM;
                names = nl;
                names[n_names] = strdup(de->d_name);
                names[n_names + 1] = NULL;
                if (!names[n_names])
                        return -ENOMEM;
                n_names++;
        }
        if (n_names > 0)
                qsort(names, n_names, sizeof(char *), compare_names);

        pairs = calloc(2 * n_names + 1, sizeof(char *));
        if (!pairs)
                return -ENOMEM;
        size_t n_pairs = 0;
        for (size_t i = 0; i < n_names; i++) {
                _cleanup_free_ char *value = NULL;
                struct stat st;

                /* We read as root: what a 0400/0600 parameter holds is not for everyone. */
                if (world_readable_only &&
                    (fstatat(dirfd(d), names[i], &st, 0) < 0 || !(st.st_mode & S_IROTH)))
                        continue;
                r = read_parameter(dirfd(d), names[i], &value);
                if (IN_SET_ACCESS(r))
                        continue; /* write-only (0200) parameters have no value to show */
                if (r < 0)
                        return r;
                pairs[n_pairs] = strdup(names[i]);
                if (!pairs[n_pairs])
                        return -ENOMEM;
                pairs[n_pairs + 1] = TAKE_PTR(value);
                n_pairs += 2;
        }

        *ret = TAKE_PTR(pairs);
        return 0;
}

static const char *real_decompression(Kernel *k) {
        return real_kernel(k)->decompression;
}

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RealKernel *rk = userdata;

        /* The socket is non-blocking: drain everything that is queued. */
        for (;;) {
                struct udev_device *d;
                const char *action, *sysname;

                d = udev_monitor_receive_device(rk->monitor);
                if (!d)
                        break;
                action = udev_device_get_action(d);
                sysname = udev_device_get_sysname(d);
                if (action && sysname) {
                        if (strcmp(action, "add") == 0)
                                rk->handler(KERNEL_EVENT_ADD, sysname, rk->userdata);
                        else if (strcmp(action, "remove") == 0)
                                rk->handler(KERNEL_EVENT_REMOVE, sysname, rk->userdata);
                }
                udev_device_unref(d);
        }
        return 0;
}

static int real_watch(Kernel *k, sd_event *event, kernel_event_handler_t handler, void *userdata) {
        RealKernel *rk = real_kernel(k);
        int r;

        if (!event || !handler)
                return -EINVAL;
        if (rk->source)
                return -EBUSY;

        if (!rk->udev) {
                rk->udev = udev_new();
                if (!rk->udev)
                        return negative_errno();
        }
        /* Straight from the kernel, not from udevd: module events need no rules, and we must
         * see them even where udevd is not running (early boot, the test VM). */
        rk->monitor = udev_monitor_new_from_netlink(rk->udev, "kernel");
        if (!rk->monitor)
                return negative_errno();
        r = udev_monitor_filter_add_match_subsystem_devtype(rk->monitor, "module", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(rk->monitor);
        if (r >= 0) {
                /* Bursts of loads at boot must not overflow the socket; best effort. */
                (void) udev_monitor_set_receive_buffer_size(rk->monitor, 4 * 1024 * 1024);
                rk->handler = handler;
                rk->userdata = userdata;
                r = sd_event_add_io(event, &rk->source, udev_monitor_get_fd(rk->monitor), EPOLLIN,
                                    on_uevent, rk);
        }
        if (r < 0) {
                rk->monitor = udev_monitor_unref(rk->monitor);
                rk->handler = NULL;
                return r;
        }
        (void) sd_event_source_set_description(rk->source, "kernel-uevent");
        /* Ahead of everything else: who caused a module event is known from the job in flight. */
        (void) sd_event_source_set_priority(rk->source, SD_EVENT_PRIORITY_IMPORTANT);
        return 0;
}

static void real_dispatch_events(Kernel *k) {
        RealKernel *rk = real_kernel(k);

        if (rk->source)
                (void) on_uevent(rk->source, udev_monitor_get_fd(rk->monitor), EPOLLIN, rk);
}

/* The trusted keyrings can be listed and their keys described as root, but not searched or
 * read (keyctl search/pkey_query give EACCES, read EOPNOTSUPP on Debian's kernel). /proc/keys
 * names the keyrings; KEYCTL_READ on each lists its keys and linked keyrings; KEYCTL_DESCRIBE
 * gives "type;uid;gid;perm;description". Which keyrings count: trusted-keys.h. */
static long real_keyring_read(int32_t id, int32_t *ids, size_t size, void *userdata) {
        long n = syscall(SYS_keyctl, KEYCTL_READ, id, ids, size);
        return n < 0 ? -errno : n;
}

static long real_keyring_describe(int32_t id, char *buf, size_t size, void *userdata) {
        long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, buf, size);
        return n < 0 ? -errno : n;
}

static int real_trusted_keys(Kernel *k, char ***ret) {
        static const KeyringOps ops = { .read = real_keyring_read, .describe = real_keyring_describe };
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/proc/keys", real_kernel(k)->root) < 0)
                return -ENOMEM;
        return trusted_keys_walk(path, &ops, NULL, ret);
}

/* The kernel keeps at most KMOD_PATH_LEN (256) bytes, including the NUL. */
#define MODPROBE_PATH_MAX 255

static int real_get_modprobe_path(Kernel *k, char **ret) {
        _cleanup_(freep) char *path = NULL;

        if (asprintf(&path, "%s/proc/sys/kernel/modprobe", real_kernel(k)->root) < 0)
                return -ENOMEM;
        return read_one_line(path, ret);
}

static int real_get_cmdline(Kernel *k, char **ret) {
        _cleanup_(freep) char *path = NULL;

        if (asprintf(&path, "%s/proc/cmdline", real_kernel(k)->root) < 0)
                return -ENOMEM;
        return read_one_line(path, ret);
}

static int real_set_modprobe_path(Kernel *k, const char *value) {
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        size_t n = strlen(value);

        if (n > MODPROBE_PATH_MAX)
                return -ENAMETOOLONG;
        if (asprintf(&path, "%s/proc/sys/kernel/modprobe", real_kernel(k)->root) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* An empty value switches request_module() off; the kernel wants the newline then. */
        ssize_t w = n > 0 ? write(fd, value, n) : write(fd, "\n", 1);
        if (w < 0)
                return -errno;
        if ((size_t) w != MAX(n, (size_t) 1))
                return -EIO;
        return 0;
}

static void real_free(Kernel *k) {
        RealKernel *rk = real_kernel(k);

        sd_event_source_disable_unref(rk->source);
        udev_monitor_unref(rk->monitor);
        udev_unref(rk->udev);
        free(rk->decompression);
        free(rk->root);
        free(rk);
}

static int real_run_command(Kernel *k, const char *command, const char *module, const char *options,
                            uint64_t timeout_usec, int *ret_status) {
        return command_run(command, module, options, timeout_usec, ret_status);
}

static const KernelOps real_ops = {
        .backend = "real",
        .insert = real_insert,
        .remove = real_remove,
        .get_state = real_get_state,
        .get = real_get,
        .list = real_list,
        .get_parameters = real_get_parameters,
        .dispatch_events = real_dispatch_events,
        .decompression = real_decompression,
        .trusted_keys = real_trusted_keys,
        .watch = real_watch,
        .get_modprobe_path = real_get_modprobe_path,
        .set_modprobe_path = real_set_modprobe_path,
        .get_cmdline = real_get_cmdline,
        .run_command = real_run_command,
        .free = real_free,
};

int kernel_new_real_at(const char *root, Kernel **ret) {
        _cleanup_(freep) char *path = NULL;
        RealKernel *rk;
        char *algo = NULL;

        assert(ret);

        rk = calloc(1, sizeof(RealKernel));
        if (!rk)
                return -ENOMEM;
        rk->base.ops = &real_ops;
        rk->root = strdup(root ?: "");
        if (!rk->root) {
                free(rk);
                return -ENOMEM;
        }

        /* Kernels from 6.4 on name the algorithm they can decompress in finit_module(). Any
         * failure to read it just means we decompress in userspace. */
        if (asprintf(&path, "%s/sys/module/compression", rk->root) < 0) {
                real_free(&rk->base);
                return -ENOMEM;
        }
        if (read_one_line(path, &algo) >= 0) {
                if (algo[0] != '\0')
                        rk->decompression = algo;
                else
                        free(algo);
        }

        *ret = &rk->base;
        return 0;
}

int kernel_new_real(Kernel **ret) {
        assert(ret);

        return kernel_new_real_at(NULL, ret);
}
