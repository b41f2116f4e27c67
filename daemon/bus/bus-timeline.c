/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bus/bus-context.h"
#include "bus/bus-string.h"
#include "bus/bus-timeline.h"
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
        size_t n_entries, n_batches;
        int r;

        entries = timeline_entries(t, &n_entries);
        batches = timeline_batches(t, &n_batches);

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
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable timeline_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GetTimeline",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("t", now, "a(stt)", batches, "a(sstttttias)", modules),
                                method_get_timeline, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

const BusObjectImplementation bus_timeline_object = {
        .path = MODCTL_BUS_PATH,
        .interface = MODCTL_BUS_INTERFACE,
        .vtable = timeline_vtable,
};
