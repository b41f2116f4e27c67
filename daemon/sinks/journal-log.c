/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "sinks/journal-log.h"
#include "common/log.h"
#include "engine/manager.h"
#include "modctl-messages.h"
#include "common/utf8.h"

struct JournalLog {
        Manager *manager;
};

/* Up to this many fields per entry, MESSAGE= included. */
#define FIELDS_MAX 8

typedef struct Entry {
        struct iovec iov[FIELDS_MAX];
        char *strings[FIELDS_MAX];
        size_t n;
        bool oom;
} Entry;

static void entry_add(Entry *e, const char *fmt, ...) _printf_(2, 3);
static void entry_add(Entry *e, const char *fmt, ...) {
        va_list ap;
        char *s;

        assert(e->n < FIELDS_MAX);
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0) {
                e->oom = true;
                va_end(ap);
                return;
        }
        va_end(ap);
        if (e->n == 0) {
                /* MESSAGE= is read on terminals (journalctl, or our stderr): failure messages and
                 * loaders name what modules, files and requesters chose. The other fields stay
                 * as they are, binary-safe. */
                char *escaped = utf8_escape_terminal(s);
                free(s);
                if (!escaped) {
                        e->oom = true;
                        return;
                }
                s = escaped;
        }
        e->strings[e->n] = s;
        e->iov[e->n] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
        e->n++;
}

/* Sends the entry when the journal is where our output goes (JOURNAL_STREAM, set by systemd);
 * otherwise the manager's own log lines on stderr are all there is. */
/* To the journal with the fields when our stderr goes there; otherwise the MESSAGE (the first
 * field) as a plain log line, so a daemon started by hand or in a test logs the same events. */
static void entry_send(Entry *e, int priority) {
        if (!e->oom && e->n > 0 && log_get_max_level() >= priority) {
                if (getenv("JOURNAL_STREAM")) {
                        entry_add(e, "PRIORITY=%d", priority);
                        if (!e->oom)
                                (void) sd_journal_sendv(e->iov, (int) e->n);
                } else
                        log_internal(priority, 0, "%s", e->strings[0] + strlen("MESSAGE="));
        }
        for (size_t i = 0; i < e->n; i++)
                free(e->strings[i]);
}

static void on_module_loaded(const char *name, const char *origin, void *userdata) {
        JournalLog *j = userdata;
        const char *who = streq(origin, ORIGIN_EXTERNAL) ? ownership_service_external_loader(manager_ownership(j->manager), name) : NULL;
        Entry e = {};

        if (who)
                entry_add(&e, "MESSAGE=Module %s loaded (origin %s, by %s).", name, origin, who);
        else
                entry_add(&e, "MESSAGE=Module %s loaded (origin %s).", name, origin);
        entry_add(&e, "MESSAGE_ID=" MODCTL_MESSAGE_MODULE_LOADED);
        entry_add(&e, "MODULE=%s", name);
        entry_add(&e, "ORIGIN=%s", origin);
        entry_send(&e, LOG_INFO);
}

static void on_module_unloaded(const char *name, const char *origin, void *userdata) {
        Entry e = {};

        entry_add(&e, "MESSAGE=Module %s unloaded (origin %s).", name, origin);
        entry_add(&e, "MESSAGE_ID=" MODCTL_MESSAGE_MODULE_UNLOADED);
        entry_add(&e, "MODULE=%s", name);
        entry_add(&e, "ORIGIN=%s", origin);
        entry_send(&e, LOG_INFO);
}

static void on_load_failed(const char *name, const char *origin, const Failure *failure, void *userdata) {
        bool denied = failure->kind == FAILURE_POLICY_DENIED;
        Entry e = {};

        /* The failure's message names the module, and for a denial the rule and why. */
        entry_add(&e, "MESSAGE=%s %s", denied ? "Policy denied a load:" : "Loading failed:",
                  failure->message ?: strerror(-failure->error));
        entry_add(&e, "MESSAGE_ID=%s", denied ? MODCTL_MESSAGE_POLICY_DENIED : MODCTL_MESSAGE_MODULE_FAILED);
        entry_add(&e, "MODULE=%s", name);
        entry_add(&e, "ORIGIN=%s", origin);
        entry_add(&e, "ERRNO=%d", -failure->error);
        entry_send(&e, denied ? LOG_NOTICE : LOG_WARNING);
}

static void on_hook_request(const char *name, int pid, const Failure *failure, void *userdata) {
        Entry e = {};

        if (failure)
                entry_add(&e, "MESSAGE=Kernel request for '%s' (helper pid %d) failed: %s", name, pid,
                          failure->message ?: strerror(-failure->error));
        else
                entry_add(&e, "MESSAGE=Kernel request for '%s' (helper pid %d): loaded.", name, pid);
        entry_add(&e, "MESSAGE_ID=" MODCTL_MESSAGE_KERNEL_REQUEST);
        entry_add(&e, "MODULE=%s", name);
        entry_add(&e, "ORIGIN=" ORIGIN_KERNEL);
        entry_add(&e, "CALLER_UID=0");
        if (failure)
                entry_add(&e, "ERRNO=%d", -failure->error);
        /* A name that resolves to nothing is routine for the kernel (net-pf-*, fs-*). */
        entry_send(&e, failure ? LOG_DEBUG : LOG_INFO);
}

/* The manager reports reloads; saying what came of one is this sink's job. */
static void on_config_reloaded(bool applied, const char *message, void *userdata) {
        JournalLog *j = userdata;
        const PolicySnapshot *p = manager_policy(j->manager);

        if (!applied) {
                log_error("Not reloading the configuration, the previous one stays in force: %s", message);
                return;
        }
        log_info("Configuration reloaded: Mode=%s License=%s Signature=%s, %zu trusted certificate(s).",
                 policy_mode_to_string(p->config->policy.mode), policy_license_to_string(p->config->policy.license),
                 policy_signature_to_string(p->config->policy.signature), trust_store_size(p->trust));
}

static const ManagerEvents journal_events = {
        .config_reloaded = on_config_reloaded,
        .module_loaded = on_module_loaded,
        .module_unloaded = on_module_unloaded,
        .load_failed = on_load_failed,
        .hook_request = on_hook_request,
};

int journal_log_new(Manager *m, JournalLog **ret) {
        _cleanup_free_ JournalLog *j = NULL;
        int r;

        assert(m);
        assert(ret);

        j = calloc(1, sizeof(JournalLog));
        if (!j)
                return log_oom();
        j->manager = m;
        r = manager_add_listener(m, &journal_events, j);
        if (r < 0)
                return log_error_errno(r, "Failed to listen to module events: %m");
        *ret = TAKE_PTR(j);
        return 0;
}

JournalLog *journal_log_free(JournalLog *j) {
        if (!j)
                return NULL;
        manager_remove_listener(j->manager, &journal_events, j);
        free(j);
        return NULL;
}
