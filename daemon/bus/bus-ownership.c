/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus/bus-ownership.h"
#include "bus/bus-string.h"
#include "common/log.h"
#include "modctl-bus.h"

static int property_ownership(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        return sd_bus_message_append(reply, "s", ownership_mode_to_string(manager_policy(b->manager)->config->daemon.ownership));
}

static int property_kernel_requests(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        return sd_bus_message_append(reply, "s", kernel_requests_to_string(manager_policy(b->manager)->config->policy.kernel_requests));
}

static int property_enforcement(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        _cleanup_free_ char *s = ownership_service_describe(manager_ownership(b->manager));
        if (!s)
                return -ENOMEM;
        return bus_append(reply, "s", s);
}

static const sd_bus_vtable ownership_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* Change on ReloadConfig; read, not signalled, like PolicyMode. */
        SD_BUS_PROPERTY("Ownership", "s", property_ownership, 0, 0),
        SD_BUS_PROPERTY("KernelRequests", "s", property_kernel_requests, 0, 0),
        SD_BUS_PROPERTY("OwnershipEnforcement", "s", property_enforcement, 0, 0),
        SD_BUS_SIGNAL_WITH_ARGS("ExternalLoad",
                                SD_BUS_ARGS("s", syscall, "u", pid, "u", uid, "s", comm, "s", exe, "s", unit,
                                            "s", cgroup, "s", file, "b", refused),
                                0),
        SD_BUS_SIGNAL_WITH_ARGS("KernelRequest",
                                SD_BUS_ARGS("s", name, "u", pid, "u", uid, "s", comm, "b", refused, "u",
                                            kthread_pid, "s", kthread_comm),
                                0),
        SD_BUS_VTABLE_END,
};

const BusObjectImplementation bus_ownership_object = {
        .path = MODCTL_BUS_PATH,
        .interface = MODCTL_BUS_INTERFACE,
        .vtable = ownership_vtable,
};

void bus_ownership_emit_external_load(BusContext *b, const OwnershipReport *rep) {
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "ExternalLoad", "suusssssb",
                               ownership_action_to_string(rep->action), (uint32_t) rep->tgid, (uint32_t) rep->uid,
                               rep->comm, rep->exe, rep->unit, rep->cgroup, rep->file, (int) rep->refused);
        if (r < 0)
                log_warning_errno(r, "Failed to emit ExternalLoad: %m");
}

/* pid, uid and comm name the cause: the requesting task, or the task a kernel thread asked for
 * (kthread_pid and kthread_comm name the thread), or nobody (0, UINT32_MAX, "") when unknown. */
void bus_ownership_emit_kernel_request(BusContext *b, const OwnershipReport *rep) {
        bool self = rep->cause == OWNERSHIP_CAUSE_SELF, known = rep->cause == OWNERSHIP_CAUSE_RECORDED;
        int r;

        if (!b->bus)
                return;
        r = bus_emit(b->bus, "KernelRequest", "suusbus", rep->name,
                               (uint32_t) (self ? rep->tgid : known ? rep->cause_tgid : 0),
                               (uint32_t) (self ? rep->uid : known ? rep->cause_uid : UINT32_MAX),
                               self ? rep->comm : known ? rep->cause_comm : "", (int) rep->refused,
                               (uint32_t) (rep->kthread ? rep->pid : 0), rep->kthread ? rep->comm : "");
        if (r < 0)
                log_warning_errno(r, "Failed to emit KernelRequest: %m");
}
