/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel backend: module state in memory, with the semantics of the real kernel that
 * the daemon depends on (dependencies pin their users, O_NONBLOCK removal, events for every
 * load and unload). Used by unit tests and by the integration-test daemon. */

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/elf-modinfo.h"
#include "core/module-file.h"
#include "kernel-fake.h"
#include "module-name.h"
#include "proc-cmdline.h"
#include "kernel/kernel.h"
#include "kernel/command.h"
#include "macro.h"
#include "strv.h"


typedef struct FakeModule {
        char *name;
        uint64_t size;
        int refcount;
        char **deps;      /* modules this one pins */
        char **holders;   /* modules that pin this one */
        char *params;
        unsigned flags;
        struct FakeModule *next;
} FakeModule;

typedef struct FakeFailure {
        char *name;
        int error;
        struct FakeFailure *next;
} FakeFailure;

typedef struct FakeEvent {
        KernelEvent event;
        char *name;
        struct FakeEvent *next;
} FakeEvent;

typedef struct FakeKernel {
        Kernel base;

        pthread_mutex_t lock;
        /* Everything below is protected by lock. */
        FakeModule *modules;      /* newest first, like /proc/modules */
        FakeFailure *failures;
        char **builtin;
        char **trusted_keys;      /* what trusted_keys() reports */
        unsigned insert_calls;
        char **held;              /* inserts of these block, like a hanging init, until released */
        pthread_cond_t released;
        FakeEvent *queue_head, *queue_tail;
        bool watching;
        char *modprobe_path;      /* kernel.modprobe */
        bool virtual_clock;       /* now() is virtual_now, which only inserts advance */
        uint64_t virtual_now;
        char *decompression;      /* what decompression() says: NULL, like 6.1, or "xz" */
        char *cmdline;            /* what get_cmdline() says */
        char **module_blacklist;  /* its module_blacklist=: inserts of these fail with EPERM */

        /* Only touched on the event loop (and at setup). */
        int event_fd;
        sd_event_source *source;
        kernel_event_handler_t handler;
        void *userdata;
} FakeKernel;

static const KernelOps fake_ops;

static FakeKernel *fake_kernel(Kernel *k) {
        return (FakeKernel *) k;
}

bool kernel_is_fake(Kernel *k) {
        return k && k->ops == &fake_ops;
}

/* Splits "a,b,,c" into a strv of normalized names; NULL when empty. */
static int split_names(const char *s, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        _cleanup_(freep) char *copy = NULL;
        char *p, *w;
        int r;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        p = copy;
        while ((w = strsep(&p, ","))) {
                char name[MODULE_NAME_LEN];

                if (w[0] == '\0')
                        continue;
                r = module_name_normalize(w, name);
                if (r < 0)
                        return r;
                r = strv_extend(&l, name);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* ---- .modinfo from an ELF64 file ---- */

/* Reads the name= and depends= entries of the module's .modinfo section, the same place
 * modinfo(8) and the kernel take them from. */
static int read_modinfo(int fd, char **ret_name, char ***ret_depends, uint64_t *ret_size) {
        _cleanup_(strv_freep) char **pairs = NULL, **depends = NULL;
        _cleanup_(freep) char *name = NULL;
        const char *v;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        r = elf_modinfo_parse_fd(fd, &pairs);
        if (r < 0)
                return r;

        v = elf_modinfo_get(pairs, "name");
        if (v) {
                char n[MODULE_NAME_LEN];

                if (module_name_normalize(v, n) < 0)
                        return -ENOEXEC;
                name = strdup(n);
                if (!name)
                        return -ENOMEM;
        }
        v = elf_modinfo_get(pairs, "depends");
        if (v) {
                r = split_names(v, &depends);
                if (r == -EINVAL)
                        return -ENOEXEC;
                if (r < 0)
                        return r;
        }

        *ret_name = TAKE_PTR(name);
        *ret_depends = TAKE_PTR(depends);
        *ret_size = (uint64_t) st.st_size;
        return 0;
}

/* ---- state, all under the lock ---- */

static FakeModule *find_module(FakeKernel *fk, const char *name) {
        for (FakeModule *m = fk->modules; m; m = m->next)
                if (strcmp(m->name, name) == 0)
                        return m;
        return NULL;
}

static bool is_builtin(FakeKernel *fk, const char *name) {
        return strv_contains(fk->builtin, name);
}

static int find_failure(FakeKernel *fk, const char *name) {
        for (FakeFailure *f = fk->failures; f; f = f->next)
                if (strcmp(f->name, name) == 0)
                        return f->error;
        return 0;
}

static FakeModule *fake_module_free(FakeModule *m) {
        if (!m)
                return NULL;
        free(m->name);
        strv_free(m->deps);
        strv_free(m->holders);
        free(m->params);
        free(m);
        return NULL;
}

/* Queues an event for the loop. Events are only recorded while someone watches, like a
 * netlink socket that is not open yet sees nothing. */
static int queue_event(FakeKernel *fk, KernelEvent event, const char *name) {
        FakeEvent *e;
        uint64_t one = 1;

        if (!fk->watching)
                return 0;
        e = calloc(1, sizeof(FakeEvent));
        if (!e)
                return -ENOMEM;
        e->event = event;
        e->name = strdup(name);
        if (!e->name) {
                free(e);
                return -ENOMEM;
        }
        if (fk->queue_tail)
                fk->queue_tail->next = e;
        else
                fk->queue_head = e;
        fk->queue_tail = e;

        /* Cannot fail short of a counter overflow; the event is queued either way. */
        (void) write(fk->event_fd, &one, sizeof(one));
        return 0;
}

static int add_module_locked(FakeKernel *fk, const char *name, char **deps, uint64_t size,
                             const char *params, unsigned flags) {
        FakeModule *m;

        m = calloc(1, sizeof(FakeModule));
        if (!m)
                return -ENOMEM;
        m->name = strdup(name);
        m->params = strdup(params ?: "");
        m->deps = strv_copy(deps);
        if (!m->name || !m->params || (deps && !m->deps)) {
                fake_module_free(m);
                return -ENOMEM;
        }
        m->size = size;
        m->flags = flags;

        /* Reserve the holders slots first so that nothing can fail half way through. */
        STRV_FOREACH(d, m->deps) {
                FakeModule *dm = find_module(fk, *d);
                int r = strv_extend(&dm->holders, name);
                if (r < 0) {
                        /* Undo the holders added so far. */
                        for (char **u = m->deps; u < d; u++) {
                                FakeModule *um = find_module(fk, *u);
                                size_t un = strv_length(um->holders);
                                free(um->holders[un - 1]);
                                um->holders[un - 1] = NULL;
                        }
                        fake_module_free(m);
                        return r;
                }
        }
        STRV_FOREACH(d, m->deps)
                find_module(fk, *d)->refcount++;

        m->next = fk->modules;
        fk->modules = m;
        return queue_event(fk, KERNEL_EVENT_ADD, name);
}

static int remove_module_locked(FakeKernel *fk, const char *name) {
        FakeModule **p, *m;

        for (p = &fk->modules; *p; p = &(*p)->next)
                if (strcmp((*p)->name, name) == 0)
                        break;
        m = *p;
        if (!m)
                return -ENOENT;
        if (m->refcount < 0)
                return -EBUSY;
        if (m->refcount > 0 || (m->holders && m->holders[0]))
                return -EWOULDBLOCK;

        STRV_FOREACH(d, m->deps) {
                FakeModule *dm = find_module(fk, *d);
                if (!dm)
                        continue;
                if (dm->refcount > 0)
                        dm->refcount--;
                strv_remove(dm->holders, name);
                if (dm->holders && !dm->holders[0])
                        dm->holders = strv_free(dm->holders);
        }
        *p = m->next;
        fake_module_free(m);
        return queue_event(fk, KERNEL_EVENT_REMOVE, name);
}

/* ---- the ops ---- */

/* Like 6.12 with MODULE_INIT_COMPRESSED_FILE and xz: the decoder reads a stream whose check is
 * CRC32 or none, and fails with EINVAL on any other stream (CRC64, xz(1)'s default) or on
 * something that is not xz at all. */
static int fake_decompress(int fd, int *ret_fd) {
        uint8_t header[8];
        ssize_t n;

        n = pread(fd, header, sizeof(header), 0);
        if (n < 0)
                return -errno;
        if (n < (ssize_t) sizeof(header) || memcmp(header, "\xfd" "7zXZ\0", 6) != 0 || header[6] != 0 ||
            header[7] > 1)
                return -EINVAL;
        return module_file_decompress_fd(fd, ret_fd) < 0 ? -EINVAL : 0;
}

int kernel_fake_set_decompression(Kernel *k, const char *algorithm) {
        FakeKernel *fk = fake_kernel(k);

        assert(kernel_is_fake(k));
        if (algorithm && strcmp(algorithm, "xz") != 0)
                return -EOPNOTSUPP;
        char *a = NULL;
        if (algorithm && !(a = strdup(algorithm)))
                return -ENOMEM;
        free(fk->decompression);
        fk->decompression = a;
        return 0;
}

static int fake_insert(Kernel *k, const char *name, int fd, const char *params, unsigned flags) {
        FakeKernel *fk = fake_kernel(k);
        _cleanup_(closep) int plain = -EBADF;
        _cleanup_(freep) char *modname = NULL;
        _cleanup_(strv_freep) char **deps = NULL;
        uint64_t size = 0;
        int r;

        pthread_mutex_lock(&fk->lock);
        fk->insert_calls++;
        pthread_mutex_unlock(&fk->lock);

        /* Like 6.1 by default: the fake cannot decompress, and says so in its decompression(). */
        if (flags & ~(KERNEL_INSERT_IGNORE_MODVERSIONS | KERNEL_INSERT_IGNORE_VERMAGIC |
                      (fk->decompression ? KERNEL_INSERT_COMPRESSED_FILE : 0)))
                return -EINVAL;
        if (fd < 0)
                return -EBADF;
        if (flags & KERNEL_INSERT_COMPRESSED_FILE) {
                r = fake_decompress(fd, &plain);
                if (r < 0)
                        return r;
                fd = plain;
        }

        /* The file is read outside the lock: that is the slow part. */
        r = read_modinfo(fd, &modname, &deps, &size);
        if (r < 0)
                return r;
        if (!modname) {
                char n[MODULE_NAME_LEN];

                if (module_name_normalize(name, n) < 0)
                        return -ENOEXEC;
                modname = strdup(n);
                if (!modname)
                        return -ENOMEM;
        }

        pthread_mutex_lock(&fk->lock);
        if (strv_contains(fk->held, modname) && kernel_fake_on_hold)
                kernel_fake_on_hold(modname);
        while (strv_contains(fk->held, modname))
                pthread_cond_wait(&fk->released, &fk->lock);
        if (strv_contains(fk->module_blacklist, modname))
                r = -EPERM; /* the kernel's early_mod_check(): "Module %s is blacklisted" */
        else if (find_module(fk, modname) || is_builtin(fk, modname))
                r = -EEXIST;
        else {
                r = 0;
                STRV_FOREACH(d, deps)
                        if (!find_module(fk, *d)) {
                                r = -ENOENT; /* "Unknown symbol" */
                                break;
                        }
                if (r == 0)
                        r = find_failure(fk, modname);
                if (r == 0)
                        r = add_module_locked(fk, modname, deps, size, params, flags);
                if (r == 0 && fk->virtual_clock)
                        fk->virtual_now += kernel_fake_insert_usec(modname);
        }
        pthread_mutex_unlock(&fk->lock);
        return r;
}

uint64_t kernel_fake_insert_usec(const char *name) {
        /* Different per module, the same every run: 10 to 70 ms. */
        return (uint64_t) (strlen(name) % 7 + 1) * 10000;
}

static uint64_t fake_now(Kernel *k) {
        FakeKernel *fk = fake_kernel(k);
        struct timespec ts;
        uint64_t now;

        pthread_mutex_lock(&fk->lock);
        now = fk->virtual_now;
        pthread_mutex_unlock(&fk->lock);
        if (now > 0)
                return now;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

int kernel_fake_use_virtual_clock(Kernel *k, uint64_t start_usec) {
        FakeKernel *fk = fake_kernel(k);

        if (!kernel_is_fake(k) || start_usec == 0)
                return -EINVAL;
        pthread_mutex_lock(&fk->lock);
        fk->virtual_clock = true;
        fk->virtual_now = start_usec;
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

void (*kernel_fake_on_hold)(const char *name) = NULL;

int kernel_fake_hold(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        int r;

        if (!kernel_is_fake(k))
                return -EINVAL;
        pthread_mutex_lock(&fk->lock);
        r = strv_extend(&fk->held, name);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_release(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        char **kept = NULL;
        int r = 0;

        if (!kernel_is_fake(k))
                return -EINVAL;
        pthread_mutex_lock(&fk->lock);
        STRV_FOREACH(h, fk->held)
                if (!streq(*h, name) && (r = strv_extend(&kept, *h)) < 0)
                        break;
        if (r >= 0) {
                strv_free(fk->held);
                fk->held = kept;
                pthread_cond_broadcast(&fk->released);
        } else
                strv_free(kept);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

static int fake_remove(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        r = remove_module_locked(fk, n);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

static int fake_get_state(Kernel *k, const char *name, KernelModuleState *ret) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        if (is_builtin(fk, n))
                *ret = KERNEL_MODULE_BUILTIN;
        else if (find_module(fk, n))
                *ret = KERNEL_MODULE_LIVE;
        else
                *ret = KERNEL_MODULE_ABSENT;
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

static int module_to_kernel_module(const FakeModule *m, KernelModule *ret) {
        KernelModule km = {
                .name = strdup(m->name),
                .size = m->size,
                .refcount = m->refcount,
                .holders = strv_copy(m->holders),
                .state = KERNEL_MODULE_LIVE,
                .taint = strdup(""),
        };

        if (!km.name || !km.taint || (m->holders && !km.holders)) {
                kernel_module_done(&km);
                return -ENOMEM;
        }
        *ret = km;
        return 0;
}

static int fake_get(Kernel *k, const char *name, KernelModule *ret) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        FakeModule *m;
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        m = find_module(fk, n);
        r = m ? module_to_kernel_module(m, ret) : -ENOENT;
        pthread_mutex_unlock(&fk->lock);
        return r;
}

static int fake_list(Kernel *k, KernelModule **ret, size_t *ret_n) {
        FakeKernel *fk = fake_kernel(k);
        KernelModule *l = NULL;
        size_t n = 0, count = 0;
        int r = 0;

        pthread_mutex_lock(&fk->lock);
        for (FakeModule *m = fk->modules; m; m = m->next)
                count++;
        if (count > 0) {
                l = calloc(count, sizeof(KernelModule));
                if (!l)
                        r = -ENOMEM;
        }
        for (FakeModule *m = fk->modules; m && r >= 0; m = m->next) {
                r = module_to_kernel_module(m, &l[n]);
                if (r >= 0)
                        n++;
        }
        pthread_mutex_unlock(&fk->lock);

        if (r < 0) {
                kernel_module_array_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* Splits the params string the module was inserted with the way the kernel's parse_args()
 * does: blanks separate, double quotes group, "name" alone means "Y". Later values win. */
static int parse_params(const char *params, char ***ret) {
        char **pairs = NULL;
        size_t n = 0;
        const char *p = params;

        for (;;) {
                _cleanup_(freep) char *word = NULL;
                size_t len = 0;
                bool quoted = false;

                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                word = malloc(strlen(p) + 1);
                if (!word)
                        goto oom;
                for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++)
                        if (*p == '"')
                                quoted = !quoted;
                        else
                                word[len++] = *p;
                word[len] = '\0';

                char *eq = strchr(word, '=');
                const char *value = eq ? eq + 1 : "Y";
                if (eq)
                        *eq = '\0';
                for (size_t i = 0; i < n; i += 2)
                        if (strcmp(pairs[i], word) == 0) {
                                char *v = strdup(value);
                                if (!v)
                                        goto oom;
                                free(pairs[i + 1]);
                                pairs[i + 1] = v;
                                goto next;
                        }
                if (strv_extend(&pairs, word) < 0 || strv_extend(&pairs, value) < 0)
                        goto oom;
                n += 2;
        next:;
        }
        if (!pairs) {
                pairs = calloc(1, sizeof(char *));
                if (!pairs)
                        return -ENOMEM;
        }
        *ret = pairs;
        return 0;
oom:
        strv_free(pairs);
        return -ENOMEM;
}

/* The fake has no file modes: a parameter named private_* stands for one of mode 0600. */
#define FAKE_PRIVATE_PARAMETER_PREFIX "private_"

static int fake_get_parameters(Kernel *k, const char *name, bool world_readable_only, char ***ret) {
        FakeKernel *fk = fake_kernel(k);
        _cleanup_(freep) char *params = NULL;
        char n[MODULE_NAME_LEN];
        FakeModule *m;
        int r;

        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        m = find_module(fk, n);
        if (m) {
                params = strdup(m->params ?: "");
                r = params ? 0 : -ENOMEM;
        } else
                r = -ENOENT;
        pthread_mutex_unlock(&fk->lock);
        if (r < 0)
                return r;

        r = parse_params(params, ret);
        if (r < 0)
                return r;
        if (world_readable_only) {
                size_t w = 0;
                for (size_t i = 0; (*ret)[i] && (*ret)[i + 1]; i += 2) {
                        if (strncmp((*ret)[i], FAKE_PRIVATE_PARAMETER_PREFIX,
                                    strlen(FAKE_PRIVATE_PARAMETER_PREFIX)) == 0) {
                                free((*ret)[i]);
                                free((*ret)[i + 1]);
                                continue;
                        }
                        (*ret)[w++] = (*ret)[i];
                        (*ret)[w++] = (*ret)[i + 1];
                }
                (*ret)[w] = NULL;
        }
        /* Sorted by name, like a directory listing of parameters/. */
        size_t count = strv_length(*ret) / 2;
        for (size_t i = 1; i < count; i++)
                for (size_t j = i; j > 0 && strcmp((*ret)[2 * j - 2], (*ret)[2 * j]) > 0; j--) {
                        char *t0 = (*ret)[2 * j - 2], *t1 = (*ret)[2 * j - 1];
                        (*ret)[2 * j - 2] = (*ret)[2 * j];
                        (*ret)[2 * j - 1] = (*ret)[2 * j + 1];
                        (*ret)[2 * j] = t0;
                        (*ret)[2 * j + 1] = t1;
                }
        return 0;
}

static const char *fake_decompression(Kernel *k) {
        return fake_kernel(k)->decompression;
}

static int fake_trusted_keys(Kernel *k, char ***ret) {
        FakeKernel *fk = fake_kernel(k);
        char **l;

        pthread_mutex_lock(&fk->lock);
        l = fk->trusted_keys ? strv_copy(fk->trusted_keys) : calloc(1, sizeof(char *));
        pthread_mutex_unlock(&fk->lock);
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

static int on_event_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeKernel *fk = userdata;
        FakeEvent *batch;
        uint64_t v;

        /* Reset the counter before taking the queue, so that an event queued meanwhile wakes
         * us again rather than being left behind. */
        (void) read(fd, &v, sizeof(v));

        pthread_mutex_lock(&fk->lock);
        batch = fk->queue_head;
        fk->queue_head = fk->queue_tail = NULL;
        pthread_mutex_unlock(&fk->lock);

        /* Delivered without the lock: handlers may call back into the kernel. */
        while (batch) {
                FakeEvent *e = batch;

                batch = e->next;
                fk->handler(e->event, e->name, fk->userdata);
                free(e->name);
                free(e);
        }
        return 0;
}

static void fake_dispatch_events(Kernel *k) {
        FakeKernel *fk = fake_kernel(k);

        if (fk->source)
                (void) on_event_fd(fk->source, fk->event_fd, EPOLLIN, fk);
}

static int fake_watch(Kernel *k, sd_event *event, kernel_event_handler_t handler, void *userdata) {
        FakeKernel *fk = fake_kernel(k);
        int r;

        if (!event || !handler)
                return -EINVAL;
        if (fk->source)
                return -EBUSY;

        fk->handler = handler;
        fk->userdata = userdata;
        r = sd_event_add_io(event, &fk->source, fk->event_fd, EPOLLIN, on_event_fd, fk);
        if (r < 0) {
                fk->handler = NULL;
                return r;
        }
        (void) sd_event_source_set_description(fk->source, "kernel-fake-events");
        (void) sd_event_source_set_priority(fk->source, SD_EVENT_PRIORITY_IMPORTANT);

        pthread_mutex_lock(&fk->lock);
        fk->watching = true;
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

static int fake_get_modprobe_path(Kernel *k, char **ret) {
        FakeKernel *fk = fake_kernel(k);

        pthread_mutex_lock(&fk->lock);
        char *s = strdup(fk->modprobe_path);
        pthread_mutex_unlock(&fk->lock);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int fake_get_cmdline(Kernel *k, char **ret) {
        FakeKernel *fk = fake_kernel(k);

        pthread_mutex_lock(&fk->lock);
        char *s = strdup(fk->cmdline);
        pthread_mutex_unlock(&fk->lock);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int fake_set_modprobe_path(Kernel *k, const char *path) {
        FakeKernel *fk = fake_kernel(k);

        if (strlen(path) > 255)
                return -ENAMETOOLONG;
        char *s = strdup(path);
        if (!s)
                return -ENOMEM;
        pthread_mutex_lock(&fk->lock);
        free(fk->modprobe_path);
        fk->modprobe_path = s;
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

static void fake_free(Kernel *k) {
        FakeKernel *fk = fake_kernel(k);

        sd_event_source_disable_unref(fk->source);
        safe_close(fk->event_fd);
        while (fk->modules) {
                FakeModule *m = fk->modules;
                fk->modules = m->next;
                fake_module_free(m);
        }
        while (fk->failures) {
                FakeFailure *f = fk->failures;
                fk->failures = f->next;
                free(f->name);
                free(f);
        }
        while (fk->queue_head) {
                FakeEvent *e = fk->queue_head;
                fk->queue_head = e->next;
                free(e->name);
                free(e);
        }
        strv_free(fk->builtin);
        strv_free(fk->held);
        pthread_cond_destroy(&fk->released);
        strv_free(fk->trusted_keys);
        free(fk->modprobe_path);
        free(fk->cmdline);
        strv_free(fk->module_blacklist);
        free(fk->decompression);
        pthread_mutex_destroy(&fk->lock);
        free(fk);
}

/* Install commands run for real: they are shell lines of the test's own modprobe.d. */
static int fake_run_command(Kernel *k, const char *command, const char *module, const char *options,
                            uint64_t timeout_usec, int *ret_status) {
        return command_run(command, module, options, timeout_usec, ret_status);
}

static const KernelOps fake_ops = {
        .backend = "fake",
        .insert = fake_insert,
        .remove = fake_remove,
        .get_state = fake_get_state,
        .get = fake_get,
        .list = fake_list,
        .get_parameters = fake_get_parameters,
        .dispatch_events = fake_dispatch_events,
        .decompression = fake_decompression,
        .trusted_keys = fake_trusted_keys,
        .watch = fake_watch,
        .get_modprobe_path = fake_get_modprobe_path,
        .set_modprobe_path = fake_set_modprobe_path,
        .get_cmdline = fake_get_cmdline,
        .run_command = fake_run_command,
        .now = fake_now,
        .free = fake_free,
};

/* ---- test knobs ---- */

int kernel_fake_set_cmdline(Kernel *k, const char *cmdline) {
        FakeKernel *fk = fake_kernel(k);
        _cleanup_(strv_freep) char **blacklist = NULL;
        char *s;
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = proc_cmdline_parse_blacklists(cmdline, &blacklist, NULL);
        if (r < 0)
                return r;
        s = strdup(cmdline);
        if (!s)
                return -ENOMEM;
        pthread_mutex_lock(&fk->lock);
        free(fk->cmdline);
        fk->cmdline = s;
        strv_free(fk->module_blacklist);
        fk->module_blacklist = TAKE_PTR(blacklist);
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

int kernel_fake_set_trusted_keys(Kernel *k, char * const *descriptions) {
        FakeKernel *fk = fake_kernel(k);
        char **l = NULL;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        if (descriptions && !(l = strv_copy(descriptions)))
                return -ENOMEM;
        pthread_mutex_lock(&fk->lock);
        strv_free(fk->trusted_keys);
        fk->trusted_keys = l;
        pthread_mutex_unlock(&fk->lock);
        return 0;
}

int kernel_fake_set_failure(Kernel *k, const char *name, int error) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        FakeFailure **p, *f;
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        error = -abs(error);

        pthread_mutex_lock(&fk->lock);
        for (p = &fk->failures; *p; p = &(*p)->next)
                if (strcmp((*p)->name, n) == 0)
                        break;
        f = *p;
        if (f && error == 0) {
                *p = f->next;
                free(f->name);
                free(f);
        } else if (f)
                f->error = error;
        else if (error != 0) {
                f = calloc(1, sizeof(FakeFailure));
                if (f)
                        f->name = strdup(n);
                if (!f || !f->name) {
                        free(f);
                        r = -ENOMEM;
                } else {
                        f->error = error;
                        f->next = fk->failures;
                        fk->failures = f;
                }
        }
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_set_builtin(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        if (find_module(fk, n))
                r = -EEXIST;
        else if (!is_builtin(fk, n))
                r = strv_extend(&fk->builtin, n);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_insert_external(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        if (find_module(fk, n) || is_builtin(fk, n))
                r = -EEXIST;
        else
                r = add_module_locked(fk, n, NULL, 0, NULL, 0);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_replay_add(Kernel *k, const char *name) {
        FakeKernel *fk = fake_kernel(k);
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        pthread_mutex_lock(&fk->lock);
        r = queue_event(fk, KERNEL_EVENT_ADD, name);
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_set_refcount(Kernel *k, const char *name, int refcount) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        FakeModule *m;
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        m = find_module(fk, n);
        if (m)
                m->refcount = refcount < 0 ? -1 : refcount;
        else
                r = -ENOENT;
        pthread_mutex_unlock(&fk->lock);
        return r;
}

int kernel_fake_get_params(Kernel *k, const char *name, char **ret_params, unsigned *ret_flags) {
        FakeKernel *fk = fake_kernel(k);
        char n[MODULE_NAME_LEN];
        FakeModule *m;
        char *p = NULL;
        int r;

        if (!kernel_is_fake(k))
                return -EOPNOTSUPP;
        r = module_name_normalize(name, n);
        if (r < 0)
                return r;
        pthread_mutex_lock(&fk->lock);
        m = find_module(fk, n);
        if (!m)
                r = -ENOENT;
        else if (!(p = strdup(m->params)))
                r = -ENOMEM;
        else if (ret_flags)
                *ret_flags = m->flags;
        pthread_mutex_unlock(&fk->lock);
        if (r < 0)
                return r;
        if (ret_params)
                *ret_params = p;
        else
                free(p);
        return 0;
}

unsigned kernel_fake_insert_calls(Kernel *k) {
        FakeKernel *fk = fake_kernel(k);
        unsigned n;

        if (!kernel_is_fake(k))
                return 0;
        pthread_mutex_lock(&fk->lock);
        n = fk->insert_calls;
        pthread_mutex_unlock(&fk->lock);
        return n;
}

/* ---- construction ---- */

/* MODCTL_FAKE_KERNEL_FAIL="name:errno[,name:errno...]" */
static int apply_env_failures(Kernel *k, const char *s) {
        _cleanup_(freep) char *copy = NULL;
        char *p, *w;
        int r;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        p = copy;
        while ((w = strsep(&p, ","))) {
                char *colon, *end;
                long e;

                if (w[0] == '\0')
                        continue;
                colon = strrchr(w, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                errno = 0;
                e = strtol(colon + 1, &end, 10);
                if (errno != 0 || *end != '\0' || end == colon + 1 || e == 0 || labs(e) > 4095)
                        return -EINVAL;
                r = kernel_fake_set_failure(k, w, (int) e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_env_list(Kernel *k, const char *s, int (*apply)(Kernel *k, const char *name)) {
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        r = split_names(s, &l);
        if (r < 0)
                return r;
        STRV_FOREACH(n, l) {
                r = apply(k, *n);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

int kernel_new_fake(Kernel **ret) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        FakeKernel *fk;
        const char *e;
        int r;

        fk = calloc(1, sizeof(FakeKernel));
        if (!fk)
                return -ENOMEM;
        fk->base.ops = &fake_ops;
        pthread_mutex_init(&fk->lock, NULL);
        pthread_cond_init(&fk->released, NULL);
        k = &fk->base;

        fk->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fk->event_fd < 0)
                return -errno;
        fk->modprobe_path = strdup("/sbin/modprobe");
        if (!fk->modprobe_path)
                return -ENOMEM;

        r = kernel_fake_set_cmdline(k, getenv("MODCTL_FAKE_KERNEL_CMDLINE") ?: "");
        if (r < 0)
                return r;

        e = getenv("MODCTL_FAKE_KERNEL_BUILTIN");
        if (e) {
                r = apply_env_list(k, e, kernel_fake_set_builtin);
                if (r < 0)
                        return r;
        }
        e = getenv("MODCTL_FAKE_KERNEL_LOADED");
        if (e) {
                r = apply_env_list(k, e, kernel_fake_insert_external);
                if (r < 0)
                        return r;
        }
        e = getenv("MODCTL_FAKE_KERNEL_TRUSTED_KEYS");
        if (e) {
                _cleanup_(strv_freep) char **l = NULL;
                _cleanup_(freep) char *copy = strdup(e);
                char *p = copy, *w;

                if (!copy)
                        return -ENOMEM;
                while ((w = strsep(&p, ";")))
                        if (*w && strv_extend(&l, w) < 0)
                                return -ENOMEM;
                r = kernel_fake_set_trusted_keys(k, l);
                if (r < 0)
                        return r;
        }
        e = getenv("MODCTL_FAKE_KERNEL_FAIL");
        if (e) {
                r = apply_env_failures(k, e);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(k);
        return 0;
}
