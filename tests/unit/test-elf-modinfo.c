/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .modinfo reader on every class and byte order Debian's architectures use: ELF32 little
 * endian (i386, armhf), ELF32 and ELF64 big endian (powerpc, s390x), ELF64 little endian.
 * The fixtures are made at build time by make-elf-fixtures.sh with objcopy. */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/strv.h"
#include "core/elf-modinfo.h"

static char **parse_fixture(const char *name, int *ret_r) {
        char path[4096];
        char **pairs = NULL;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", MODCTL_ELF_FIXTURES, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
        *ret_r = elf_modinfo_parse_fd(fd, &pairs);
        close(fd);
        return pairs;
}

static void check_fields(const char *fixture) {
        _cleanup_(strv_freep) char **pairs = NULL;
        int r;

        pairs = parse_fixture(fixture, &r);
        cr_assert_eq(r, 0, "%s: %s", fixture, strerror(-r));
        cr_assert_str_eq(elf_modinfo_get(pairs, "license"), "GPL", "%s", fixture);
        cr_assert_str_eq(elf_modinfo_get(pairs, "name"), "fixture", "%s", fixture);
        cr_assert_str_eq(elf_modinfo_get(pairs, "vermagic"), "6.1.0-686 SMP mod_unload 686 ", "%s", fixture);
        cr_assert_str_eq(elf_modinfo_get(pairs, "depends"), "", "%s", fixture);
        cr_assert_null(elf_modinfo_get(pairs, "intree"), "%s", fixture);
        /* In file order, the padding skipped. */
        cr_assert_eq(strv_length(pairs), 8, "%s", fixture);
        cr_assert_str_eq(pairs[0], "license", "%s", fixture);
        cr_assert_str_eq(pairs[6], "depends", "%s", fixture);
}

Test(elf_modinfo, elf32_little_endian_i386) {
        check_fields("modinfo-elf32-i386.o");
}

Test(elf_modinfo, elf32_little_endian_generic) {
        check_fields("modinfo-elf32-little.o");
}

Test(elf_modinfo, elf32_big_endian) {
        check_fields("modinfo-elf32-big.o");
}

Test(elf_modinfo, elf64_big_endian) {
        check_fields("modinfo-elf64-big.o");
}

Test(elf_modinfo, elf64_little_endian) {
        check_fields("modinfo-elf64-x86-64.o");
}

Test(elf_modinfo, no_modinfo_section) {
        _cleanup_(strv_freep) char **pairs = NULL;
        int r;

        pairs = parse_fixture("nomodinfo-elf32-big.o", &r);
        cr_assert_eq(r, -ENOEXEC);
        cr_assert_null(pairs);
}

Test(elf_modinfo, truncated_and_not_elf) {
        _cleanup_(strv_freep) char **pairs = NULL;
        char path[4096];
        uint8_t buf[65536];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/modinfo-elf32-big.o", MODCTL_ELF_FIXTURES);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        n = read(fd, buf, sizeof(buf));
        close(fd);
        cr_assert_gt(n, 64);
        /* The section headers come last (objcopy writes them at the end): every shorter
         * prefix cuts into them, and is refused rather than read past its end. */
        for (size_t len = 0; len < (size_t) n; len++)
                cr_assert_eq(elf_modinfo_parse(buf, len, &pairs), -ENOEXEC, "prefix of %zu bytes", len);
        cr_assert_eq(elf_modinfo_parse(buf, (size_t) n, &pairs), 0);
        strv_free(pairs);
        pairs = NULL;
        cr_assert_eq(elf_modinfo_parse((const uint8_t *) "not an ELF file at all, just text", 33, &pairs),
                     -ENOEXEC);
}
