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

#include <systemd/sd-event.h>

#include "bus-call.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"
#include "modctl.h"
#include "output.h"

static void emit_json(const Options *o, json_object *obj) {
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

static int on_module_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const Options *o = userdata;
        const char *member = sd_bus_message_get_member(m);
        const char *name, *origin, *error_name, *message;
        int r;

        if (strcmp(member, "AutoloadFinished") == 0) {
                uint32_t requested, inserted, failed;
                uint64_t usec;

                r = sd_bus_message_read(m, "suuut", &name, &requested, &inserted, &failed, &usec);
                if (r < 0)
                        return 0;
                if (o->json != JSON_OFF) {
                        json_object *obj = event_object("finished", NULL, NULL);
                        if (obj) {
                                json_object_object_add(obj, "batch", json_object_new_string(name));
                                json_object_object_add(obj, "requested", json_object_new_int64(requested));
                                json_object_object_add(obj, "inserted", json_object_new_int64(inserted));
                                json_object_object_add(obj, "failed", json_object_new_int64(failed));
                                json_object_object_add(obj, "usec", json_object_new_uint64(usec));
                        }
                        emit_json(o, obj);
                } else
                        printf(_("finished  %s: %u requested, %u inserted, %u failed, in %llu ms\n"), name, requested,
                               inserted, failed, (unsigned long long) (usec / 1000));
        } else if (strcmp(member, "ModuleLoadFailed") == 0) {
                r = sd_bus_message_read(m, "ssss", &name, &origin, &error_name, &message);
                if (r < 0)
                        return 0; /* not the contract's signature: not ours to print */
                if (o->json != JSON_OFF) {
                        json_object *obj = event_object("failed", name, origin);
                        if (obj) {
                                json_object_object_add(obj, "error", json_object_new_string(error_name));
                                json_object_object_add(obj, "message", json_object_new_string(message));
                        }
                        emit_json(o, obj);
                } else
                        printf(_("failed    %s (origin %s): %s\n"), name, origin, *message ? message : error_name);
        } else {
                bool loaded = strcmp(member, "ModuleLoaded") == 0;

                r = sd_bus_message_read(m, "ss", &name, &origin);
                if (r < 0)
                        return 0;
                if (o->json != JSON_OFF)
                        emit_json(o, event_object(loaded ? "loaded" : "unloaded", name, origin));
                else if (loaded)
                        printf(_("loaded    %s (origin %s)\n"), name, origin);
                else
                        printf(_("unloaded  %s (origin %s)\n"), name, origin);
        }
        fflush(stdout);
        return 0;
}

/* NameOwnerChanged for org.modctl1: the daemon started or went away. On stderr, as notices. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const Options *o = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (o->quiet)
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

int verb_monitor(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        static const char *const members[] = { "ModuleLoaded", "ModuleUnloaded", "ModuleLoadFailed",
                                                 "AutoloadFinished" };
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
                goto fail;
        r = sd_event_add_signal(event, NULL, SIGINT, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_exit_signal, NULL);
        if (r < 0)
                goto fail;

        /* Synchronous AddMatch: once it returns, no event can slip past us. */
        for (size_t i = 0; i < ELEMENTSOF(members); i++) {
                r = sd_bus_match_signal(bus, NULL, MODCTL_BUS_NAME, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                        members[i], on_module_event, (void *) o);
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" MODCTL_BUS_NAME "'",
                             on_owner_changed, (void *) o);
        if (r >= 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", &error, &reply, "s", MODCTL_BUS_NAME) >= 0)
                        (void) sd_bus_message_read(reply, "b", &has_owner);
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;

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
                goto fail;
        return 0;

fail:
        log_error_line(_("cannot monitor module events: %s"), strerror(-r));
        return r;
}
