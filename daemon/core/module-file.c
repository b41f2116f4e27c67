/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "kernel/kernel.h"
#include "common/macro.h"
#include "core/elf-modinfo.h"
#include "core/module-file.h"
#include "common/strv.h"

#define CHUNK (128 * 1024)
/* The kernel reads at most INT_MAX bytes; real modules are at most a few tens of MiB. */
#define MODULE_FILE_MAX ((uint64_t) 1024 * 1024 * 1024)

typedef enum Compression {
        COMPRESSION_NONE,
        COMPRESSION_XZ,
        COMPRESSION_ZSTD,
        COMPRESSION_GZIP,
        _COMPRESSION_MAX,
} Compression;

/* Spelled as /sys/module/compression spells them. */
static const char * const compression_names[_COMPRESSION_MAX] = {
        [COMPRESSION_XZ] = "xz",
        [COMPRESSION_ZSTD] = "zstd",
        [COMPRESSION_GZIP] = "gzip",
};

static Compression compression_from_magic(const uint8_t *b, size_t n) {
        if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
                return COMPRESSION_XZ;
        if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
                return COMPRESSION_ZSTD;
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return COMPRESSION_GZIP;
        return COMPRESSION_NONE;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool path_claims_compression(const char *path) {
        return has_suffix(path, ".xz") || has_suffix(path, ".zst") || has_suffix(path, ".gz");
}

typedef struct Sink {
        int fd;
        uint64_t written;
} Sink;

static int sink_write(Sink *s, const uint8_t *p, size_t n) {
        if (n > MODULE_FILE_MAX - s->written)
                return -EFBIG;
        s->written += n;
        while (n > 0) {
                ssize_t k = write(s->fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static ssize_t read_chunk(int fd, uint8_t *buf, size_t size) {
        for (;;) {
                ssize_t n = read(fd, buf, size);
                if (n >= 0 || errno != EINTR)
                        return n < 0 ? -errno : n;
        }
}

static int decompress_xz(int in, Sink *out, uint8_t *ibuf, uint8_t *obuf) {
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_action action = LZMA_RUN;
        lzma_ret lr;
        int r = 0;

        lr = lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED);
        if (lr != LZMA_OK)
                return lr == LZMA_MEM_ERROR ? -ENOMEM : -EIO;

        s.next_out = obuf;
        s.avail_out = CHUNK;
        for (;;) {
                if (s.avail_in == 0 && action == LZMA_RUN) {
                        ssize_t n = read_chunk(in, ibuf, CHUNK);
                        if (n < 0) {
                                r = (int) n;
                                break;
                        }
                        if (n == 0)
                                action = LZMA_FINISH;
                        s.next_in = ibuf;
                        s.avail_in = (size_t) n;
                }

                lr = lzma_code(&s, action);
                if (s.avail_out == 0 || lr == LZMA_STREAM_END) {
                        r = sink_write(out, obuf, CHUNK - s.avail_out);
                        if (r < 0)
                                break;
                        s.next_out = obuf;
                        s.avail_out = CHUNK;
                }
                if (lr == LZMA_STREAM_END)
                        break;
                if (lr != LZMA_OK) {
                        /* DATA, FORMAT, OPTIONS and BUF (truncated) errors all mean bad input. */
                        r = lr == LZMA_MEM_ERROR || lr == LZMA_MEMLIMIT_ERROR ? -ENOMEM : -EBADMSG;
                        break;
                }
        }
        lzma_end(&s);
        return r;
}

static void zstd_free_dstreamp(ZSTD_DStream **d) {
        ZSTD_freeDStream(*d); /* takes NULL */
}

static int decompress_zstd(int in, Sink *out, uint8_t *ibuf, uint8_t *obuf) {
        _cleanup_(zstd_free_dstreamp) ZSTD_DStream *d = NULL;
        size_t last = 1; /* non-zero: no complete frame yet */
        int r;

        d = ZSTD_createDStream();
        if (!d)
                return -ENOMEM;
        if (ZSTD_isError(ZSTD_initDStream(d)))
                return -EIO;

        for (;;) {
                ssize_t n = read_chunk(in, ibuf, CHUNK);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;

                ZSTD_inBuffer ib = { ibuf, (size_t) n, 0 };
                /* zstd keeps the last byte of a frame until it has flushed all of its output,
                 * so consuming all input is enough to get all output. */
                while (ib.pos < ib.size) {
                        ZSTD_outBuffer ob = { obuf, CHUNK, 0 };

                        last = ZSTD_decompressStream(d, &ob, &ib);
                        if (ZSTD_isError(last))
                                return ZSTD_getErrorCode(last) == ZSTD_error_memory_allocation ? -ENOMEM : -EBADMSG;
                        r = sink_write(out, obuf, ob.pos);
                        if (r < 0)
                                return r;
                }
        }
        return last != 0 ? -EBADMSG : 0; /* truncated frame */
}

static int decompress_gzip(int in, Sink *out, uint8_t *ibuf, uint8_t *obuf) {
        z_stream z = {};
        bool eof = false, ended = false;
        int r = 0, zr;

        zr = inflateInit2(&z, 16 + MAX_WBITS); /* gzip wrapper only */
        if (zr != Z_OK)
                return zr == Z_MEM_ERROR ? -ENOMEM : -EIO;

        for (;;) {
                if (z.avail_in == 0 && !eof) {
                        ssize_t n = read_chunk(in, ibuf, CHUNK);
                        if (n < 0) {
                                r = (int) n;
                                break;
                        }
                        eof = n == 0;
                        z.next_in = ibuf;
                        z.avail_in = (uInt) n;
                }
                if (ended) {
                        if (z.avail_in == 0) {
                                if (eof)
                                        break;
                                continue;
                        }
                        /* Another gzip member follows, as gzip(1) allows. */
                        if (inflateReset(&z) != Z_OK) {
                                r = -EIO;
                                break;
                        }
                        ended = false;
                }

                z.next_out = obuf;
                z.avail_out = CHUNK;
                zr = inflate(&z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END)
                        ended = true;
                else if (zr == Z_BUF_ERROR) {
                        /* No progress possible: fine if more input is coming, truncation if not. */
                        if (eof) {
                                r = -EBADMSG;
                                break;
                        }
                } else if (zr == Z_MEM_ERROR) {
                        r = -ENOMEM;
                        break;
                } else if (zr != Z_OK) {
                        r = -EBADMSG;
                        break;
                }
                r = sink_write(out, obuf, CHUNK - z.avail_out);
                if (r < 0)
                        break;
        }
        inflateEnd(&z);
        return r;
}

/* Seals memfd and returns a read-only descriptor of it in *ret (closing memfd or not). */
static int seal_memfd(int *memfd, int *ret) {
        char proc[64];
        int ro;

        if (fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return -errno;
        if (lseek(*memfd, 0, SEEK_SET) < 0)
                return -errno;

        /* finit_module() refuses files that are open for writing (ETXTBSY); hand over a
         * read-only descriptor of the same memfd. Without /proc the sealed one has to do. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *memfd);
        ro = open(proc, O_RDONLY | O_CLOEXEC);
        if (ro >= 0) {
                *ret = ro;
                return 0;
        }
        *ret = TAKE_FD(*memfd);
        return 0;
}

/* Decompresses in into a sealed memfd that nobody can change between the checks that policy
 * makes on its content and the insertion. */
static int decompress_to_memfd(int in, Compression c, int *ret) {
        _cleanup_(closep) int memfd = -EBADF;
        _cleanup_(freep) uint8_t *ibuf = NULL, *obuf = NULL;
        Sink sink;
        int r;

        ibuf = malloc(CHUNK);
        obuf = malloc(CHUNK);
        if (!ibuf || !obuf)
                return -ENOMEM;

        memfd = memfd_create("modctl-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (memfd < 0)
                return -errno;
        sink = (Sink) { .fd = memfd };

        switch (c) {
        case COMPRESSION_XZ:
                r = decompress_xz(in, &sink, ibuf, obuf);
                break;
        case COMPRESSION_ZSTD:
                r = decompress_zstd(in, &sink, ibuf, obuf);
                break;
        case COMPRESSION_GZIP:
                r = decompress_gzip(in, &sink, ibuf, obuf);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;

        return seal_memfd(&memfd, ret);
}

int module_file_open(const char *path, const char *kernel_decompression, int *ret_fd,
                     unsigned *ret_insert_flags) {
        _cleanup_(closep) int fd = -EBADF;
        uint8_t magic[6];
        struct stat st;
        Compression c;
        ssize_t n;
        int r;

        assert(path);
        assert(ret_fd);
        assert(ret_insert_flags);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;

        do
                n = pread(fd, magic, sizeof(magic), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;

        /* The magic decides. A compressed suffix on something that is neither compressed nor
         * ELF is a damaged file; anything else unknown is for the kernel to reject. */
        c = compression_from_magic(magic, (size_t) n);
        if (c == COMPRESSION_NONE) {
                bool elf = n >= 4 && memcmp(magic, "" "ELF", 4) == 0;

                if (!elf && path_claims_compression(path))
                        return -EBADMSG;
                *ret_fd = TAKE_FD(fd);
                *ret_insert_flags = 0;
                return 0;
        }

        if (kernel_decompression && strcmp(kernel_decompression, compression_names[c]) == 0) {
                *ret_fd = TAKE_FD(fd);
                *ret_insert_flags = KERNEL_INSERT_COMPRESSED_FILE;
                return 0;
        }

        int memfd = -EBADF;
        r = decompress_to_memfd(fd, c, &memfd);
        if (r < 0)
                return r;
        *ret_fd = memfd;
        *ret_insert_flags = 0;
        return 0;
}

/* Copies in (from its current offset) to out: in the kernel with sendfile(), one call for
 * a whole module; by read() and write() where sendfile() cannot. size is what fstat() said, a
 * hint: the copy goes on to the end of the file, bounded by MODULE_FILE_MAX. */
static int copy_file(int in, int out, uint64_t size) {
        _cleanup_(freep) uint8_t *buf = NULL;
        Sink sink = { .fd = out };
        int r;

        for (;;) {
                /* Ask for the rest as fstat() saw it, then chunks until the end of the file; one
                 * byte past the limit tells a file that grew too big. */
                uint64_t want = MIN(sink.written < size ? size - sink.written : (uint64_t) CHUNK,
                                    MODULE_FILE_MAX - sink.written + 1);
                ssize_t n = sendfile(out, in, NULL, (size_t) want);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && sink.written == 0 && (errno == EINVAL || errno == ENOSYS))
                        break;  /* not possible for this pair of files: copy by hand */
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                if ((uint64_t) n > MODULE_FILE_MAX - sink.written)
                        return -EFBIG;
                sink.written += (uint64_t) n;
        }

        buf = malloc(CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read_chunk(in, buf, CHUNK);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return 0;
                r = sink_write(&sink, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int module_file_open_sealed(const char *path, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF, memfd = -EBADF;
        unsigned flags;
        struct stat st;
        int r;

        assert(ret_fd);
        r = module_file_open(path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        /* A decompressed module already is a sealed memfd. */
        int seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0 && (seals & F_SEAL_WRITE)) {
                *ret_fd = TAKE_FD(fd);
                return 0;
        }

        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size > MODULE_FILE_MAX)
                return -EFBIG;
        memfd = memfd_create("modctl-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (memfd < 0)
                return -errno;
        r = copy_file(fd, memfd, (uint64_t) st.st_size);
        if (r < 0)
                return r;
        return seal_memfd(&memfd, ret_fd);
}

/* Filesystems whose content can change without this kernel checking the mode bits: a FUSE
 * server, or another machine (NFS, SMB, 9p, Ceph, AFS). Magic numbers from linux/magic.h and
 * the filesystems' sources. */
static bool fs_is_remote(int fd) {
        static const unsigned long remote[] = {
                0x65735546, /* FUSE (also virtiofs) */
                0x6969,     /* NFS */
                0xFF534D42, /* CIFS */
                0xFE534D42, /* SMB2 */
                0x517B,     /* SMB */
                0x01021997, /* 9P / V9FS */
                0x00C36400, /* Ceph */
                0x5346414F, /* AFS */
                0x6B414653, /* kAFS */
        };
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return true; /* unknown: take the safe way */
        for (size_t i = 0; i < ELEMENTSOF(remote); i++)
                if ((unsigned long) sf.f_type == remote[i])
                        return true;
        return false;
}

/* Whether only root can change what fd reads until it is closed: a plain file owned by root,
 * not writable by group or others, on a local filesystem. A rename or unlink of the path does
 * not matter: the fd keeps the inode it opened. */
static bool fd_is_root_only(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return false;
        return !fs_is_remote(fd);
}

int module_file_open_stable(const char *path, const char *kernel_decompression, int *ret_fd, bool *ret_copied,
                            unsigned *ret_insert_flags) {
        _cleanup_(closep) int fd = -EBADF;
        unsigned flags;
        int r;

        assert(ret_fd);
        assert(ret_copied);
        assert(ret_insert_flags);
        /* The kernel decompresses this one itself: keep the file as it is if only root can
         * change it, so finit_module() gets MODULE_INIT_COMPRESSED_FILE. */
        if (kernel_decompression) {
                r = module_file_open(path, kernel_decompression, &fd, &flags);
                if (r < 0)
                        return r;
                if ((flags & KERNEL_INSERT_COMPRESSED_FILE) && fd_is_root_only(fd)) {
                        *ret_fd = TAKE_FD(fd);
                        *ret_copied = false;
                        *ret_insert_flags = flags;
                        return 0;
                }
                fd = safe_close(fd);
        }
        r = module_file_open(path, NULL, &fd, &flags);
        if (r < 0)
                return r;
        /* Decompressed: a sealed memfd already. */
        int seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0 && (seals & F_SEAL_WRITE)) {
                *ret_fd = TAKE_FD(fd);
                *ret_copied = true;
                *ret_insert_flags = 0;
                return 0;
        }
        if (fd_is_root_only(fd)) {
                *ret_fd = TAKE_FD(fd);
                *ret_copied = false;
                *ret_insert_flags = 0;
                return 0;
        }
        fd = safe_close(fd);
        r = module_file_open_sealed(path, ret_fd);
        if (r < 0)
                return r;
        *ret_copied = true;
        *ret_insert_flags = 0;
        return 0;
}

int module_file_decompress_fd(int in, int *ret_fd) {
        uint8_t magic[6];
        Compression c;
        ssize_t n;

        assert(in >= 0);
        assert(ret_fd);

        n = pread(in, magic, sizeof(magic), 0);
        if (n < 0)
                return -errno;
        c = compression_from_magic(magic, (size_t) n);
        if (c == COMPRESSION_NONE)
                return -EMEDIUMTYPE;
        if (lseek(in, 0, SEEK_SET) < 0)
                return -errno;
        return decompress_to_memfd(in, c, ret_fd);
}

int module_file_copy_fd(int in, int *ret_fd) {
        _cleanup_(closep) int memfd = -EBADF, plain = -EBADF;
        _cleanup_(freep) uint8_t *buf = NULL;
        uint8_t magic[6];
        struct stat st;
        uint64_t off = 0;
        int flags, r;

        assert(ret_fd);

        if (in < 0)
                return -EBADF;
        /* An O_PATH descriptor names a file without the right to read it: refused, as a
         * descriptor opened for writing only is. */
        flags = fcntl(in, F_GETFL);
        if (flags < 0)
                return -errno;
        if ((flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY)
                return -EBADF;
        if (fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > MODULE_FILE_MAX)
                return -EFBIG;

        buf = malloc(CHUNK);
        if (!buf)
                return -ENOMEM;
        memfd = memfd_create("modctl-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (memfd < 0)
                return -errno;
        /* By offset: the descriptor's file position is shared with whoever sent it. */
        for (;;) {
                ssize_t n = pread(in, buf, CHUNK, (off_t) off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                if ((uint64_t) n > MODULE_FILE_MAX - off)
                        return -EFBIG;
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(memfd, buf + done, (size_t) (n - done));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return -errno;
                        done += w;
                }
                off += (uint64_t) n;
        }
        if (off == 0)
                return -ENOEXEC;

        if (pread(memfd, magic, sizeof(magic), 0) != (ssize_t) sizeof(magic))
                return -ENOEXEC;
        if (compression_from_magic(magic, sizeof(magic)) != COMPRESSION_NONE) {
                r = module_file_decompress_fd(memfd, &plain);
                if (r < 0)
                        return r;
                *ret_fd = TAKE_FD(plain);
                return 0;
        }
        return seal_memfd(&memfd, ret_fd);
}

int module_file_identify(int fd, char **ret_name, char ***ret_depends) {
        _cleanup_(strv_freep) char **pairs = NULL, **depends = NULL;
        _cleanup_free_ char *name = NULL, *copy = NULL;
        const char *n, *d;
        char *p, *w;
        int r;

        assert(fd >= 0);
        assert(ret_name);
        assert(ret_depends);

        r = elf_modinfo_parse_fd(fd, &pairs);
        if (r == -EINVAL)
                r = -ENOEXEC; /* not a regular file: a memfd copy always is */
        if (r < 0)
                return r;
        n = elf_modinfo_get(pairs, "name");
        if (!n)
                return -ENOMSG;
        name = strdup(n);
        depends = calloc(1, sizeof(char *));
        if (!name || !depends)
                return -ENOMEM;

        d = elf_modinfo_get(pairs, "depends");
        if (d) {
                copy = strdup(d);
                if (!copy)
                        return -ENOMEM;
                p = copy;
                while ((w = strsep(&p, ","))) {
                        if (!w[0] || strv_contains(depends, w))
                                continue;
                        r = strv_extend(&depends, w);
                        if (r < 0)
                                return r;
                }
        }

        *ret_name = TAKE_PTR(name);
        *ret_depends = TAKE_PTR(depends);
        return 0;
}
