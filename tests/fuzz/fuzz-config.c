/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: modctld.conf parsing on top of the defaults, then formatting the result,
 * which must parse again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Failure f = FAILURE_NULL;
        Config *c = NULL, *again = NULL;
        char *text, *formatted = NULL;

        if (size > 64 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        if (config_new_default(&c) == 0 && config_parse_string(c, "fuzz.conf", text, &f) == 0 &&
            config_format(c, &formatted) == 0) {
                /* What `policy show` prints is valid configuration. */
                failure_done(&f);
                if (config_new_default(&again) != 0 || config_parse_string(again, "formatted", formatted, &f) != 0)
                        __builtin_trap();
        }
        failure_done(&f);
        free(formatted);
        config_unref(again);
        config_unref(c);
        free(text);
        return 0;
}
