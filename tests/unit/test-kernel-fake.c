/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel backend (semantics, knobs, events, threads), its .modinfo reader on a real
 * .ko and on minimal ELF files, and the real backend's /proc and /sys parsing on a fake tree. */

#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-fake.h"
#include "kernel/kernel.h"
#include "macro.h"

static char tmpdir[] = "/tmp/test-kernel-fake-XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void setup_tmpdir(void) {
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown_tmpdir(void) {
        (void) nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- a minimal relocatable ELF64 with a .modinfo section ---- */

typedef struct Buf {
        char *data;
        size_t size;
} Buf;

static void buf_add(Buf *b, const void *p, size_t n) {
        b->data = realloc(b->data, b->size + n);
        cr_assert_not_null(b->data);
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void buf_add_str0(Buf *b, const char *s) {
        buf_add(b, s, strlen(s) + 1);
}

static char *write_file(const char *file, const void *data, size_t size) {
        char *path;
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s", tmpdir, file) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
        return path;
}

/* name and depends may be NULL to leave the entry out. */
static char *write_elf_module(const char *file, const char *name, const char *depends) {
        static const char shstr[] = "\0.shstrtab\0.modinfo"; /* names at 1 and 11 */
        Buf info = {}, out = {};
        Elf64_Ehdr eh = {};
        Elf64_Shdr sh[3] = {};
        char *entry, *path;

        buf_add_str0(&info, "license=GPL");
        if (depends) {
                cr_assert(asprintf(&entry, "depends=%s", depends) > 0);
                buf_add_str0(&info, entry);
                free(entry);
        }
        buf_add(&info, "\0\0\0", 3); /* padding, as real modules have */
        if (name) {
                cr_assert(asprintf(&entry, "name=%s", name) > 0);
                buf_add_str0(&info, entry);
                free(entry);
        }
        buf_add_str0(&info, "vermagic=6.1.0 SMP mod_unload modversions ");

        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_type = ET_REL;
        eh.e_machine = EM_X86_64;
        eh.e_version = EV_CURRENT;
        eh.e_ehsize = sizeof(eh);
        eh.e_shentsize = sizeof(Elf64_Shdr);
        eh.e_shnum = 3;
        eh.e_shstrndx = 1;

        sh[1] = (Elf64_Shdr) { .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = sizeof(eh),
                               .sh_size = sizeof(shstr) };
        sh[2] = (Elf64_Shdr) { .sh_name = 11, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
                               .sh_offset = sizeof(eh) + sizeof(shstr), .sh_size = info.size };
        eh.e_shoff = (sizeof(eh) + sizeof(shstr) + info.size + 7) & ~(size_t) 7;

        buf_add(&out, &eh, sizeof(eh));
        buf_add(&out, shstr, sizeof(shstr));
        buf_add(&out, info.data, info.size);
        while (out.size < eh.e_shoff)
                buf_add(&out, "", 1);
        buf_add(&out, sh, sizeof(sh));

        path = write_file(file, out.data, out.size);
        free(info.data);
        free(out.data);
        return path;
}

static int open_module(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "open %s: %m", path);
        return fd;
}

/* Inserts a module made on the spot. */
static int insert_new(Kernel *k, const char *name, const char *depends, const char *params) {
        _cleanup_(freep) char *file = NULL, *path = NULL;
        _cleanup_(closep) int fd = -EBADF;

        cr_assert(asprintf(&file, "%s.ko", name) > 0);
        path = write_elf_module(file, name, depends);
        fd = open_module(path);
        return kernel_insert(k, name, fd, params, 0);
}

static KernelModuleState state_of(Kernel *k, const char *name) {
        KernelModuleState s;
        cr_assert_eq(kernel_get_state(k, name, &s), 0);
        return s;
}

static char *holders_of(Kernel *k, const char *name, int *ret_refcount) {
        _cleanup_(kernel_module_done) KernelModule m = {};
        Buf b = {};

        cr_assert_eq(kernel_get(k, name, &m), 0);
        STRV_FOREACH(h, m.holders) {
                buf_add(&b, *h, strlen(*h));
                buf_add(&b, ",", 1);
        }
        buf_add(&b, "", 1);
        *ret_refcount = m.refcount;
        return b.data;
}

TestSuite(kernel_fake, .init = setup_tmpdir, .fini = teardown_tmpdir);

Test(kernel_fake, insert_get_remove) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(kernel_module_done) KernelModule m = {};
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_str_eq(k->ops->backend, "fake");
        cr_assert(kernel_is_fake(k));
        cr_assert_null(kernel_decompression(k));

        path = write_elf_module("a.ko", "a", "");
        fd = open_module(path);
        cr_assert_eq(state_of(k, "a"), KERNEL_MODULE_ABSENT);
        cr_assert_eq(kernel_get(k, "a", &m), -ENOENT);
        cr_assert_eq(kernel_insert(k, "a", fd, NULL, 0), 0);
        cr_assert_eq(state_of(k, "a"), KERNEL_MODULE_LIVE);

        cr_assert_eq(kernel_get(k, "a", &m), 0);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_str_eq(m.name, "a");
        cr_assert_eq(m.size, (uint64_t) st.st_size);
        cr_assert_eq(m.refcount, 0);
        cr_assert_eq(strv_length(m.holders), 0u);
        cr_assert_eq(m.state, KERNEL_MODULE_LIVE);
        cr_assert_str_eq(m.taint, "");

        cr_assert_eq(kernel_insert(k, "a", fd, NULL, 0), -EEXIST);
        cr_assert_eq(kernel_remove(k, "a"), 0);
        cr_assert_eq(state_of(k, "a"), KERNEL_MODULE_ABSENT);
        cr_assert_eq(kernel_remove(k, "a"), -ENOENT);
        cr_assert_eq(kernel_fake_insert_calls(k), 2u);
}

Test(kernel_fake, dependencies_refcount_holders) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(freep) char *h = NULL;
        KernelModule *l = NULL;
        size_t n;
        int rc;

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(insert_new(k, "b", "a", NULL), -ENOENT, "a missing dependency is an unknown symbol");
        cr_assert_eq(state_of(k, "b"), KERNEL_MODULE_ABSENT);
        cr_assert_eq(insert_new(k, "a", NULL, NULL), 0);
        cr_assert_eq(insert_new(k, "b", "a", NULL), 0);
        cr_assert_eq(insert_new(k, "c", "a,b", NULL), 0);

        h = holders_of(k, "a", &rc);
        cr_assert_eq(rc, 2);
        cr_assert(strcmp(h, "b,c,") == 0 || strcmp(h, "c,b,") == 0, "holders of a: %s", h);
        free(h);
        h = holders_of(k, "b", &rc);
        cr_assert_eq(rc, 1);
        cr_assert_str_eq(h, "c,");
        free(h);

        cr_assert_eq(kernel_list(k, &l, &n), 0);
        cr_assert_eq(n, 3u);
        cr_assert_str_eq(l[0].name, "c", "newest first, like /proc/modules");
        kernel_module_array_free(l, n);

        cr_assert_eq(kernel_remove(k, "a"), -EWOULDBLOCK);
        cr_assert_eq(kernel_remove(k, "b"), -EWOULDBLOCK);
        cr_assert_eq(kernel_remove(k, "c"), 0);
        h = holders_of(k, "a", &rc);
        cr_assert_eq(rc, 1);
        cr_assert_str_eq(h, "b,");
        free(h);
        cr_assert_eq(kernel_remove(k, "b"), 0);
        h = holders_of(k, "a", &rc);
        cr_assert_eq(rc, 0);
        cr_assert_str_eq(h, "");
        cr_assert_eq(kernel_remove(k, "a"), 0);

        cr_assert_eq(kernel_list(k, &l, &n), 0);
        cr_assert_eq(n, 0u);
        kernel_module_array_free(l, n);
}

Test(kernel_fake, failures) {
        _cleanup_(kernel_freep) Kernel *k = NULL;

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(kernel_fake_set_failure(k, "snd-x", -ENODEV), 0);
        cr_assert_eq(insert_new(k, "snd_x", NULL, NULL), -ENODEV);
        cr_assert_eq(state_of(k, "snd_x"), KERNEL_MODULE_ABSENT);
        cr_assert_eq(kernel_fake_set_failure(k, "snd_x", EPERM), 0, "positive errnos are accepted");
        cr_assert_eq(insert_new(k, "snd_x", NULL, NULL), -EPERM);
        cr_assert_eq(kernel_fake_set_failure(k, "snd_x", 0), 0);
        cr_assert_eq(insert_new(k, "snd_x", NULL, NULL), 0);
        cr_assert_eq(kernel_fake_insert_calls(k), 3u);
}

Test(kernel_fake, builtin_external_refcount) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        KernelModule m = {};

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(kernel_fake_set_builtin(k, "unix"), 0);
        cr_assert_eq(state_of(k, "unix"), KERNEL_MODULE_BUILTIN);
        cr_assert_eq(kernel_get(k, "unix", &m), -ENOENT, "built-in modules are not in /proc/modules");
        cr_assert_eq(insert_new(k, "unix", NULL, NULL), -EEXIST);
        cr_assert_eq(kernel_remove(k, "unix"), -ENOENT);

        cr_assert_eq(kernel_fake_insert_external(k, "ext-mod"), 0);
        cr_assert_eq(state_of(k, "ext_mod"), KERNEL_MODULE_LIVE);
        cr_assert_eq(kernel_fake_insert_external(k, "ext_mod"), -EEXIST);
        cr_assert_eq(kernel_fake_set_refcount(k, "ext_mod", 1), 0);
        cr_assert_eq(kernel_remove(k, "ext_mod"), -EWOULDBLOCK);
        cr_assert_eq(kernel_fake_set_refcount(k, "ext_mod", -1), 0);
        cr_assert_eq(kernel_remove(k, "ext_mod"), -EBUSY, "permanent modules cannot go");
        cr_assert_eq(kernel_fake_set_refcount(k, "ext_mod", 0), 0);
        cr_assert_eq(kernel_remove(k, "ext-mod"), 0);
        cr_assert_eq(kernel_fake_set_refcount(k, "ext_mod", 0), -ENOENT);
}

Test(kernel_fake, params_and_flags) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(freep) char *path = NULL, *params = NULL;
        _cleanup_(closep) int fd = -EBADF;
        unsigned flags = 99;

        cr_assert_eq(kernel_new_fake(&k), 0);
        path = write_elf_module("p.ko", "p", NULL);
        fd = open_module(path);
        cr_assert_eq(kernel_insert(k, "p", fd, NULL, KERNEL_INSERT_COMPRESSED_FILE), -EINVAL,
                     "like 6.1, the fake knows no compressed-file flag");
        cr_assert_eq(kernel_insert(k, "p", fd, "index=1 model=auto", KERNEL_INSERT_IGNORE_VERMAGIC), 0);
        cr_assert_eq(kernel_fake_get_params(k, "p", &params, &flags), 0);
        cr_assert_str_eq(params, "index=1 model=auto");
        cr_assert_eq(flags, KERNEL_INSERT_IGNORE_VERMAGIC);
        cr_assert_eq(kernel_fake_get_params(k, "q", &params, &flags), -ENOENT);
}

Test(kernel_fake, parameters) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(strv_freep) char **pairs = NULL, **none = NULL;

        cr_assert_eq(kernel_new_fake(&k), 0);
        path = write_elf_module("p.ko", "p", NULL);
        fd = open_module(path);
        cr_assert_eq(kernel_insert(k, "p", fd, "index=1 model=\"a b\" enable  zeta=1 index=2", 0), 0);
        cr_assert_eq(kernel_get_parameters(k, "p", false, &pairs), 0);
        cr_assert_eq(strv_length(pairs), 8u, "four parameters, sorted, the last value wins");
        cr_assert_str_eq(pairs[0], "enable");
        cr_assert_str_eq(pairs[1], "Y");
        cr_assert_str_eq(pairs[2], "index");
        cr_assert_str_eq(pairs[3], "2");
        cr_assert_str_eq(pairs[4], "model");
        cr_assert_str_eq(pairs[5], "a b");
        cr_assert_str_eq(pairs[6], "zeta");
        cr_assert_str_eq(pairs[7], "1");
        cr_assert_eq(kernel_get_parameters(k, "q", false, &none), -ENOENT);
}

Test(kernel_fake, bad_files) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(freep) char *text = NULL, *noname = NULL, *trunc = NULL, *full = NULL;
        _cleanup_(closep) int fd1 = -EBADF, fd2 = -EBADF, fd3 = -EBADF;
        _cleanup_(freep) char *data = NULL;
        struct stat st;
        FILE *f;

        cr_assert_eq(kernel_new_fake(&k), 0);

        text = write_file("text.ko", "hello, I am not an ELF file\n", 28);
        fd1 = open_module(text);
        cr_assert_eq(kernel_insert(k, "text", fd1, NULL, 0), -ENOEXEC);

        /* No name= entry: the fake falls back to the name the caller gives. */
        noname = write_elf_module("noname.ko", NULL, "");
        fd2 = open_module(noname);
        cr_assert_eq(kernel_insert(k, "given-name", fd2, NULL, 0), 0);
        cr_assert_eq(state_of(k, "given_name"), KERNEL_MODULE_LIVE);

        /* Cut before the section headers. */
        full = write_elf_module("full.ko", "full", NULL);
        cr_assert_eq(stat(full, &st), 0);
        data = malloc(st.st_size);
        f = fopen(full, "re");
        cr_assert_eq(fread(data, 1, st.st_size, f), (size_t) st.st_size);
        fclose(f);
        trunc = write_file("trunc.ko", data, st.st_size - 10);
        fd3 = open_module(trunc);
        cr_assert_eq(kernel_insert(k, "trunc", fd3, NULL, 0), -ENOEXEC);

        cr_assert_eq(kernel_insert(k, "x", -1, NULL, 0), -EBADF);
}

Test(kernel_fake, environment) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        Kernel *bad = NULL;

        /* Criterion runs each test in its own process, so the environment stays here. */
        setenv("MODCTL_FAKE_KERNEL_FAIL", "snd_x:19,y-z:-5", 1);
        setenv("MODCTL_FAKE_KERNEL_BUILTIN", "bi1,bi-2", 1);
        setenv("MODCTL_FAKE_KERNEL_LOADED", "ext,", 1);
        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(state_of(k, "bi1"), KERNEL_MODULE_BUILTIN);
        cr_assert_eq(state_of(k, "bi_2"), KERNEL_MODULE_BUILTIN);
        cr_assert_eq(state_of(k, "ext"), KERNEL_MODULE_LIVE);
        cr_assert_eq(insert_new(k, "snd_x", NULL, NULL), -ENODEV);
        cr_assert_eq(insert_new(k, "y_z", NULL, NULL), -EIO);
        cr_assert_eq(insert_new(k, "other", NULL, NULL), 0);

        setenv("MODCTL_FAKE_KERNEL_FAIL", "snd_x", 1);
        cr_assert_eq(kernel_new_fake(&bad), -EINVAL);
        setenv("MODCTL_FAKE_KERNEL_FAIL", "snd_x:ENODEV", 1);
        cr_assert_eq(kernel_new_fake(&bad), -EINVAL);
        cr_assert_null(bad);
}

Test(kernel_fake, real_module_file) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(kernel_module_done) KernelModule m = {};
        _cleanup_(closep) int fd = -EBADF, vfd = -EBADF;
        _cleanup_(freep) char *h = NULL, *macvtap = NULL;
        glob_t g = {};
        struct stat st;
        int rc;

        /* linux-image-amd64 is a test dependency (scripts/install-deps): a missing dummy.ko is a failure. */
        cr_assert(glob("/lib/modules/*/kernel/drivers/net/dummy.ko", 0, NULL, &g) == 0 && g.gl_pathc > 0,
                  "no uncompressed dummy.ko installed: install linux-image-amd64");
        cr_assert_eq(kernel_new_fake(&k), 0);
        fd = open_module(g.gl_pathv[0]);
        cr_assert_eq(kernel_insert(k, NULL, fd, "numdummies=2", 0), 0);
        cr_assert_eq(kernel_get(k, "dummy", &m), 0);
        cr_assert_eq(fstat(fd, &st), 0);
        cr_assert_eq(m.size, (uint64_t) st.st_size);

        /* macvtap says depends=tap,macvlan */
        cr_assert(asprintf(&macvtap, "%.*s/macvtap.ko", (int) (strrchr(g.gl_pathv[0], '/') - g.gl_pathv[0]),
                           g.gl_pathv[0]) > 0);
        globfree(&g);
        if (access(macvtap, R_OK) < 0)
                return;
        vfd = open_module(macvtap);
        cr_assert_eq(kernel_insert(k, NULL, vfd, NULL, 0), -ENOENT);
        cr_assert_eq(kernel_fake_insert_external(k, "tap"), 0);
        cr_assert_eq(kernel_fake_insert_external(k, "macvlan"), 0);
        cr_assert_eq(kernel_insert(k, NULL, vfd, NULL, 0), 0);
        h = holders_of(k, "tap", &rc);
        cr_assert_eq(rc, 1);
        cr_assert_str_eq(h, "macvtap,");
}

/* ---- events on an sd_event loop ---- */

#define MAX_EVENTS 2048

typedef struct Recorder {
        sd_event *event;
        Kernel *kernel;
        size_t n;
        KernelEvent events[MAX_EVENTS];
        char names[MAX_EVENTS][16];
        bool timed_out;
        bool state_live_on_add;
} Recorder;

static void record(KernelEvent event, const char *name, void *userdata) {
        Recorder *r = userdata;
        KernelModuleState s;

        if (r->n >= MAX_EVENTS)
                return;
        r->events[r->n] = event;
        snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s", name);
        r->n++;
        /* Handlers may call back into the kernel: the lock is not held here. */
        if (event == KERNEL_EVENT_ADD && kernel_get_state(r->kernel, "first", &s) >= 0 && strcmp(name, "first") == 0)
                r->state_live_on_add = s == KERNEL_MODULE_LIVE;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Recorder *r = userdata;
        r->timed_out = true;
        return 0;
}

static void run_until(Recorder *r, size_t want) {
        sd_event_source *t = NULL;

        r->timed_out = false;
        cr_assert_geq(sd_event_add_time_relative(r->event, &t, CLOCK_MONOTONIC, 30 * 1000000ULL, 0,
                                                  on_timeout, r), 0);
        /* Blocks until something is ready: the eventfd or the timeout. */
        while (r->n < want && !r->timed_out)
                cr_assert_geq(sd_event_run(r->event, UINT64_MAX), 0);
        sd_event_source_disable_unref(t);
        cr_assert_not(r->timed_out, "only %zu of %zu events arrived", r->n, want);
}

Test(kernel_fake, events_in_order) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        Recorder *r = calloc(1, sizeof(Recorder));

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(kernel_fake_insert_external(k, "before_watch"), 0);
        cr_assert_geq(sd_event_new(&r->event), 0);
        r->kernel = k;
        cr_assert_eq(kernel_watch(k, r->event, record, r), 0);
        cr_assert_eq(kernel_watch(k, r->event, record, r), -EBUSY);

        cr_assert_eq(insert_new(k, "first", NULL, NULL), 0);
        cr_assert_eq(insert_new(k, "second", "first", NULL), 0);
        cr_assert_eq(kernel_fake_set_failure(k, "failing", -ENODEV), 0);
        cr_assert_eq(insert_new(k, "failing", NULL, NULL), -ENODEV);
        cr_assert_eq(kernel_remove(k, "first"), -EWOULDBLOCK);
        cr_assert_eq(kernel_remove(k, "second"), 0);
        cr_assert_eq(kernel_fake_insert_external(k, "ext"), 0);

        run_until(r, 4);
        cr_assert_eq(r->n, 4u);
        cr_assert(r->events[0] == KERNEL_EVENT_ADD && strcmp(r->names[0], "first") == 0);
        cr_assert(r->events[1] == KERNEL_EVENT_ADD && strcmp(r->names[1], "second") == 0);
        cr_assert(r->events[2] == KERNEL_EVENT_REMOVE && strcmp(r->names[2], "second") == 0);
        cr_assert(r->events[3] == KERNEL_EVENT_ADD && strcmp(r->names[3], "ext") == 0);
        cr_assert(r->state_live_on_add);

        /* Nothing else is pending: a second round sees exactly the new events. */
        cr_assert_eq(kernel_remove(k, "first"), 0);
        run_until(r, 5);
        cr_assert(r->events[4] == KERNEL_EVENT_REMOVE && strcmp(r->names[4], "first") == 0);

        k = kernel_free(k);
        sd_event_unref(r->event);
        free(r);
}

#define ROUNDS 500

typedef struct Worker {
        Kernel *kernel;
        const char *name;
        char *path;
        int errors;
} Worker;

static void *worker(void *userdata) {
        Worker *w = userdata;
        int fd = open(w->path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                w->errors++;
                return NULL;
        }
        for (int i = 0; i < ROUNDS; i++) {
                KernelModule *l = NULL;
                KernelModuleState s;
                size_t n;

                if (kernel_insert(w->kernel, w->name, fd, NULL, 0) != 0)
                        w->errors++;
                if (kernel_get_state(w->kernel, w->name, &s) != 0 || s != KERNEL_MODULE_LIVE)
                        w->errors++;
                if (kernel_list(w->kernel, &l, &n) != 0)
                        w->errors++;
                kernel_module_array_free(l, n);
                if (kernel_remove(w->kernel, w->name) != 0)
                        w->errors++;
        }
        close(fd);
        return NULL;
}

Test(kernel_fake, threads) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(freep) char *h = NULL;
        Recorder *r = calloc(1, sizeof(Recorder));
        Worker w[2] = {
                { .name = "t1" },
                { .name = "t2" },
        };
        pthread_t t[2];
        int rc;

        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_geq(sd_event_new(&r->event), 0);
        r->kernel = k;
        cr_assert_eq(kernel_watch(k, r->event, record, r), 0);
        cr_assert_eq(kernel_fake_insert_external(k, "base"), 0);

        for (size_t i = 0; i < 2; i++) {
                w[i].kernel = k;
                w[i].path = write_elf_module(i == 0 ? "t1.ko" : "t2.ko", w[i].name, "base");
                cr_assert_eq(pthread_create(&t[i], NULL, worker, &w[i]), 0);
        }

        /* The loop consumes while the workers produce. */
        run_until(r, 1 + 2 * 2 * ROUNDS);
        for (size_t i = 0; i < 2; i++) {
                cr_assert_eq(pthread_join(t[i], NULL), 0);
                cr_assert_eq(w[i].errors, 0, "worker %zu had %d errors", i, w[i].errors);
                free(w[i].path);
        }

        /* Per module, events alternate ADD, REMOVE. */
        for (size_t m = 0; m < 2; m++) {
                KernelEvent expect = KERNEL_EVENT_ADD;
                size_t seen = 0;

                for (size_t i = 0; i < r->n; i++) {
                        if (strcmp(r->names[i], w[m].name) != 0)
                                continue;
                        cr_assert_eq(r->events[i], expect, "event %zu for %s out of order", i, w[m].name);
                        expect = expect == KERNEL_EVENT_ADD ? KERNEL_EVENT_REMOVE : KERNEL_EVENT_ADD;
                        seen++;
                }
                cr_assert_eq(seen, 2u * ROUNDS);
        }

        h = holders_of(k, "base", &rc);
        cr_assert_eq(rc, 0);
        cr_assert_str_eq(h, "");
        cr_assert_eq(kernel_fake_insert_calls(k), 2u * ROUNDS);

        k = kernel_free(k);
        sd_event_unref(r->event);
        free(r);
}

/* ---- the real backend's parsing, on a fake /proc and /sys ---- */

static void mkdir_p(const char *rel) {
        _cleanup_(freep) char *path = NULL;
        char *p;

        cr_assert(asprintf(&path, "%s/%s", tmpdir, rel) > 0);
        for (p = path + strlen(tmpdir) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                (void) mkdir(path, 0755);
                *p = '/';
        }
        (void) mkdir(path, 0755);
}

static void put(const char *rel, const char *content) {
        free(write_file(rel, content, strlen(content)));
}

TestSuite(kernel_real, .init = setup_tmpdir, .fini = teardown_tmpdir);

Test(kernel_real, parse_tree) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(kernel_module_done) KernelModule m = {};
        KernelModule *l = NULL;
        size_t n;

        mkdir_p("proc");
        put("proc/modules",
            "snd_hda_intel 57344 3 - Live 0xffffffffc0a00000\n"
            "snd_hda_codec 184320 2 snd_hda_intel,snd_hda_codec_generic, Live 0xffffffffc09a0000\n"
            "mymod 16384 0 - Loading 0xffffffffc0990000 (OE)\n"
            "perm 16384 1 [permanent], Live 0x0000000000000000\n"
            "gone 8192 0 - Unloading 0x0000000000000000 (P)\n"
            "going 8192 -1 - Unloading 0x0000000000000000\n"
            "nounload 4096 - - Live 0xffffffffc0970000\n");
        mkdir_p("sys/module/snd_hda_intel");
        put("sys/module/snd_hda_intel/initstate", "live\n");
        mkdir_p("sys/module/mymod");
        put("sys/module/mymod/initstate", "coming\n");
        mkdir_p("sys/module/gone");
        put("sys/module/gone/initstate", "going\n");
        mkdir_p("sys/module/vt/parameters");
        put("sys/module/compression", "zstd\n");

        cr_assert_eq(kernel_new_real_at(tmpdir, &k), 0);
        cr_assert_str_eq(k->ops->backend, "real");
        cr_assert_not(kernel_is_fake(k));
        cr_assert_eq(kernel_fake_set_failure(k, "x", -EIO), -EOPNOTSUPP);
        cr_assert_str_eq(kernel_decompression(k), "zstd");

        cr_assert_eq(state_of(k, "snd-hda-intel"), KERNEL_MODULE_LIVE);
        cr_assert_eq(state_of(k, "mymod"), KERNEL_MODULE_COMING);
        cr_assert_eq(state_of(k, "gone"), KERNEL_MODULE_GOING);
        cr_assert_eq(state_of(k, "vt"), KERNEL_MODULE_BUILTIN);
        cr_assert_eq(state_of(k, "nothere"), KERNEL_MODULE_ABSENT);
        KernelModuleState s;
        cr_assert_eq(kernel_get_state(k, "../x", &s), -EINVAL);
        cr_assert_eq(kernel_get_state(k, "", &s), -EINVAL);

        cr_assert_eq(kernel_get(k, "snd-hda-codec", &m), 0);
        cr_assert_str_eq(m.name, "snd_hda_codec");
        cr_assert_eq(m.size, 184320u);
        cr_assert_eq(m.refcount, 2);
        cr_assert_eq(strv_length(m.holders), 2u);
        cr_assert_str_eq(m.holders[0], "snd_hda_intel");
        cr_assert_str_eq(m.holders[1], "snd_hda_codec_generic");
        cr_assert_str_eq(m.taint, "");
        cr_assert_eq(kernel_get(k, "snd_hda", &m), -ENOENT, "prefixes do not match");

        cr_assert_eq(kernel_list(k, &l, &n), 0);
        cr_assert_eq(n, 7u);
        cr_assert_str_eq(l[0].name, "snd_hda_intel");
        cr_assert_eq(l[0].refcount, 3);
        cr_assert_null(l[0].holders);
        cr_assert_eq(l[2].state, KERNEL_MODULE_COMING);
        cr_assert_str_eq(l[2].taint, "OE");
        cr_assert_eq(l[3].refcount, -1, "[permanent] cannot be unloaded");
        cr_assert_null(l[3].holders);
        cr_assert_eq(l[4].state, KERNEL_MODULE_GOING);
        cr_assert_str_eq(l[4].taint, "P");
        /* The whole list, not EBADMSG, while a module is being removed. */
        cr_assert_str_eq(l[5].name, "going");
        cr_assert_eq(l[5].state, KERNEL_MODULE_GOING);
        cr_assert_eq(l[5].refcount, 0, "-1 while delete_module() runs: nobody holds it");
        cr_assert_eq(l[6].refcount, -1, "no CONFIG_MODULE_UNLOAD");
        kernel_module_array_free(l, n);
}

Test(kernel_real, parameters) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(strv_freep) char **pairs = NULL, **empty = NULL, **none = NULL;

        mkdir_p("sys/module/snd/parameters");
        put("sys/module/snd/parameters/slots", "-1,-1,-1\n");
        put("sys/module/snd/parameters/major", "116\n");
        mkdir_p("sys/module/soundcore");
        cr_assert_eq(kernel_new_real_at(tmpdir, &k), 0);

        cr_assert_eq(kernel_get_parameters(k, "snd", false, &pairs), 0);
        cr_assert_eq(strv_length(pairs), 4u);
        cr_assert_str_eq(pairs[0], "major");
        cr_assert_str_eq(pairs[1], "116");
        cr_assert_str_eq(pairs[2], "slots");
        cr_assert_str_eq(pairs[3], "-1,-1,-1");
        cr_assert_eq(kernel_get_parameters(k, "soundcore", false, &empty), 0, "no parameters/ directory");
        cr_assert_eq(strv_length(empty), 0u);
        cr_assert_eq(kernel_get_parameters(k, "nothere", false, &none), -ENOENT);
        cr_assert_eq(kernel_get_parameters(k, "../x", false, &none), -EINVAL);
}

/* Root reads a 0600 parameter; a caller that is not root must not see it through us. */
Test(kernel_real, parameters_world_readable_only) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        _cleanup_(strv_freep) char **all = NULL, **world = NULL;
        _cleanup_free_ char *secret = NULL;

        mkdir_p("sys/module/snd/parameters");
        put("sys/module/snd/parameters/major", "116\n");
        put("sys/module/snd/parameters/key", "hunter2\n");
        cr_assert(asprintf(&secret, "%s/sys/module/snd/parameters/key", tmpdir) > 0);
        cr_assert_eq(chmod(secret, 0600), 0);
        cr_assert_eq(kernel_new_real_at(tmpdir, &k), 0);

        cr_assert_eq(kernel_get_parameters(k, "snd", false, &all), 0);
        cr_assert_eq(strv_length(all), 4u);
        cr_assert_eq(kernel_get_parameters(k, "snd", true, &world), 0);
        cr_assert_eq(strv_length(world), 2u);
        cr_assert_str_eq(world[0], "major");
}

Test(kernel_real, empty_tree) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        KernelModule *l = NULL, m = {};
        size_t n = 99;

        cr_assert_eq(kernel_new_real_at(tmpdir, &k), 0);
        cr_assert_null(kernel_decompression(k));
        cr_assert_eq(kernel_list(k, &l, &n), 0, "no /proc/modules: no modules");
        cr_assert_eq(n, 0u);
        cr_assert_eq(kernel_get(k, "x", &m), -ENOENT);
        cr_assert_eq(state_of(k, "x"), KERNEL_MODULE_ABSENT);
}

Test(kernel_real, live_system_reads) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        KernelModule *l = NULL;
        size_t n;

        /* Whatever this machine is, reading must work (the build machine has no modules). */
        cr_assert_eq(kernel_new_real(&k), 0);
        cr_assert_eq(kernel_list(k, &l, &n), 0);
        kernel_module_array_free(l, n);
}

Test(kernel_common, strings) {
        cr_assert_str_eq(kernel_module_state_to_string(KERNEL_MODULE_ABSENT), "absent");
        cr_assert_str_eq(kernel_module_state_to_string(KERNEL_MODULE_BUILTIN), "builtin");
        cr_assert_str_eq(kernel_module_state_to_string(KERNEL_MODULE_LIVE), "live");
        cr_assert_str_eq(kernel_module_state_to_string(KERNEL_MODULE_COMING), "coming");
        cr_assert_str_eq(kernel_module_state_to_string(KERNEL_MODULE_GOING), "going");
        cr_assert_null(kernel_module_state_to_string(_KERNEL_MODULE_STATE_MAX));

        cr_assert_not_null(strstr(kernel_insert_error_hint(-ENODEV), "device"));
        cr_assert_str_eq(kernel_insert_error_hint(ENODEV), kernel_insert_error_hint(-ENODEV));
        cr_assert_not_null(strstr(kernel_insert_error_hint(-ENOEXEC), "not a valid module"));
        cr_assert_not_null(strstr(kernel_insert_error_hint(-EKEYREJECTED), "signature"));
        cr_assert_not_null(strstr(kernel_insert_error_hint(-ENOKEY), "key"));
        cr_assert_not_null(strstr(kernel_insert_error_hint(-EPERM), "CAP_SYS_MODULE"));
        cr_assert_str_eq(kernel_insert_error_hint(-EXDEV), "see the kernel log");
}

Test(kernel_common, module_done_is_idempotent) {
        KernelModule m = { .name = strdup("x"), .taint = strdup("") };

        kernel_module_done(&m);
        cr_assert_null(m.name);
        kernel_module_done(&m);
        kernel_module_done(NULL);
        kernel_module_array_free(NULL, 0);
}

static void ignore_event(KernelEvent event, const char *name, void *userdata) {
}

Test(kernel_real, watch_setup) {
        _cleanup_(kernel_freep) Kernel *k = NULL;
        sd_event *e = NULL;
        int r;

        /* Module uevents need a kernel with modules (the VM suite covers them); here we check
         * that the netlink monitor is set up and torn down cleanly where the sandbox allows it. */
        cr_assert_geq(sd_event_new(&e), 0);
        cr_assert_eq(kernel_new_real(&k), 0);
        cr_assert_eq(kernel_watch(k, e, NULL, NULL), -EINVAL);
        r = kernel_watch(k, e, ignore_event, NULL);
        if (r >= 0)
                cr_assert_eq(kernel_watch(k, e, ignore_event, NULL), -EBUSY);
        else
                cr_log_warn("no uevent netlink socket here: %s", strerror(-r));
        k = kernel_free(k);
        sd_event_unref(e);
}

Test(kernel_fake, modprobe_path) {
        Kernel *k = NULL;
        char *s = NULL;
        cr_assert_eq(kernel_new_fake(&k), 0);
        cr_assert_eq(kernel_get_modprobe_path(k, &s), 0);
        cr_assert_str_eq(s, "/sbin/modprobe");
        free(s);
        cr_assert_eq(kernel_set_modprobe_path(k, "/usr/libexec/modctl/modctl-request"), 0);
        cr_assert_eq(kernel_get_modprobe_path(k, &s), 0);
        cr_assert_str_eq(s, "/usr/libexec/modctl/modctl-request");
        free(s);
        char longpath[300];
        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = '\0';
        cr_assert_eq(kernel_set_modprobe_path(k, longpath), -ENAMETOOLONG);
        kernel_free(k);
}
