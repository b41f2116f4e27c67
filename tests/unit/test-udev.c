/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Coldplug's walk of /sys/devices on a made-up tree: device modaliases come through whole,
 * however long (a CPU's lists every feature), and with '/' in them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "module-name.h"
#include "strv.h"
#include "udev.h"

static char root[] = "/tmp/modctl-sysfs-XXXXXX";

static void write_modalias(const char *dir, const char *alias) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/devices/%s", root, dir);
        for (char *p = path + strlen(root) + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        mkdir(path, 0755);
                        *p = '/';
                }
        mkdir(path, 0755);
        strcat(path, "/modalias");
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fprintf(f, "%s\n", alias);
        fclose(f);
}

static char *cpu_alias(size_t len) {
        char *s = malloc(len + 16);
        size_t n = (size_t) sprintf(s, "cpu:type:x86,ven0000fam0006mod003F:feature:");

        for (unsigned i = 0; n < len; i++)
                n += (size_t) sprintf(s + n, ",%04X", i);
        s[len] = '\0';
        return s;
}

Test(udev, coldplug_reads_whole_modaliases) {
        _cleanup_free_ char *cpu = cpu_alias(600), *page = cpu_alias(MODULE_ALIAS_MAX), *over = cpu_alias(MODULE_ALIAS_MAX + 1);
        _cleanup_(strv_freep) char **aliases = NULL;
        char cmd[600];

        cr_assert_not_null(mkdtemp(root));
        write_modalias("system/cpu", cpu);
        write_modalias("pci0000:00/0000:00:01.0", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00");
        write_modalias("virtual/sound/timer", "devname:snd/timer");
        write_modalias("platform/big", page);
        write_modalias("platform/toobig", over);

        cr_assert_eq(devices_enumerate_modaliases(root, &aliases), 0);
        cr_assert(strv_contains(aliases, cpu), "the 600-byte CPU modalias is read whole");
        cr_assert(strv_contains(aliases, page), "a 4095-byte modalias (a full page with its newline) is read whole");
        cr_assert(strv_contains(aliases, "devname:snd/timer"));
        cr_assert(strv_contains(aliases, "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"));
        cr_assert_eq(strv_length(aliases), 4, "a modalias longer than a page is left out, not cut off");

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        cr_assert_eq(system(cmd), 0);
}
