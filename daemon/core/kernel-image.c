/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/kernel-image.h"
#include "common/macro.h"
#include "core/module-file.h"

/* Documentation/arch/x86/boot.rst: the real-mode header. */
#define BZ_SETUP_SECTS   0x1f1
#define BZ_HEADER_MAGIC  0x202   /* "HdrS" */
#define BZ_VERSION       0x206
#define BZ_PAYLOAD_OFF   0x248   /* protocol 2.08+, relative to the protected-mode code */
#define BZ_PAYLOAD_LEN   0x24c
/* drivers/firmware/efi/libstub/zboot-header.S: "MZ", then "zimg" and the payload's place. */
#define ZBOOT_MAGIC       4
#define ZBOOT_PAYLOAD_OFF 8
#define ZBOOT_PAYLOAD_LEN 12
#define ZBOOT_HEADER_SIZE 0x40
/* Documentation/arch/arm64/booting.rst and riscv/boot-image-header.rst: the Image magic. */
#define ARM64_MAGIC      0x38
#define RISCV_MAGIC      0x34

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Compressed streams the decompressor reads (gzip, xz, zstd): a whole-file compressed kernel. */
static bool is_compressed(const uint8_t *p, size_t n) {
        return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
                (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) ||
                (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0);
}

/* An x86 bzImage (Documentation/arch/x86/boot.rst): the compressed kernel at the payload
 * offset of its setup header. */
static int bzimage_payload(const uint8_t *data, size_t size, size_t *ret_offset, size_t *ret_size) {
        size_t setup, off, len;

        setup = data[BZ_SETUP_SECTS] ?: 4;
        off = (setup + 1) * 512 + le32(data + BZ_PAYLOAD_OFF);
        len = le32(data + BZ_PAYLOAD_LEN);
        if (off > size || len > size - off || len == 0)
                return -EBADMSG;
        *ret_offset = off;
        *ret_size = len;
        return 0;
}

int kernel_image_payload(const uint8_t *data, size_t size, KernelImageFormat *ret_format, size_t *ret_offset,
                         size_t *ret_size) {
        KernelImageFormat f;
        size_t off = 0, len = size;
        int r;

        assert(data);
        assert(ret_format);
        assert(ret_offset);
        assert(ret_size);

        if (size >= 0x250 && memcmp(data + BZ_HEADER_MAGIC, "HdrS", 4) == 0 &&
            (data[BZ_VERSION] | data[BZ_VERSION + 1] << 8) >= 0x208) {
                r = bzimage_payload(data, size, &off, &len);
                if (r < 0)
                        return r;
                f = KERNEL_IMAGE_COMPRESSED;
        } else if (size >= ZBOOT_HEADER_SIZE && memcmp(data, "MZ", 2) == 0 &&
                   memcmp(data + ZBOOT_MAGIC, "zimg", 4) == 0) {
                /* EFI zboot (arm64, riscv64, loongarch64 with CONFIG_EFI_ZBOOT): a PE file
                 * whose header names the compressed kernel's place. */
                off = le32(data + ZBOOT_PAYLOAD_OFF);
                len = le32(data + ZBOOT_PAYLOAD_LEN);
                if (off > size || len > size - off || len == 0)
                        return -EBADMSG;
                f = KERNEL_IMAGE_COMPRESSED;
        } else if (is_compressed(data, size)) {
                /* arm64's Image.gz, which Debian installs as vmlinuz, and the like. */
                f = KERNEL_IMAGE_COMPRESSED;
        } else if ((size >= SELFMAG && memcmp(data, "\177ELF", 4) == 0) ||
                   (size >= ARM64_MAGIC + 4 && memcmp(data + ARM64_MAGIC, "ARM\x64", 4) == 0) ||
                   (size >= RISCV_MAGIC + 4 && memcmp(data + RISCV_MAGIC, "RSC\x05", 4) == 0)) {
                /* Not compressed: an ELF vmlinux (ppc64el, mips), an arm64 or riscv64 Image. */
                f = KERNEL_IMAGE_PLAIN;
        } else
                /* armhf's self-decompressing zImage, s390x's image and others: not read here. */
                return -EMEDIUMTYPE;

        if (ret_format)
                *ret_format = f;
        *ret_offset = off;
        *ret_size = len;
        return 0;
}

int kernel_image_add_certificates(const char *path, char *const *descriptions, TrustStore *s) {
        _cleanup_(closep) int fd = -EBADF, payload_fd = -EBADF, kernel_fd = -EBADF;
        uint8_t *image = MAP_FAILED, *kernel = MAP_FAILED;
        struct stat st, kst;
        KernelImageFormat format;
        size_t off, len;
        int r;

        assert(path);
        assert(s);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 64)
                return -EMEDIUMTYPE;
        image = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (image == MAP_FAILED)
                return -errno;

        r = kernel_image_payload(image, (size_t) st.st_size, &format, &off, &len);
        if (r < 0)
                goto finish;
        if (format == KERNEL_IMAGE_PLAIN) {
                r = trust_store_add_embedded(s, image, (size_t) st.st_size, descriptions);
                goto finish;
        }

        /* bzImage and zboot builds append the decompressed size (4 bytes, little endian) to the
         * compressed stream for the boot decompressor; an xz decoder would take them for
         * garbage after the stream's footer ("YZ"). The decompressor reads an fd: hand it the
         * stream alone. */
        if (len > 6 && memcmp(image + off, "\xfd" "7zXZ", 5) == 0 &&
            memcmp(image + off + len - 2, "YZ", 2) != 0 && memcmp(image + off + len - 6, "YZ", 2) == 0)
                len -= 4;
        payload_fd = memfd_create("modctl-kernel-payload", MFD_CLOEXEC);
        if (payload_fd < 0) {
                r = -errno;
                goto finish;
        }
        for (size_t done = 0; done < len; ) {
                ssize_t n = write(payload_fd, image + off + done, len - done);
                if (n < 0) {
                        r = -errno;
                        goto finish;
                }
                done += (size_t) n;
        }
        r = module_file_decompress_fd(payload_fd, &kernel_fd);
        if (r < 0)
                goto finish;
        if (fstat(kernel_fd, &kst) < 0 || kst.st_size <= 0) {
                r = -EBADMSG;
                goto finish;
        }
        kernel = mmap(NULL, (size_t) kst.st_size, PROT_READ, MAP_PRIVATE, kernel_fd, 0);
        if (kernel == MAP_FAILED) {
                r = -errno;
                goto finish;
        }
        r = trust_store_add_embedded(s, kernel, (size_t) kst.st_size, descriptions);

finish:
        if (kernel != MAP_FAILED)
                munmap(kernel, (size_t) kst.st_size);
        if (image != MAP_FAILED)
                munmap(image, (size_t) st.st_size);
        return r;
}
