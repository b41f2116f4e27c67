/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "sources/autoload.h"
#include "engine/timeline.h"
#include "common/time-util.h"
#include "settings/boot-list.h"
#include "common/log.h"
#include "engine/manager-events.h"
#include "engine/module-registry.h"
#include "core/sticky.h"
#include "common/strv.h"
#include "sources/udev.h"

typedef struct Batch Batch;

struct Autoload {
        const AutoloadPort *port;
        void *userdata;
        char *config_root;
        char *kernel_cmdline;
        bool disabled;
        char *sysfs;
        Sticky *sticky;
        DeviceMonitor *monitor;
        DeviceEnumeration *enumeration; /* the coldplug walk, while it runs */
        sd_event_source *feeder;        /* submits the queued loads of the batches, one a dispatch */
        Batch *boot;
        Batch *coldplug;
        bool boot_done;
        unsigned n_coldplugs; /* runs so far: only the first one is the start's phases */
        uint64_t walk_began;
        /* The first walk, begun before autoload starts (autoload_prewalk) so that it is off the
         * boot's path: its result waits here for the coldplug batch. */
        bool prewalk;           /* the walk running is the early one, no batch has taken it yet */
        bool walked;            /* and it is done: walk_result, walk_aliases, walk_ended */
        int walk_result;
        char **walk_aliases;
        uint64_t walk_ended;
        bool monitor_tried;
        bool started;           /* autoload_start ran: device events are acted on */
        char **held_aliases;    /* devices added before that, in order */
};

/* A set of loads submitted together; done when the last one is. */
struct Batch {
        Autoload *autoload;
        const char *what;       /* "boot" or "coldplug", as in AutoloadFinished */
        unsigned pending;
        unsigned loaded;        /* modules inserted, dependencies included */
        char **failed;
        uint64_t start_usec;
        unsigned n_items;
        unsigned n_sources;     /* files or devices it came from, for the log */
        char **queue;           /* names not submitted yet; the batch holds itself until they are */
        size_t next;
        const char *plan_phase; /* TIMELINE_PHASE_PLAN_*: a batch of the daemon's start; else NULL */
};

static Batch *batch_new(Autoload *a, const char *what) {
        Batch *b = calloc(1, sizeof(Batch));
        if (!b)
                return NULL;
        b->autoload = a;
        b->what = what;
        b->pending = 1; /* held while submitting: loads may finish before submission ends */
        b->start_usec = now_usec(CLOCK_MONOTONIC);
        a->port->started(a->userdata, what);
        return b;
}

static void batch_finished(Batch *b) {
        Autoload *a = b->autoload;
        uint64_t usec = now_usec(CLOCK_MONOTONIC) - b->start_usec, ms = usec / 1000;
        _cleanup_free_ char *failed = strv_join(b->failed, ", ");

        if (strv_length(b->failed) > 0)
                log_warning("Autoload %s: %u modules requested, %u inserted, %zu failed (%s), in %llu ms.",
                            b->what, b->n_items, b->loaded, strv_length(b->failed), strempty(failed),
                            (unsigned long long) ms);
        else
                log_info("Autoload %s: %u modules requested, %u inserted, in %llu ms.", b->what, b->n_items, b->loaded,
                         (unsigned long long) ms);

        if (b == a->boot) {
                a->boot = NULL;
                a->boot_done = true;
        } else if (b == a->coldplug)
                a->coldplug = NULL;
        /* Listeners hear of it first, then READY=1 may follow. */
        a->port->finished(a->userdata, b->what, b->n_items, b->loaded, (unsigned) strv_length(b->failed),
                                  usec);
        strv_free(b->failed);
        strv_free(b->queue);
        free(b);
}

static void batch_release(Batch *b) {
        if (--b->pending == 0)
                batch_finished(b);
}

static void on_batch_item_done(const Failure *failure, char **changed, void *userdata) {
        Batch *b = userdata;
        b->loaded += strv_length(changed);
        /* The manager logged the failure itself; keep the names for the summary. */
        if (failure)
                (void) strv_extend(&b->failed, "?");
        batch_release(b);
}

typedef struct ItemDone {
        Batch *batch;
        char *name;
} ItemDone;

static void on_named_item_done(const Failure *failure, char **changed, void *userdata) {
        ItemDone *d = userdata;
        Batch *b = d->batch;

        b->loaded += strv_length(changed);
        if (failure)
                (void) strv_push(&b->failed, TAKE_PTR(d->name));
        free(d->name);
        free(d);
        batch_release(b);
}

static void batch_load_one(Batch *b, const char *name, const char *origin) {
        ItemDone *d = calloc(1, sizeof(ItemDone));
        b->pending++;
        b->n_items++;
        if (!d || !(d->name = strdup(name))) {
                free(d);
                b->autoload->port->load(b->autoload->userdata, name, origin, on_batch_item_done, b);
                return;
        }
        d->batch = b;
        b->autoload->port->load(b->autoload->userdata, name, origin, on_named_item_done, d);
}

/* Submitting a load plans it on the spot: for the start's batches, that is a piece of the
 * planning phase. The load may finish, and free b, before port->load returns. */
static void batch_load(Batch *b, const char *name, const char *origin) {
        const AutoloadPort *port = b->autoload->port;
        void *userdata = b->autoload->userdata;
        const char *phase = b->plan_phase;
        uint64_t began = phase ? port->now(userdata) : 0;

        batch_load_one(b, name, origin);
        if (phase)
                port->phase(userdata, phase, began, port->now(userdata));
}

/* Planning a load takes a while (libkmod lookups), and the scheduler advances a job only on
 * the event loop: planning a whole batch in one go left the workers without their next steps
 * until it was done. So a batch's loads are submitted one per dispatch, below the priority of
 * the scheduler's results, the bus and the hook: inserting starts with the first plan, and
 * the results of earlier loads are handled between the plans of later ones. The boot list goes
 * first, as systemd-modules-load does before udev's coldplug. */
#define AUTOLOAD_FEED_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 1)

static bool batch_feed_one(Batch *b) {
        if (!b || !b->queue)
                return false;
        if (b->queue[b->next]) {
                batch_load(b, b->queue[b->next++], streq(b->what, "boot") ? ORIGIN_BOOT : ORIGIN_DEVICE);
                return true;
        }
        /* Everything is submitted: drop the hold (which may finish and free the batch). */
        b->queue = strv_free(b->queue);
        batch_release(b);
        return true;
}

static int on_feed(sd_event_source *s, void *userdata) {
        Autoload *a = userdata;

        if (!batch_feed_one(a->boot) && !batch_feed_one(a->coldplug))
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

/* Queues names for b (taking them) and makes sure the feeder runs. */
static int batch_queue(Batch *b, char **names) {
        Autoload *a = b->autoload;
        int r;

        b->queue = names ?: calloc(1, sizeof(char *));
        if (!b->queue)
                return -ENOMEM;
        b->next = 0;
        if (!a->feeder) {
                r = sd_event_add_defer(a->port->event(a->userdata), &a->feeder, on_feed, a);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_priority(a->feeder, AUTOLOAD_FEED_PRIORITY);
                (void) sd_event_source_set_description(a->feeder, "autoload-feed");
        }
        return sd_event_source_set_enabled(a->feeder, SD_EVENT_ON);
}

/* ---- devices ---- */

/* The modules a modalias wants. No match is the common case (most devices need no module or
 * have theirs built in), so it is not worth more than a debug line. */
static int modules_for_alias(Autoload *a, const char *alias, DeviceTrigger trigger, char ***names) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(strv_freep) char **matches = NULL;
        int r;

        r = a->port->lookup_alias(a->userdata, alias, &matches, &failure);
        if (r < 0) {
                log_debug("No module for device alias %s: %s", alias, strempty(failure.message));
                return 0;
        }
        STRV_FOREACH(n, matches) {
                if (strv_contains(*names, *n))
                        continue;
                if (!sticky_allows(a->sticky, *n, trigger)) {
                        log_info("Not loading module %s for device alias %s: it was unloaded by an administrator "
                                 "(load it explicitly, or re-add the device, to bring it back).", *n, alias);
                        continue;
                }
                r = strv_extend(names, *n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void on_hotplug_done(const Failure *failure, char **changed, void *userdata) {
        /* The manager logged and signalled the outcome. */
}

static void device_added(Autoload *a, const char *modalias) {
        _cleanup_(strv_freep) char **names = NULL;

        a->port->refresh_index(a->userdata);
        if (modules_for_alias(a, modalias, DEVICE_TRIGGER_HOTPLUG, &names) < 0) {
                log_oom();
                return;
        }
        STRV_FOREACH(n, names)
                a->port->load(a->userdata, *n, ORIGIN_DEVICE, on_hotplug_done, NULL);
}

static void on_device_added(const char *modalias, const char *syspath, void *userdata) {
        Autoload *a = userdata;

        log_debug("Device %s added with alias %s.", syspath, modalias);
        /* Before autoload starts (the early walk's monitor), the boot list goes first. */
        if (!a->started) {
                if (strv_extend(&a->held_aliases, modalias) < 0)
                        log_oom();
                return;
        }
        device_added(a, modalias);
}

/* The monitor first: a device added while coldplug walks /sys is then seen either way. */
static void start_monitor(Autoload *a) {
        int r;

        if (a->monitor_tried || strcmp(a->sysfs, "/sys") != 0)
                return;
        a->monitor_tried = true;
        r = device_monitor_new(a->port->event(a->userdata), "/run/udev/control", on_device_added, a, &a->monitor);
        if (r < 0)
                log_warning_errno(r, "Cannot watch device events, devices added from now on get no driver: %m");
        else
                log_debug("Watching device events from the %s source.", device_monitor_source(a->monitor));
}

/* The walk over /sys is done (at walk_ended): find the modules its aliases want and queue their
 * loads. */
static void coldplug_devices(Autoload *a, int result, char **aliases_in, uint64_t walk_ended) {
        _cleanup_(strv_freep) char **aliases = aliases_in, **names = NULL;
        Batch *b = a->coldplug;
        uint64_t began = a->port->now(a->userdata);
        int r;

        if (b->plan_phase)
                a->port->phase(a->userdata, TIMELINE_PHASE_DEVICE_WALK, a->walk_began, walk_ended);
        if (result < 0)
                log_warning_errno(result, "Cannot walk %s/devices for present devices, no coldplug: %m", a->sysfs);
        a->port->refresh_index(a->userdata);
        STRV_FOREACH(al, aliases) {
                r = modules_for_alias(a, *al, DEVICE_TRIGGER_COLDPLUG, &names);
                if (r < 0) {
                        log_oom();
                        break;
                }
        }
        b->n_sources = strv_length(aliases);
        if (b->plan_phase)
                a->port->phase(a->userdata, TIMELINE_PHASE_DEVICE_LOOKUP, began, a->port->now(a->userdata));
        log_debug("Coldplug: %u distinct device aliases want %zu modules.", b->n_sources, strv_length(names));
        r = batch_queue(b, TAKE_PTR(names));
        if (r < 0) {
                log_error_errno(r, "Cannot queue the coldplug loads: %m");
                batch_release(b);
        }
}

static void on_devices_enumerated(int result, char **aliases, void *userdata) {
        Autoload *a = userdata;
        uint64_t ended = a->port->now(a->userdata);

        a->enumeration = device_enumeration_free(a->enumeration);
        if (a->prewalk) {
                /* The early walk, done before the coldplug batch: kept for it. */
                a->walked = true;
                a->walk_result = result;
                a->walk_aliases = aliases;
                a->walk_ended = ended;
                return;
        }
        coldplug_devices(a, result, aliases, ended);
}

int autoload_prewalk(Autoload *a) {
        int r;

        if (!a || a->disabled || a->started || a->enumeration || a->walked)
                return 0;
        start_monitor(a);
        a->walk_began = a->port->now(a->userdata);
        r = devices_enumerate_async(a->port->event(a->userdata), a->sysfs, on_devices_enumerated, a,
                                    &a->enumeration);
        if (r < 0) {
                /* The coldplug walks then, as it would have without this. */
                log_debug_errno(r, "Cannot start walking %s/devices early: %m", a->sysfs);
                return 0;
        }
        a->prewalk = true;
        return 0;
}

int autoload_coldplug(Autoload *a) {
        Batch *b;
        int r;

        assert(a);

        if (a->disabled || a->coldplug)
                return 0;

        b = batch_new(a, "coldplug");
        if (!b)
                return log_oom();
        a->coldplug = b;
        if (a->n_coldplugs++ == 0)
                b->plan_phase = TIMELINE_PHASE_PLAN_COLDPLUG;
        if (a->prewalk) {
                /* The early walk: its end queues the loads, or it has ended and they go now. */
                a->prewalk = false;
                if (a->walked) {
                        a->walked = false;
                        coldplug_devices(a, a->walk_result, TAKE_PTR(a->walk_aliases), a->walk_ended);
                }
                return 0;
        }
        a->walk_began = a->port->now(a->userdata);

        /* The walk runs on a thread while the boot list's loads go on; its aliases are looked
         * up and queued when it is done. */
        r = devices_enumerate_async(a->port->event(a->userdata), a->sysfs, on_devices_enumerated, a,
                                    &a->enumeration);
        if (r < 0) {
                char **aliases = NULL;

                log_warning_errno(r, "Cannot start walking %s/devices on a thread, walking it now: %m", a->sysfs);
                r = devices_enumerate_modaliases(a->sysfs, &aliases);
                coldplug_devices(a, r, aliases, a->port->now(a->userdata));
        }
        return 0;
}

/* ---- boot list ---- */

static int autoload_boot(Autoload *a) {
        _cleanup_(strv_freep) char **names = NULL;
        uint64_t began = a->port->now(a->userdata);
        Batch *b;
        int r;

        r = boot_list_load(a->config_root, a->kernel_cmdline, &names);
        if (r < 0)
                log_warning_errno(r, "Cannot read the boot module list (modules-load.d, modules_load=): %m");
        a->port->phase(a->userdata, TIMELINE_PHASE_BOOT_LIST, began, a->port->now(a->userdata));

        b = batch_new(a, "boot");
        if (!b)
                return log_oom();
        a->boot = b;
        b->plan_phase = TIMELINE_PHASE_PLAN_BOOT;
        r = batch_queue(b, TAKE_PTR(names));
        if (r < 0) {
                log_error_errno(r, "Cannot queue the boot list: %m");
                batch_release(b);
        }
        return 0;
}

/* ---- state ---- */

static void on_module_loaded(const char *name, const char *origin, const Requester *who, void *userdata) {
        Autoload *a = userdata;
        int r;

        r = sticky_loaded(a->sticky, name);
        if (r < 0)
                log_warning_errno(r, "Cannot update the list of unloaded modules for %s: %m", name);
}

/* What an admin removed stays removed for devices (sticky unload). */
static void on_unload_finished(const char *origin, char **removed, void *userdata) {
        Autoload *a = userdata;
        int r;

        if (!streq(origin, ORIGIN_USER))
                return;
        STRV_FOREACH(n, removed) {
                r = sticky_unloaded(a->sticky, *n);
                if (r < 0)
                        log_warning_errno(r, "Cannot record that %s was unloaded: %m", *n);
        }
}

/* What the new configuration allows for present devices gets loaded; sticky unloads hold. */
static void on_config_reloaded(bool applied, const char *message, void *userdata) {
        if (applied)
                (void) autoload_coldplug(userdata);
}

static const ManagerEvents autoload_events = {
        .module_loaded = on_module_loaded,
        .unload_finished = on_unload_finished,
        .config_reloaded = on_config_reloaded,
};

bool autoload_boot_done(Autoload *a) {
        return !a || a->boot_done;
}

int autoload_start(Autoload *a) {
        int r;

        assert(a);

        if (a->disabled) {
                a->boot_done = true;
                return 0;
        }

        r = autoload_boot(a);
        if (r < 0)
                return r;

        a->started = true;
        start_monitor(a);
        /* Devices added while the early walk ran, after the boot list. */
        _cleanup_(strv_freep) char **held = TAKE_PTR(a->held_aliases);
        STRV_FOREACH(al, held)
                device_added(a, *al);
        return autoload_coldplug(a);
}

int autoload_new(const AutoloadPort *port, void *userdata, const AutoloadConfig *config, Autoload **ret) {
        _cleanup_(autoload_freep) Autoload *a = calloc(1, sizeof(Autoload));
        _cleanup_free_ char *path = NULL;
        int r;

        assert(port);
        assert(config);
        assert(ret);
        if (!a)
                return log_oom();
        a->disabled = config->disabled;
        a->sysfs = strdup(config->sysfs ?: "/sys");
        a->config_root = config->config_root ? strdup(config->config_root) : NULL;
        a->kernel_cmdline = config->kernel_cmdline ? strdup(config->kernel_cmdline) : NULL;
        if (!a->sysfs || (config->config_root && !a->config_root) || (config->kernel_cmdline && !a->kernel_cmdline))
                return log_oom();

        /* Under /run: survives a daemon restart, not a reboot. */
        if (asprintf(&path, "%s/run/modctl/unloaded", strempty(a->config_root)) < 0)
                return log_oom();
        r = sticky_new(path, &a->sticky);
        if (r < 0) {
                log_warning_errno(r, "Cannot read %s, starting with no sticky unloads: %m", path);
                if (sticky_new(NULL, &a->sticky) < 0)
                        return log_oom();
        }
        r = port->add_listener(userdata, &autoload_events, a);
        if (r < 0)
                return log_oom();
        a->port = port;
        a->userdata = userdata;

        *ret = TAKE_PTR(a);
        return 0;
}

Autoload *autoload_free(Autoload *a) {
        if (!a)
                return NULL;
        if (a->port)
                a->port->remove_listener(a->userdata, &autoload_events, a);
        device_monitor_free(a->monitor);
        device_enumeration_free(a->enumeration);
        strv_free(a->walk_aliases);
        strv_free(a->held_aliases);
        sd_event_source_disable_unref(a->feeder);
        /* Pending batches belong to loads the manager drops on free; their callbacks never run. */
        if (a->boot) {
                strv_free(a->boot->failed);
                strv_free(a->boot->queue);
                free(a->boot);
        }
        if (a->coldplug) {
                strv_free(a->coldplug->failed);
                strv_free(a->coldplug->queue);
                free(a->coldplug);
        }
        sticky_free(a->sticky);
        free(a->sysfs);
        free(a->config_root);
        free(a->kernel_cmdline);
        free(a);
        return NULL;
}
