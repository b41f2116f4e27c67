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

/* The certificates a kernel image (/boot/vmlinuz-<release>) embeds for its built-in trusted
 * keyring, found in the (decompressed) kernel as the DER certificates it loads into
 * .builtin_trusted_keys at boot. Kept are only those the running kernel lists (same CN and
 * subject key id), see trust_store_add_embedded(). Read are: an x86 bzImage (amd64, i386; the
 * payload its setup header names), an EFI zboot image (the payload its header names), a
 * whole-file gzip, xz or zstd stream (arm64's Image.gz, which Debian installs as vmlinuz), and
 * an uncompressed ELF vmlinux or arm64/riscv64 Image (ppc64el, mips*, ...). armhf's
 * self-decompressing zImage and s390x's image are not: there Signature=kernel needs the
 * kernel's certificates in TrustedCertificates=. Plain C, never logs. */

#include <stddef.h>
#include <stdint.h>

#include "core/signature.h"

typedef enum KernelImageFormat {
        KERNEL_IMAGE_COMPRESSED,  /* the kernel is the compressed stream at offset/size */
        KERNEL_IMAGE_PLAIN,       /* the file is the kernel itself */
} KernelImageFormat;

/* Where the kernel is inside an image, and whether it is compressed (ret_format may be NULL).
 * Errors: -EMEDIUMTYPE (a format not read here), -EBADMSG (a header pointing outside the
 * file). */
int kernel_image_payload(const uint8_t *data, size_t size, KernelImageFormat *ret_format, size_t *ret_offset,
                         size_t *ret_size);

/* Adds the certificates of the image at path that descriptions (the kernel's trusted keys)
 * list to s. Returns how many were added; -EMEDIUMTYPE for an image format not read here. */
int kernel_image_add_certificates(const char *path, char *const *descriptions, TrustStore *s);
