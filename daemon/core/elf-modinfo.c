/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <gelf.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/elf-modinfo.h"
#include "common/strv.h"

/* Real .modinfo sections are a few KiB; this only bounds what a hostile file can make us copy. */
#define MODINFO_MAX (1024 * 1024)

/* libelf (gelf) reads both classes (ELF32, ELF64) and both byte orders, so modules of every
 * architecture Debian builds for are read alike, on any host. It bounds every section against
 * the size given and checks every name it returns; .modinfo is bytes, read where the section
 * header says, and nothing is written to data. */
static int find_modinfo(const uint8_t *data, size_t size, const uint8_t **ret, size_t *ret_size) {
        Elf *elf;
        GElf_Ehdr eh;
        Elf_Scn *scn = NULL;
        size_t shstrndx;
        int r = -ENOEXEC;

        if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
                return -ENOEXEC;
        if (elf_version(EV_CURRENT) == EV_NONE)
                return -ENOEXEC;
        elf = elf_memory((char *) data, size);
        if (!elf)
                return -ENOEXEC;
        if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || eh.e_type != ET_REL ||
            elf_getshdrstrndx(elf, &shstrndx) < 0)
                goto finish;

        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                const char *name;

                if (!gelf_getshdr(scn, &sh))
                        break;
                name = elf_strptr(elf, shstrndx, sh.sh_name);
                if (!name || strcmp(name, ".modinfo") != 0)
                        continue;
                if (sh.sh_type == SHT_NOBITS || sh.sh_size > MODINFO_MAX || sh.sh_offset > size ||
                    sh.sh_size > size - sh.sh_offset)
                        break;
                /* Bytes, never translated: the file's own, which outlive elf. */
                *ret = data + sh.sh_offset;
                *ret_size = sh.sh_size;
                r = 0;
                break;
        }
finish:
        elf_end(elf);
        return r;
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
