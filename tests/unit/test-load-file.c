/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A module file by path (issue 24): which command-line arguments name a file
 * (module_arg_is_file(), and kmod 31's narrower rule from tools/modprobe.c that the modprobe
 * mode follows), and what LoadFile makes of the bytes a caller hands over
 * (module_file_copy_fd(), then module_file_identify()) when they are malformed: empty,
 * truncated ELF, no .modinfo, no name=, compressed garbage, and descriptors that cannot be
 * read. The ELF objects come from make-elf-fixtures.sh (objcopy, at build time). */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/module-name.h"
#include "common/strv.h"
#include "core/module-file.h"

/* ---- which arguments are files ---- */

/* Files for kmod 31+'s modprobe (insmod(): strncmp(alias, "/", 1) || strncmp(alias, "./", 2)),
 * so for both rules. */
static const char *const kmod_files[] = {
        "/x.ko", "/lib/modules/6.1.0-57-amd64/kernel/drivers/net/dummy.ko", "./x.ko", "./x.ko.xz",
        "./build/x", "/", "./", "/x", NULL,
};
/* Files only for `modctl load`: what a shell user types for a file in or below the working
 * directory. kmod takes each for a module name. */
static const char *const modctl_only_files[] = {
        "../x.ko", "../../build/x.ko.zst", "x.ko", "build/x.ko", "x.ko.gz", "x.ko.xz", "x.ko.zst", "../", NULL,
};
/* Names, aliases and module requests for both. */
static const char *const names[] = {
        "snd", "snd-hda-intel", "devname:snd/timer", "pci:v00008086d00002668sv*sd*bc*sc*i*",
        "dmi:bvnQEMU:bvrpc-i440fx/x", "a/../b", "fs-ext4", "x.ko.bz2", "xko", ".ko", "x.kox", "", "..", ".", ".x",
        "x.o", NULL,
};

Test(module_arg, kmod_rule_is_a_leading_slash_or_dot_slash) {
        for (const char *const *a = kmod_files; *a; a++)
                cr_assert(module_arg_is_file_kmod(*a), "'%s' is a file for kmod", *a);
        for (const char *const *a = modctl_only_files; *a; a++)
                cr_assert(!module_arg_is_file_kmod(*a), "'%s' is a name for kmod", *a);
        for (const char *const *a = names; *a; a++)
                cr_assert(!module_arg_is_file_kmod(*a), "'%s' is a name for kmod", *a);
        cr_assert(!module_arg_is_file_kmod(NULL));
}

Test(module_arg, modctl_rule_adds_dot_dot_and_module_suffixes) {
        for (const char *const *a = kmod_files; *a; a++)
                cr_assert(module_arg_is_file(*a), "'%s' is a file for modctl", *a);
        for (const char *const *a = modctl_only_files; *a; a++)
                cr_assert(module_arg_is_file(*a), "'%s' is a file for modctl", *a);
        for (const char *const *a = names; *a; a++)
                cr_assert(!module_arg_is_file(*a), "'%s' is a name for modctl", *a);
        cr_assert(!module_arg_is_file(NULL));
}

Test(module_arg, a_path_is_never_a_module_name_or_request) {
        /* What kmod reads as a path could not be loaded by name anyway. (The suffix rule takes
         * "x.ko" for a file although the name grammar allows it: kbuild names a module after its
         * file without the extension, so no module is called "x.ko".) */
        for (const char *const *a = kmod_files; *a; a++) {
                cr_assert(!module_name_is_valid(*a), "'%s'", *a);
                cr_assert(!module_request_is_valid(*a), "'%s'", *a);
        }
        for (const char *const *a = modctl_only_files; *a; a++)
                if (strchr(*a, '/'))
                        cr_assert(!module_name_is_valid(*a), "'%s'", *a);
}

/* ---- the module-file checks ---- */

static char tmpdir[] = "/tmp/test-load-file-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) !system(cmd);
}

TestSuite(load_file, .init = setup, .fini = teardown);

static void *read_fixture(const char *name, size_t *ret_size) {
        char path[4096];
        struct stat st;
        void *data;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", MODCTL_ELF_FIXTURES, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
        cr_assert_eq(fstat(fd, &st), 0);
        data = malloc(st.st_size);
        cr_assert_not_null(data);
        cr_assert_eq(read(fd, data, st.st_size), st.st_size);
        close(fd);
        *ret_size = (size_t) st.st_size;
        return data;
}

/* data as a file the caller opened, through both checks. On failure, name and depends must be
 * left as they were. */
static int check(const void *data, size_t size, char **ret_name, char ***ret_depends) {
        char path[4096];
        int fd, copy = -EBADF, r;

        snprintf(path, sizeof(path), "%s/x.ko", tmpdir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, data, size), (ssize_t) size);
        close(fd);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);

        r = module_file_copy_fd(fd, &copy);
        close(fd);
        if (r < 0)
                return r;
        r = module_file_identify(copy, ret_name, ret_depends);
        close(copy);
        return r;
}

static char *const untouched_name = (char *) "untouched";
static char **const untouched_depends = (char **) &untouched_name;

static void assert_refused(const void *data, size_t size, int expected, const char *what) {
        char *name = untouched_name, **depends = untouched_depends;
        int r = check(data, size, &name, &depends);

        cr_assert_eq(r, expected, "%s: %d (%s), expected %d (%s)", what, r, strerror(-r), expected,
                     strerror(-expected));
        cr_assert_eq(name, untouched_name, "%s: name written on failure", what);
        cr_assert_eq(depends, untouched_depends, "%s: depends written on failure", what);
}

Test(load_file, a_good_object_gives_name_and_depends) {
        _cleanup_free_ void *data = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_(strv_freep) char **depends = NULL;
        size_t size;

        data = read_fixture("modinfo-elf64-x86-64.o", &size);
        cr_assert_eq(check(data, size, &name, &depends), 0);
        cr_assert_str_eq(name, "fixture");
        /* "depends=" with nothing: an empty list, not NULL. */
        cr_assert_not_null(depends);
        cr_assert_eq(strv_length(depends), 0);
}

Test(load_file, depends_drops_gaps_and_repeats) {
        _cleanup_free_ void *data = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_(strv_freep) char **depends = NULL;
        size_t size;

        data = read_fixture("withdeps-elf64-x86-64.o", &size);
        cr_assert_eq(check(data, size, &name, &depends), 0);
        cr_assert_str_eq(name, "withdeps");
        cr_assert_eq(strv_length(depends), 2);
        cr_assert_str_eq(depends[0], "base");
        cr_assert_str_eq(depends[1], "dep");
}

Test(load_file, truncated_elf_is_not_a_module) {
        _cleanup_free_ void *data = NULL;
        size_t size;

        data = read_fixture("modinfo-elf64-x86-64.o", &size);
        /* Inside the ELF header, just past it, half way, one byte short of the section headers. */
        const size_t cuts[] = { 1, 4, 6, 16, 63, 64, 65, size / 2, size - 1 };
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                char what[64];
                snprintf(what, sizeof(what), "the first %zu of %zu bytes", cuts[i], size);
                assert_refused(data, cuts[i], -ENOEXEC, what);
        }
}

Test(load_file, empty_and_not_elf) {
        static const char text[] = "#!/bin/sh\necho this is not a kernel module\n";
        assert_refused("", 0, -ENOEXEC, "an empty file");
        assert_refused(text, sizeof(text) - 1, -ENOEXEC, "a shell script");
        assert_refused("\x7f" "ELF", 4, -ENOEXEC, "the ELF magic alone");
}

Test(load_file, no_modinfo_section) {
        _cleanup_free_ void *data = NULL;
        size_t size;

        data = read_fixture("nomodinfo-elf32-big.o", &size);
        assert_refused(data, size, -ENOEXEC, "an object without .modinfo");
}

Test(load_file, no_name_in_modinfo) {
        _cleanup_free_ void *data = NULL;
        size_t size;

        data = read_fixture("noname-elf64-x86-64.o", &size);
        assert_refused(data, size, -ENOMSG, "a .modinfo without name=");
}

Test(load_file, compressed_garbage) {
        uint8_t buf[4096];

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 7 + 3);
        /* Each format's magic, then bytes that are no stream of it. */
        memcpy(buf, "\xfd" "7zXZ\0", 6);
        assert_refused(buf, sizeof(buf), -EBADMSG, "xz magic, garbage after");
        memcpy(buf, "\x28\xb5\x2f\xfd", 4);
        assert_refused(buf, sizeof(buf), -EBADMSG, "zstd magic, garbage after");
        memcpy(buf, "\x1f\x8b\x08\x00", 4);
        assert_refused(buf, sizeof(buf), -EBADMSG, "gzip magic, garbage after");
}

static size_t xz(const void *in, size_t n, uint8_t *out, size_t size) {
        size_t pos = 0;
        cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, size), LZMA_OK);
        return pos;
}

Test(load_file, compressed_module_and_compressed_non_module) {
        _cleanup_free_ void *data = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_(strv_freep) char **depends = NULL;
        static const char text[] = "well-formed xz, but of a text file";
        uint8_t out[65536];
        size_t size, n;

        data = read_fixture("withdeps-elf64-x86-64.o", &size);
        n = xz(data, size, out, sizeof(out));
        cr_assert_eq(check(out, n, &name, &depends), 0);
        cr_assert_str_eq(name, "withdeps");
        cr_assert_eq(strv_length(depends), 2);

        n = xz(text, sizeof(text) - 1, out, sizeof(out));
        assert_refused(out, n, -ENOEXEC, "an xz stream of text");
        /* A module cut short inside its compressed stream. */
        n = xz(data, size, out, sizeof(out));
        assert_refused(out, n / 2, -EBADMSG, "half an xz stream of a module");
}

Test(load_file, descriptors_that_cannot_be_read) {
        char path[4096];
        int fd, copy = -EBADF;

        fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(module_file_copy_fd(fd, &copy), -EINVAL, "a directory");
        close(fd);

        snprintf(path, sizeof(path), "%s/w.ko", tmpdir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(module_file_copy_fd(fd, &copy), -EBADF, "write-only");
        close(fd);
        fd = open(path, O_PATH | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(module_file_copy_fd(fd, &copy), -EBADF, "O_PATH");
        close(fd);
        cr_assert_eq(copy, -EBADF, "nothing returned on failure");
}
