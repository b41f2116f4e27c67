/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/bus/bus-string: strings are made valid UTF-8 on their way to the bus, and a reply that
 * could not be built still answers the caller. Over a socketpair between two sd-bus peers. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "bus/bus-error.h"
#include "bus/bus-string.h"
#include "macro.h"
#include "modctl-bus.h"
#include "utf8.h"

static sd_bus *server, *client;
static sd_bus_message *received;

/* sd-bus answers calls for which nobody registered: take them before it does. */
static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        if (!sd_bus_message_is_method_call(m, NULL, NULL) || received)
                return 0;
        received = sd_bus_message_ref(m);
        return 1;
}

static void setup(void) {
        int fds[2];
        sd_id128_t id;

        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        cr_assert_geq(sd_id128_randomize(&id), 0);
        cr_assert_geq(sd_bus_new(&server), 0);
        cr_assert_geq(sd_bus_set_fd(server, fds[0], fds[0]), 0);
        cr_assert_geq(sd_bus_set_server(server, true, id), 0);
        cr_assert_geq(sd_bus_add_filter(server, NULL, on_call, NULL), 0);
        cr_assert_geq(sd_bus_start(server), 0);
        cr_assert_geq(sd_bus_new(&client), 0);
        cr_assert_geq(sd_bus_set_fd(client, fds[1], fds[1]), 0);
        cr_assert_geq(sd_bus_start(client), 0);
}

static void teardown(void) {
        received = sd_bus_message_unref(received);
        server = sd_bus_flush_close_unref(server);
        client = sd_bus_flush_close_unref(client);
}

/* Runs both ends until one hands out an unhandled message (or the server took a call); that
 * message. */
static sd_bus_message *next_message(sd_bus *on) {
        for (int i = 0; i < 1000; i++) {
                sd_bus_message *m = NULL;

                if (on == server && received)
                        return TAKE_PTR(received);
                sd_bus *other = on == server ? client : server;
                int r = sd_bus_process(on, &m), q = sd_bus_process(other, NULL);

                cr_assert_geq(r, 0);
                cr_assert_geq(q, 0);
                if (m)
                        return m;
                if (r == 0 && q == 0)
                        cr_assert_geq(sd_bus_wait(on, 100000), 0);
        }
        cr_assert_fail("no message arrived");
        return NULL;
}

static sd_bus_message *call_to_server(void) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        cr_assert_geq(sd_bus_message_new_method_call(client, &m, NULL, MODCTL_BUS_PATH, MODCTL_BUS_INTERFACE,
                                                     "Info"), 0);
        cr_assert_geq(sd_bus_message_append(m, "s", "modctl_test_base"), 0);
        uint64_t cookie; /* without one, sd-bus marks the call as expecting no reply */
        cr_assert_geq(sd_bus_send(client, m, &cookie), 0);
        for (;;) {
                sd_bus_message *call = next_message(server);
                if (sd_bus_message_is_method_call(call, NULL, NULL))
                        return call;
                sd_bus_message_unref(call);
        }
}

static uint8_t type_of(sd_bus_message *m) {
        uint8_t t = 0;

        cr_assert_geq(sd_bus_message_get_type(m, &t), 0);
        return t;
}

static sd_bus_message *reply_to_client(void) {
        for (;;) {
                sd_bus_message *m = next_message(client);
                if (type_of(m) == SD_BUS_MESSAGE_METHOD_RETURN ||
                    type_of(m) == SD_BUS_MESSAGE_METHOD_ERROR)
                        return m;
                sd_bus_message_unref(m);
        }
}

TestSuite(bus_string, .init = setup, .fini = teardown);

Test(bus_string, invalid_bytes_become_replacement_characters) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = call_to_server(), *reply = NULL, *got = NULL;
        const char *a, *b, *c, *d;
        uint32_t u;
        int flag;

        /* sd-bus itself refuses such a string: this is what lost replies and signals. */
        cr_assert_geq(sd_bus_message_new_method_return(call, &reply), 0);
        cr_assert_lt(sd_bus_message_append(reply, "s", "caf\xe9"), 0);
        reply = sd_bus_message_unref(reply);

        cr_assert_geq(sd_bus_message_new_method_return(call, &reply), 0);
        cr_assert_geq(bus_append(reply, "s(su)", "caf\xe9", "\xff", 7u), 0);
        cr_assert_geq(sd_bus_message_open_container(reply, 'a', "{sb}"), 0);
        cr_assert_geq(bus_append(reply, "{sb}", "ok\xc3", true), 0);
        cr_assert_geq(sd_bus_message_close_container(reply), 0);
        cr_assert_geq(bus_append_strv(reply, (char *[]) { (char *) "x\x9by", (char *) "\xe6\xa8\xa1", NULL }), 0);
        bus_reply_or_fail(call, reply, 0, "the test reply");

        got = reply_to_client();
        cr_assert_eq(type_of(got), SD_BUS_MESSAGE_METHOD_RETURN);
        cr_assert_geq(sd_bus_message_read(got, "s(su)", &a, &b, &u), 0);
        cr_assert_geq(sd_bus_message_read(got, "a{sb}", 1, &c, &flag), 0);
        cr_assert_str_eq(a, "caf" UTF8_REPLACEMENT);
        cr_assert_str_eq(b, UTF8_REPLACEMENT);
        cr_assert_eq(u, 7u);
        cr_assert_str_eq(c, "ok" UTF8_REPLACEMENT);
        cr_assert(flag);
        cr_assert_geq(sd_bus_message_enter_container(got, 'a', "s"), 0);
        cr_assert_geq(sd_bus_message_read(got, "ss", &c, &d), 0);
        cr_assert_str_eq(c, "x" UTF8_REPLACEMENT "y");
        cr_assert_str_eq(d, "\xe6\xa8\xa1");
}

Test(bus_string, reply_that_failed_to_build_is_an_internal_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = call_to_server(), *got = NULL;
        const sd_bus_error *e;

        bus_reply_or_fail(call, NULL, -EINVAL, "the Info reply for module 'modctl_test_base'");
        got = reply_to_client();
        cr_assert_eq(type_of(got), SD_BUS_MESSAGE_METHOD_ERROR);
        e = sd_bus_message_get_error(got);
        cr_assert_str_eq(e->name, MODCTL_ERROR_INTERNAL);
        cr_assert(strstr(e->message, "the Info reply for module 'modctl_test_base'"), "%s", e->message);
}

Test(bus_string, error_messages_are_made_valid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = call_to_server(), *got = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const sd_bus_error *e;

        cr_assert_lt(bus_error_setf(&error, FAILURE_NOT_FOUND, "Module '%s' not found.", "caf\xe9"), 0);
        bus_reply_error_or_fail(call, &error, "the error reply");
        got = reply_to_client();
        e = sd_bus_message_get_error(got);
        cr_assert_str_eq(e->name, MODCTL_ERROR_NOT_FOUND);
        cr_assert_str_eq(e->message, "Module 'caf" UTF8_REPLACEMENT "' not found.");
}

Test(bus_string, signal_with_invalid_bytes_is_sent) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *got = NULL;
        const char *name, *comm;
        uint32_t pid, uid;
        int refused;

        cr_assert_geq(bus_emit(server, "KernelRequest", "suusb", "crypto-x", 42u, 65534u, "\x1b[31m\xff", true), 0);
        got = next_message(client);
        cr_assert(sd_bus_message_is_signal(got, MODCTL_BUS_INTERFACE, "KernelRequest"));
        cr_assert_geq(sd_bus_message_read(got, "suusb", &name, &pid, &uid, &comm, &refused), 0);
        cr_assert_str_eq(comm, "\x1b[31m" UTF8_REPLACEMENT);
        cr_assert_eq(uid, 65534u);
}
