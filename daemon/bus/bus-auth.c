/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "bus/bus-auth.h"
#include "bus/bus-error.h"
#include "core/fair-share.h"
#include "common/log.h"

#define POLKIT_NAME      "org.freedesktop.PolicyKit1"
#define POLKIT_PATH      "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1u

/* Calls waiting for polkit hold a message each, and each has one call of ours in flight
 * (CheckAuthorization, then NameHasOwner). dbus-daemon lets one connection wait for at most
 * max_replies_per_connection replies (128: the hard-coded default, which Debian's system.conf
 * keeps) and refuses the next call with LimitsExceeded, for every caller alike. So the pool stays
 * at half of that, leaving the rest for our other calls, and it is shared out per uid (not per
 * connection: a uid may open 256 of them) by fair_share_may_take(): one uid holds at most 16, and
 * never more than the slots still free, so no uid can make another uid's check fail. Root is
 * never asked about and draws nothing from the pool. */
#define POLKIT_QUERIES_PER_UID_MAX 16u
#define POLKIT_QUERIES_MAX         64u

/* A person may take a while to type a password; a non-interactive check is quick or broken. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (UINT64_C(5) * 60 * 1000 * 1000)

/* One method call waiting for polkit, keyed by the message (we hold a reference). */
struct PolkitQuery {
        sd_bus_message *call;
        uid_t uid;                      /* the caller's euid: what the pool is counted by */
        BusContext *context;
        char *action;
        char *what;
        sd_bus_slot *slot;              /* CheckAuthorization, then NameHasOwner, in flight */
        bool done;                      /* verdict below is final */
        bool authorized;
        sd_bus_error error;             /* when done and not authorized */
        UT_hash_handle hh;
};

static PolkitQuery *query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->context)
                HASH_DEL(q->context->polkit_queries, q);
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->call);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q->what);
        free(q);
        return NULL;
}

void bus_auth_flush(BusContext *b) {
        PolkitQuery *q, *t;

        assert(b);
        HASH_ITER(hh, b->polkit_queries, q, t)
                query_free(q);
}

static PolkitQuery *query_find(BusContext *b, sd_bus_message *call) {
        PolkitQuery *q = NULL;
        HASH_FIND_PTR(b->polkit_queries, &call, q);
        return q;
}

/* Hands the call back to sd-bus as if it had just arrived; the handler finds the verdict. */
static void query_redispatch(PolkitQuery *q) {
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        r = sd_bus_message_rewind(q->call, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->call), q->call);
        if (r < 0) {
                log_warning_errno(r, "Failed to dispatch the authorized call to %s again: %m", q->what);
                query_free(q);
        }
}

static int on_name_has_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        int has_owner = 0, r;

        if (sd_bus_message_is_method_error(reply, NULL))
                r = -sd_bus_message_get_errno(reply);
        else
                r = sd_bus_message_read(reply, "b", &has_owner);
        if (r < 0 || !has_owner) {
                /* Gone (or unknowable): nobody is waiting, so nothing is done on their behalf. */
                log_info("Caller %s went away while polkit decided whether it may %s; dropping the request.",
                         strempty(sd_bus_message_get_sender(q->call)), q->what);
                query_free(q);
                return 0;
        }

        query_redispatch(q);
        return 0;
}

static void query_set_verdict(PolkitQuery *q, bool authorized, const char *error_name, const char *fmt, ...)
        _printf_(4, 5);
static void query_set_verdict(PolkitQuery *q, bool authorized, const char *error_name, const char *fmt, ...) {
        q->done = true;
        q->authorized = authorized;
        if (!authorized) {
                va_list ap;
                va_start(ap, fmt);
                (void) sd_bus_error_setfv(&q->error, error_name, fmt, ap);
                va_end(ap);
        }
}

static int on_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *sender = sd_bus_message_get_sender(q->call);
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);

        if (e) {
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED))
                        /* The bus refused to pass our question on: a matter of load, not a verdict. */
                        query_set_verdict(q, false, bus_error_name_from_kind(FAILURE_BUSY),
                                          "The message bus refused to pass on the authorization check (%s); "
                                          "not deciding whether you may %s. Try again later.",
                                          e->message ?: e->name, q->what);
                else if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        query_set_verdict(q, false, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Permission denied: only root may %s, because polkit "
                                          "(" POLKIT_NAME ") is not running to authorize other users.", q->what);
                else
                        query_set_verdict(q, false, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Permission denied: polkit could not decide whether you may %s: %s",
                                          q->what, e->message ?: e->name);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        query_set_verdict(q, false, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Permission denied: polkit sent an unreadable answer about whether you may %s.",
                                          q->what);
                else if (authorized)
                        query_set_verdict(q, true, NULL, NULL);
                else if (challenge)
                        query_set_verdict(q, false, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                          "Authentication is required to %s; run it interactively "
                                          "(allowing interactive authorization) or as root.", q->what);
                else
                        query_set_verdict(q, false, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Permission denied: you are not authorized to %s.", q->what);
        }
        log_debug("polkit: %s may%s %s (%s).", strempty(sender), q->authorized ? "" : " not", q->what, q->action);

        /* Only act for a caller that is still there. The bus answers in order, so a caller that
         * left before this point is reported gone. */
        r = sd_bus_call_method_async(sd_bus_message_get_bus(q->call), &q->slot,
                                     "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", on_name_has_owner, q, "s", sender);
        if (r < 0) {
                log_warning_errno(r, "Failed to check whether %s is still connected: %m", strempty(sender));
                query_free(q);
        }
        return 0;
}

static int append_details(sd_bus_message *m, char **details) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        for (char **d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int query_start(BusContext *b, sd_bus_message *call, uid_t uid, const char *action, char **details,
                       const char *what, PolkitQuery **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(call) > 0;
        PolkitQuery *q;
        int r;

        q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        q->error = SD_BUS_ERROR_NULL;
        q->action = strdup(action);
        q->what = strdup(what);
        if (!q->action || !q->what) {
                query_free(q);
                return -ENOMEM;
        }

        /* The subject is the caller's bus name: polkitd asks the bus for its pid, uid and start
         * time itself, so there is no pid-reuse race. */
        r = sd_bus_message_new_method_call(bus, &pk, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE, "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(pk, "(sa{sv})s", "system-bus-name", 1, "name", "s",
                                          sd_bus_message_get_sender(call), action);
        if (r >= 0)
                r = append_details(pk, details);
        if (r >= 0)
                r = sd_bus_message_append(pk, "us", interactive ? POLKIT_ALLOW_USER_INTERACTION : 0u, "");
        if (r >= 0)
                r = sd_bus_call_async(bus, &q->slot, pk, on_check_authorization, q,
                                      interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
        if (r < 0) {
                query_free(q);
                return r;
        }

        q->call = sd_bus_message_ref(call);
        q->uid = uid;
        q->context = b;
        HASH_ADD_PTR(b->polkit_queries, call, q);
        *ret = q;
        return 0;
}

int bus_verify_polkit_async(BusContext *b, sd_bus_message *call, const char *action, char **details,
                            const char *what, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        uid_t euid;
        int r;

        assert(b);
        assert(call);
        assert(action);
        assert(what);

        q = query_find(b, call);
        if (q) {
                /* The second dispatch: the verdict is in. */
                if (!q->done || strcmp(q->action, action) != 0) {
                        query_free(q);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Permission denied: the authorization check to %s did not complete.", what);
                }
                if (q->authorized) {
                        query_free(q);
                        return 1;
                }
                r = sd_bus_error_copy(error, &q->error);
                query_free(q);
                return r;
        }

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &euid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: cannot determine who asked to %s: %s.", what, strerror(-r));
        if (euid == 0)
                return 1;

        unsigned n_uid = 0, n_all = 0;
        PolkitQuery *i, *t;
        HASH_ITER(hh, b->polkit_queries, i, t) {
                n_all++;
                n_uid += i->uid == euid;
        }
        if (!fair_share_may_take(n_uid, n_all, POLKIT_QUERIES_PER_UID_MAX, POLKIT_QUERIES_MAX))
                return bus_error_setf(error, FAILURE_BUSY,
                                      "Too many authorization checks are pending (%u for uid %u, of at most "
                                      "%u per user, %u of at most %u in all); not asking polkit whether you "
                                      "may %s. Try again later.",
                                      n_uid, (unsigned) euid, POLKIT_QUERIES_PER_UID_MAX, n_all,
                                      POLKIT_QUERIES_MAX, what);

        r = query_start(b, call, euid, action, details, what, &q);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: cannot ask polkit whether you may %s: %s.", what, strerror(-r));
        log_debug("polkit: asking whether %s may %s (%s).", strempty(sd_bus_message_get_sender(call)), what, action);
        return 0;
}
