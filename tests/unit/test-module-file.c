/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* module_file_open(): plain, xz, zstd and gzip modules compressed at test time with the same
 * libraries, handed to the kernel as they are or decompressed into a sealed memfd, and
 * damaged files. */

#include <criterion/criterion.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kernel/kernel.h"
#include "macro.h"
#include "core/module-file.h"

static char tmpdir[] = "/tmp/test-module-file-XXXXXX";

/* A fake "module": ELF magic, then over 128 KiB of compressible but not trivial bytes, so that
 * the decoders go through more than one buffer. */
#define PAYLOAD_SIZE (300 * 1024 + 17)
static uint8_t *payload;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void setup(void) {
        uint32_t x = 12345;

        cr_assert_not_null(mkdtemp(tmpdir));
        payload = malloc(PAYLOAD_SIZE);
        cr_assert_not_null(payload);
        memcpy(payload, "\x7f" "ELF", 4);
        for (size_t i = 4; i < PAYLOAD_SIZE; i++) {
                x = x * 1103515245u + 12345u;
                payload[i] = (i % 64 < 48) ? (uint8_t) ("modinfo=license=GPL\0"[i % 20]) : (uint8_t) (x >> 24);
        }
}

static void teardown(void) {
        free(payload);
        (void) nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(module_file, .init = setup, .fini = teardown);

static char *write_file(const char *file, const void *data, size_t size) {
        char *path;
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s", tmpdir, file) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
        return path;
}

static uint8_t *compress_xz(const uint8_t *in, size_t n, size_t *ret_n) {
        size_t cap = n + n / 2 + 4096, pos = 0;
        uint8_t *out = malloc(cap);

        /* What kbuild uses: CRC32 check, as the kernel's own decompressor requires. */
        cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap), LZMA_OK);
        *ret_n = pos;
        return out;
}

static uint8_t *compress_zstd(const uint8_t *in, size_t n, size_t *ret_n) {
        size_t cap = ZSTD_compressBound(n);
        uint8_t *out = malloc(cap);
        ZSTD_CCtx *c = ZSTD_createCCtx();
        size_t r;

        /* With a checksum, like the zstd(1) that kbuild runs. */
        cr_assert_not(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
        r = ZSTD_compress2(c, out, cap, in, n);
        ZSTD_freeCCtx(c);
        cr_assert_not(ZSTD_isError(r));
        *ret_n = r;
        return out;
}

static uint8_t *compress_gzip(const uint8_t *in, size_t n, size_t *ret_n) {
        z_stream z = {};
        size_t cap = n + n / 2 + 4096;
        uint8_t *out = malloc(cap);

        cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *) in;
        z.avail_in = n;
        z.next_out = out;
        z.avail_out = cap;
        cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        *ret_n = z.total_out;
        deflateEnd(&z);
        return out;
}

static uint8_t *read_all(int fd, size_t *ret_n) {
        size_t cap = 1024 * 1024, n = 0;
        uint8_t *buf = malloc(cap);
        ssize_t k;

        while ((k = pread(fd, buf + n, cap - n, n)) > 0) {
                n += k;
                if (n == cap)
                        buf = realloc(buf, cap *= 2);
        }
        cr_assert_geq(k, 0);
        *ret_n = n;
        return buf;
}

static void assert_fd_content(int fd, const void *data, size_t size) {
        size_t n;
        _cleanup_(freep) uint8_t *got = read_all(fd, &n);

        cr_assert_eq(n, size, "got %zu bytes, want %zu", n, size);
        cr_assert_eq(memcmp(got, data, size), 0);
}

typedef uint8_t *(*compressor_t)(const uint8_t *in, size_t n, size_t *ret_n);

static void check_algorithm(const char *suffix, const char *algo, const char *other, compressor_t compress) {
        _cleanup_(freep) char *file = NULL, *path = NULL;
        _cleanup_(freep) uint8_t *packed = NULL;
        size_t packed_n;
        unsigned flags = 99;
        int fd = -EBADF, seals;

        packed = compress(payload, PAYLOAD_SIZE, &packed_n);
        cr_assert(asprintf(&file, "mod.ko.%s", suffix) > 0);
        path = write_file(file, packed, packed_n);

        /* Nobody decompresses in the kernel: we do, into a sealed read-only memfd. */
        cr_assert_eq(module_file_open(path, NULL, &fd, &flags), 0);
        cr_assert_eq(flags, 0u);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        seals = fcntl(fd, F_GET_SEALS);
        cr_assert_geq(seals, 0, "a memfd");
        cr_assert(seals & F_SEAL_WRITE);
        cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        cr_assert_eq(lseek(fd, 0, SEEK_CUR), 0);
        close(fd);

        /* The kernel does another algorithm: still ours to do. */
        cr_assert_eq(module_file_open(path, other, &fd, &flags), 0);
        cr_assert_eq(flags, 0u);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);

        /* The kernel does this one: hand over the file as it is. */
        cr_assert_eq(module_file_open(path, algo, &fd, &flags), 0);
        cr_assert_eq(flags, KERNEL_INSERT_COMPRESSED_FILE);
        assert_fd_content(fd, packed, packed_n);
        close(fd);

        /* Truncated. */
        free(path);
        free(file);
        cr_assert(asprintf(&file, "trunc.ko.%s", suffix) > 0);
        path = write_file(file, packed, packed_n - 7);
        cr_assert_eq(module_file_open(path, NULL, &fd, &flags), -EBADMSG);

        /* A byte flipped in the middle of the data. */
        free(path);
        free(file);
        packed[packed_n / 2] ^= 0x55;
        packed[packed_n / 2 + 1] ^= 0xaa;
        cr_assert(asprintf(&file, "flip.ko.%s", suffix) > 0);
        path = write_file(file, packed, packed_n);
        flags = 99;
        fd = -EBADF;
        cr_assert_eq(module_file_open(path, NULL, &fd, &flags), -EBADMSG);
        cr_assert_eq(flags, 99u, "outputs untouched on failure");
        cr_assert_eq(fd, -EBADF);
}

Test(module_file, xz) {
        check_algorithm("xz", "xz", "zstd", compress_xz);
}

Test(module_file, zstd) {
        check_algorithm("zst", "zstd", "gzip", compress_zstd);
}

Test(module_file, gzip) {
        check_algorithm("gz", "gzip", "xz", compress_gzip);
}

Test(module_file, plain) {
        _cleanup_(freep) char *path = write_file("plain.ko", payload, PAYLOAD_SIZE);
        unsigned flags = 99;
        int fd;

        cr_assert_eq(module_file_open(path, "zstd", &fd, &flags), 0);
        cr_assert_eq(flags, 0u);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        cr_assert_lt(fcntl(fd, F_GET_SEALS), 0, "the file itself, not a copy");
        close(fd);
}

Test(module_file, sealed_copy) {
        _cleanup_(freep) char *path = write_file("sealed.ko", payload, PAYLOAD_SIZE);
        int fd, seals;

        /* A plain module copied into a sealed memfd (in the kernel, by sendfile). */
        cr_assert_eq(module_file_open_sealed(path, &fd), 0);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        seals = fcntl(fd, F_GET_SEALS);
        cr_assert_geq(seals, 0, "a memfd");
        cr_assert(seals & F_SEAL_WRITE && seals & F_SEAL_GROW && seals & F_SEAL_SHRINK);
        cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        cr_assert_eq(lseek(fd, 0, SEEK_CUR), 0);
        close(fd);

        /* The copy is the file as it was: later writes to the file do not reach it. */
        cr_assert_eq(module_file_open_sealed(path, &fd), 0);
        FILE *f = fopen(path, "r+e");
        cr_assert_not_null(f);
        cr_assert_eq(fputs("changed", f) >= 0, true);
        fclose(f);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);

        cr_assert_eq(module_file_open_sealed("/nonexistent/x.ko", &fd), -ENOENT);
}

Test(module_file, stable_is_the_file_when_only_root_can_write_it) {
        const char *rootfile = "/usr/bin/true"; /* any ELF file owned by root, 0755 */
        _cleanup_(freep) char *group_w = write_file("group-writable.ko", payload, PAYLOAD_SIZE);
        _cleanup_(freep) char *others = write_file("not-roots.ko", payload, PAYLOAD_SIZE);
        struct stat a, b;
        bool copied = true;
        unsigned flags = 1;
        int fd;

        /* Owned by root, writable by nobody else, on a local filesystem: the fd is the file. */
        cr_assert_eq(stat(rootfile, &b), 0);
        cr_assert(b.st_uid == 0 && !(b.st_mode & 022), "%s: owned by root, not group/other-writable", rootfile);
        cr_assert_eq(module_file_open_stable(rootfile, NULL, &fd, &copied, &flags), 0);
        cr_assert_not(copied);
        cr_assert_lt(fcntl(fd, F_GET_SEALS), 0, "the file itself, not a copy");
        cr_assert_eq(fstat(fd, &a), 0);
        cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
        cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        close(fd);

        /* Writable by the group: a sealed copy, which later writes to the file do not reach. */
        cr_assert_eq(chmod(group_w, 0664), 0);
        cr_assert_eq(module_file_open_stable(group_w, NULL, &fd, &copied, &flags), 0);
        cr_assert(copied);
        cr_assert(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE);
        FILE *f = fopen(group_w, "r+e");
        cr_assert_not_null(f);
        cr_assert_eq(fputs("changed", f) >= 0, true);
        fclose(f);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);

        /* Owned by someone other than root (nobody; or us when the test does not run as root). */
        if (geteuid() == 0)
                cr_assert_eq(chown(others, 65534, 65534), 0);
        cr_assert_eq(module_file_open_stable(others, NULL, &fd, &copied, &flags), 0);
        cr_assert(copied);
        cr_assert(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);

        cr_assert_eq(module_file_open_stable("/nonexistent/x.ko", "xz", &fd, &copied, &flags), -ENOENT);
}

Test(module_file, stable_keeps_a_compressed_file_the_kernel_decompresses) {
        _cleanup_(freep) uint8_t *packed = NULL;
        _cleanup_(freep) char *path = NULL;
        size_t packed_n;
        unsigned flags;
        bool copied;
        int fd;

        packed = compress_xz(payload, PAYLOAD_SIZE, &packed_n);
        path = write_file("kept.ko.xz", packed, packed_n);
        cr_assert_eq(chmod(path, 0644), 0);

        /* The kernel does xz and only root can write the file: the file itself, compressed. */
        flags = 99;
        cr_assert_eq(module_file_open_stable(path, "xz", &fd, &copied, &flags), 0);
        if (geteuid() == 0) {
                cr_assert_not(copied);
                cr_assert_eq(flags, KERNEL_INSERT_COMPRESSED_FILE);
                cr_assert_lt(fcntl(fd, F_GET_SEALS), 0, "the file itself, not a copy");
                assert_fd_content(fd, packed, packed_n);
        } else {
                cr_assert(copied);
                cr_assert_eq(flags, 0u);
                assert_fd_content(fd, payload, PAYLOAD_SIZE);
        }
        close(fd);

        /* Another algorithm, or none: decompressed here, a sealed memfd. */
        for (size_t i = 0; i < 2; i++) {
                flags = 99;
                cr_assert_eq(module_file_open_stable(path, i == 0 ? "zstd" : NULL, &fd, &copied, &flags), 0);
                cr_assert(copied);
                cr_assert_eq(flags, 0u);
                cr_assert(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE);
                assert_fd_content(fd, payload, PAYLOAD_SIZE);
                close(fd);
        }

        /* Writable by the group: someone else could change it, so never the file itself. */
        cr_assert_eq(chmod(path, 0664), 0);
        flags = 99;
        cr_assert_eq(module_file_open_stable(path, "xz", &fd, &copied, &flags), 0);
        cr_assert(copied);
        cr_assert_eq(flags, 0u);
        cr_assert(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);
}

Test(module_file, magic_wins_over_suffix) {
        _cleanup_(freep) uint8_t *packed = NULL;
        _cleanup_(freep) char *zst_as_ko = NULL, *elf_as_xz = NULL;
        size_t packed_n;
        unsigned flags;
        int fd;

        packed = compress_zstd(payload, PAYLOAD_SIZE, &packed_n);
        zst_as_ko = write_file("misnamed.ko", packed, packed_n);
        cr_assert_eq(module_file_open(zst_as_ko, NULL, &fd, &flags), 0);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);

        elf_as_xz = write_file("plain.ko.xz", payload, PAYLOAD_SIZE);
        cr_assert_eq(module_file_open(elf_as_xz, "xz", &fd, &flags), 0);
        cr_assert_eq(flags, 0u);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);
}

Test(module_file, garbage) {
        static const char junk[] = "this is not compressed at all";
        _cleanup_(freep) char *xz = write_file("junk.ko.xz", junk, sizeof(junk));
        _cleanup_(freep) char *empty = write_file("empty.ko.zst", "", 0);
        _cleanup_(freep) char *ko = write_file("junk.ko", junk, sizeof(junk));
        _cleanup_(freep) char *bad_xz = write_file("bad.ko.xz", "\xfd" "7zXZ\0garbage-after-magic", 23);
        unsigned flags = 99;
        int fd = -EBADF;

        cr_assert_eq(module_file_open(xz, NULL, &fd, &flags), -EBADMSG);
        cr_assert_eq(module_file_open(empty, NULL, &fd, &flags), -EBADMSG);
        cr_assert_eq(module_file_open(bad_xz, NULL, &fd, &flags), -EBADMSG);
        cr_assert_eq(fd, -EBADF);
        cr_assert_eq(flags, 99u);

        /* Not ours to judge: the kernel says ENOEXEC. */
        cr_assert_eq(module_file_open(ko, NULL, &fd, &flags), 0);
        close(fd);
}

Test(module_file, gzip_members) {
        _cleanup_(freep) uint8_t *a = NULL, *b = NULL, *both = NULL;
        _cleanup_(freep) char *path = NULL;
        size_t an, bn, half = PAYLOAD_SIZE / 3;
        unsigned flags;
        int fd;

        a = compress_gzip(payload, half, &an);
        b = compress_gzip(payload + half, PAYLOAD_SIZE - half, &bn);
        both = malloc(an + bn);
        memcpy(both, a, an);
        memcpy(both + an, b, bn);
        path = write_file("members.ko.gz", both, an + bn);
        cr_assert_eq(module_file_open(path, NULL, &fd, &flags), 0);
        assert_fd_content(fd, payload, PAYLOAD_SIZE);
        close(fd);
}

Test(module_file, errors) {
        unsigned flags;
        int fd;

        cr_assert_eq(module_file_open("/nonexistent/x.ko", NULL, &fd, &flags), -ENOENT);
        cr_assert_eq(module_file_open(tmpdir, NULL, &fd, &flags), -EISDIR);
        cr_assert_eq(module_file_open("/dev/null", NULL, &fd, &flags), -EINVAL);
}

/* A NULL path is a bug in the caller, not input: it asserts (CONTRIBUTING). */
Test(module_file, null_path_asserts, .signal = SIGABRT) {
        unsigned flags;
        int fd;

        (void) module_file_open(NULL, NULL, &fd, &flags);
}
