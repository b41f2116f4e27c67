/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_CORE) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_BUS) && \
    !defined(MODCTL_LAYER_MAIN)
#error "core/ is the plain-C core: the kernel backend may not include it"
#endif

/* Module signatures: the trailer that sign-file appends, the PKCS#7 (CMS) SignedData in it,
 * and its verification with OpenSSL against trusted X.509 certificates. Plain C, never logs,
 * safe on arbitrary bytes.
 *
 * A signed module is [content][PKCS#7, sig_len bytes][struct module_signature, 12 bytes]
 * ["~Module signature appended~\n"]; the signature covers exactly the content. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODULE_SIGNATURE_MARKER "~Module signature appended~\n"

typedef struct SignatureTrailer {
        size_t content_size;     /* the signed bytes are data[0 .. content_size) */
        const uint8_t *pkcs7;    /* points into the caller's data */
        size_t pkcs7_size;
} SignatureTrailer;

/* Errors: -ENODATA: no marker (the module is unsigned); -EBADMSG: a marker with a malformed
 * header (not PKCS#7, non-zero fields PKCS#7 does not use, a length beyond the data). */
int signature_trailer_parse(const uint8_t *data, size_t size, SignatureTrailer *ret);

/* Who signed: the first SignerInfo's identifier. Either issuer_cn and serial (lowercase hex,
 * as the kernel prints it), or skid (signed with sign-file -k). */
typedef struct SignatureSigner {
        char *issuer_cn;
        char *serial;
        char *skid;
        char *digest;            /* "sha256", ... */
} SignatureSigner;

/* Errors: -EBADMSG when the blob is not a CMS SignedData with a signer; -ENOMEM. */
int signature_signer_parse(const uint8_t *pkcs7, size_t size, SignatureSigner *ret);
void signature_signer_done(SignatureSigner *s);

/* The trusted certificates: every regular file in a directory, PEM (one or more
 * certificates) or DER. */
typedef struct TrustStore TrustStore;

/* A missing directory is an empty store. Errors: -EBADMSG with *ret_bad_file set (to free)
 * for a file that holds no certificate; -errno for I/O. */
int trust_store_load(const char *dir, TrustStore **ret, char **ret_bad_file);
TrustStore *trust_store_ref(TrustStore *s);
TrustStore *trust_store_unref(TrustStore *s);
static inline void trust_store_unrefp(TrustStore **s) { trust_store_unref(*s); }
size_t trust_store_size(const TrustStore *s);

/* Verifies the signature in trailer over data with the store's certificates as trust anchors;
 * certificates carried inside the signature are ignored. Errors: -ENOKEY: no trusted
 * certificate matches the signer; -EKEYREJECTED: a matching certificate, but the signature
 * does not match the content (tampered); -EBADMSG: unparsable signature; -ENOMEM. */
int signature_verify(const uint8_t *data, const SignatureTrailer *trailer, const TrustStore *store);

/* Whether the kernel knows the signer, from its keyring descriptions ("<CN>: <subject key
 * id hex>", as /proc/keys and keyctl describe them). With a skid the ids are compared;
 * otherwise the issuer's CN is compared with the key's name. A prediction, not a check: the
 * kernel keyrings cannot be read. Returns the matching description or NULL. */
const char *signature_match_kernel_key(const SignatureSigner *s, char * const *descriptions);

/* The certificates the kernel trusts, for Signature=kernel. The kernel's keyrings can be listed
 * (key descriptions "<CN>: <subject key id>") but not read, so the certificates come from
 * elsewhere and are kept only when the kernel lists a key with the same CN and subject key id:
 * a certificate is then the kernel's key, and a module verified against it (signature_verify)
 * is one the kernel accepts. A name alone never makes a certificate. */
int trust_store_new(TrustStore **ret);
/* Adds the certificates of from that the kernel lists. Returns how many were added. */
int trust_store_add_kernel_keys(TrustStore *s, const TrustStore *from, char *const *descriptions);
/* Adds the DER certificates found in data (a decompressed kernel image embeds its built-in
 * trusted keys) that the kernel lists. Returns how many were added. */
int trust_store_add_embedded(TrustStore *s, const uint8_t *data, size_t size, char *const *descriptions);
