/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "bus/bus-auth.h"
#include "bus/bus-context.h"
#include "bus/bus-error.h"
#include "bus/bus-manager.h"
#include "bus/bus-quota.h"
#include "bus/bus-caller.h"
#include "bus/bus-string.h"
#include "common/array-util.h"
#include "common/log.h"
#include "common/module-name.h"
#include "common/module-params.h"
#include "modctl-bus.h"
#include "common/strv.h"

/* module_request_validate()'s verdict as the caller's D-Bus error. */
static int bus_validate_name(const char *name, sd_bus_error *error) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;

        if (module_request_validate(name, &failure) >= 0)
                return 0;
        return bus_error_from_failure(error, &failure);
}

/* Parameters go to the kernel and, as $CMDLINE_OPTS, to modprobe.d install commands: only what
 * the kernel's own parser reads unambiguously gets through. */
static int validate_params(const char *name, const char *params, sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = module_params_check(name, params, &message);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                return 0;
        return bus_error_setf(error, FAILURE_INVALID_PARAMETERS, "%s", message);
}

static int build_strv_reply(sd_bus_message *message, char **l, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = bus_append_strv(reply, l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(reply);
        return 0;
}

/* "the Info reply for module 'snd'": what a failed reply names. Every call that gets here took the
 * module name as its first argument. */
static char *reply_what(sd_bus_message *message, const char *reply) {
        const char *name = NULL;
        char *what;

        if (sd_bus_message_rewind(message, true) < 0 || sd_bus_message_read(message, "s", &name) < 0)
                name = NULL;
        if (asprintf(&what, "the %s reply for module '%s'", reply, strempty(name)) < 0)
                return NULL;
        return what;
}

/* Replies to the method call kept as userdata once the manager is done with it. */
static void reply_when_done(const Failure *failure, char **changed, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *message = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *what = reply_what(message, strempty(sd_bus_message_get_member(message)));

        if (failure) {
                bus_error_from_failure(&error, failure);
                bus_reply_error_or_fail(message, &error, what ?: "the reply");
        } else {
                int r = build_strv_reply(message, changed, &reply);
                bus_reply_or_fail(message, reply, r, what ?: "the reply");
        }
}

/* Load and CheckPolicy take the same (name, parameters, flags); verb names the call in errors. */
static int read_load_arguments(sd_bus_message *message, const char *verb, const char **ret_name,
                               const char **ret_params, uint64_t *ret_flags, sd_bus_error *error) {
        const char *name, *params;
        uint64_t flags;
        int r;

        r = sd_bus_message_read(message, "sst", &name, &params, &flags);
        if (r < 0)
                return r;
        if (flags & ~MODCTL_LOAD_FLAGS_ALL)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "Unknown flags 0x%" PRIx64 " for %s module '%s'.",
                                      flags & ~MODCTL_LOAD_FLAGS_ALL, verb, name);
        r = bus_validate_name(name, error);
        if (r < 0)
                return r;
        r = validate_params(name, params, error);
        if (r < 0)
                return r;

        *ret_name = name;
        *ret_params = params;
        *ret_flags = flags;
        return 0;
}

static int caller_euid(sd_bus_message *message, uid_t *ret_euid) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        return sd_bus_creds_get_euid(creds, ret_euid);
}

static void reply_dry_run(const InspectResult *result, sd_bus_message *message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *what = reply_what(message, "dry-run");
        int r;

        r = build_strv_reply(message, result->lines, &reply);
        bus_reply_or_fail(message, reply, r, what ?: "the dry-run reply");
}

static void reply_info(const InspectResult *result, sd_bus_message *message);
static void reply_check_policy(const InspectResult *result, sd_bus_message *message);

typedef void (*inspect_reply_t)(const InspectResult *result, sd_bus_message *message);

typedef struct InspectCall {
        sd_bus_message *message;
        inspect_reply_t reply;
} InspectCall;

static void on_inspected(const InspectResult *result, void *userdata) {
        InspectCall *c = userdata;

        if (result->failure.error < 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *what = reply_what(c->message, strempty(sd_bus_message_get_member(c->message)));
                bus_error_from_failure(&error, &result->failure);
                bus_reply_error_or_fail(c->message, &error, what ?: "the error reply");
        } else
                c->reply(result, c->message);
        sd_bus_message_unref(c->message);
        free(c);
}

/* Heavy read-only work goes to the inspector thread; the reply is sent when it is done. It is
 * counted against the caller's uid, however many connections that uid has; over its share, the
 * caller learns it at once (org.modctl1.Error.Busy) and nothing is queued. */
static int inspect(Manager *m, sd_bus_message *message, InspectKind kind, const char *name, const char *params,
                   uint64_t flags, inspect_reply_t reply, sd_bus_error *error) {
        _cleanup_(bus_caller_done) BusCaller caller = {};
        InspectCall *c;
        uid_t euid;
        int r;

        r = caller_euid(message, &euid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: cannot determine who asked about '%s': %s.",
                                         name, strerror(-r));
        bus_caller_from_message(message, &caller);

        c = calloc(1, sizeof(InspectCall));
        if (!c)
                return -ENOMEM;
        c->message = sd_bus_message_ref(message);
        c->reply = reply;
        r = inspections_submit(manager_inspections(m), euid, euid == 0, &caller.caller, kind, name, params, flags,
                               on_inspected, c);
        if (r < 0) {
                sd_bus_message_unref(c->message);
                free(c);
        }
        if (r == -EBUSY)
                return bus_error_setf(error, FAILURE_BUSY,
                                      "Too many policy checks, dry runs and Info calls are queued for uid "
                                      "%u (at most %u per user, and never more than are still free of %u "
                                      "in all); '%s' was not looked at. Try again later.",
                                      (unsigned) euid, INSPECTIONS_PER_UID_MAX, INSPECTIONS_MAX,
                                      name);
        if (r < 0)
                return r;
        return 1;
}

static int method_load(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        const char *name, *params;
        uint64_t flags;
        int r;

        r = read_load_arguments(message, "loading", &name, &params, &flags, error);
        if (r < 0)
                return r;
        /* Before polkit: an authorization held for a refused load would cost memory too. */
        _cleanup_free_ char *doing = NULL;
        if (asprintf(&doing, "%s module '%s'", flags & MODCTL_LOAD_DRY_RUN ? "dry-run loading" : "load", name) < 0)
                return -ENOMEM;
        r = bus_check_memory(manager_memory(m), doing, error);
        if (r < 0)
                return r;

        if ((flags & MODCTL_LOAD_VERDICTS) && !(flags & MODCTL_LOAD_DRY_RUN))
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "The verdicts flag (0x%" PRIx64 ") is valid only in a dry run (0x%" PRIx64
                                      "); '%s' was not loaded.", MODCTL_LOAD_VERDICTS, MODCTL_LOAD_DRY_RUN, name);
        if (flags & MODCTL_LOAD_DRY_RUN)
                /* A dry run changes nothing, so anyone may ask what a load would do. */
                return inspect(m, message, INSPECT_DRY_RUN, name, params, flags, reply_dry_run, error);

        /* Flags that get past install-command blocks or the kernel's version checks have their own
         * action (auth_admin), and every load tells rules its flags. */
        bool force = flags & (MODCTL_LOAD_IGNORE_COMMANDS | MODCTL_LOAD_FORCE_VERMAGIC | MODCTL_LOAD_FORCE_MODVERSION);
        _cleanup_free_ char *what = NULL, *flags_text = NULL;
        if (asprintf(&what, "load module '%s'%s", name, force ? " with force or ignore-install flags" : "") < 0 ||
            asprintf(&flags_text, "0x%" PRIx64, flags) < 0)
                return -ENOMEM;
        r = bus_verify_polkit_async(b, message, force ? POLKIT_ACTION_LOAD_FORCE : POLKIT_ACTION_LOAD,
                                    STRV_MAKE("module", name, "parameters", params, "flags", flags_text), what, error);
        if (r <= 0)
                return r == 0 ? 1 : r; /* 0: polkit is asked, the call comes back */

        Requester who;
        bus_requester_from_message(message, &who);
        manager_load(m, name, params, flags, ORIGIN_USER, &who, reply_when_done,
                     sd_bus_message_ref(message));
        return 1;
}

/* The reply's "what" for a LoadFile call, whose first argument is a descriptor, not a name. */
static void reply_load_file(const Failure *failure, char **changed, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *message = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        if (failure) {
                bus_error_from_failure(&error, failure);
                bus_reply_error_or_fail(message, &error, "the LoadFile reply");
        } else {
                int r = build_strv_reply(message, changed, &reply);
                bus_reply_or_fail(message, reply, r, "the LoadFile reply");
        }
}

static int method_load_file(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        const char *params;
        uint64_t flags;
        int fd, r;

        r = sd_bus_message_read(message, "hst", &fd, &params, &flags);
        if (r < 0)
                return r;
        if (flags & ~MODCTL_LOAD_FLAGS_ALL)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "Unknown flags 0x%" PRIx64 " for loading a module file.",
                                      flags & ~MODCTL_LOAD_FLAGS_ALL);
        if (flags & MODCTL_LOAD_VERDICTS)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "The verdicts flag (0x%" PRIx64 ") is not supported for a module file; "
                                      "nothing was loaded.", MODCTL_LOAD_VERDICTS);
        r = validate_params("(module file)", params, error);
        if (r < 0)
                return r;
        r = bus_check_memory(manager_memory(m), "load a module file", error);
        if (r < 0)
                return r;

        /* Its own action, dry runs included: rules granting org.modctl1.load (names from the
         * distribution's tree) never let a caller bring its own code. The file is read only
         * once the caller is authorized. */
        _cleanup_free_ char *flags_text = NULL;
        if (asprintf(&flags_text, "0x%" PRIx64, flags) < 0)
                return -ENOMEM;
        r = bus_verify_polkit_async(b, message, POLKIT_ACTION_LOAD_FILE,
                                    STRV_MAKE("parameters", params, "flags", flags_text),
                                    "load a kernel module from a file", error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        Requester who;
        bus_requester_from_message(message, &who);
        manager_load_file(m, fd, params, flags, ORIGIN_USER, &who, reply_load_file, sd_bus_message_ref(message));
        return 1;
}

static int method_unload(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        const char *name;
        uint64_t flags;
        int r;

        r = sd_bus_message_read(message, "st", &name, &flags);
        if (r < 0)
                return r;

        if (flags & ~MODCTL_UNLOAD_FLAGS_ALL)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "Unknown flags 0x%" PRIx64 " for unloading module '%s'.",
                                      flags & ~MODCTL_UNLOAD_FLAGS_ALL, name);
        r = bus_validate_name(name, error);
        if (r < 0)
                return r;

        /* Skipping modprobe.d remove commands gets past what an admin pinned there (`remove X
         * /bin/false`), as Load's ignore-install flag gets past install commands: the same force
         * action (auth_admin), and rules see the flags here too. */
        bool force = flags & MODCTL_UNLOAD_IGNORE_COMMANDS;
        _cleanup_free_ char *what = NULL, *flags_text = NULL;
        r = asprintf(&what, "unload module '%s'%s%s", name,
                     flags & MODCTL_UNLOAD_REMOVE_HOLDERS ? " and the modules holding it" : "",
                     force ? " ignoring its remove commands" : "");
        if (r < 0 || asprintf(&flags_text, "0x%" PRIx64, flags) < 0)
                return -ENOMEM;
        r = bus_verify_polkit_async(b, message, force ? POLKIT_ACTION_LOAD_FORCE : POLKIT_ACTION_UNLOAD,
                                    STRV_MAKE("module", name, "flags", flags_text, "operation", "unload"),
                                    what, error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        Requester who;
        bus_requester_from_message(message, &who);
        manager_unload(m, name, flags, ORIGIN_USER, &who, reply_when_done, sd_bus_message_ref(message));
        return 1;
}

static int list_reply(sd_bus_message *message, const KernelModule *modules, size_t n, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(stiasss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_open_container(reply, 'r', "stiasss");
                if (r < 0)
                        return r;
                r = bus_append(reply, "sti", modules[i].name, modules[i].size, (int32_t) modules[i].refcount);
                if (r < 0)
                        return r;
                r = bus_append_strv(reply, modules[i].holders);
                if (r < 0)
                        return r;
                r = bus_append(reply, "ss", kernel_module_state_to_string(modules[i].state),
                               strempty(modules[i].taint));
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(reply);
        return 0;
}

static int method_list(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        BusContext *b = userdata;
        Manager *m = b->manager;
        KernelModule *modules = NULL;
        size_t n = 0;
        CLEANUP_ARRAY(modules, n, kernel_module_array_free);
        int r;

        r = module_registry_list(manager_modules(m), &modules, &n);
        if (r < 0)
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot read the list of loaded modules: %s.", strerror(-r));

        r = list_reply(message, modules, n, &reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot build the list of loaded modules: %s.",
                                      strerror(-r));
        return r;
}

static int method_info(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        const char *name;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        r = bus_validate_name(name, error);
        if (r < 0)
                return r;

        /* libkmod reads (and decompresses) the module file for modinfo: not on the event loop. */
        return inspect(m, message, INSPECT_INFO, name, NULL, 0, reply_info, error);
}

static void reply_info(const InspectResult *result, sd_bus_message *message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (char **p = result->pairs; r >= 0 && p && p[0] && p[1]; p += 2)
                r = bus_append(reply, "(ss)", p[0], p[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        _cleanup_free_ char *what = reply_what(message, "Info");
        bus_reply_or_fail(message, reply, r, what ?: "the Info reply");
}

static int method_check_policy(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        const char *name, *params;
        uint64_t flags;
        int r;

        r = read_load_arguments(message, "checking", &name, &params, &flags, error);
        if (r < 0)
                return r;

        /* A dry run: open to everyone, like Load with the dry-run flag. */
        return inspect(m, message, INSPECT_CHECK_POLICY, name, params, flags, reply_check_policy, error);
}

static void reply_check_policy(const InspectResult *result, sd_bus_message *message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        int r;

        r = plan_describe(result->plan, &lines);
        if (r >= 0)
                r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = bus_append_strv(reply, lines);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < result->report->n; i++) {
                const PolicyVerdict *v = &result->report->verdicts[i];
                r = bus_append(reply, "(sssss)", v->module, policy_decision_to_string(v->decision),
                               strempty(v->rule), strempty(v->reason), v->taint);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        _cleanup_free_ char *what = reply_what(message, "CheckPolicy");
        bus_reply_or_fail(message, reply, r, what ?: "the CheckPolicy reply");
}

static int method_get_policy(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(bus_caller_done) BusCaller caller = {};
        _cleanup_free_ char *text = NULL;
        BusContext *b = userdata;
        int r;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        bus_caller_from_message(message, &caller);
        r = policy_snapshot_describe(manager_policy(b->manager), &caller.caller, &text);
        if (r >= 0)
                r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = bus_append(reply, "s", text);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot describe the policy: %s.", strerror(-r));
        return r;
}

static int method_reload_config(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        BusContext *b = userdata;
        Manager *m = b->manager;
        int r;

        r = bus_verify_polkit_async(b, message, POLKIT_ACTION_RELOAD_CONFIG, NULL,
                                    "reload the modctld configuration", error);
        if (r <= 0)
                return r == 0 ? 1 : r; /* 0: polkit is asked, the call comes back */

        r = manager_reload_config(m, &failure);
        if (r < 0)
                return bus_error_from_failure(error, &failure);
        return sd_bus_reply_method_return(message, NULL);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", MODCTL_VERSION);
}

static int property_kernel_release(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        return bus_append(reply, "s", manager_kernel_release(m));
}

static int property_policy_mode(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        return sd_bus_message_append(reply, "s", policy_mode_to_string(manager_policy(m)->config->policy.mode));
}

typedef struct InsertReply {
        sd_bus_message *reply;
        int r;
} InsertReply;

static void append_insert(const char *name, const char *origin, uint64_t running_usec, bool timed_out,
                          void *userdata) {
        InsertReply *ir = userdata;

        if (ir->r >= 0)
                ir->r = sd_bus_message_append(ir->reply, "(sstb)", name, origin, running_usec, timed_out);
}

/* The module inits under way, with how long each has run. */
static int property_inserting(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        InsertReply ir = { reply, 0 };
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sstb)");
        if (r < 0)
                return r;
        manager_foreach_insert(b->manager, append_insert, &ir);
        if (ir.r < 0)
                return ir.r;
        return sd_bus_message_close_container(reply);
}

/* One flat map: the manager's counters for every origin, then the kernel hook's. */
static int property_statistics(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Manager *m = b->manager;
        HookStatistics st;
        int r;

        manager_read_reports(m);
        manager_get_hook_statistics(m, &st);
        const struct { const char *key; uint64_t value; } hook_counters[] = {
                { "requests",     st.requests },
                { "cache-hits",   st.cache_hits },
                { "cache-misses", st.cache_misses },
                { "coalesced",    st.coalesced },
                { "in-flight",    st.in_flight },
                { "refused",      st.refused },
                { "malformed",    st.malformed },
                { "fallbacks",    st.fallbacks },
        };

        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < _MANAGER_COUNTER_MAX; i++) {
                r = sd_bus_message_append(reply, "{st}", manager_counter_to_string(i), manager_get_counter(m, i));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(hook_counters); i++) {
                r = sd_bus_message_append(reply, "{st}", hook_counters[i].key, hook_counters[i].value);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", property_kernel_release, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* Changes on ReloadConfig; counters change all the time: both are read, not signalled. */
        SD_BUS_PROPERTY("PolicyMode", "s", property_policy_mode, 0, 0),
        SD_BUS_PROPERTY("Statistics", "a{st}", property_statistics, 0, 0),
        SD_BUS_PROPERTY("Inserting", "a(sstb)", property_inserting, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Load",
                                SD_BUS_ARGS("s", name, "s", parameters, "t", flags),
                                SD_BUS_RESULT("as", inserted),
                                method_load, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("LoadFile",
                                SD_BUS_ARGS("h", file, "s", parameters, "t", flags),
                                SD_BUS_RESULT("as", inserted),
                                method_load_file, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unload",
                                SD_BUS_ARGS("s", name, "t", flags),
                                SD_BUS_RESULT("as", removed),
                                method_unload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("List",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(stiasss)", modules),
                                method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Info",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("a(ss)", fields),
                                method_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckPolicy",
                                SD_BUS_ARGS("s", name, "s", parameters, "t", flags),
                                SD_BUS_RESULT("as", plan, "a(sssss)", verdicts),
                                method_check_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPolicy",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", text),
                                method_get_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReloadConfig",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_reload_config, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("ModuleLoaded", SD_BUS_ARGS("s", name, "s", origin), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PolicyWarning", SD_BUS_ARGS("s", module, "s", rule, "s", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ConfigReloaded", SD_BUS_ARGS("s", result, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ModuleUnloaded", SD_BUS_ARGS("s", name, "s", origin), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ModuleLoadFailed",
                                SD_BUS_ARGS("s", name, "s", origin, "s", error_name, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("AutoloadFinished",
                                SD_BUS_ARGS("s", batch, "u", requested, "u", inserted, "u", failed, "t", usec), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SettingChanged",
                                SD_BUS_ARGS("s", module, "s", setting, "s", value, "s", file), 0),
        SD_BUS_VTABLE_END
};

void bus_manager_emit_module_event(BusContext *b, bool loaded, const char *name, const char *origin) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, loaded ? "ModuleLoaded" : "ModuleUnloaded", "ss", name, origin);
        if (r < 0)
                log_warning_errno(r, "Failed to emit signal for module %s: %m", name);
}

void bus_manager_emit_policy_warning(BusContext *b, const char *module, const char *rule, const char *reason) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "PolicyWarning", "sss",
                               module, rule, reason);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PolicyWarning for module %s: %m", module);
}

void bus_manager_emit_config_reloaded(BusContext *b, bool applied, const char *message) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "ConfigReloaded", "ss",
                               applied ? "applied" : "refused", message);
        if (r < 0)
                log_warning_errno(r, "Failed to emit ConfigReloaded: %m");
}

void bus_manager_emit_load_failed(BusContext *b, const char *name, const char *origin, const Failure *failure) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!b->bus)
                return;
        bus_error_from_failure(&error, failure);
        r = bus_emit(b->bus, "ModuleLoadFailed", "ssss",
                               name, origin, strempty(error.name), strempty(error.message));
        if (r < 0)
                log_warning_errno(r, "Failed to emit signal for module %s: %m", name);
}

void bus_manager_emit_autoload_finished(BusContext *b, const char *batch, unsigned requested, unsigned inserted,
                                        unsigned failed, uint64_t usec) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "AutoloadFinished", "suuut",
                               batch, requested, inserted, failed, usec);
        if (r < 0)
                log_warning_errno(r, "Failed to emit AutoloadFinished for %s: %m", batch);
}

void bus_manager_emit_setting_changed(BusContext *b, const char *module, const char *setting, const char *value,
                                      const char *file) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "SettingChanged", "ssss",
                               module, setting, value, file);
        if (r < 0)
                log_warning_errno(r, "Failed to emit SettingChanged for module %s: %m", module);
}

const BusObjectImplementation bus_manager_object = {
        .path = MODCTL_BUS_PATH,
        .interface = MODCTL_BUS_INTERFACE,
        .vtable = manager_vtable,
};
