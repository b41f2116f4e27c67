/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "color.h"
#include "macro.h"

static int decide(int fd) {
        const char *e = getenv("SYSTEMD_COLORS");

        if (e && *e) {
                if (strcasecmp(e, "0") == 0 || strcasecmp(e, "no") == 0 || strcasecmp(e, "false") == 0 ||
                    strcasecmp(e, "off") == 0)
                        return false;
                return true; /* 1, yes, true, 16, 256, 24bit */
        }
        e = getenv("NO_COLOR");
        if (e && *e)
                return false;
        e = getenv("TERM");
        if (e && streq(e, "dumb"))
                return false;
        return isatty(fd);
}

bool colors_enabled(FILE *f) {
        static int out = -1, err = -1;

        if (f == stderr) {
                if (err < 0)
                        err = decide(STDERR_FILENO);
                return err;
        }
        if (out < 0)
                out = decide(STDOUT_FILENO);
        return out;
}

const char *color_on(FILE *f, const char *ansi) {
        return colors_enabled(f) && ansi ? ansi : "";
}

const char *color_off(FILE *f) {
        return colors_enabled(f) ? ANSI_NORMAL : "";
}

const char *color_for_word(const char *word) {
        static const struct {
                const char *word;
                const char *ansi;
        } map[] = {
                { "live",  ANSI_GREEN },
                { "allow", ANSI_GREEN },
                { "coming", ANSI_YELLOW },
                { "going", ANSI_YELLOW },
                { "warn",  ANSI_YELLOW },
                { "deny",  ANSI_RED },
        };

        for (size_t i = 0; word && i < ELEMENTSOF(map); i++)
                if (streq(map[i].word, word))
                        return map[i].ansi;
        return NULL;
}
