/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel-image certificate reader on the image formats of Debian's architectures besides
 * x86's bzImage (test-signature reads the real one in /boot): arm64's Image.gz (a whole-file
 * gzip stream), an EFI zboot image, an uncompressed arm64 Image and an ELF vmlinux (ppc64el);
 * and a format it cannot read (armhf's zImage), which is said, not guessed. Each image is
 * made here around the test certificate cert-a.der. */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/macro.h"
#include "core/kernel-image.h"
#include "core/signature.h"

#define SIG MODCTL_TEST_SIGNATURES

/* The kernel's description of cert-a: "CN: subject key id". The fixture's key is made at build
 * time, so its id is read from the build (cert-a.skid), never written down here. */
static char key_a[256];
static char *keys[] = { key_a, NULL };
static char tmpdir[] = "/tmp/modctl-kimage-XXXXXX";

static void setup(void) {
        char skid[128] = "";
        FILE *f = fopen(SIG "/cert-a.skid", "re");

        cr_assert_not_null(f, "No " SIG "/cert-a.skid: build tests/modules first.");
        cr_assert_not_null(fgets(skid, sizeof(skid), f));
        fclose(f);
        skid[strcspn(skid, "\n")] = '\0';
        snprintf(key_a, sizeof(key_a), "modctl test key A: %s", skid);
        cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        (void) system(cmd);
}

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

static Buf slurp(const char *path) {
        Buf b = {};
        struct stat st;
        FILE *f = fopen(path, "re");

        cr_assert_not_null(f, "%s: %m", path);
        cr_assert_eq(fstat(fileno(f), &st), 0);
        b.size = (size_t) st.st_size;
        b.data = malloc(b.size);
        cr_assert_eq(fread(b.data, 1, b.size, f), b.size);
        fclose(f);
        return b;
}

static void spit(const char *path, const void *data, size_t size) {
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
}

/* A kernel: a header of 64 bytes (magic at magic_off), then text, the certificate, more text. */
static Buf kernel_with_cert(const void *magic, size_t magic_len, size_t magic_off) {
        Buf der = slurp(SIG "/cert-a.der"), k;

        k.size = 64 + 4096 + der.size + 4096;
        k.data = calloc(1, k.size);
        memset(k.data + 64, 0x90, 4096);
        memcpy(k.data + magic_off, magic, magic_len);
        memcpy(k.data + 64 + 4096, der.data, der.size);
        free(der.data);
        return k;
}

static char *path_of(const char *name) {
        char *p;
        cr_assert(asprintf(&p, "%s/%s", tmpdir, name) > 0);
        return p;
}

static int read_image(const char *path) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        int r;

        cr_assert_eq(trust_store_new(&s), 0);
        r = kernel_image_add_certificates(path, keys, s);
        if (r >= 0)
                cr_assert_eq(trust_store_size(s), (size_t) r);
        return r;
}

static Buf gzip_file(const char *path, Buf k) {
        gzFile z = gzopen(path, "wb9");

        cr_assert_not_null(z);
        cr_assert_eq(gzwrite(z, k.data, (unsigned) k.size), (int) k.size);
        cr_assert_eq(gzclose(z), Z_OK);
        return slurp(path);
}

TestSuite(kernel_image, .init = setup, .fini = teardown);

Test(kernel_image, arm64_image_gz) {
        _cleanup_free_ char *p = path_of("vmlinuz-arm64");
        Buf k = kernel_with_cert("ARM\x64", 4, 0x38);
        Buf gz = gzip_file(p, k);

        cr_assert_eq(read_image(p), 1, "the certificate inside the gzip stream");
        free(k.data);
        free(gz.data);
}

Test(kernel_image, arm64_image_uncompressed) {
        _cleanup_free_ char *p = path_of("Image");
        Buf k = kernel_with_cert("ARM\x64", 4, 0x38);

        spit(p, k.data, k.size);
        cr_assert_eq(read_image(p), 1);
        free(k.data);
}

Test(kernel_image, elf_vmlinux) {
        _cleanup_free_ char *p = path_of("vmlinux-ppc64el");
        Buf k = kernel_with_cert("\177ELF\002\001", 6, 0);

        spit(p, k.data, k.size);
        cr_assert_eq(read_image(p), 1);
        free(k.data);
}

Test(kernel_image, efi_zboot) {
        _cleanup_free_ char *gzp = path_of("payload.gz"), *p = path_of("vmlinuz-zboot");
        Buf k = kernel_with_cert("ARM\x64", 4, 0x38);
        Buf gz = gzip_file(gzp, k);
        size_t off = 0x1000, n = off + gz.size + 512;
        uint8_t *img = calloc(1, n);

        memcpy(img, "MZ", 2);
        memcpy(img + 4, "zimg", 4);
        for (int i = 0; i < 4; i++) {
                img[8 + i] = (uint8_t) (off >> (8 * i));
                img[12 + i] = (uint8_t) (gz.size >> (8 * i));
        }
        memcpy(img + 24, "gzip", 4);
        memcpy(img + off, gz.data, gz.size);
        spit(p, img, n);
        cr_assert_eq(read_image(p), 1);

        /* A payload said to reach past the end of the file. */
        img[12 + 3] = 0x7f;
        spit(p, img, n);
        cr_assert_eq(read_image(p), -EBADMSG);
        free(img);
        free(k.data);
        free(gz.data);
}

Test(kernel_image, unreadable_format_is_said) {
        _cleanup_free_ char *p = path_of("zImage-armhf");
        /* armhf's zImage: ARM code with its magic 0x016f2818 at 0x24, the kernel compressed
         * somewhere inside its decompressor. */
        Buf k = kernel_with_cert("\x18\x28\x6f\x01", 4, 0x24);

        spit(p, k.data, k.size);
        cr_assert_eq(read_image(p), -EMEDIUMTYPE);
        free(k.data);
}

Test(kernel_image, a_key_not_listed_is_not_taken) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        _cleanup_free_ char *p = path_of("Image");
        char *other[] = { (char *) "modctl test key A: 0011223344", NULL };
        Buf k = kernel_with_cert("ARM\x64", 4, 0x38);

        spit(p, k.data, k.size);
        cr_assert_eq(trust_store_new(&s), 0);
        cr_assert_eq(kernel_image_add_certificates(p, other, s), 0);
        free(k.data);
}
