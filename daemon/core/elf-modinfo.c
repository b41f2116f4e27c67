/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/elf-modinfo.h"
#include "common/strv.h"

/* Real .modinfo sections are a few KiB; this only bounds what a hostile file can make us copy. */
#define MODINFO_MAX (1024 * 1024)

static bool range_ok(uint64_t offset, uint64_t size, uint64_t total) {
        return offset <= total && size <= total - offset;
}

static int find_modinfo(const uint8_t *data, size_t size, const uint8_t **ret, size_t *ret_size) {
        Elf64_Ehdr eh;

        if (size < sizeof(eh))
                return -ENOEXEC;
        memcpy(&eh, data, sizeof(eh));
        if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
#if __BYTE_ORDER == __LITTLE_ENDIAN
            eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#else
            eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#endif
            eh.e_type != ET_REL || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
            eh.e_shstrndx >= eh.e_shnum ||
            !range_ok(eh.e_shoff, (uint64_t) eh.e_shnum * sizeof(Elf64_Shdr), size))
                return -ENOEXEC;

        /* Section headers need not be aligned in a hostile file: copy each one out. */
        Elf64_Shdr strtab;
        memcpy(&strtab, data + eh.e_shoff + (uint64_t) eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof(strtab));
        if (strtab.sh_type == SHT_NOBITS || strtab.sh_size == 0 ||
            !range_ok(strtab.sh_offset, strtab.sh_size, size))
                return -ENOEXEC;
        const char *names = (const char *) data + strtab.sh_offset;

        for (size_t i = 0; i < eh.e_shnum; i++) {
                Elf64_Shdr sh;

                memcpy(&sh, data + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
                if (sh.sh_name >= strtab.sh_size ||
                    strnlen(names + sh.sh_name, strtab.sh_size - sh.sh_name) != strlen(".modinfo") ||
                    memcmp(names + sh.sh_name, ".modinfo", strlen(".modinfo")) != 0)
                        continue;
                if (sh.sh_type == SHT_NOBITS || sh.sh_size > MODINFO_MAX || !range_ok(sh.sh_offset, sh.sh_size, size))
                        return -ENOEXEC;
                *ret = data + sh.sh_offset;
                *ret_size = sh.sh_size;
                return 0;
        }
        return -ENOEXEC;
}

int elf_modinfo_parse(const uint8_t *data, size_t size, char ***ret_pairs) {
        _cleanup_(strv_freep) char **pairs = NULL;
        const uint8_t *info;
        size_t n;
        int r;

        assert(data || size == 0);
        assert(ret_pairs);
        r = find_modinfo(data, size, &info, &n);
        if (r < 0)
                return r;

        pairs = calloc(1, sizeof(char *));
        if (!pairs)
                return -ENOMEM;

        /* Entries are NUL-terminated, with NUL padding between some of them; the last one may
         * lack its NUL in a damaged file, so every length is bounded by the section. */
        for (size_t off = 0; off < n; ) {
                const char *e = (const char *) info + off;
                size_t len = strnlen(e, n - off);
                const char *eq = memchr(e, '=', len);

                if (len > 0 && eq) {
                        char *k = strndup(e, (size_t) (eq - e)), *v = strndup(eq + 1, len - (size_t) (eq - e) - 1);
                        if (!k || !v || strv_push(&pairs, k) < 0) {
                                free(k);
                                free(v);
                                return -ENOMEM;
                        }
                        if (strv_push(&pairs, v) < 0) {
                                free(v);
                                return -ENOMEM;
                        }
                }
                off += len + 1;
        }

        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

const char *elf_modinfo_get(char * const *pairs, const char *key) {
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
                if (strcmp(pairs[i], key) == 0)
                        return pairs[i + 1];
        return NULL;
}

int module_map_fd(int fd, const uint8_t **ret_data, size_t *ret_size) {
        struct stat st;
        void *p;

        assert(ret_data);
        assert(ret_size);

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size == 0)
                return -ENOEXEC;
        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret_data = p;
        *ret_size = (size_t) st.st_size;
        return 0;
}

int elf_modinfo_parse_fd(int fd, char ***ret_pairs) {
        const uint8_t *data;
        size_t size;
        int r;

        assert(ret_pairs);

        r = module_map_fd(fd, &data, &size);
        if (r < 0)
                return r;
        r = elf_modinfo_parse(data, size, ret_pairs);
        munmap((void *) data, size);
        return r;
}
