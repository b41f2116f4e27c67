/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
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

        assert(data);
        assert(ret_offset);
        assert(ret_size);

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

/* A read-only mapping of a whole file, unmapped at scope end. */
typedef struct Mapping {
        uint8_t *data;
        size_t size;
} Mapping;

static void mapping_done(Mapping *m) {
        if (m->data)
                munmap(m->data, m->size);
}

static int mapping_map(int fd, size_t size, Mapping *ret) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = (Mapping) { .data = p, .size = size };
        return 0;
}

int kernel_image_add_certificates(const char *path, char *const *descriptions, TrustStore *s) {
        _cleanup_(closep) int fd = -EBADF, payload_fd = -EBADF, kernel_fd = -EBADF;
        _cleanup_(mapping_done) Mapping image = {}, kernel = {};
        struct stat st, kst;
        size_t off, len;
        int r;

        assert(path);
        assert(s);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0x250)
                return -EMEDIUMTYPE;
        r = mapping_map(fd, (size_t) st.st_size, &image);
        if (r < 0)
                return r;

        r = kernel_image_payload(image.data, image.size, &off, &len);
        if (r < 0)
                return r;

        /* The build appends the decompressed size (4 bytes, little endian) to the compressed
         * stream for the boot decompressor; a stream decoder would take them for garbage. The
         * decompressor reads an fd: hand it the payload alone. */
        if (len > 4 && memcmp(image.data + off, "\xfd" "7zXZ", 5) == 0)
                len -= 4;
        payload_fd = memfd_create("modctl-kernel-payload", MFD_CLOEXEC);
        if (payload_fd < 0)
                return -errno;
        for (size_t done = 0; done < len; ) {
                ssize_t n = write(payload_fd, image.data + off + done, len - done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        r = module_file_decompress_fd(payload_fd, &kernel_fd);
        if (r < 0)
                return r;
        if (fstat(kernel_fd, &kst) < 0 || kst.st_size <= 0)
                return -EBADMSG;
        r = mapping_map(kernel_fd, (size_t) kst.st_size, &kernel);
        if (r < 0)
                return r;
        return trust_store_add_embedded(s, kernel.data, kernel.size, descriptions);
}
