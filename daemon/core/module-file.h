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

#include <stdbool.h>

/* Opening a module file for kernel_insert(). Compressed modules (.ko.xz, .ko.zst, .ko.gz,
 * recognized by their magic bytes) are handed to the kernel as they are when it can
 * decompress that algorithm itself, and are otherwise decompressed here into a sealed memfd.
 * Never logs. */

/* Opens path and returns an fd to pass to kernel_insert() with *ret_insert_flags.
 * kernel_decompression is what kernel_decompression() says (may be NULL); pass NULL to always
 * get the uncompressed bytes (e.g. to read the module's signature). Errors: -errno from
 * open(), -EBADMSG for malformed compressed data or a compressed suffix without matching
 * magic, -EFBIG when the decompressed module is implausibly large, -ENOMEM. */
int module_file_open(const char *path, const char *kernel_decompression, int *ret_fd,
                     unsigned *ret_insert_flags);

/* Like module_file_open() with no kernel decompression, but always returns a read-only fd of a
 * sealed memfd holding the uncompressed module: the bytes policy verifies are then exactly the
 * bytes finit_module() reads, whatever happens to the file on disk meanwhile. */
int module_file_open_sealed(const char *path, int *ret_fd);

/* For a policy check followed by the insert, without a copy where none is needed: the file
 * itself when only root can change its bytes while the fd is open (a regular file owned by
 * root that neither its group nor others may write, on a filesystem whose content this kernel
 * alone controls), else what module_file_open_sealed() returns. Either way the bytes read
 * through *ret_fd are the bytes finit_module() reads from it. *ret_copied says which it is.
 * A compressed module whose algorithm is kernel_decompression (see module_file_open()) stays
 * compressed when it is the file itself: *ret_insert_flags is then
 * KERNEL_INSERT_COMPRESSED_FILE, and the checks read its bytes through
 * module_file_decompress_fd(). Else *ret_insert_flags is 0 and the fd holds the uncompressed
 * module. Errors as module_file_open_sealed(). */
int module_file_open_stable(const char *path, const char *kernel_decompression, int *ret_fd, bool *ret_copied,
                            unsigned *ret_insert_flags);

/* Decompresses what in holds (xz, zstd or gzip, by its magic) into a sealed memfd. Errors:
 * -EMEDIUMTYPE when it is not compressed in a way we know, -EBADMSG, -EFBIG, -ENOMEM. */
int module_file_decompress_fd(int in, int *ret_fd);

/* A copy of the module a caller handed over as an open descriptor (LoadFile): read by offset
 * through in (never by its shared file position), decompressed when its magic says so, and
 * returned as a read-only descriptor of a sealed memfd. The caller keeps whatever access it had
 * to the file; the bytes checked and inserted are the ones copied here. Errors: -EBADF for an
 * O_PATH or write-only descriptor, -EINVAL when it is not a regular file, -ENOEXEC for an empty
 * file, -EFBIG, -EBADMSG (malformed compressed data), -ENOMEM, or read's errno. */
int module_file_copy_fd(int in, int *ret_fd);

/* What a module copy (module_file_copy_fd()'s) says about itself: the name= of its .modinfo and
 * its depends= entries (comma-separated in the file; empty entries and repeats dropped, NULL-
 * terminated, never NULL itself). Neither is validated as a module name here (the resolver says
 * which one is not). Errors: -ENOEXEC when it is not an ELF relocatable object with a .modinfo
 * section inside the file (a truncated file, no .modinfo), -ENOMSG when its .modinfo has no
 * name= (built for a kernel before 5.3, or not by kbuild), -ENOMEM; outputs untouched. */
int module_file_identify(int fd, char **ret_name, char ***ret_depends);
