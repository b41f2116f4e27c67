/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inspector: work off the event loop, capped per owner and globally, root first. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "core/inspector.h"

static sd_event *event;
static Inspector *inspector;
static int gate[2];           /* the first task waits until a byte arrives */
static int started[2];        /* ...after saying it started */
static int order[64], n_order;

static void setup(void) {
        cr_assert_eq(sd_event_new(&event), 0);
        InspectorConfig c = { .max_queued = 6, .max_per_owner = 2 };
        cr_assert_eq(inspector_new(event, &c, &inspector), 0);
        cr_assert_eq(pipe(gate), 0);
        cr_assert_eq(pipe(started), 0);
        n_order = 0;
}

static void teardown(void) {
        inspector = inspector_free(inspector);
        event = sd_event_unref(event);
        close(gate[0]);
        close(gate[1]);
        close(started[0]);
        close(started[1]);
}

TestSuite(inspector, .init = setup, .fini = teardown, .timeout = 30);

static int run_gated(void *userdata) {
        char c;
        (void) !write(started[1], "s", 1);
        (void) !read(gate[0], &c, 1);
        return (int) (intptr_t) userdata;
}

static int run_quick(void *userdata) {
        return (int) (intptr_t) userdata;
}

static void done(int result, void *userdata) {
        cr_assert_eq(result, (int) (intptr_t) userdata);
        order[n_order++] = result;
}

Test(inspector, caps_per_owner_and_global) {
        /* One running (held at the gate), then the caps count queued and running alike. */
        char c;
        cr_assert_eq(inspector_submit(inspector, 1001, false, run_gated, done, (void *) 1), 0);
        cr_assert_eq(read(started[0], &c, 1), 1);
        cr_assert_eq(inspector_submit(inspector, 1001, false, run_quick, done, (void *) 2), 0);
        cr_assert_eq(inspector_submit(inspector, 1001, false, run_quick, done, (void *) 99), -EBUSY,
                     "a third from the same owner is refused");
        cr_assert_eq(inspector_submit(inspector, 1002, false, run_quick, done, (void *) 3), 0);
        cr_assert_eq(inspector_submit(inspector, 1002, false, run_quick, done, (void *) 4), 0);
        cr_assert_eq(inspector_submit(inspector, 1003, false, run_quick, done, (void *) 5), 0);
        cr_assert_eq(inspector_submit(inspector, 1004, false, run_quick, done, (void *) 6), 0);
        cr_assert_eq(inspector_submit(inspector, 1005, false, run_quick, done, (void *) 98), -EBUSY,
                     "the global cap holds for a new owner");
        /* Root is not capped, and goes before everyone queued. */
        cr_assert_eq(inspector_submit(inspector, 0, true, run_quick, done, (void *) 7), 0);
        cr_assert_eq(inspector_pending(inspector), 7u);

        cr_assert_eq(write(gate[1], "x", 1), 1);
        while (n_order < 7)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(order[0], 1);
        cr_assert_eq(order[1], 7, "the urgent one ran next");
        cr_assert_eq(order[2], 2);
        cr_assert_eq(order[6], 6);

        /* Room again once they are answered. */
        cr_assert_eq(inspector_submit(inspector, 1001, false, run_quick, done, (void *) 8), 0);
        while (n_order < 8)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(inspector_pending(inspector), 0u);
}

static int cancelled;

static void done_cancelled(int result, void *userdata) {
        cr_assert_eq(result, -ECANCELED);
        cancelled++;
}

Test(inspector, free_cancels_queued_and_abandons_a_stuck_task) {
        char c;

        cr_assert_eq(inspector_submit(inspector, 1000, false, run_gated, done_cancelled, NULL), 0);
        cr_assert_eq(inspector_submit(inspector, 1000, false, run_quick, done_cancelled, (void *) 2), 0);
        cr_assert_eq(read(started[0], &c, 1), 1);
        /* The first never gets its byte: free gives up on it after the grace period. */
        inspector = inspector_free(inspector);
        cr_assert_eq(cancelled, 1, "the queued task was cancelled; the stuck one is abandoned");
}

Test(inspector, the_last_free_slot_goes_to_a_uid_that_holds_none) {
        char c;

        cr_assert_eq(inspector_submit(inspector, 1001, false, run_gated, done, (void *) 1), 0);
        cr_assert_eq(read(started[0], &c, 1), 1);
        cr_assert_eq(inspector_submit(inspector, 1001, false, run_quick, done, (void *) 2), 0);
        cr_assert_eq(inspector_submit(inspector, 1002, false, run_quick, done, (void *) 3), 0);
        cr_assert_eq(inspector_submit(inspector, 1002, false, run_quick, done, (void *) 4), 0);
        cr_assert_eq(inspector_submit(inspector, 1003, false, run_quick, done, (void *) 5), 0);
        /* One slot is left: a uid that already holds one may not take it... */
        cr_assert_eq(inspector_submit(inspector, 1003, false, run_quick, done, (void *) 97), -EBUSY,
                     "a uid with a slot may not take the last one");
        /* ...a uid that holds none may. */
        cr_assert_eq(inspector_submit(inspector, 1004, false, run_quick, done, (void *) 6), 0);
        cr_assert_eq(inspector_submit(inspector, 1005, false, run_quick, done, (void *) 96), -EBUSY);

        cr_assert_eq(write(gate[1], "x", 1), 1);
        while (n_order < 6)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(inspector_pending(inspector), 0u);
}
