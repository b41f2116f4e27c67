/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "bus/bus-context.h"
#include "bus/bus-string.h"
#include "bus/bus-timeline.h"
#include "common/log.h"
#include "common/macro.h"
#include "engine/manager.h"
#include "modctl-bus.h"

static int append_entry(sd_bus_message *reply, const TimelineEntry *e) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sstttttias");
        if (r >= 0)
                r = bus_append(reply, "ss", e->module, e->origin);
        if (r >= 0)
                r = sd_bus_message_append(reply, "ttttti", e->queued, e->checked, e->started, e->inserted, e->live,
                                          e->error);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, e->after);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_get_timeline(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        BusContext *b = userdata;
        Timeline *t = manager_timeline(b->manager);
        const TimelineEntry *entries;
        const TimelineBatch *batches;
        const TimelinePhase *phases;
        size_t n_entries, n_batches, n_phases;
        int r;

        entries = timeline_entries(t, &n_entries);
        batches = timeline_batches(t, &n_batches);
        phases = timeline_phases(t, &n_phases);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "t", manager_now(b->manager));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(stt)");
        for (size_t i = 0; r >= 0 && i < n_batches; i++)
                r = sd_bus_message_append(reply, "(stt)", batches[i].name, batches[i].started, batches[i].finished);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sstttttias)");
        for (size_t i = 0; r >= 0 && i < n_entries; i++)
                r = append_entry(reply, &entries[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(stttu)");
        for (size_t i = 0; r >= 0 && i < n_phases; i++)
                r = sd_bus_message_append(reply, "(stttu)", phases[i].name, phases[i].began, phases[i].ended,
                                          phases[i].busy, phases[i].count);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* When the "boot" batch finished, in the timeline's clock; now when there was none (autoload off). */
static uint64_t boot_list_finished(BusContext *b) {
        const TimelineBatch *batches;
        size_t n;

        batches = timeline_batches(manager_timeline(b->manager), &n);
        for (size_t i = n; i > 0; i--)
                if (streq(batches[i - 1].name, "boot") && batches[i - 1].finished > 0)
                        return batches[i - 1].finished;
        return manager_now(b->manager);
}

static int method_wait_boot_list(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        sd_bus_message **w;

        if (manager_boot_list_loaded(b->manager))
                return sd_bus_reply_method_return(message, "t", boot_list_finished(b));

        /* Answered from bus_timeline_boot_list_loaded(): no polling, the caller just waits. */
        w = reallocarray(b->boot_waiters, b->n_boot_waiters + 1, sizeof(sd_bus_message *));
        if (!w)
                return -ENOMEM;
        b->boot_waiters = w;
        b->boot_waiters[b->n_boot_waiters++] = sd_bus_message_ref(message);
        return 1;
}

void bus_timeline_boot_list_loaded(BusContext *b) {
        uint64_t finished;
        int r;

        assert(b);

        if (b->n_boot_waiters == 0)
                return;
        finished = boot_list_finished(b);
        for (size_t i = 0; i < b->n_boot_waiters; i++) {
                /* A caller that went away in the meantime is no error of ours. */
                r = sd_bus_reply_method_return(b->boot_waiters[i], "t", finished);
                if (r < 0)
                        log_debug_errno(r, "Cannot answer a WaitBootList call: %m");
                sd_bus_message_unref(b->boot_waiters[i]);
        }
        free(b->boot_waiters);
        b->boot_waiters = NULL;
        b->n_boot_waiters = 0;
}

void bus_timeline_free_waiters(BusContext *b) {
        assert(b);

        for (size_t i = 0; i < b->n_boot_waiters; i++)
                sd_bus_message_unref(b->boot_waiters[i]);
        free(b->boot_waiters);
        b->boot_waiters = NULL;
        b->n_boot_waiters = 0;
}

static const sd_bus_vtable timeline_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GetTimeline",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("t", now, "a(stt)", batches, "a(sstttttias)", modules, "a(stttu)",
                                              phases),
                                method_get_timeline, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("WaitBootList",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("t", finished),
                                method_wait_boot_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

const BusObjectImplementation bus_timeline_object = {
        .path = MODCTL_BUS_PATH,
        .interface = MODCTL_BUS_INTERFACE,
        .vtable = timeline_vtable,
};
