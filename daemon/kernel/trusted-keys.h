/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_KERNEL)
#error "kernel/ is the kernel backend: its insides are its own"
#endif

/* The keys the kernel itself trusts for module signatures, as Signature=kernel uses them.
 *
 * mod_verify_sig() (kernel/module/signing.c) verifies with VERIFY_USE_SECONDARY_KEYRING:
 * verify_pkcs7_message_sig() (certs/system_keyring.c) then uses .secondary_trusted_keys, or
 * .builtin_trusted_keys when the kernel has no secondary keyring, and pkcs7_validate_trust()
 * searches it recursively, through the keyrings linked into it. .builtin_trusted_keys is
 * always linked into .secondary_trusted_keys; .machine (MOK keys) is linked into it only when
 * the kernel decided to trust them for that (CONFIG_INTEGRITY_MACHINE_KEYRING and
 * set_machine_trusted_keys()). .platform (UEFI db) is never linked: the kernel trusts it for
 * kexec and IMA, not for modules. So the trusted keys are exactly what is reachable from that
 * one keyring through its links; nothing is assumed from a keyring's name but the root's. */

#include <stddef.h>
#include <stdint.h>

/* KEYCTL_READ and KEYCTL_DESCRIBE (the real syscalls, or a test's). Each returns the size the
 * kernel would (bytes, which may exceed size) or a negative errno. */
typedef struct KeyringOps {
        long (*read)(int32_t id, int32_t *ids, size_t size, void *userdata);
        long (*describe)(int32_t id, char *buf, size_t size, void *userdata);
} KeyringOps;

/* The descriptions ("<CN>: <subject key id>") of the asymmetric keys reachable from the module
 * verification keyring, found by name in proc_keys (a /proc/keys). Keyrings that cannot be
 * read are skipped (trusting less). -ENOKEY: neither keyring exists. */
int trusted_keys_walk(const char *proc_keys, const KeyringOps *ops, void *userdata, char ***ret);
