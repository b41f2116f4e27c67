/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the kernel hook's wire format. Any bytes, any claimed size: the parser
 * never reads past the buffer, and what it accepts is a valid name that builds the same
 * request again. Replies too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "modctl-hook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char name[MODCTL_HOOK_NAME_MAX + 1];
        uint8_t buf[MODCTL_HOOK_REQUEST_MAX];
        ModctlHookStatus status;
        int error;

        /* The daemon receives at most MODCTL_HOOK_REQUEST_MAX bytes and the real size (MSG_TRUNC). */
        size_t copied = size < sizeof(buf) ? size : sizeof(buf);
        memcpy(buf, data, copied);
        if (modctl_hook_parse_request(buf, size, name) == 0) {
                size_t n = strlen(name);
                uint8_t again[MODCTL_HOOK_REQUEST_MAX];

                if (n == 0 || n > MODCTL_HOOK_NAME_MAX)
                        __builtin_trap();
                for (size_t i = 0; i < n; i++)
                        if (name[i] <= ' ' || name[i] > '~')
                                __builtin_trap();
                if (modctl_hook_build_request(name, again) != (int) size || memcmp(again, buf, size) != 0)
                        __builtin_trap();
        }

        if (modctl_hook_parse_reply(data, size, &status, &error) == 0)
                if ((int) status < 0 || status >= _MODCTL_HOOK_STATUS_MAX || error < 0)
                        __builtin_trap();
        return 0;
}
