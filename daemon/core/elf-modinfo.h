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

/* The .modinfo section of a kernel module (an ELF relocatable object of any class and byte
 * order: ELF32 or ELF64, little or big endian, for any machine), read from memory:
 * NUL-separated "key=value" strings, the same place modinfo(8) and the kernel read them.
 * Shared by the policy (license, intree, staging, vermagic, name) and the fake kernel (name,
 * depends). Plain C, never logs; bounds-checked against size, safe on arbitrary bytes. */

#include <stddef.h>
#include <stdint.h>

/* Returns the entries in file order as a key/value strv (key0, value0, key1, ...), or an
 * empty strv for an empty section. Errors: -ENOEXEC when data is not an ELF relocatable object
 * with a .modinfo section inside the data, -ENOMEM. */
int elf_modinfo_parse(const uint8_t *data, size_t size, char ***ret_pairs);

/* The first value of key in pairs, or NULL. */
const char *elf_modinfo_get(char * const *pairs, const char *key);

/* Maps the whole regular, non-empty file behind fd read-only (munmap() it when done).
 * Errors: -EINVAL for a file that is not regular, -ENOEXEC for an empty one, mmap's errno. */
int module_map_fd(int fd, const uint8_t **ret_data, size_t *ret_size);

/* Maps the whole file behind fd read-only and parses it. */
int elf_modinfo_parse_fd(int fd, char ***ret_pairs);
