/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every Failure errno maps to its org.modctl1.Error.* name and keeps the sentence. */
#include <criterion/criterion.h>
#include <string.h>

#include "bus-error.h"
#include "modctl-bus.h"

static void check(int error, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Failure f = { .error = -error, .message = (char *) "Module 'x' says hello." };

        cr_assert_eq(bus_error_from_failure(&e, &f), -error);
        cr_assert_str_eq(e.name, name);
        cr_assert_str_eq(e.message, "Module 'x' says hello.");
}

Test(bus_error, failure_names) {
        check(FAILURE_INVALID_NAME, MODCTL_ERROR_INVALID_NAME);
        check(FAILURE_INVALID_ARGUMENT, MODCTL_ERROR_INVALID_ARGUMENT);
        check(FAILURE_NOT_FOUND, MODCTL_ERROR_NOT_FOUND);
        check(FAILURE_NOT_LOADED, MODCTL_ERROR_NOT_LOADED);
        check(FAILURE_BUILT_IN, MODCTL_ERROR_BUILT_IN);
        check(FAILURE_IN_USE, MODCTL_ERROR_IN_USE);
        check(FAILURE_KERNEL_REJECTED, MODCTL_ERROR_KERNEL_REJECTED);
        check(FAILURE_COMMAND_FAILED, MODCTL_ERROR_COMMAND_FAILED);
        check(FAILURE_DEPENDENCY_CYCLE, MODCTL_ERROR_DEPENDENCY_CYCLE);
        check(FAILURE_TIMEOUT, MODCTL_ERROR_TIMEOUT);
        check(FAILURE_BAD_MODULE, MODCTL_ERROR_BAD_MODULE);
        check(FAILURE_INTERNAL, MODCTL_ERROR_INTERNAL);
        check(FAILURE_POLICY_DENIED, MODCTL_ERROR_POLICY_DENIED);
        check(FAILURE_INVALID_CONFIG, MODCTL_ERROR_INVALID_CONFIG);
}

Test(bus_error, errnos_are_distinct) {
        for (const sd_bus_error_map *a = modctl_bus_error_map; a->name; a++)
                for (const sd_bus_error_map *b = a + 1; b->name; b++)
                        cr_assert_neq(a->code, b->code, "%s and %s share an errno", a->name, b->name);
}

Test(bus_error, access_denied_is_standard) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        cr_assert_eq(bus_error_setf(&e, -EACCES, "Only root may load module '%s'.", "snd"), -EACCES);
        cr_assert_str_eq(e.name, SD_BUS_ERROR_ACCESS_DENIED);
        cr_assert_str_eq(e.message, "Only root may load module 'snd'.");
}

Test(bus_error, failure_without_message_still_names_an_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Failure f = { .error = -FAILURE_NOT_FOUND };
        bus_error_from_failure(&e, &f);
        cr_assert_str_eq(e.name, MODCTL_ERROR_NOT_FOUND);
        cr_assert_not_null(e.message);
}
