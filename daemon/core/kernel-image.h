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
 * keyring. An x86 bzImage carries the kernel compressed (xz, zstd or gzip) at the payload
 * offset its setup header names; the decompressed kernel holds the DER certificates it loads
 * into .builtin_trusted_keys at boot. Kept are only those the running kernel lists (same CN
 * and subject key id), see trust_store_add_embedded(). Plain C, never logs. */

#include <stddef.h>
#include <stdint.h>

#include "core/signature.h"

/* Where the compressed kernel is inside a bzImage. Errors: -EMEDIUMTYPE (not a bzImage),
 * -EBADMSG (a header pointing outside the file). */
int kernel_image_payload(const uint8_t *data, size_t size, size_t *ret_offset, size_t *ret_size);

/* Adds the certificates of the image at path that descriptions (the kernel's trusted keys)
 * list to s. Returns how many were added. */
int kernel_image_add_certificates(const char *path, char *const *descriptions, TrustStore *s);
