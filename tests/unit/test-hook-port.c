/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel hook against a recording HookPort (sources/hook.h), with no manager: real
 * helper connections on a socket of the test's own, and the port deciding what the manager
 * would. Covers what only the hook does: joining an identical load in flight (both helpers get
 * the one answer), answering a module that is being inserted at once without a load, and the
 * negative cache of missing names until the index changes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "modctl-hook.h"
#include "sources/hook.h"

#define MAX_LOADS 8

typedef struct Recorder {
        sd_event *event;
        struct {
                char name[MODCTL_HOOK_NAME_MAX + 1];
                hook_done_t done;
                void *userdata;
                Requester who;
        } loads[MAX_LOADS];
        unsigned n_loads;
        unsigned n_done;             /* request_done() calls */
        const char *in_flight;       /* module_in_flight() says yes for this one */
        const ManagerEvents *events; /* the hook's listener */
        void *listener;
} Recorder;

static sd_event *rec_event(void *userdata) {
        return ((Recorder *) userdata)->event;
}

static void rec_load(void *userdata, const char *name, const Requester *who, hook_done_t done,
                     void *done_userdata) {
        Recorder *r = userdata;
        cr_assert_lt(r->n_loads, MAX_LOADS);
        cr_assert_not_null(who);
        r->loads[r->n_loads].who = *who;
        snprintf(r->loads[r->n_loads].name, sizeof(r->loads[0].name), "%s", name);
        r->loads[r->n_loads].done = done;
        r->loads[r->n_loads].userdata = done_userdata;
        r->n_loads++;
}

/* As the manager: a load of the same name that has not finished is one to join. */
static bool rec_load_pending(void *userdata, const char *name) {
        Recorder *r = userdata;
        for (unsigned i = 0; i < r->n_loads; i++)
                if (r->loads[i].done && strcmp(r->loads[i].name, name) == 0)
                        return true;
        return false;
}

static bool rec_module_in_flight(void *userdata, const char *normalized) {
        Recorder *r = userdata;
        return r->in_flight && strcmp(r->in_flight, normalized) == 0;
}

static bool rec_index_is_watched(void *userdata) {
        return true;
}

static void rec_request_done(void *userdata, const char *name, int pid, const Failure *failure) {
        ((Recorder *) userdata)->n_done++;
}

static int rec_add_listener(void *userdata, const ManagerEvents *events, void *listener) {
        Recorder *r = userdata;
        r->events = events;
        r->listener = listener;
        return 0;
}

static void rec_remove_listener(void *userdata, const ManagerEvents *events, void *listener) {
        Recorder *r = userdata;
        cr_assert_eq(r->listener, listener);
        r->events = NULL;
}

static const HookPort recording_port = {
        .event = rec_event,
        .load = rec_load,
        .load_pending = rec_load_pending,
        .module_in_flight = rec_module_in_flight,
        .index_is_watched = rec_index_is_watched,
        .request_done = rec_request_done,
        .add_listener = rec_add_listener,
        .remove_listener = rec_remove_listener,
};

static Recorder rec;
static Hook *hook;
static char dir[] = "/tmp/modctl-unit-hook-XXXXXX";
static char socket_path[128];

static void setup(void) {
        memset(&rec, 0, sizeof(rec));
        cr_assert_not_null(mkdtemp(dir));
        snprintf(socket_path, sizeof(socket_path), "%s/request.sock", dir);
        cr_assert_eq(sd_event_new(&rec.event), 0);
        cr_assert_eq(hook_new(&recording_port, &rec, &(HookConfig) { .socket_path = socket_path }, &hook), 0);
        cr_assert_eq(hook_start(hook), 0);
        cr_assert_not_null(rec.events, "the hook subscribes to index changes");
}

static void teardown(void) {
        hook = hook_free(hook);
        cr_assert_null(rec.events, "the hook unsubscribes when freed");
        rec.event = sd_event_unref(rec.event);
        char fallback[160];
        snprintf(fallback, sizeof(fallback), "%s/%s", dir, MODCTL_HOOK_FALLBACK_FILE);
        (void) unlink(fallback);
        (void) rmdir(dir);
        strcpy(dir, "/tmp/modctl-unit-hook-XXXXXX");
}

/* A helper: connects and sends the request, as modctl-request does. */
static int helper_ask(const char *name) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[MODCTL_HOOK_REQUEST_MAX];
        int fd, n;

        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        cr_assert_geq(fd, 0);
        cr_assert_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0, "connect: %m");
        n = modctl_hook_build_request(name, buf);
        cr_assert_gt(n, 0);
        cr_assert_eq(send(fd, buf, (size_t) n, 0), n);
        return fd;
}

/* Runs the event loop until the hook has taken in what is queued (each run handles what is
 * ready; nothing here waits on a clock). */
static void dispatch(void) {
        while (sd_event_run(rec.event, 0) > 0)
                ;
}

/* The helper's answer, or -1 when none has come (the socket is non-blocking for the check). */
static int helper_answer(int fd, int *ret_error) {
        ModctlHookReply reply;
        ModctlHookStatus status = 0;
        ssize_t got = recv(fd, &reply, sizeof(reply), MSG_DONTWAIT);

        if (got < 0)
                return -1;
        cr_assert_eq(modctl_hook_parse_reply(&reply, (size_t) got, &status, ret_error), 0);
        return (int) status;
}

static void finish_load(unsigned i, const Failure *failure) {
        hook_done_t done = rec.loads[i].done;
        cr_assert_not_null(done);
        rec.loads[i].done = NULL;
        done(failure, NULL, rec.loads[i].userdata);
}

TestSuite(hook_port, .init = setup, .fini = teardown);

Test(hook_port, a_request_becomes_one_load_and_its_answer) {
        int fd = helper_ask("rtnl-link-dummy"), error;
        HookStatistics st;

        dispatch();
        cr_assert_eq(rec.n_loads, 1);
        cr_assert_str_eq(rec.loads[0].name, "rtnl-link-dummy");
        /* The requester is the helper the hook saw: this process, by its peer credentials. */
        cr_assert_eq(rec.loads[0].who.pid, getpid());
        cr_assert_eq(rec.loads[0].who.uid, getuid());
        cr_assert_eq(helper_answer(fd, &error), -1, "no answer before the load is over");
        finish_load(0, NULL);
        cr_assert_eq(helper_answer(fd, &error), MODCTL_HOOK_STATUS_LOADED);
        cr_assert_eq(rec.n_done, 1);
        hook_get_statistics(hook, &st);
        cr_assert_eq(st.requests, 1);
        cr_assert_eq(st.cache_misses, 1);
        cr_assert_eq(st.coalesced, 0);
        close(fd);
}

Test(hook_port, identical_requests_join_the_load_in_flight) {
        int a = helper_ask("snd-pcm"), b, error;
        HookStatistics st;

        dispatch();
        b = helper_ask("snd-pcm");
        dispatch();
        /* Both are handed on; the second is counted as joining the first, which the port (the
         * manager) coalesces into one plan. */
        cr_assert_eq(rec.n_loads, 2);
        hook_get_statistics(hook, &st);
        cr_assert_eq(st.coalesced, 1, "the second request joined the first");
        cr_assert_eq(helper_answer(a, &error), -1);
        cr_assert_eq(helper_answer(b, &error), -1);
        finish_load(0, NULL);
        finish_load(1, NULL);
        cr_assert_eq(helper_answer(a, &error), MODCTL_HOOK_STATUS_LOADED);
        cr_assert_eq(helper_answer(b, &error), MODCTL_HOOK_STATUS_LOADED);
        close(a);
        close(b);
}

Test(hook_port, a_module_being_inserted_is_answered_at_once) {
        int fd, error;
        HookStatistics st;

        /* A module's init asking for itself: waiting would deadlock the insert that waits for
         * this helper. The name is normalized first (dashes to underscores). */
        rec.in_flight = "modctl_test_selfreq";
        fd = helper_ask("modctl-test-selfreq");
        dispatch();
        cr_assert_eq(rec.n_loads, 0, "no load for a module that is coming");
        cr_assert_eq(helper_answer(fd, &error), MODCTL_HOOK_STATUS_LOADED);
        hook_get_statistics(hook, &st);
        cr_assert_eq(st.in_flight, 1);
        close(fd);
}

Test(hook_port, missing_names_are_cached_until_the_index_changes) {
        Failure missing = { .kind = FAILURE_NOT_FOUND, .error = -ENOENT, .message = (char *) "not found" };
        int fd = helper_ask("net-pf-99"), error;
        HookStatistics st;

        dispatch();
        finish_load(0, &missing);
        cr_assert_eq(helper_answer(fd, &error), MODCTL_HOOK_STATUS_FAILED);
        cr_assert_eq(error, ENOENT);
        close(fd);

        fd = helper_ask("net-pf-99");
        dispatch();
        cr_assert_eq(rec.n_loads, 1, "answered from the negative cache, no second load");
        cr_assert_eq(helper_answer(fd, &error), MODCTL_HOOK_STATUS_FAILED);
        hook_get_statistics(hook, &st);
        cr_assert_eq(st.cache_hits, 1);
        close(fd);

        /* The index changed: the name may exist now. */
        rec.events->index_changed(rec.listener);
        fd = helper_ask("net-pf-99");
        dispatch();
        cr_assert_eq(rec.n_loads, 2);
        finish_load(1, NULL);
        cr_assert_eq(helper_answer(fd, &error), MODCTL_HOOK_STATUS_LOADED);
        close(fd);
}
