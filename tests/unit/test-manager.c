/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The orchestration layer without a bus: the manager, its services and autoload driven on the
 * fake kernel, with a listener that records every event the manager reports. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernel-fake.h"
#include "engine/manager.h"
#include "modctl-bus.h"
#include "strv.h"
#include "kernel/kernel.h"

static char kver[256];
static char modules_dir[4096];
static char tmp[] = "/tmp/modctl-test-manager.XXXXXX";
static char path_buf[4096];

static Manager *manager;
static Kernel *kernel;          /* the manager's, for the fake's knobs */
static char **events;           /* what the recording listener heard, one line each */

/* ---- fixture ---- */

static const char *at(const char *rel) {
        snprintf(path_buf, sizeof(path_buf), "%s/%s", tmp, rel);
        return path_buf;
}

static void write_file(const char *rel, const char *text) {
        char dir[4096];
        FILE *f;

        snprintf(dir, sizeof(dir), "%s", at(rel));
        for (char *s = strchr(dir + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                (void) mkdir(dir, 0755);
                *s = '/';
        }
        f = fopen(at(rel), "we");
        cr_assert_not_null(f, "cannot write %s", at(rel));
        fputs(text, f);
        fclose(f);
}

static void setup(void) {
        FILE *f = fopen(MODCTL_TEST_MODULES_DIR "/kernel-release", "re");

        cr_assert_not_null(f, "No fixture in " MODCTL_TEST_MODULES_DIR ": build tests/modules first.");
        cr_assert_not_null(fgets(kver, sizeof(kver), f));
        fclose(f);
        kver[strcspn(kver, "\n")] = '\0';
        snprintf(modules_dir, sizeof(modules_dir), "%s/root/lib/modules/%s", MODCTL_TEST_MODULES_DIR, kver);
        cr_assert_not_null(mkdtemp(tmp));
        write_file("modprobe.d/fixture.conf", "options modctl_test_base value=5\n");
        write_file("sys/devices/.keep", "");
}

static void teardown(void) {
        char cmd[4200];

        manager = manager_free(manager);
        events = strv_free(events);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        (void) system(cmd);
}

TestSuite(manager, .init = setup, .fini = teardown, .timeout = 60);

/* ---- the recording listener ---- */

/* l joined with ",", in a buffer that lives until the next call. */
static const char *joined(char **l) {
        static char buf[1024];
        char *s = strv_join(l, ",");

        cr_assert_not_null(s);
        snprintf(buf, sizeof(buf), "%s", s);
        free(s);
        return buf;
}


static void record(const char *fmt, ...) _printf_(1, 2);
static void record(const char *fmt, ...) {
        char *line;
        va_list ap;

        va_start(ap, fmt);
        cr_assert_geq(vasprintf(&line, fmt, ap), 0);
        va_end(ap);
        cr_assert_eq(strv_push(&events, line), 0);
}

static void on_loaded(const char *name, const char *origin, void *userdata) {
        record("loaded %s %s", name, origin);
}
static void on_unloaded(const char *name, const char *origin, void *userdata) {
        record("unloaded %s %s", name, origin);
}
static void on_load_failed(const char *name, const char *origin, const Failure *f, void *userdata) {
        record("failed %s %s %s", name, origin, failure_kind_to_string(f->kind));
}
static void on_unload_finished(const char *origin, char **removed, void *userdata) {
        record("unload-finished %s [%s]", origin, joined(removed));
}
static void on_policy_warning(const char *module, const char *rule, const char *reason, const char *origin,
                              void *userdata) {
        record("policy-warning %s %s %s", module, rule, origin);
}
static void on_config_reloaded(bool applied, const char *message, void *userdata) {
        record("config %s", applied ? "applied" : "refused");
}
static void on_autoload_finished(const char *batch, unsigned requested, unsigned inserted, unsigned failed,
                                 uint64_t usec, void *userdata) {
        /* Readiness comes after the listeners heard of the boot batch. */
        record("autoload %s %u %u %u ready=%d", batch, requested, inserted, failed, manager_is_ready(manager));
}
static void on_index_changed(void *userdata) {
        record("index-changed");
}

static const ManagerEvents recorder = {
        .module_loaded = on_loaded,
        .module_unloaded = on_unloaded,
        .load_failed = on_load_failed,
        .unload_finished = on_unload_finished,
        .policy_warning = on_policy_warning,
        .config_reloaded = on_config_reloaded,
        .autoload_finished = on_autoload_finished,
        .index_changed = on_index_changed,
};

static bool heard(const char *line) {
        return strv_contains(events, line);
}

static bool heard_failed(const char *name, const char *origin, FailureKind kind) {
        char line[512];
        snprintf(line, sizeof(line), "failed %s %s %s", name, origin, failure_kind_to_string(kind));
        return heard(line);
}

static size_t heard_index(const char *line) {
        for (size_t i = 0; events && events[i]; i++)
                if (streq(events[i], line))
                        return i;
        cr_assert_fail("never heard '%s'", line);
        return SIZE_MAX;
}

/* ---- driving the manager ---- */

static void start(bool index_watch) {
        static char root[4096], sysfs[4096], socket[4096], modprobe_d[4096], owned_d[4096];
        /* The fixture's directory, and the one the settings service writes to. */
        static const char *config_paths[] = { modprobe_d, owned_d, NULL };

        snprintf(root, sizeof(root), "%s", tmp);
        snprintf(sysfs, sizeof(sysfs), "%s", at("sys"));
        snprintf(socket, sizeof(socket), "%s", at("request.sock"));
        snprintf(modprobe_d, sizeof(modprobe_d), "%s", at("modprobe.d"));
        snprintf(owned_d, sizeof(owned_d), "%s", at("etc/modprobe.d"));
        ManagerConfig config = {
                .config_root = root,
                .hook_socket = socket,
                .no_index_watch = !index_watch,
                .resolver = {
                        .modules_dir = modules_dir,
                        .config_paths = config_paths,
                        .kernel_cmdline = "",
                },
                .scheduler = { .n_workers = 2 },
                .autoload = { .sysfs = sysfs },
        };
        Kernel *k = NULL;

        cr_assert_eq(kernel_new_fake(&k), 0);
        kernel = k;
        cr_assert_eq(manager_new(&config, k, &manager), 0);
        cr_assert_eq(manager_add_listener(manager, &recorder, NULL), 0);
        cr_assert_eq(manager_start(manager), 0);
}

typedef struct Outcome {
        bool done;
        int error;
        FailureKind kind;
        char changed[512];      /* the modules inserted or removed, joined with "," */
} Outcome;

static void on_done(const Failure *failure, char **changed, void *userdata) {
        Outcome *o = userdata;

        cr_assert_not(o->done, "a request answered twice");
        o->done = true;
        o->error = failure ? failure->error : 0;
        o->kind = failure ? failure->kind : 0;
        if (failure)
                cr_assert_lt(failure->error, 0);
        snprintf(o->changed, sizeof(o->changed), "%s", joined(changed));
}

static void run_until(bool *flag) {
        while (!*flag)
                cr_assert_geq(sd_event_run(manager_get_event(manager), UINT64_MAX), 0);
}

/* Runs the loop until the recorder has heard line. */
static void run_until_heard(const char *line) {
        while (!heard(line))
                cr_assert_geq(sd_event_run(manager_get_event(manager), UINT64_MAX), 0);
}

static Outcome load(const char *name, const char *origin) {
        Outcome o = {};
        manager_load(manager, name, "", 0, origin, on_done, &o);
        run_until(&o.done);
        return o;
}

static Outcome unload(const char *name, uint64_t flags, const char *origin) {
        Outcome o = {};
        manager_unload(manager, name, flags, origin, on_done, &o);
        run_until(&o.done);
        return o;
}

static bool loaded(const char *name) {
        KernelModuleState s;
        cr_assert_eq(kernel_get_state(kernel, name, &s), 0);
        return s == KERNEL_MODULE_LIVE;
}

/* Uevents of a finished job are dispatched before its result (the scheduler ranks results
 * below uevents), but drain the loop so that every queued event has been heard. */
static void drain(void) {
        while (sd_event_run(manager_get_event(manager), 0) > 0)
                ;
}

/* ---- tests ---- */

Test(manager, identical_requests_share_one_job) {
        Outcome a = {}, b = {};

        start(true);
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_base"), 0);
        manager_load(manager, "modctl_test_base", "", 0, ORIGIN_USER, on_done, &a);
        manager_load(manager, "modctl_test_base", "", 0, ORIGIN_KERNEL, on_done, &b);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_REQUESTS), 2);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_COALESCED), 1);

        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_base"), 0);
        run_until(&a.done);
        run_until(&b.done);
        cr_assert_eq(a.error, 0);
        cr_assert_eq(b.error, 0);
        /* Both callers are told what the one job inserted. */
        cr_assert_str_eq(a.changed, "modctl_test_base");
        cr_assert_str_eq(b.changed, "modctl_test_base");
        cr_assert_eq(kernel_fake_insert_calls(kernel), 1);
        /* The origin is the one that started the job. */
        drain();
        cr_assert(heard("loaded modctl_test_base user"));
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_base"), ORIGIN_USER);
}

typedef struct Inspected {
        bool done;
        int error;
        char lines[2048];       /* result.lines joined with "," */
} Inspected;

static void on_inspected(const InspectResult *result, void *userdata) {
        Inspected *i = userdata;

        i->done = true;
        i->error = result->failure.error;
        snprintf(i->lines, sizeof(i->lines), "%s", result->lines ? joined(result->lines) : "");
}

static Inspected dry_run(const char *name) {
        Inspected i = {};

        cr_assert_eq(inspections_submit(manager_inspections(manager), 0, true, &CALLER_ANONYMOUS, INSPECT_DRY_RUN,
                                        name, "", 0, on_inspected, &i), 0);
        run_until(&i.done);
        return i;
}

/* A settings change reaches every resolver through one path: the inspections' own resolver
 * sees a new blacklist at once, not only once inotify reports the file (which has not been
 * dispatched yet when the dry run starts). */
Test(manager, a_settings_change_reaches_the_next_inspection) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;

        start(true);
        Inspected before = dry_run("modctl-test-alias");
        cr_assert_eq(before.error, 0);
        cr_assert(strstr(before.lines, "modctl_test_dep"), "%s", before.lines);
        cr_assert_null(strstr(before.lines, "blacklisted"), "%s", before.lines);
        cr_assert_eq(settings_service_change(manager_settings(manager), SETTING_BLACKLIST, "modctl_test_dep", true,
                                             NULL, false, &failure), 0, "%s", strempty(failure.message));
        /* The blacklist hides the alias from the plan. */
        Inspected after = dry_run("modctl-test-alias");
        cr_assert(strstr(after.lines, "blacklisted modctl_test_dep"), "the dry run still plans: %s", after.lines);
}

Test(manager, different_parameters_are_a_different_request) {
        Outcome a = {}, b = {};

        start(true);
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_base"), 0);
        manager_load(manager, "modctl_test_base", "", 0, ORIGIN_USER, on_done, &a);
        manager_load(manager, "modctl_test_base", "value=1", 0, ORIGIN_USER, on_done, &b);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_REQUESTS), 2);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_COALESCED), 0);
        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_base"), 0);
        run_until(&a.done);
        run_until(&b.done);
        cr_assert_eq(a.error, 0);
}

Test(manager, a_failure_partway_unwinds_and_is_reported) {
        start(true);
        cr_assert_eq(kernel_fake_set_failure(kernel, "modctl_test_chain", -ENODEV), 0);

        Outcome o = load("modctl_test_chain", ORIGIN_USER);
        cr_assert_eq(o.kind, FAILURE_KERNEL_REJECTED, "kind %d", o.kind);
        cr_assert_eq(o.error, -ENODEV); /* the kernel's own errno travels along */
        cr_assert_not(loaded("modctl_test_chain"));
        cr_assert_not(loaded("modctl_test_dep"));
        cr_assert_not(loaded("modctl_test_base"));
        drain();
        /* Inserted dependencies first, then removed newest first, each with the job's origin. */
        size_t lb = heard_index("loaded modctl_test_base user"), ld = heard_index("loaded modctl_test_dep user");
        size_t ud = heard_index("unloaded modctl_test_dep user"), ub = heard_index("unloaded modctl_test_base user");
        cr_assert(lb < ld && ld < ud && ud < ub);
        cr_assert(heard_failed("modctl_test_chain", "user", FAILURE_KERNEL_REJECTED));
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_FAILED), 1);
        /* No record survives a module that is gone. */
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_base"));
}

Test(manager, a_name_that_resolves_to_nothing_fails_before_any_job) {
        start(true);
        Outcome o = load("modctl_test_missing", ORIGIN_DEVICE);
        cr_assert_eq(o.kind, FAILURE_NOT_FOUND);
        cr_assert(heard_failed("modctl_test_missing", "device", FAILURE_NOT_FOUND));
        cr_assert_eq(kernel_fake_insert_calls(kernel), 0);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_FAILED), 1);
}

Test(manager, origins_are_recorded_per_module) {
        start(true);
        cr_assert_eq(load("modctl_test_dep", ORIGIN_KERNEL).error, 0);
        drain();
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_dep"), ORIGIN_KERNEL);
        /* Its dependency was loaded for the same request. */
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_base"), ORIGIN_KERNEL);
        cr_assert_gt(module_registry_loaded_at(manager_modules(manager), "modctl_test_dep"), 0);

        /* Another tool's load. */
        cr_assert_eq(kernel_fake_insert_external(kernel, "modctl_test_soft"), 0);
        run_until_heard("loaded modctl_test_soft external");
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_soft"), ORIGIN_EXTERNAL);

        /* A later load of a module that is there does not change who loaded it. */
        cr_assert_eq(load("modctl_test_base", ORIGIN_USER).error, 0);
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_base"), ORIGIN_KERNEL);

        /* An unload is reported with the unloader's origin, and the record goes. */
        Outcome u = unload("modctl_test_dep", MODCTL_UNLOAD_REMOVE_UNUSED, ORIGIN_USER);
        cr_assert_eq(u.error, 0);
        cr_assert_str_eq(u.changed, "modctl_test_dep,modctl_test_base");
        drain();
        cr_assert(heard("unloaded modctl_test_dep user"));
        cr_assert(heard("unloaded modctl_test_base user"));
        cr_assert(heard("unload-finished user [modctl_test_dep,modctl_test_base]"));
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_dep"));
        cr_assert_eq(module_registry_loaded_at(manager_modules(manager), "modctl_test_dep"), 0);

        /* Removed behind our back. */
        cr_assert_eq(kernel_remove(kernel, "modctl_test_soft"), 0);
        run_until_heard("unloaded modctl_test_soft external");
}

Test(manager, policy_warn_loads_and_reports) {
        write_file("etc/modctl/modctld.conf", "[Policy]\nMode=warn\nLicense=gpl-compatible\n");
        start(true);
        cr_assert_eq(manager_policy(manager)->config->policy.mode, POLICY_MODE_WARN);

        cr_assert_eq(load("modctl_test_proprietary", ORIGIN_BOOT).error, 0);
        cr_assert(loaded("modctl_test_proprietary"));
        drain();
        cr_assert(heard("policy-warning modctl_test_proprietary License boot"));
        /* The warning comes before the module's load. */
        cr_assert_lt(heard_index("policy-warning modctl_test_proprietary License boot"),
                     heard_index("loaded modctl_test_proprietary boot"));
}

Test(manager, policy_deny_inserts_nothing_and_reload_switches_modes) {
        write_file("etc/modctl/modctld.conf", "[Policy]\nMode=enforce\nDeny=modctl_test_base\n");
        start(true);

        /* A dependency is denied: the whole plan is refused. */
        Outcome o = load("modctl_test_dep", ORIGIN_USER);
        cr_assert_eq(o.kind, FAILURE_POLICY_DENIED);
        cr_assert_eq(kernel_fake_insert_calls(kernel), 0);
        drain();
        cr_assert(heard_failed("modctl_test_dep", "user", FAILURE_POLICY_DENIED));

        /* A bad file is refused, the old policy stays. */
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        write_file("etc/modctl/modctld.conf", "[Policy]\nMode=sometimes\n");
        cr_assert_lt(manager_reload_config(manager, &f), 0);
        cr_assert_eq(f.kind, FAILURE_INVALID_CONFIG);
        cr_assert(heard("config refused"));
        cr_assert_eq(load("modctl_test_dep", ORIGIN_USER).kind, FAILURE_POLICY_DENIED);

        write_file("etc/modctl/modctld.conf", "[Policy]\nMode=off\n");
        cr_assert_eq(manager_reload_config(manager, &f), 0);
        cr_assert(heard("config applied"));
        cr_assert_eq(load("modctl_test_dep", ORIGIN_USER).error, 0);
        cr_assert(loaded("modctl_test_base"));
}

/* A name that appears in modprobe.d after the first "not found". */
static void alias_appears(void) {
        struct timespec future[2] = { { .tv_sec = time(NULL) + 10 }, { .tv_sec = time(NULL) + 10 } };

        cr_assert_eq(load("modctl-test-late", ORIGIN_KERNEL).kind, FAILURE_NOT_FOUND);
        write_file("modprobe.d/late.conf", "alias modctl-test-late modctl_test_base\n");
        /* libkmod compares timestamps; make sure this change is visible to it. */
        cr_assert_eq(utimensat(AT_FDCWD, at("modprobe.d"), future, 0), 0);
}

Test(manager, index_refresh_with_the_watch) {
        start(true);
        alias_appears();
        run_until_heard("index-changed");
        cr_assert_eq(load("modctl-test-late", ORIGIN_KERNEL).error, 0);
        cr_assert(loaded("modctl_test_base"));
}

Test(manager, index_refresh_without_the_watch) {
        start(false);
        alias_appears();
        /* No inotify event will come: the request itself must notice, and tells the listeners
         * (the hook's negative cache, the module objects) as the watch would. */
        cr_assert_not(heard("index-changed"));
        cr_assert_eq(load("modctl-test-late", ORIGIN_KERNEL).error, 0);
        cr_assert(loaded("modctl_test_base"));
        cr_assert(heard("index-changed"));
}

/* Without the watch, a settings read notices a new boot-list file and a changed option. */
Test(manager, settings_follow_the_files_without_the_watch) {
        ModuleSettings ms = {};

        start(false);
        cr_assert_eq(settings_service_query(manager_settings(manager), "modctl_test_dep", NULL, &ms), 0);
        cr_assert_not(ms.boot);
        cr_assert_str_eq(ms.options, "");
        free(ms.options);

        write_file("etc/modules-load.d/late.conf", "modctl_test_dep\n");
        write_file("modprobe.d/late-opt.conf", "options modctl_test_dep value=7\n");
        cr_assert_eq(settings_service_query(manager_settings(manager), "modctl_test_dep", NULL, &ms), 0);
        cr_assert(ms.boot);
        cr_assert_str_eq(ms.options, "value=7");
        free(ms.options);
}

Test(manager, ready_only_after_the_boot_list) {
        write_file("etc/modules-load.d/test.conf", "modctl_test_dep\nmodctl_test_missing\n");
        start(true);
        cr_assert_eq(kernel_fake_hold(kernel, "modctl_test_dep"), 0);

        manager_name_acquired(manager);
        cr_assert_not(manager_is_ready(manager));
        while (!heard_failed("modctl_test_missing", "boot", FAILURE_NOT_FOUND))
                cr_assert_geq(sd_event_run(manager_get_event(manager), UINT64_MAX), 0);
        drain();
        cr_assert_not(manager_is_ready(manager), "ready while a boot module is still loading");

        cr_assert_eq(kernel_fake_release(kernel, "modctl_test_dep"), 0);
        run_until_heard("autoload boot 2 2 1 ready=0");
        cr_assert(manager_is_ready(manager));
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_dep"), ORIGIN_BOOT);
}

static bool heard_prefix(const char *prefix) {
        STRV_FOREACH(e, events)
                if (strncmp(*e, prefix, strlen(prefix)) == 0)
                        return true;
        return false;
}

Test(manager, boot_list_and_coldplug_are_planned_one_per_dispatch) {
        write_file("etc/modules-load.d/test.conf", "modctl_test_base\nmodctl_test_soft\nmodctl_test_proprietary\n");
        write_file("sys/devices/fake0/modalias", "modctl-test-alias\n");
        start(true);

        /* Planning a whole batch at once kept the loop from advancing the jobs already
         * running: each dispatch plans one load, and results are handled in between. */
        manager_name_acquired(manager);
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_REQUESTS), 0, "nothing is planned in the call");
        uint64_t before = 0;
        while (!heard_prefix("autoload coldplug ") || !manager_is_ready(manager)) {
                cr_assert_geq(sd_event_run(manager_get_event(manager), UINT64_MAX), 0);
                uint64_t now = manager_get_counter(manager, MANAGER_COUNTER_REQUESTS);
                cr_assert_leq(now - before, 1, "%" PRIu64 " loads planned in one dispatch", now - before);
                before = now;
        }
        drain();
        cr_assert_eq(manager_get_counter(manager, MANAGER_COUNTER_REQUESTS), 4, "3 boot loads and 1 device load");
        cr_assert(heard("autoload boot 3 3 0 ready=0"), "%s", joined(events));
        cr_assert(heard_prefix("autoload coldplug 1 "), "%s", joined(events));
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_proprietary"), ORIGIN_BOOT);
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_dep"), ORIGIN_DEVICE);
}

Test(manager, sticky_unloads_hold_for_coldplug) {
        write_file("sys/devices/fake0/modalias", "modctl-test-alias\n");
        start(true);

        manager_name_acquired(manager);
        run_until_heard("autoload coldplug 1 2 0 ready=1");
        cr_assert(loaded("modctl_test_dep"));
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_dep"), ORIGIN_DEVICE);

        /* An admin unloads it: a new coldplug (a reload) leaves it out. */
        cr_assert_eq(unload("modctl_test_dep", 0, ORIGIN_USER).error, 0);
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        cr_assert_eq(manager_reload_config(manager, &f), 0);
        run_until_heard("autoload coldplug 0 0 0 ready=1");
        cr_assert_not(loaded("modctl_test_dep"));

        /* An unload by anyone else is not sticky. */
        cr_assert_eq(load("modctl_test_dep", ORIGIN_USER).error, 0);
        cr_assert_eq(unload("modctl_test_dep", 0, ORIGIN_KERNEL).error, 0);
        events = strv_free(events);
        cr_assert_eq(manager_reload_config(manager, &f), 0);
        run_until_heard("autoload coldplug 1 1 0 ready=1");
        cr_assert(loaded("modctl_test_dep"));
}

Test(manager, installs_the_hook_helper_in_kernel_modprobe) {
        _cleanup_free_ char *path = NULL;

        write_file("etc/modctl/modctld.conf", "[Daemon]\nHookInstall=yes\nHookHelper=/bin/true\n");
        start(true);
        cr_assert_eq(kernel_get_modprobe_path(kernel, &path), 0);
        cr_assert_str_eq(path, "/bin/true");
}

Test(manager, replayed_add_events_are_not_loads) {
        /* Loaded before the daemon started: a later replayed "add" (udevadm trigger) is no load. */
        start(true);
        cr_assert_eq(kernel_fake_insert_external(kernel, "modctl_test_soft"), 0);
        run_until_heard("loaded modctl_test_soft external");
        cr_assert_eq(load("modctl_test_dep", ORIGIN_USER).error, 0);
        drain();
        cr_assert_eq(kernel_fake_set_builtin(kernel, "modctl_test_builtin_x"), 0);
        events = strv_free(events);

        cr_assert_eq(kernel_fake_replay_add(kernel, "modctl_test_soft"), 0);
        cr_assert_eq(kernel_fake_replay_add(kernel, "modctl_test_dep"), 0);
        cr_assert_eq(kernel_fake_replay_add(kernel, "modctl_test_builtin_x"), 0);
        /* A real load after the replays: once it is heard, the replays have been dispatched. */
        cr_assert_eq(kernel_fake_insert_external(kernel, "modctl_test_ext_last"), 0);
        run_until_heard("loaded modctl_test_ext_last external");
        cr_assert_str_eq(joined(events), "loaded modctl_test_ext_last external");
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_dep"), ORIGIN_USER);
}

/* A restart in the same boot (after a kill -9 in the middle of a plan): what was loaded before
 * the first start still has no origin; what came since, and nobody can attribute, is
 * "external", never "loaded before the start". */
Test(manager, restart_attributes_later_modules_to_nobody) {
        cr_assert_eq(setenv("MODCTL_FAKE_KERNEL_LOADED", "modctl_test_soft", 1), 0);
        start(true);
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_soft"));
        manager = manager_free(manager);

        /* The killed daemon's plan had inserted modctl_test_base. */
        cr_assert_eq(setenv("MODCTL_FAKE_KERNEL_LOADED", "modctl_test_soft,modctl_test_base", 1), 0);
        start(true);
        cr_assert_eq(unsetenv("MODCTL_FAKE_KERNEL_LOADED"), 0);
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_soft"));
        cr_assert_str_eq(module_registry_origin(manager_modules(manager), "modctl_test_base"), ORIGIN_EXTERNAL);
}

Test(manager, modules_loaded_before_the_start_are_known) {
        /* The kernel has modctl_test_soft before the manager starts: nobody is said to have
         * loaded it, and its replayed "add" is quiet. */
        cr_assert_eq(setenv("MODCTL_FAKE_KERNEL_LOADED", "modctl_test_soft", 1), 0);
        start(true);
        cr_assert_eq(unsetenv("MODCTL_FAKE_KERNEL_LOADED"), 0);
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_soft"));

        cr_assert_eq(kernel_fake_replay_add(kernel, "modctl_test_soft"), 0);
        cr_assert_eq(kernel_fake_insert_external(kernel, "modctl_test_ext_last"), 0);
        run_until_heard("loaded modctl_test_ext_last external");
        cr_assert_str_eq(joined(events), "loaded modctl_test_ext_last external");
        cr_assert_null(module_registry_origin(manager_modules(manager), "modctl_test_soft"));

        /* Its removal by another tool is still reported. */
        cr_assert_eq(kernel_remove(kernel, "modctl_test_soft"), 0);
        run_until_heard("unloaded modctl_test_soft external");
}
