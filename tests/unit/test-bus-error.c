/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Failure kinds against the contract: the error list in dbus/org.modctl1.xml and the names in
 * include/modctl-bus.h (both parsed here, so the table is not checked against itself), and
 * errnos that must never pick a name by themselves. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bus/bus-error.h"
#include "modctl-bus.h"
#include "strv.h"

/* The "Error: org.modctl1.Error.X" lines of the XML's error list. */
static char **xml_errors(void) {
        _cleanup_(fclosep) FILE *f = fopen(MODCTL_CONTRACT_XML, "re");
        char line[1024], **names = NULL;

        cr_assert_not_null(f, "cannot read %s", MODCTL_CONTRACT_XML);
        while (fgets(line, sizeof(line), f)) {
                char name[256];
                const char *p = strstr(line, "Error: " MODCTL_ERROR_PREFIX);
                if (p && sscanf(p, "Error: %255s", name) == 1)
                        cr_assert_eq(strv_extend(&names, name), 0);
        }
        cr_assert_geq(strv_length(names), 14, "the XML lists only %zu errors", strv_length(names));
        return names;
}

/* The string values of the MODCTL_ERROR_* defines, but the prefix. */
static char **header_errors(void) {
        _cleanup_(fclosep) FILE *f = fopen(MODCTL_BUS_HEADER, "re");
        char line[1024], **names = NULL;

        cr_assert_not_null(f, "cannot read %s", MODCTL_BUS_HEADER);
        while (fgets(line, sizeof(line), f)) {
                char macro[128], value[256];
                if (sscanf(line, "#define %127s \"%255[^\"]\"", macro, value) == 2 &&
                    strncmp(macro, "MODCTL_ERROR_", 13) == 0 && strcmp(macro, "MODCTL_ERROR_PREFIX") != 0)
                        cr_assert_eq(strv_extend(&names, value), 0);
        }
        return names;
}

static bool in_map(const char *name, int *ret_errno) {
        for (const sd_bus_error_map *m = modctl_bus_error_map; m->name; m++)
                if (streq(m->name, name)) {
                        *ret_errno = m->code;
                        return true;
                }
        return false;
}

Test(bus_error, every_kind_has_a_contract_name_and_back) {
        _cleanup_(strv_freep) char **xml = xml_errors(), **header = header_errors();
        _cleanup_(strv_freep) char **named = NULL;

        /* The header and the XML list the same names. */
        STRV_FOREACH(n, xml)
                cr_assert(strv_contains(header, *n), "%s is in the XML but not in modctl-bus.h", *n);
        STRV_FOREACH(n, header)
                cr_assert(strv_contains(xml, *n), "%s is in modctl-bus.h but not in the XML", *n);

        for (FailureKind k = 1; k < _FAILURE_KIND_MAX; k++) {
                const char *name = bus_error_name_from_kind(k);
                int error = 0;

                cr_assert(strv_contains(xml, name), "kind %d maps to %s, which the XML does not list", k, name);
                cr_assert_not(strv_contains(named, (char *) name), "two kinds map to %s", name);
                cr_assert_eq(strv_extend(&named, name), 0);
                /* The tail of the name is the kind's own name. */
                cr_assert_str_eq(name + strlen(MODCTL_ERROR_PREFIX), failure_kind_to_string(k));
                /* Clients' errno for the name is the kind's errno. */
                cr_assert(in_map(name, &error), "%s is missing from the sd-bus error map", name);
                cr_assert_eq(error, failure_kind_to_errno(k), "%s: map says %d, kind says %d", name, error,
                             failure_kind_to_errno(k));
        }
        /* Every name of the contract is reachable from some kind. */
        STRV_FOREACH(n, xml)
                cr_assert(strv_contains(named, *n), "no failure kind maps to %s", *n);
}

Test(bus_error, errnos_are_distinct) {
        for (const sd_bus_error_map *a = modctl_bus_error_map; a->name; a++)
                for (const sd_bus_error_map *b = a + 1; b->name; b++)
                        cr_assert_neq(a->code, b->code, "%s and %s share an errno", a->name, b->name);
}

Test(bus_error, the_kind_names_the_error_not_the_errno) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;

        /* A helper's stray -ENOENT reported without a kind of its own is Internal, not NotFound. */
        cr_assert_eq(failure_set_errno(&f, FAILURE_INTERNAL, -ENOENT, "Failed to load module '%s': %s.", "x",
                                       strerror(ENOENT)), -ENOENT);
        cr_assert_eq(bus_error_from_failure(&e, &f), -ENOENT);
        cr_assert_str_eq(e.name, MODCTL_ERROR_INTERNAL);
        cr_assert_str_eq(e.message, "Failed to load module 'x': No such file or directory.");
        sd_bus_error_free(&e);

        /* Nor does -EINVAL become InvalidName. */
        failure_set_errno(&f, FAILURE_INTERNAL, -EINVAL, "Failed to load module '%s'.", "x");
        bus_error_from_failure(&e, &f);
        cr_assert_str_eq(e.name, MODCTL_ERROR_INTERNAL);
        sd_bus_error_free(&e);

        /* The kernel's errno travels with KernelRejected, which it does not change. */
        failure_set_errno(&f, FAILURE_KERNEL_REJECTED, -ENOENT, "The kernel rejected module '%s'.", "x");
        cr_assert_eq(f.error, -ENOENT);
        cr_assert_eq(bus_error_from_failure(&e, &f), -ENOENT);
        cr_assert_str_eq(e.name, MODCTL_ERROR_KERNEL_REJECTED);
        sd_bus_error_free(&e);

        /* A Failure with an errno but no kind (nobody chose one) is Internal. */
        Failure bare = { .error = -EINVAL };
        bus_error_from_failure(&e, &bare);
        cr_assert_str_eq(e.name, MODCTL_ERROR_INTERNAL);
}

Test(bus_error, failure_set_uses_the_kinds_errno) {
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;

        cr_assert_eq(failure_set(&f, FAILURE_POLICY_DENIED, "Policy denies loading '%s'.", "x"), -EKEYREJECTED);
        cr_assert_eq(f.kind, FAILURE_POLICY_DENIED);
        cr_assert_str_eq(f.message, "Policy denies loading 'x'.");
        /* No kind and no failure: NULL is fine, the errno still comes back. */
        cr_assert_eq(failure_set(NULL, FAILURE_NOT_FOUND, "x"), -ENOENT);
}

Test(bus_error, failure_without_message_still_names_an_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Failure f = { .kind = FAILURE_NOT_FOUND, .error = -ENOENT };
        bus_error_from_failure(&e, &f);
        cr_assert_str_eq(e.name, MODCTL_ERROR_NOT_FOUND);
        cr_assert_not_null(e.message);
}

Test(bus_error, setf_names_the_kind) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        cr_assert_eq(bus_error_setf(&e, FAILURE_INVALID_ARGUMENT, "Unknown flags 0x%x for loading '%s'.", 16u, "snd"),
                     -EDOM);
        cr_assert_str_eq(e.name, MODCTL_ERROR_INVALID_ARGUMENT);
        cr_assert_str_eq(e.message, "Unknown flags 0x10 for loading 'snd'.");
}
