/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
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

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int kernel_image_payload(const uint8_t *data, size_t size, size_t *ret_offset, size_t *ret_size) {
        size_t setup, off, len;

        if (size < 0x250 || memcmp(data + BZ_HEADER_MAGIC, "HdrS", 4) != 0 ||
            (data[BZ_VERSION] | data[BZ_VERSION + 1] << 8) < 0x208)
                return -EMEDIUMTYPE;
        setup = data[BZ_SETUP_SECTS] ?: 4;
        off = (setup + 1) * 512 + le32(data + BZ_PAYLOAD_OFF);
        len = le32(data + BZ_PAYLOAD_LEN);
        if (off > size || len > size - off || len == 0)
                return -EBADMSG;
        *ret_offset = off;
        *ret_size = len;
        return 0;
}

int kernel_image_add_certificates(const char *path, char *const *descriptions, TrustStore *s) {
        _cleanup_(closep) int fd = -EBADF, payload_fd = -EBADF, kernel_fd = -EBADF;
        uint8_t *image = MAP_FAILED, *kernel = MAP_FAILED;
        struct stat st, kst;
        size_t off, len;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0x250)
                return -EMEDIUMTYPE;
        image = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (image == MAP_FAILED)
                return -errno;

        r = kernel_image_payload(image, (size_t) st.st_size, &off, &len);
        if (r < 0)
                goto finish;

        /* The build appends the decompressed size (4 bytes, little endian) to the compressed
         * stream for the boot decompressor; a stream decoder would take them for garbage. The
         * decompressor reads an fd: hand it the payload alone. */
        if (len > 4 && memcmp(image + off, "\xfd" "7zXZ", 5) == 0)
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
