/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the ELF .modinfo reader that policy runs on every module file. Any bytes:
 * no read outside the buffer, and what it returns is key/value pairs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/elf-modinfo.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char **pairs = NULL;
        uint8_t *copy;

        /* An exact-size heap copy, so that ASan sees any read past the end. */
        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        for (size_t i = 0; i < size; i++)
                copy[i] = data[i];
        if (elf_modinfo_parse(copy, size, &pairs) >= 0) {
                if (strv_length(pairs) % 2 != 0)
                        __builtin_trap();
                (void) elf_modinfo_get(pairs, "license");
        }
        strv_free(pairs);
        free(copy);
        return 0;
}
