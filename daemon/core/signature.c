/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/signature.h"
#include "common/strv.h"

/* include/linux/module_signature.h */
#define PKEY_ID_PKCS7 2
#define MODULE_SIG_HEADER 12

/* OpenSSL's destructors take NULL; sk_X509_free is a macro, so it gets a function. */
static void sk_X509_freep(STACK_OF(X509) **p) {
        sk_X509_free(*p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CMS_ContentInfo *, CMS_ContentInfo_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free);

struct TrustStore {
        unsigned n_ref;          /* taken and dropped on the event loop only */
        STACK_OF(X509) *certs;
};

int signature_trailer_parse(const uint8_t *data, size_t size, SignatureTrailer *ret) {
        const size_t marker = strlen(MODULE_SIGNATURE_MARKER);
        const uint8_t *h;
        uint32_t sig_len;

        assert(data || size == 0);
        assert(ret);
        if (size < marker || memcmp(data + size - marker, MODULE_SIGNATURE_MARKER, marker) != 0)
                return -ENODATA;
        if (size - marker < MODULE_SIG_HEADER)
                return -EBADMSG;

        /* u8 algo, hash, id_type, signer_len, key_id_len, pad[3]; __be32 sig_len. For PKCS#7
         * everything but id_type and sig_len lives in the blob and must be 0 (as the kernel's
         * mod_check_sig() insists). */
        h = data + size - marker - MODULE_SIG_HEADER;
        if (h[2] != PKEY_ID_PKCS7 || h[0] || h[1] || h[3] || h[4] || h[5] || h[6] || h[7])
                return -EBADMSG;
        sig_len = (uint32_t) h[8] << 24 | (uint32_t) h[9] << 16 | (uint32_t) h[10] << 8 | h[11];
        if (sig_len == 0 || sig_len > size - marker - MODULE_SIG_HEADER)
                return -EBADMSG;

        *ret = (SignatureTrailer) {
                .content_size = size - marker - MODULE_SIG_HEADER - sig_len,
                .pkcs7 = h - sig_len,
                .pkcs7_size = sig_len,
        };
        return 0;
}

static CMS_ContentInfo *cms_parse(const uint8_t *p, size_t n) {
        const unsigned char *q = p;
        CMS_ContentInfo *cms;

        if (n > LONG_MAX)
                return NULL;
        cms = d2i_CMS_ContentInfo(NULL, &q, (long) n);
        if (cms && OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
                CMS_ContentInfo_free(cms);
                return NULL;
        }
        return cms;
}

static char *hex(const unsigned char *p, size_t n) {
        char *s = malloc(n * 2 + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                sprintf(s + 2 * i, "%02x", p[i]);
        s[n * 2] = '\0';
        return s;
}

static char *name_cn(X509_NAME *name) {
        int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
        unsigned char *utf8 = NULL;
        char *s;
        int n;

        if (i < 0)
                return NULL;
        n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
        if (n < 0)
                return NULL;
        s = strndup((char *) utf8, (size_t) n);
        OPENSSL_free(utf8);
        return s;
}

void signature_signer_done(SignatureSigner *s) {
        if (!s)
                return;
        free(s->issuer_cn);
        free(s->serial);
        free(s->skid);
        free(s->digest);
        *s = (SignatureSigner) {};
}

static int signer_parse(const uint8_t *pkcs7, size_t size, SignatureSigner *ret) {
        _cleanup_(signature_signer_done) SignatureSigner s = {};
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = NULL;
        ASN1_OCTET_STRING *keyid = NULL;
        X509_NAME *issuer = NULL;
        ASN1_INTEGER *serial = NULL;
        X509_ALGOR *digest = NULL;
        CMS_SignerInfo *si;

        cms = cms_parse(pkcs7, size);
        if (!cms)
                return -EBADMSG;
        STACK_OF(CMS_SignerInfo) *infos = CMS_get0_SignerInfos(cms);
        if (!infos || sk_CMS_SignerInfo_num(infos) < 1)
                return -EBADMSG;
        si = sk_CMS_SignerInfo_value(infos, 0);
        if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) <= 0)
                return -EBADMSG;

        if (keyid) {
                s.skid = hex(ASN1_STRING_get0_data(keyid), (size_t) ASN1_STRING_length(keyid));
                if (!s.skid)
                        return -ENOMEM;
        } else if (issuer && serial) {
                s.issuer_cn = name_cn(issuer);
                ASN1_STRING *os = (ASN1_STRING *) serial;
                s.serial = hex(ASN1_STRING_get0_data(os), (size_t) ASN1_STRING_length(os));
                if (!s.serial)
                        return -ENOMEM;
        } else
                return -EBADMSG;
        CMS_SignerInfo_get0_algs(si, NULL, NULL, &digest, NULL);
        if (digest) {
                const char *sn = OBJ_nid2sn(OBJ_obj2nid(digest->algorithm));
                if (sn && !(s.digest = strdup(sn)))
                        return -ENOMEM;
                for (char *p = s.digest; p && *p; p++)
                        *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }

        *ret = s;
        s = (SignatureSigner) {};
        return 0;
}

int signature_signer_parse(const uint8_t *pkcs7, size_t size, SignatureSigner *ret) {
        int r;

        assert(ret);

        r = signer_parse(pkcs7, size, ret);
        ERR_clear_error();
        return r;
}

TrustStore *trust_store_ref(TrustStore *s) {
        if (s)
                s->n_ref++;
        return s;
}

TrustStore *trust_store_unref(TrustStore *s) {
        if (!s || --s->n_ref > 0)
                return NULL;
        sk_X509_pop_free(s->certs, X509_free);
        free(s);
        return NULL;
}

size_t trust_store_size(const TrustStore *s) {
        return s ? (size_t) sk_X509_num(s->certs) : 0;
}

/* PEM (possibly several certificates) first, then DER. Returns how many were added. */
static int add_file(TrustStore *s, const char *path) {
        _cleanup_(BIO_freep) BIO *bio = BIO_new_file(path, "rb");
        _cleanup_(X509_freep) X509 *x = NULL;
        int n = 0;

        if (!bio)
                return -errno ?: -EIO;
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
                if (!sk_X509_push(s->certs, x))
                        return -ENOMEM;
                TAKE_PTR(x);
                n++;
        }
        if (n == 0 && BIO_reset(bio) == 0 && (x = d2i_X509_bio(bio, NULL))) {
                if (!sk_X509_push(s->certs, x))
                        return -ENOMEM;
                TAKE_PTR(x);
                n++;
        }
        ERR_clear_error();
        return n;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int trust_store_load(const char *dir, TrustStore **ret, char **ret_bad_file) {
        _cleanup_(trust_store_unrefp) TrustStore *s = NULL;
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        assert(ret);

        s = calloc(1, sizeof(TrustStore));
        if (!s)
                return -ENOMEM;
        s->n_ref = 1;
        s->certs = sk_X509_new_null();
        if (!s->certs)
                return -ENOMEM;

        d = dir ? opendir(dir) : NULL;
        if (!d && dir && errno != ENOENT)
                return -errno;
        for (struct dirent *de; d && (de = readdir(d)); ) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (strv_push(&paths, p) < 0)
                        return -ENOMEM;
                p = NULL;
        }

        /* A stable order, so that `policy show` and error messages do not depend on readdir. */
        if (paths)
                qsort(paths, strv_length(paths), sizeof(char *), compare_strings);
        STRV_FOREACH(p, paths) {
                r = add_file(s, *p);
                if (r == 0) {
                        if (ret_bad_file)
                                *ret_bad_file = strdup(*p);
                        return -EBADMSG;
                }
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

static int verify(const uint8_t *data, const SignatureTrailer *trailer, const TrustStore *store) {
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = NULL;
        _cleanup_(sk_X509_freep) STACK_OF(X509) *signers = NULL;
        _cleanup_(BIO_freep) BIO *content = NULL;
        CMS_SignerInfo *si;

        if (trailer->content_size > INT_MAX)
                return -EFBIG;
        cms = cms_parse(trailer->pkcs7, trailer->pkcs7_size);
        if (!cms)
                return -EBADMSG;
        STACK_OF(CMS_SignerInfo) *infos = CMS_get0_SignerInfos(cms);
        if (!infos || sk_CMS_SignerInfo_num(infos) != 1)
                return -EBADMSG;
        si = sk_CMS_SignerInfo_value(infos, 0);

        /* Only our trust anchors may vouch for the signer: pick the matching ones first, so
         * that "unknown signer" and "bad signature" are told apart. */
        signers = sk_X509_new_null();
        if (!signers)
                return -ENOMEM;
        for (int i = 0; store && i < sk_X509_num(store->certs); i++) {
                X509 *x = sk_X509_value(store->certs, i);
                if (CMS_SignerInfo_cert_cmp(si, x) == 0 && !sk_X509_push(signers, x))
                        return -ENOMEM;
        }
        if (sk_X509_num(signers) == 0)
                return -ENOKEY;

        content = BIO_new_mem_buf(data, (int) trailer->content_size);
        if (!content)
                return -ENOMEM;
        /* NOINTERN: never use certificates from the message itself. NO_SIGNER_CERT_VERIFY:
         * the certificates are trust anchors, not chained to anything. */
        if (CMS_verify(cms, signers, NULL, content, NULL,
                       CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) != 1)
                return -EKEYREJECTED;
        return 0;
}

int signature_verify(const uint8_t *data, const SignatureTrailer *trailer, const TrustStore *store) {
        int r;

        assert(data);
        assert(trailer);

        r = verify(data, trailer, store);
        ERR_clear_error();
        return r;
}

/* "Name: hex" -> name length and the hex part. */
static bool split_description(const char *d, size_t *ret_name_len, const char **ret_id) {
        const char *sep = strrchr(d, ':');
        if (!sep || sep[1] != ' ' || !sep[2])
                return false;
        *ret_name_len = (size_t) (sep - d);
        *ret_id = sep + 2;
        return true;
}

const char *signature_match_kernel_key(const SignatureSigner *s, char * const *descriptions) {
        if (!s)
                return NULL;
        for (size_t i = 0; descriptions && descriptions[i]; i++) {
                const char *d = descriptions[i], *id;
                size_t n;

                if (!split_description(d, &n, &id))
                        continue;
                if (s->skid) {
                        if (strcasecmp(id, s->skid) == 0)
                                return d;
                        continue;
                }
                if (!s->issuer_cn)
                        continue;
                /* The kernel names a key after its subject CN, or "O: CN" when the CN does not
                 * already start with the organization. */
                size_t cn = strlen(s->issuer_cn);
                if ((n == cn && strncmp(d, s->issuer_cn, n) == 0) ||
                    (n > cn + 2 && strncmp(d + n - cn - 2, ": ", 2) == 0 && strncmp(d + n - cn, s->issuer_cn, cn) == 0))
                        return d;
        }
        return NULL;
}

int trust_store_new(TrustStore **ret) {
        TrustStore *s;

        assert(ret);

        s = calloc(1, sizeof(TrustStore));
        if (!s)
                return -ENOMEM;
        s->n_ref = 1;
        s->certs = sk_X509_new_null();
        if (!s->certs) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* The kernel describes an X.509 key as "<name>: <subject key id hex>", where name is the
 * subject's CN, or "O: CN" when the CN does not start with the organization. Both must match. */
static bool certificate_is_kernel_key(X509 *x, char *const *descriptions) {
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
        char cn[256], hex[2 * 64 + 1];
        int n;

        if (!skid || ASN1_STRING_length(skid) <= 0 || ASN1_STRING_length(skid) > 64)
                return false;
        n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
        if (n <= 0)
                return false;
        for (int i = 0; i < ASN1_STRING_length(skid); i++)
                snprintf(hex + 2 * i, 3, "%02x", ASN1_STRING_get0_data(skid)[i]);

        for (size_t i = 0; descriptions && descriptions[i]; i++) {
                const char *d = descriptions[i], *id;
                size_t len, c = strlen(cn);

                if (!split_description(d, &len, &id) || strcasecmp(id, hex) != 0)
                        continue;
                if ((len == c && strncmp(d, cn, c) == 0) ||
                    (len > c + 2 && strncmp(d + len - c - 2, ": ", 2) == 0 && strncmp(d + len - c, cn, c) == 0))
                        return true;
        }
        return false;
}

static int push_unique(TrustStore *s, X509 *x) {
        for (int i = 0; i < sk_X509_num(s->certs); i++)
                if (X509_cmp(sk_X509_value(s->certs, i), x) == 0)
                        return 0;
        if (!X509_up_ref(x))
                return -ENOMEM;
        if (!sk_X509_push(s->certs, x)) {
                X509_free(x);
                return -ENOMEM;
        }
        return 1;
}

int trust_store_add_kernel_keys(TrustStore *s, const TrustStore *from, char *const *descriptions) {
        int added = 0;

        for (int i = 0; from && i < sk_X509_num(from->certs); i++) {
                X509 *x = sk_X509_value(from->certs, i);
                if (!certificate_is_kernel_key(x, descriptions))
                        continue;
                int r = push_unique(s, x);
                if (r < 0)
                        return r;
                added += r;
        }
        return added;
}

int trust_store_add_embedded(TrustStore *s, const uint8_t *data, size_t size, char *const *descriptions) {
        int added = 0;

        assert(s);
        assert(data || size == 0);

        /* A DER certificate starts SEQUENCE (long form, 2 length bytes) { SEQUENCE (tbs) ... }. */
        for (size_t i = 0; i + 8 <= size; i++) {
                if (data[i] != 0x30 || data[i + 1] != 0x82 || data[i + 4] != 0x30 || data[i + 5] != 0x82)
                        continue;
                size_t len = ((size_t) data[i + 2] << 8 | data[i + 3]) + 4;
                if (len > size - i || len < 64)
                        continue;
                const unsigned char *p = data + i;
                X509 *x = d2i_X509(NULL, &p, (long) len);
                if (!x)
                        continue;
                if (certificate_is_kernel_key(x, descriptions)) {
                        int r = push_unique(s, x);
                        if (r < 0) {
                                X509_free(x);
                                return r;
                        }
                        added += r;
                        i += len - 1;
                }
                X509_free(x);
        }
        ERR_clear_error();
        return added;
}
