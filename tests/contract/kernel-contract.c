/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel-contract.h"
#include "strv.h"
#include "kernel/kernel.h"

static unsigned n_checks, n_failed;

static bool check(bool ok, const char *fmt, ...) _printf_(2, 3);
static bool check(bool ok, const char *fmt, ...) {
        va_list ap;

        printf("%s %u - ", ok ? "ok" : "not ok", ++n_checks);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        if (!ok)
                n_failed++;
        return ok;
}

static int check_errno(int r, int want, const char *what) {
        check(r == want, "%s returns %s (got %s)", what, want ? strerrorname_np(-want) : "0",
              r ? (strerrorname_np(-r) ?: "?") : "0");
        return r;
}

/* ---- uevents ---- */

typedef struct Seen {
        char **added, **removed;
} Seen;

static void on_event(KernelEvent event, const char *name, void *userdata) {
        Seen *s = userdata;
        (void) strv_extend(event == KERNEL_EVENT_ADD ? &s->added : &s->removed, name);
}

/* Runs the loop until the event arrives; at most 10 s (the real kernel's come in microseconds). */
static bool wait_event(sd_event *e, Seen *s, KernelEvent event, const char *name) {
        char ***l = event == KERNEL_EVENT_ADD ? &s->added : &s->removed;
        uint64_t deadline, now;

        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        deadline = now + 10 * UINT64_C(1000000);
        while (!strv_contains(*l, name)) {
                (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
                if (now >= deadline || sd_event_run(e, deadline - now) < 0)
                        return false;
        }
        return true;
}

/* ---- helpers ---- */

static int insert(Kernel *k, const KernelContract *c, const char *name, const char *params) {
        char path[4096];
        int fd, r;

        snprintf(path, sizeof(path), "%s/%s.ko", c->module_dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                check(false, "open %s: %s", path, strerror(errno));
                return -errno;
        }
        r = kernel_insert(k, name, fd, params, 0);
        close(fd);
        return r;
}

static KernelModuleState state(Kernel *k, const char *name) {
        KernelModuleState s = _KERNEL_MODULE_STATE_MAX;
        int r = kernel_get_state(k, name, &s);
        if (r < 0)
                check(false, "get_state(%s) failed: %s", name, strerror(-r));
        return s;
}

static const KernelModule *find(const KernelModule *l, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i].name, name))
                        return &l[i];
        return NULL;
}

/* ---- the contract ---- */

int kernel_contract_run(Kernel *k, const KernelContract *c) {
        _cleanup_(strv_freep) char **params = NULL;
        KernelModule m = {}, *list = NULL;
        sd_event *e = NULL;
        Seen seen = {};
        size_t n = 0;
        int r;

        n_checks = n_failed = 0;
        printf("# kernel contract on the %s backend\n", k->ops->backend);

        r = sd_event_new(&e);
        if (!check(r >= 0, "an event loop"))
                return 1;
        check_errno(kernel_watch(k, e, on_event, &seen), 0, "watch");

        /* Nothing loaded yet. */
        check(state(k, "modctl_test_base") == KERNEL_MODULE_ABSENT, "get_state: absent before insert");
        check_errno(kernel_get(k, "modctl_test_base", &m), -ENOENT, "get of a module that is not loaded");
        check_errno(kernel_get_parameters(k, "modctl_test_base", false, &params), -ENOENT,
                    "get_parameters of a module that is not loaded");
        check_errno(kernel_remove(k, "modctl_test_base"), -ENOENT, "remove of a module that is not loaded");

        /* A dependency missing: the kernel does not resolve symbols from modules not loaded. */
        check_errno(insert(k, c, "modctl_test_dep", ""), -ENOENT, "insert with an unresolved symbol");
        check(state(k, "modctl_test_dep") == KERNEL_MODULE_ABSENT, "nothing is left of a failed insert");

        /* Insert, with a parameter. */
        check_errno(insert(k, c, "modctl_test_base", "value=7"), 0, "insert modctl_test_base value=7");
        check(wait_event(e, &seen, KERNEL_EVENT_ADD, "modctl_test_base"), "uevent add modctl_test_base");
        check(state(k, "modctl_test_base") == KERNEL_MODULE_LIVE, "get_state: live after insert");
        check_errno(insert(k, c, "modctl_test_base", ""), -EEXIST, "insert of a loaded module");
        /* The name is normalized: '-' and '_' alike. */
        check(state(k, "modctl-test-base") == KERNEL_MODULE_LIVE, "get_state normalizes '-' to '_'");

        r = kernel_get_parameters(k, "modctl_test_base", false, &params);
        check_errno(r, 0, "get_parameters");
        check(strv_length(params) >= 2 && streq(params[0], "value") && streq(params[1], "7"),
              "parameters: value=7 (got %s=%s)", params && params[0] ? params[0] : "-",
              params && params[0] && params[1] ? params[1] : "-");

        r = kernel_get(k, "modctl_test_base", &m);
        check_errno(r, 0, "get");
        if (r >= 0) {
                check(streq(m.name, "modctl_test_base"), "get: name");
                check(m.size > 0, "get: size %llu > 0", (unsigned long long) m.size);
                check(m.refcount == 0, "get: refcount 0 (got %d)", m.refcount);
                check(strv_length(m.holders) == 0, "get: no holders");
                check(m.state == KERNEL_MODULE_LIVE, "get: state live");
                check(m.taint != NULL, "get: taint is a string (\"%s\")", m.taint ?: "(null)");
        }
        kernel_module_done(&m);

        /* A user: holders and refcount, and removal refused while in use. */
        check_errno(insert(k, c, "modctl_test_dep", ""), 0, "insert modctl_test_dep");
        check(wait_event(e, &seen, KERNEL_EVENT_ADD, "modctl_test_dep"), "uevent add modctl_test_dep");
        r = kernel_list(k, &list, &n);
        check_errno(r, 0, "list");
        if (r >= 0) {
                const KernelModule *b = find(list, n, "modctl_test_base"), *d = find(list, n, "modctl_test_dep");
                check(b && d, "list shows both modules");
                check(b && b->refcount == 1, "list: base refcount 1 (got %d)", b ? b->refcount : -2);
                check(b && strv_length(b->holders) == 1 && streq(b->holders[0], "modctl_test_dep"),
                      "list: base is held by modctl_test_dep");
                check(!find(list, n, c->builtin), "list does not show built-in %s", c->builtin);
        }
        kernel_module_array_free(list, n);
        r = kernel_remove(k, "modctl_test_base");
        check(r == -EBUSY || r == -EWOULDBLOCK, "remove of a module in use returns EBUSY or EWOULDBLOCK (got %s)",
              r ? (strerrorname_np(-r) ?: "?") : "0");
        check(state(k, "modctl_test_base") == KERNEL_MODULE_LIVE, "a refused remove leaves it live");

        /* Remove, users first. */
        check_errno(kernel_remove(k, "modctl_test_dep"), 0, "remove modctl_test_dep");
        check(wait_event(e, &seen, KERNEL_EVENT_REMOVE, "modctl_test_dep"), "uevent remove modctl_test_dep");
        check_errno(kernel_remove(k, "modctl_test_base"), 0, "remove modctl_test_base");
        check(wait_event(e, &seen, KERNEL_EVENT_REMOVE, "modctl_test_base"), "uevent remove modctl_test_base");
        check(state(k, "modctl_test_base") == KERNEL_MODULE_ABSENT, "get_state: absent after remove");
        check_errno(kernel_remove(k, "modctl_test_base"), -ENOENT, "remove again");

        /* An init that fails: its errno comes back, nothing stays. */
        check_errno(insert(k, c, "modctl_test_fail", ""), -ENODEV, "insert of a module whose init fails");
        check(state(k, "modctl_test_fail") == KERNEL_MODULE_ABSENT, "a failed init leaves nothing");

        /* Built in. */
        check(state(k, c->builtin) == KERNEL_MODULE_BUILTIN, "get_state: %s is built in", c->builtin);
        check_errno(kernel_remove(k, c->builtin), -ENOENT, "remove of a built-in module");

        printf("1..%u\n# %u of %u failed\n", n_checks, n_failed, n_checks);
        strv_free(seen.added);
        strv_free(seen.removed);
        sd_event_unref(e);
        return (int) n_failed;
}
