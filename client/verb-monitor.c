/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* monitor: print module loads, unloads and failed loads as modctld reports them, with who asked
 * (the origin), until interrupted. One line per event, flushed, so it can be piped; with
 * --json one JSON object per line. The signals come from the bus, never the private socket.
 * When modctld is not running it says so, and says when it starts and stops. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"

/* The last request_module() that the kernel let through (KernelRequest, sent while kernel-enforced
 * ownership's programs are loaded): a load of origin kernel that follows is what it caused.
 * The kernel hook runs after the LSM hook, so the request always comes first; with several
 * requests in flight at once, this names the latest. */
typedef struct Requester {
        char name[64];
        char comm[64];          /* 15 bytes of comm, each invalid byte U+FFFD on the bus */
        uint32_t pid, uid;
        uint64_t at;            /* CLOCK_MONOTONIC usec, 0: none */
} Requester;

#define REQUESTER_MAX_AGE_USEC (30ULL * 1000000ULL)

typedef struct Monitor {
        const Options *options;
        Requester last;
} Monitor;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void emit_json(json_object *obj) {
        if (obj)
                (void) print_json(obj, JSON_SHORT);
        json_object_put(obj);
}

static json_object *event_object(const char *event, const char *name, const char *origin) {
        json_object *obj = json_object_new_object();

        if (!obj)
                return NULL;
        json_object_object_add(obj, "event", json_object_new_string(event));
        if (name)
                json_object_object_add(obj, "module", json_object_new_string(name));
        if (origin)
                json_object_object_add(obj, "origin", json_object_new_string(origin));
        return obj;
}

static void add_int(json_object *obj, const char *key, int64_t v) {
        if (obj)
                json_object_object_add(obj, key, json_object_new_int64(v));
}

static void add_str(json_object *obj, const char *key, const char *v) {
        if (obj)
                json_object_object_add(obj, key, json_object_new_string(v));
}

static int on_module_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        Requester *last = &mon->last;
        bool json = mon->options->json != JSON_OFF;
        const char *member = sd_bus_message_get_member(m);
        const char *name, *origin, *error_name, *message;
        int r;

        if (strcmp(member, "KernelRequest") == 0) {
                const char *comm, *kthread_comm = "";
                uint32_t pid, uid, kthread_pid = 0;
                char via[64] = "";
                int refused;

                r = sd_bus_message_read(m, "suusb", &name, &pid, &uid, &comm, &refused);
                if (r < 0)
                        return 0;
                /* A daemon older than the kernel-thread attribution sends only the first five. */
                if (sd_bus_message_read(m, "us", &kthread_pid, &kthread_comm) < 0)
                        kthread_pid = 0;
                if (kthread_pid != 0 && pid != kthread_pid)
                        snprintf(via, sizeof(via), _(", through kernel thread %u %s"), kthread_pid,
                                 term_escape(kthread_comm));
                if (!refused) {
                        snprintf(last->name, sizeof(last->name), "%s", name);
                        snprintf(last->comm, sizeof(last->comm), "%s", comm);
                        last->pid = pid;
                        last->uid = uid;
                        last->at = now_usec();
                        return 0;
                }
                if (json) {
                        json_object *obj = event_object("refused-kernel-request", name, "kernel");
                        add_int(obj, "pid", pid);
                        add_int(obj, "uid", uid);
                        add_str(obj, "comm", comm);
                        if (kthread_pid != 0) {
                                add_int(obj, "kthread_pid", kthread_pid);
                                add_str(obj, "kthread_comm", kthread_comm);
                        }
                        emit_json(obj);
                } else if (pid == 0 && kthread_pid != 0)
                        printf(_("refused   kernel request %s by kernel thread %u %s, cause unknown (KernelRequests=)\n"),
                               term_escape(name), kthread_pid, term_escape(kthread_comm));
                else
                        printf(_("refused   kernel request %s by pid %u %s, uid %u%s (KernelRequests=)\n"),
                               term_escape(name), pid, term_escape(comm), uid, via);
        } else if (strcmp(member, "ExternalLoad") == 0) {
                const char *syscall, *comm, *exe, *unit, *cgroup, *file;
                uint32_t pid, uid;
                int refused;

                r = sd_bus_message_read(m, "suusssssb", &syscall, &pid, &uid, &comm, &exe, &unit, &cgroup, &file,
                                        &refused);
                if (r < 0)
                        return 0;
                if (json) {
                        json_object *obj = event_object(refused ? "refused-external-load" : "external-load", NULL, NULL);
                        add_str(obj, "syscall", syscall);
                        add_str(obj, "file", file);
                        add_int(obj, "pid", pid);
                        add_int(obj, "uid", uid);
                        add_str(obj, "comm", comm);
                        add_str(obj, "exe", exe);
                        add_str(obj, "unit", unit);
                        add_str(obj, "cgroup", cgroup);
                        emit_json(obj);
                } else
                        printf(refused ? _("refused   %s of %s by pid %u %s, uid %u, exe %s, %s\n")
                                       : _("external  %s of %s by pid %u %s, uid %u, exe %s, %s\n"),
                               term_escape(syscall), term_escape(*file ? file : "-"), pid, term_escape(comm), uid,
                               term_escape(*exe ? exe : "-"), term_escape(*unit ? unit : cgroup));
        } else if (strcmp(member, "AutoloadFinished") == 0) {
                uint32_t requested, inserted, failed;
                uint64_t usec;

                r = sd_bus_message_read(m, "suuut", &name, &requested, &inserted, &failed, &usec);
                if (r < 0)
                        return 0;
                if (json) {
                        json_object *obj = event_object("finished", NULL, NULL);
                        add_str(obj, "batch", name);
                        add_int(obj, "requested", requested);
                        add_int(obj, "inserted", inserted);
                        add_int(obj, "failed", failed);
                        add_int(obj, "usec", (int64_t) usec);
                        emit_json(obj);
                } else
                        printf(_("finished  %s: %u requested, %u inserted, %u failed, in %llu ms\n"), term_escape(name), requested,
                               inserted, failed, (unsigned long long) (usec / 1000));
        } else if (strcmp(member, "ModuleLoadFailed") == 0) {
                r = sd_bus_message_read(m, "ssss", &name, &origin, &error_name, &message);
                if (r < 0)
                        return 0; /* not the contract's signature: not ours to print */
                if (json) {
                        json_object *obj = event_object("failed", name, origin);
                        add_str(obj, "error", error_name);
                        add_str(obj, "message", message);
                        emit_json(obj);
                } else
                        printf(_("failed    %s (origin %s): %s\n"), term_escape(name), term_escape(origin),
                               term_escape(*message ? message : error_name));
        } else {
                bool loaded = strcmp(member, "ModuleLoaded") == 0;
                bool requested;

                r = sd_bus_message_read(m, "ss", &name, &origin);
                if (r < 0)
                        return 0;
                requested = loaded && strcmp(origin, "kernel") == 0 && last->at &&
                        now_usec() - last->at < REQUESTER_MAX_AGE_USEC;
                if (json) {
                        json_object *obj = event_object(loaded ? "loaded" : "unloaded", name, origin);
                        if (requested) {
                                add_int(obj, "requested_by_pid", last->pid);
                                add_int(obj, "requested_by_uid", last->uid);
                                add_str(obj, "requested_by_comm", last->comm);
                        }
                        emit_json(obj);
                } else if (requested)
                        printf(_("loaded    %s (origin kernel (requested by pid %u %s, uid %u))\n"), term_escape(name),
                               last->pid, term_escape(last->comm), last->uid);
                else if (loaded)
                        printf(_("loaded    %s (origin %s)\n"), term_escape(name), term_escape(origin));
                else
                        printf(_("unloaded  %s (origin %s)\n"), term_escape(name), term_escape(origin));
        }
        fflush(stdout);
        return 0;
}

/* NameOwnerChanged for org.modctl1: the daemon started or went away. On stderr, as notices. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (mon->options->quiet)
                return 0;
        if (*new_owner)
                fprintf(stderr, _("modctld started.\n"));
        else
                fprintf(stderr, _("modctld stopped; waiting for it to start again.\n"));
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int monitor(sd_bus *bus, const Options *o) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        static const char *const members[] = { "ModuleLoaded", "ModuleUnloaded", "ModuleLoadFailed",
                                                 "AutoloadFinished", "KernelRequest", "ExternalLoad" };
        Monitor mon = { .options = o };
        int has_owner = -1;
        sigset_t mask;
        int r;

        /* Signals become events: SIGINT ends the loop and we exit 0 after a clean flush. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        if (r < 0)
                return r;
        r = sd_event_add_signal(event, NULL, SIGINT, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_exit_signal, NULL);
        if (r < 0)
                return r;

        /* Synchronous AddMatch: once it returns, no event can slip past us. */
        for (size_t i = 0; i < ELEMENTSOF(members); i++) {
                r = sd_bus_match_signal(bus, NULL, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                        members[i], on_module_event, &mon);
                if (r < 0)
                        return r;
        }
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" MODCTL_BUS_NAME "'",
                             on_owner_changed, &mon);
        if (r >= 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", &error, &reply, "s", MODCTL_BUS_NAME) >= 0)
                        (void) sd_bus_message_read(reply, "b", &has_owner);
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;

        /* The first line on stderr is the promise that the matches are in place (scripts wait
         * for it); what is known about the daemon follows. */
        if (!o->quiet) {
                fprintf(stderr, _("Monitoring module loads and unloads; press Ctrl+C to stop.\n"));
                if (has_owner == 0)
                        fprintf(stderr, _("modctld is not running: nothing will be reported until it starts "
                                          "(systemctl start modctld.service).\n"));
        }
        r = sd_event_loop(event);
        if (r < 0)
                return r;
        return 0;
}

int verb_monitor(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        int r;

        r = monitor(bus, o);
        if (r < 0)
                log_error_line(_("cannot monitor module events: %s"), strerror(-r));
        return r;
}
