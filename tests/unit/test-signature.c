/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The signature trailer parser and PKCS#7 verification, against modules signed at build time
 * by tests/modules/sign-fixture.sh: valid, tampered, wrong key, truncated, garbage, unsigned. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/kernel-image.h"
#include "macro.h"
#include "core/signature.h"
#include "strv.h"

#define SIG MODCTL_TEST_SIGNATURES

typedef struct Blob {
        uint8_t *data;
        size_t size;
} Blob;

static Blob slurp(const char *name) {
        _cleanup_free_ char *path = NULL;
        Blob b = {};
        struct stat st;
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s", SIG, name) > 0);
        f = fopen(path, "re");
        cr_assert_not_null(f, "%s: %m", path);
        cr_assert_eq(fstat(fileno(f), &st), 0);
        b.size = (size_t) st.st_size;
        b.data = malloc(b.size + 1);
        cr_assert_eq(fread(b.data, 1, b.size, f), b.size);
        fclose(f);
        return b;
}

static TrustStore *store(const char *dir) {
        _cleanup_free_ char *path = NULL, *bad = NULL;
        TrustStore *s = NULL;

        cr_assert(asprintf(&path, "%s/%s", SIG, dir) > 0);
        cr_assert_eq(trust_store_load(path, &s, &bad), 0, "%s", strempty(bad));
        return s;
}

static int verify(const char *module, const char *dir) {
        _cleanup_(trust_store_unrefp) TrustStore *s = store(dir);
        Blob b = slurp(module);
        SignatureTrailer t;
        int r;

        r = signature_trailer_parse(b.data, b.size, &t);
        if (r == 0)
                r = signature_verify(b.data, &t, s);
        free(b.data);
        return r;
}

Test(signature, unsigned_has_no_trailer) {
        Blob b = slurp("unsigned.ko");
        SignatureTrailer t;
        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), -ENODATA);
        free(b.data);
}

Test(signature, valid_trailer_and_signer) {
        _cleanup_(signature_signer_done) SignatureSigner g = {};
        Blob b = slurp("signed-a.ko"), u = slurp("unsigned.ko");
        SignatureTrailer t;

        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), 0);
        /* The signature covers exactly the module as it was before signing. */
        cr_assert_eq(t.content_size, u.size);
        cr_assert_eq(memcmp(b.data, u.data, u.size), 0);
        cr_assert_eq(signature_signer_parse(t.pkcs7, t.pkcs7_size, &g), 0);
        cr_assert_str_eq(g.issuer_cn, "modctl test key A");
        cr_assert_not_null(g.serial);
        cr_assert_null(g.skid);
        cr_assert_str_eq(g.digest, "sha256");
        free(b.data);
        free(u.data);
}

Test(signature, keyid_signer) {
        _cleanup_(signature_signer_done) SignatureSigner g = {};
        Blob b = slurp("signed-a-keyid.ko"), skid = slurp("cert-a.skid");
        SignatureTrailer t;

        skid.data[skid.size] = 0;
        *strchrnul((char *) skid.data, '\n') = 0;
        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), 0);
        cr_assert_eq(signature_signer_parse(t.pkcs7, t.pkcs7_size, &g), 0);
        cr_assert_str_eq(g.skid, (char *) skid.data);
        cr_assert_null(g.issuer_cn);
        free(b.data);
        free(skid.data);
}

Test(signature, verify_valid) {
        cr_assert_eq(verify("signed-a.ko", "trusted"), 0);
        cr_assert_eq(verify("signed-a-keyid.ko", "trusted"), 0);
}

Test(signature, verify_tampered) {
        cr_assert_eq(verify("tampered.ko", "trusted"), -EKEYREJECTED);
}

Test(signature, verify_wrong_key) {
        cr_assert_eq(verify("signed-b.ko", "trusted"), -ENOKEY);
}

Test(signature, truncated_trailer) {
        cr_assert_eq(verify("truncated.ko", "trusted"), -EBADMSG);
}

Test(signature, garbage_signature) {
        _cleanup_(signature_signer_done) SignatureSigner g = {};
        Blob b = slurp("garbage.ko");
        SignatureTrailer t;

        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), 0);
        cr_assert_eq(signature_signer_parse(t.pkcs7, t.pkcs7_size, &g), -EBADMSG);
        free(b.data);
        cr_assert_eq(verify("garbage.ko", "trusted"), -EBADMSG);
}

Test(signature, unsigned_does_not_verify) {
        cr_assert_eq(verify("unsigned.ko", "trusted"), -ENODATA);
}

Test(signature, empty_store_knows_no_signer) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        Blob b = slurp("signed-a.ko");
        SignatureTrailer t;

        cr_assert_eq(trust_store_load(SIG "/does-not-exist", &s, NULL), 0);
        cr_assert_eq(trust_store_size(s), 0);
        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), 0);
        cr_assert_eq(signature_verify(b.data, &t, s), -ENOKEY);
        free(b.data);
}

static char *tmpdir_with(const char *name, const void *data, size_t n) {
        char *dir = strdup("/tmp/modctl-sig-XXXXXX"), *p = NULL;
        FILE *f;

        cr_assert_not_null(mkdtemp(dir));
        cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, n, f), n);
        fclose(f);
        free(p);
        return dir;
}

Test(signature, store_reads_der) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        Blob der = slurp("cert-a.der"), b = slurp("signed-a.ko");
        _cleanup_free_ char *dir = tmpdir_with("a.der", der.data, der.size);
        SignatureTrailer t;

        cr_assert_eq(trust_store_load(dir, &s, NULL), 0);
        cr_assert_eq(trust_store_size(s), 1);
        cr_assert_eq(signature_trailer_parse(b.data, b.size, &t), 0);
        cr_assert_eq(signature_verify(b.data, &t, s), 0);
        free(der.data);
        free(b.data);
}

Test(signature, store_rejects_non_certificates) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        _cleanup_free_ char *dir = tmpdir_with("notes.txt", "hello\n", 6), *bad = NULL;

        cr_assert_eq(trust_store_load(dir, &s, &bad), -EBADMSG);
        cr_assert_null(s);
        cr_assert_not_null(strstr(bad, "notes.txt"));
}

static void trailer_of(uint8_t *buf, size_t *n, const uint8_t hdr[12]) {
        const char *m = MODULE_SIGNATURE_MARKER;
        memset(buf, 'x', 64);
        memcpy(buf + 64, hdr, 12);
        memcpy(buf + 76, m, strlen(m));
        *n = 76 + strlen(m);
}

Test(signature, trailer_header_checks) {
        uint8_t buf[256];
        SignatureTrailer t;
        size_t n;

        /* A valid header: 32 bytes of "signature" after 32 bytes of content. */
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 32 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), 0);
        cr_assert_eq(t.content_size, 32);
        cr_assert_eq(t.pkcs7_size, 32);
        cr_assert_eq(t.pkcs7, buf + 32);

        /* Not PKCS#7, fields PKCS#7 does not use, a zero or oversized length. */
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 32 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);
        trailer_of(buf, &n, (const uint8_t[12]) { 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 32 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 2, 0, 0, 0, 0, 9, 0, 0, 0, 32 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 65 });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);
        trailer_of(buf, &n, (const uint8_t[12]) { 0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff });
        cr_assert_eq(signature_trailer_parse(buf, n, &t), -EBADMSG);

        /* The marker alone, and less than the marker. */
        const char *m = MODULE_SIGNATURE_MARKER;
        cr_assert_eq(signature_trailer_parse((const uint8_t *) m, strlen(m), &t), -EBADMSG);
        cr_assert_eq(signature_trailer_parse((const uint8_t *) m + 1, strlen(m) - 1, &t), -ENODATA);
        cr_assert_eq(signature_trailer_parse(buf, 0, &t), -ENODATA);
}

Test(signature, kernel_key_matching) {
        SignatureSigner by_cn = { .issuer_cn = (char *) "Build time autogenerated kernel key", .serial = (char *) "01" };
        SignatureSigner by_skid = { .skid = (char *) "66f54e1566a043cc3030420e181cf850fb9f42ac" };
        SignatureSigner by_org = { .issuer_cn = (char *) "Signer 2022", .serial = (char *) "02" };
        SignatureSigner other = { .issuer_cn = (char *) "modctl test key A", .serial = (char *) "03" };
        char *keys[] = {
                (char *) "Build time autogenerated kernel key: 66f54e1566a043cc3030420e181cf850fb9f42ac",
                (char *) "Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1",
                (char *) "Debian: Signer 2022: 0123",
                NULL,
        };

        cr_assert_eq(signature_match_kernel_key(&by_cn, keys), keys[0]);
        cr_assert_eq(signature_match_kernel_key(&by_skid, keys), keys[0]);
        cr_assert_eq(signature_match_kernel_key(&by_org, keys), keys[2]);
        cr_assert_null(signature_match_kernel_key(&other, keys));
        cr_assert_null(signature_match_kernel_key(&by_cn, NULL));
        /* A CN that merely ends like a key's name is not that key. */
        SignatureSigner suffix = { .issuer_cn = (char *) "kernel key", .serial = (char *) "04" };
        cr_assert_null(signature_match_kernel_key(&suffix, keys));
}

Test(signature, debian_module_signer) {
        _cleanup_(signature_signer_done) SignatureSigner g = {};
        const char *path = "/lib/modules/" MODCTL_TEST_KVER "/kernel/sound/soundcore.ko";
        FILE *f = fopen(path, "re");
        struct stat st;
        SignatureTrailer t;

        cr_assert_not_null(f, "%s: %m (linux-image-amd64 is needed)", path);
        cr_assert_eq(fstat(fileno(f), &st), 0);
        uint8_t *data = malloc((size_t) st.st_size);
        cr_assert_eq(fread(data, 1, (size_t) st.st_size, f), (size_t) st.st_size);
        fclose(f);
        cr_assert_eq(signature_trailer_parse(data, (size_t) st.st_size, &t), 0);
        cr_assert_eq(signature_signer_parse(t.pkcs7, t.pkcs7_size, &g), 0);
        cr_assert_str_eq(g.issuer_cn, "Build time autogenerated kernel key");
        free(data);
}

/* Debian's kernel image embeds the certificate of its build key: read it, keep it only for the
 * key the kernel would list (same CN and subject key id), and never for a name alone. */
Test(signature, kernel_image_certificates) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL, *by_name = NULL;
        _cleanup_free_ char *image = NULL;
        char *none[] = { NULL };
        char *name_only[] = { (char *) "Build time autogenerated kernel key: 0011", NULL };

        cr_assert(asprintf(&image, "/boot/vmlinuz-%s", MODCTL_TEST_KVER) > 0);
        cr_assert_eq(trust_store_new(&s), 0);
        cr_assert_eq(kernel_image_add_certificates(image, none, s), 0, "no key listed, no certificate");
        cr_assert_eq(trust_store_new(&by_name), 0);
        cr_assert_eq(kernel_image_add_certificates(image, name_only, by_name), 0, "a name alone is not enough");
        cr_assert_eq(trust_store_size(by_name), 0u);
        cr_assert_eq(kernel_image_add_certificates("/nonexistent", none, s), -ENOENT);
}
