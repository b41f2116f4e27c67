/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "module-name.h"

/* A string of n copies of c. */
static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        cr_assert_not_null(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

Test(module_name, limit_follows_module_name_len) {
        _cleanup_free_ char *max = repeat('a', MODULE_NAME_LEN - 1), *over = repeat('a', MODULE_NAME_LEN);

        cr_assert_eq(MODULE_NAME_LEN, 64);
        cr_assert(module_name_is_valid(max));
        cr_assert_not(module_name_is_valid(over));
}

Test(module_name, valid_names) {
        cr_assert(module_name_is_valid("snd"));
        cr_assert(module_name_is_valid("snd-hda-intel"));
        cr_assert(module_name_is_valid("a.b"));
        cr_assert(module_name_is_valid("x"));
}

Test(module_name, invalid_names) {
        cr_assert_not(module_name_is_valid(NULL));
        cr_assert_not(module_name_is_valid(""));
        cr_assert_not(module_name_is_valid("a/b"));
        cr_assert_not(module_name_is_valid(".."));
        cr_assert_not(module_name_is_valid(".hidden"));
        cr_assert_not(module_name_is_valid("-r"));
        cr_assert_not(module_name_is_valid("a b"));
        cr_assert_not(module_name_is_valid("a\tb"));
        cr_assert_not(module_name_is_valid("a\n"));
        cr_assert_not(module_name_is_valid("caf\xc3\xa9"));
        cr_assert_not(module_name_is_valid("a\x7f"));
}

Test(module_name, normalize) {
        char n[MODULE_NAME_LEN] = "untouched";
        _cleanup_free_ char *over = repeat('a', MODULE_NAME_LEN);

        cr_assert_eq(module_name_normalize("snd-hda-intel", n), 0);
        cr_assert_str_eq(n, "snd_hda_intel");

        strcpy(n, "untouched");
        cr_assert_eq(module_name_normalize("../etc", n), -EINVAL);
        cr_assert_eq(module_name_normalize(over, n), -EINVAL);
        cr_assert_str_eq(n, "untouched", "the output is not written on failure");
}

Test(module_name, equal_treats_dash_as_underscore) {
        cr_assert(module_name_equal("snd-hda_intel", "snd_hda-intel"));
        cr_assert_not(module_name_equal("snd", "snd_hda"));
        cr_assert_not(module_name_equal("snd_hda", "snd"));
}

Test(module_name, kernel_requests_up_to_55_bytes) {
        /* request_module() sends at most 55 bytes on 64-bit: a valid name and a valid request. */
        _cleanup_free_ char *k = repeat('k', MODULE_KERNEL_REQUEST_MAX);

        cr_assert_eq(strlen(k), 55);
        cr_assert(module_name_is_valid(k));
        cr_assert(module_request_is_valid(k));
        cr_assert(module_request_is_valid("net-pf-14"));
        cr_assert(module_request_is_valid("rtnl-link-dummy"));
        cr_assert(module_request_is_valid("char-major-10-200"));
}

Test(module_name, names_up_to_63_bytes_aliases_up_to_4095) {
        _cleanup_free_ char *name = repeat('n', 63), *name_over = repeat('n', 64);

        cr_assert(module_name_is_valid(name));
        cr_assert_not(module_name_is_valid(name_over));
        /* A 64-byte string is no module name, but may be an alias. */
        cr_assert(module_alias_is_valid(name_over));
        cr_assert(module_request_is_valid(name_over));
}

/* A CPU-style modalias of exactly len bytes: "cpu:type:x86,...:feature:,0000,0001,...". */
static char *cpu_modalias(size_t len) {
        char *s = malloc(len + 16);
        size_t n;

        cr_assert_not_null(s);
        n = (size_t) sprintf(s, "cpu:type:x86,ven0000fam0006mod003F:feature:");
        for (unsigned i = 0; n < len; i++)
                n += (size_t) sprintf(s + n, ",%04X", i);
        s[len] = '\0';
        return s;
}

Test(module_name, modalias_of_4_KiB) {
        /* A sysfs modalias file is one 4 KiB page with a trailing newline: 4095 bytes of alias. */
        _cleanup_free_ char *max = cpu_modalias(MODULE_ALIAS_MAX), *over = cpu_modalias(MODULE_ALIAS_MAX + 1);

        cr_assert_eq(MODULE_ALIAS_MAX, 4095);
        cr_assert_eq(strlen(max), 4095);
        cr_assert(module_alias_is_valid(max));
        cr_assert(module_request_is_valid(max));
        cr_assert_not(module_name_is_valid(max));
        cr_assert_eq(strlen(over), 4096);
        cr_assert_not(module_alias_is_valid(over));
        cr_assert_not(module_request_is_valid(over));
}

Test(module_name, slash_in_dmi_and_devname_aliases) {
        const char *dmi = "dmi:bvnSAMSUNGELECTRONICSCO.,LTD.:bvr04PW:bd05/19/2009:svnSAMSUNGELECTRONICSCO.,LTD.:"
                          "pnR40/R41:pvr01PW.M000.0001.2009:rvnSAMSUNGELECTRONICSCO.,LTD.:rnR40/R41:rvr:";

        cr_assert(module_request_is_valid("devname:snd/timer"));
        cr_assert(module_request_is_valid("devname:snd/seq"));
        cr_assert(module_request_is_valid("devname:vfio/vfio"));
        cr_assert(module_request_is_valid(dmi));
        cr_assert(module_alias_is_valid(dmi));
        /* ".." inside a part is text, not a path. */
        cr_assert(module_request_is_valid("dmi:bvrV1..2:pnA/B"));
        /* But no alias is a module name. */
        cr_assert_not(module_name_is_valid("devname:snd/timer"));
}

Test(module_name, paths_are_not_requests) {
        cr_assert_not(module_request_is_valid("../../etc/passwd"));
        cr_assert_not(module_request_is_valid("/lib/modules/x.ko"));
        cr_assert_not(module_request_is_valid("./snd.ko"));
        cr_assert_not(module_request_is_valid(".."));
        cr_assert_not(module_request_is_valid("devname:../../etc/passwd"));
        cr_assert_not(module_request_is_valid("devname:snd/.."));
        cr_assert_not(module_request_is_valid("a/../b"));
        /* The alias rule alone allows them: only requests refuse paths. */
        cr_assert(module_alias_is_valid("../../etc/passwd"));
}

Test(module_name, request_and_alias_rejects) {
        cr_assert_not(module_request_is_valid(NULL));
        cr_assert_not(module_request_is_valid(""));
        cr_assert_not(module_request_is_valid("-r"));
        cr_assert_not(module_request_is_valid("a b"));
        cr_assert_not(module_request_is_valid("a\tb"));
        cr_assert_not(module_request_is_valid("a\n"));
        cr_assert_not(module_request_is_valid("caf\xc3\xa9"));
        cr_assert_not(module_alias_is_valid(NULL));
        cr_assert_not(module_alias_is_valid(""));
        cr_assert_not(module_alias_is_valid("-a"));
        cr_assert_not(module_alias_is_valid("pci:v x"));
        cr_assert(module_request_is_valid("pci:v00008086d00002668sv*sd*bc*sc*i*"));
        cr_assert(module_request_is_valid("a..b"));
}

Test(module_name, request_normalize) {
        _cleanup_free_ char *n = module_request_normalize("snd-hda-intel");

        cr_assert_str_eq(n, "snd_hda_intel");
}

/* The one validate_name, shared by the resolver and the bus: the kind, and a sentence that names
 * the request and says what is wrong with it. */
Test(module_name, request_validate_says_why) {
        static const struct {
                const char *request;
                const char *says;
        } cases[] = {
                { "", "the name is empty" },
                { "../../etc/passwd", "a file path is not a module name" },
                { "/lib/modules/x.ko", "a file path is not a module name" },
                { "snd hda", "may not contain spaces" },
                { "-v", "or start with '-'" },
        };
        Failure f = FAILURE_NULL;
        char *longname;

        cr_assert_eq(module_request_validate("snd-hda_intel", &f), 0);
        cr_assert_eq(module_request_validate("pci:v00008086d*", &f), 0);
        cr_assert_eq(f.kind, _FAILURE_KIND_NONE);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cr_assert_lt(module_request_validate(cases[i].request, &f), 0, "%s", cases[i].request);
                cr_assert_eq(f.kind, FAILURE_INVALID_NAME);
                cr_assert_not_null(strstr(f.message, cases[i].says), "%s: %s", cases[i].request, f.message);
                if (*cases[i].request)
                        cr_assert_not_null(strstr(f.message, cases[i].request), "%s", f.message);
                failure_done(&f);
        }

        longname = malloc(MODULE_ALIAS_MAX + 2);
        cr_assert_not_null(longname);
        memset(longname, 'a', MODULE_ALIAS_MAX + 1);
        longname[MODULE_ALIAS_MAX + 1] = '\0';
        cr_assert_lt(module_request_validate(longname, &f), 0);
        cr_assert_not_null(strstr(f.message, "4096 bytes long, at most 4095"), "%s", f.message);
        failure_done(&f);
        free(longname);
}
