/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* monitor: print module loads, unloads and failed loads as modctld reports them, with who asked
 * (the origin), until interrupted. One line per event, flushed, so it can be piped. */

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

/* The last request_module() that the kernel let through (KernelRequest, sent while kernel-enforced
 * ownership's programs are loaded): a load of origin kernel that follows is what it caused.
 * The kernel hook runs after the LSM hook, so the request always comes first; with several
 * requests in flight at once, this names the latest. */
typedef struct Requester {
        char name[64];
        char comm[16];
        uint32_t pid, uid;
        uint64_t at;            /* CLOCK_MONOTONIC usec, 0: none */
} Requester;

#define REQUESTER_MAX_AGE_USEC (30ULL * 1000000ULL)

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static int on_module_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Requester *last = userdata;
        const char *member = sd_bus_message_get_member(m);
        const char *name, *origin, *error_name, *message;
        int r;

        if (strcmp(member, "KernelRequest") == 0) {
                const char *comm;
                uint32_t pid, uid;
                int refused;

                r = sd_bus_message_read(m, "suusb", &name, &pid, &uid, &comm, &refused);
                if (r < 0)
                        return 0;
                if (refused)
                        printf(_("refused   kernel request %s by pid %u %s, uid %u (KernelRequests=)\n"), name, pid,
                               comm, uid);
                else {
                        snprintf(last->name, sizeof(last->name), "%s", name);
                        snprintf(last->comm, sizeof(last->comm), "%s", comm);
                        last->pid = pid;
                        last->uid = uid;
                        last->at = now_usec();
                        return 0;
                }
        } else if (strcmp(member, "ExternalLoad") == 0) {
                const char *syscall, *comm, *exe, *unit, *cgroup, *file;
                uint32_t pid, uid;
                int refused;

                r = sd_bus_message_read(m, "suusssssb", &syscall, &pid, &uid, &comm, &exe, &unit, &cgroup, &file,
                                        &refused);
                if (r < 0)
                        return 0;
                printf(refused ? _("refused   %s of %s by pid %u %s, uid %u, exe %s, %s\n")
                               : _("external  %s of %s by pid %u %s, uid %u, exe %s, %s\n"),
                       syscall, *file ? file : "-", pid, comm, uid, *exe ? exe : "-", *unit ? unit : cgroup);
        } else if (strcmp(member, "AutoloadFinished") == 0) {
                uint32_t requested, inserted, failed;
                uint64_t usec;

                r = sd_bus_message_read(m, "suuut", &name, &requested, &inserted, &failed, &usec);
                if (r < 0)
                        return 0;
                printf(_("finished  %s: %u requested, %u inserted, %u failed, in %llu ms\n"), name, requested,
                       inserted, failed, (unsigned long long) (usec / 1000));
        } else if (strcmp(member, "ModuleLoadFailed") == 0) {
                r = sd_bus_message_read(m, "ssss", &name, &origin, &error_name, &message);
                if (r < 0)
                        return 0; /* not the contract's signature: not ours to print */
                printf(_("failed    %s (origin %s): %s\n"), name, origin, *message ? message : error_name);
        } else {
                r = sd_bus_message_read(m, "ss", &name, &origin);
                if (r < 0)
                        return 0;
                if (strcmp(member, "ModuleLoaded") == 0 && strcmp(origin, "kernel") == 0 && last->at &&
                    now_usec() - last->at < REQUESTER_MAX_AGE_USEC)
                        printf(_("loaded    %s (origin kernel (requested by pid %u %s, uid %u))\n"), name,
                               last->pid, last->comm, last->uid);
                else if (strcmp(member, "ModuleLoaded") == 0)
                        printf(_("loaded    %s (origin %s)\n"), name, origin);
                else
                        printf(_("unloaded  %s (origin %s)\n"), name, origin);
        }
        fflush(stdout);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int verb_monitor(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        static const char *const members[] = { "ModuleLoaded", "ModuleUnloaded", "ModuleLoadFailed",
                                                 "AutoloadFinished", "KernelRequest", "ExternalLoad" };
        Requester last = {};
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
                                        members[i], on_module_event, &last);
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;

        fprintf(stderr, _("Monitoring module loads and unloads; press Ctrl+C to stop.\n"));
        r = sd_event_loop(event);
        if (r < 0)
                goto fail;
        return 0;

fail:
        fprintf(stderr, _("%s: cannot monitor module events: %s\n"), program_invocation_short_name, strerror(-r));
        return r;
}
