/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <errno.h>
#include <sys/mman.h>

/* A read-only mapping that unmaps itself: `_cleanup_(file_mapping_done) FileMapping m =
 * FILE_MAPPING_NULL;`, then file_mapping_fd() fills it. */
typedef struct FileMapping {
        void *data;
        size_t size;
} FileMapping;

#define FILE_MAPPING_NULL ((FileMapping) { .data = MAP_FAILED })

static inline void file_mapping_done(FileMapping *m) {
        if (m->data != MAP_FAILED)
                (void) munmap(m->data, m->size);
        *m = FILE_MAPPING_NULL;
}

/* Maps size bytes of fd privately and read-only; ret is untouched on failure. */
static inline int file_mapping_fd(int fd, size_t size, FileMapping *ret) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = (FileMapping) { .data = p, .size = size };
        return 0;
}
