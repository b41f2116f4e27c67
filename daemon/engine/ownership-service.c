/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/utf8.h"
#include "engine/ownership-service.h"
#include "kernel/bpf/ownership.h"

/* The last external inserts, so that the module's "add" uevent, which comes after, can say who
 * loaded it. */
#define EXTERNAL_LOADERS 16

typedef struct ExternalLoader {
        char module[64];
        char who[96];
} ExternalLoader;

struct OwnershipService {
        ownership_service_report_t on_report;
        void *userdata;
        Ownership *ownership;
        char *error;            /* why enforcement is unavailable, or NULL */
        ExternalLoader loaders[EXTERNAL_LOADERS];
        unsigned next_loader;
};

/* "/usr/lib/modules/.../dummy.ko.xz" -> "dummy", as the kernel spells module names. */
static void module_name_of_file(const char *file, char *ret, size_t size) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        size_t n = strcspn(base, ".");
        snprintf(ret, size, "%.*s", (int) MIN(n, size - 1), base);
        for (char *p = ret; *p; p++)
                if (*p == '-')
                        *p = '_';
}

static void remember_loader(OwnershipService *o, const OwnershipReport *r) {
        ExternalLoader *l = &o->loaders[o->next_loader++ % EXTERNAL_LOADERS];
        _cleanup_free_ char *comm = utf8_escape_terminal(r->comm);

        module_name_of_file(r->file, l->module, sizeof(l->module));
        snprintf(l->who, sizeof(l->who), "pid %d %s, uid %u", (int) r->tgid, comm ?: "?", (unsigned) r->uid);
}

const char *ownership_service_external_loader(OwnershipService *o, const char *module) {
        assert(module);

        if (!o)
                return NULL;
        for (unsigned i = 0; i < EXTERNAL_LOADERS; i++) {
                /* newest first */
                ExternalLoader *l = &o->loaders[(o->next_loader - 1 - i) % EXTERNAL_LOADERS];
                if (l->module[0] && streq(l->module, module))
                        return l->who;
        }
        return NULL;
}

static bool journal_available(void) {
        return access("/run/systemd/journal/socket", F_OK) == 0;
}

static const char *const cause_table[] = {
        [OWNERSHIP_CAUSE_SELF] = "self",
        [OWNERSHIP_CAUSE_RECORDED] = "recorded",
        [OWNERSHIP_CAUSE_UNKNOWN] = "unknown",
};

/* A request: who asked, and, when a kernel thread asked for a task, that task first. */
/* The strings are escaped already (see log_report()). */
static void describe_request(const OwnershipReport *r, const char *name, const char *comm, const char *exe,
                             const char *cgroup, const char *cause_comm, const char *cause_cgroup, char *text,
                             size_t size) {
        const char *verdict = r->refused ? "Refused" : "Allowed";

        if (r->cause == OWNERSHIP_CAUSE_RECORDED)
                snprintf(text, size, "%s kernel request for '%s' caused by pid %d (%s), uid %u, cgroup %s; made for it "
                         "by kernel thread pid %d (%s)", verdict, name, (int) r->cause_tgid, cause_comm,
                         (unsigned) r->cause_uid, cause_cgroup[0] ? cause_cgroup : "-", (int) r->pid, comm);
        else if (r->cause == OWNERSHIP_CAUSE_UNKNOWN)
                snprintf(text, size, "%s kernel request for '%s' by kernel thread pid %d (%s), cause unknown: no task "
                         "asked for a crypto algorithm that needs it in the last %u s", verdict, name, (int) r->pid,
                         comm, (unsigned) OWNERSHIP_CAUSE_WINDOW_SEC);
        else
                snprintf(text, size, "%s kernel request for '%s' by pid %d (%s)%s, uid %u, exe %s, cgroup %s", verdict,
                         name, (int) r->tgid, comm, r->kthread ? ", a kernel thread" : "", (unsigned) r->uid, exe,
                         cgroup);
}

/* The requester chose its comm, and often its exe, cgroup and file names: escaped in MESSAGE= and
 * on stderr, which may be a terminal; the MODCTL_* journal fields keep the bytes as they were. */
static void log_report(const OwnershipReport *r) {
        const char *what = ownership_action_to_string(r->action);
        _cleanup_free_ char *name = utf8_escape_terminal(r->name), *comm = utf8_escape_terminal(r->comm),
                           *exe = utf8_escape_terminal(r->exe[0] ? r->exe : "-"),
                           *cgroup = utf8_escape_terminal(r->cgroup),
                           *file = utf8_escape_terminal(r->file[0] ? r->file : "(from memory)"),
                           *cause_comm = utf8_escape_terminal(r->cause_comm),
                           *cause_cgroup = utf8_escape_terminal(strempty(r->cause_cgroup));
        char text[1024];

        if (!name || !comm || !exe || !cgroup || !file || !cause_comm || !cause_cgroup) {
                log_oom();
                return;
        }
        if (r->action == OWNERSHIP_ACTION_REQUEST)
                describe_request(r, name, comm, exe, cgroup, cause_comm, cause_cgroup, text, sizeof(text));
        else
                snprintf(text, sizeof(text), "%s %s() by pid %d (%s), uid %u, exe %s, cgroup %s, module file %s",
                         r->refused ? "Refused" : "External", what, (int) r->tgid, comm, (unsigned) r->uid, exe,
                         cgroup, file);

        if (journal_available()) {
                (void) sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", r->refused ? LOG_WARNING : LOG_NOTICE,
                                       "MODCTL_OWNERSHIP_ACTION=%s", what, "MODCTL_REFUSED=%d", r->refused,
                                       "MODCTL_PID=%d", (int) r->tgid, "MODCTL_UID=%u", (unsigned) r->uid,
                                       "MODCTL_COMM=%s", r->comm, "MODCTL_EXE=%s", r->exe,
                                       "MODCTL_CGROUP=%s", r->cgroup, "MODCTL_UNIT=%s", r->unit,
                                       "MODCTL_MODULE_FILE=%s", r->file, "MODCTL_REQUEST=%s", r->name,
                                       "MODCTL_KTHREAD=%d", r->kthread, "MODCTL_CAUSE=%s", cause_table[r->cause],
                                       "MODCTL_CAUSE_PID=%d", (int) r->cause_tgid,
                                       "MODCTL_CAUSE_UID=%u", (unsigned) r->cause_uid,
                                       "MODCTL_CAUSE_COMM=%s", r->cause_comm,
                                       "MODCTL_CAUSE_CGROUP=%s", strempty(r->cause_cgroup), NULL);
                return;
        }
        if (r->refused)
                log_warning("%s", text);
        else
                log_notice("%s", text);
}

static void on_ownership_report(const OwnershipReport *r, void *userdata) {
        OwnershipService *o = userdata;

        if (r->action == OWNERSHIP_ACTION_REQUEST) {
                if (r->refused || r->cause != OWNERSHIP_CAUSE_SELF)
                        log_report(r);  /* a kernel thread's request: the audit names its cause */
                else if (log_get_max_level() >= LOG_DEBUG) {
                        _cleanup_free_ char *name = utf8_escape_terminal(r->name), *comm = utf8_escape_terminal(r->comm);
                        log_debug("Kernel request for '%s' by pid %d (%s), uid %u.", strempty(name), (int) r->tgid,
                                  strempty(comm), (unsigned) r->uid);
                }
        } else {
                if (!r->refused && r->file[0])
                        remember_loader(o, r);
                log_report(r);
        }
        o->on_report(r, o->userdata);
}

void ownership_service_apply(OwnershipService *o, const Config *c) {
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        OwnershipState st;
        int r;

        assert(o);
        assert(c);

        r = ownership_apply(o->ownership, c->daemon.ownership, c->policy.kernel_requests,
                            c->daemon.ownership_on_exit, &failure);
        free(o->error);
        o->error = NULL;
        ownership_get_state(o->ownership, &st);
        if (r < 0 && st.active) {
                /* Enforced, but not as asked (say, the pins of OwnershipOnExit=keep failed). */
                log_warning("Kernel-enforced ownership is active, but not all settings apply: %s",
                            strempty(failure.message));
                r = 0;
        }
        if (r < 0) {
                o->error = strdup(strempty(failure.message));
                log_warning("Kernel-enforced ownership is unavailable: %s Ownership=%s and KernelRequests=%s are "
                            "NOT enforced; modules load as without modctl.", strempty(failure.message),
                            ownership_mode_to_string(c->daemon.ownership),
                            kernel_requests_to_string(c->policy.kernel_requests));
                return;
        }
        if (st.active)
                log_info("Kernel-enforced ownership: Ownership=%s KernelRequests=%s OwnershipOnExit=%s%s.",
                         ownership_mode_to_string(c->daemon.ownership),
                         kernel_requests_to_string(c->policy.kernel_requests),
                         ownership_on_exit_to_string(c->daemon.ownership_on_exit),
                         st.adopted ? ", took over the programs kept by the previous modctld" : "");
}

int ownership_service_new(sd_event *event, const Config *config, ownership_service_report_t on_report, void *userdata,
                          OwnershipService **ret) {
        _cleanup_(ownership_service_freep) OwnershipService *o = NULL;
        int r;

        assert(event);
        assert(config);
        assert(on_report);
        assert(ret);

        o = calloc(1, sizeof(OwnershipService));
        if (!o)
                return -ENOMEM;
        o->on_report = on_report;
        o->userdata = userdata;
        r = ownership_new(event, on_ownership_report, o, &o->ownership);
        if (r < 0)
                return r;
        ownership_service_apply(o, config);
        *ret = TAKE_PTR(o);
        return 0;
}

OwnershipService *ownership_service_free(OwnershipService *o) {
        if (!o)
                return NULL;
        ownership_free(o->ownership);
        free(o->error);
        free(o);
        return NULL;
}

void ownership_service_drain(OwnershipService *o) {
        if (o && o->ownership)
                ownership_drain(o->ownership);
}

char *ownership_service_describe(OwnershipService *o) {
        OwnershipState st = {};
        char *s = NULL;

        if (o && o->error)
                return asprintf(&s, "unavailable: %s", o->error) < 0 ? NULL : s;
        if (o && o->ownership)
                ownership_get_state(o->ownership, &st);
        if (!st.active)
                return strdup("off");
        return strdup(st.pinned ? "active, kept when modctld exits" : "active, released when modctld exits");
}
