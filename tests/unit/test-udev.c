/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Coldplug's walk of /sys/devices on a made-up tree: device modaliases come through whole,
 * however long (a CPU's lists every feature), and with '/' in them; the same walk on its own
 * thread, reported on the event loop. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "module-name.h"
#include "strv.h"
#include "sources/udev.h"

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

static bool same_list(char **a, char **b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

typedef struct Walked {
        bool done;
        int result;
        char **aliases;
} Walked;

static void on_walked(int result, char **aliases, void *userdata) {
        Walked *w = userdata;

        w->done = true;
        w->result = result;
        w->aliases = aliases;
}

Test(udev, coldplug_walk_on_a_thread_reports_on_the_event_loop) {
        _cleanup_(strv_freep) char **sync_aliases = NULL;
        sd_event *event = NULL;
        DeviceEnumeration *e = NULL;
        Walked w = {};
        char cmd[600];

        cr_assert_not_null(mkdtemp(root));
        write_modalias("pci0000:00/0000:00:01.0", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00");
        write_modalias("pci0000:00/0000:00:02.0", "pci:v00008086d00002668sv00001AF4sd00001100bc04sc03i00");
        write_modalias("virtual/sound/timer", "devname:snd/timer");
        cr_assert_eq(devices_enumerate_modaliases(root, &sync_aliases), 0);

        cr_assert_eq(sd_event_new(&event), 0);
        cr_assert_eq(devices_enumerate_async(event, root, on_walked, &w, &e), 0);
        cr_assert_not(w.done, "the result comes on the event loop, not from the call");
        while (!w.done)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(w.result, 0);
        cr_assert(same_list(w.aliases, sync_aliases), "the same aliases, in the same order, as the walk itself");
        device_enumeration_free(e);
        strv_free(w.aliases);

        /* Freed before its result is dispatched: it waits for the walk, and nothing is called. */
        w = (Walked) {};
        cr_assert_eq(devices_enumerate_async(event, root, on_walked, &w, &e), 0);
        device_enumeration_free(e);
        while (sd_event_run(event, 0) > 0)
                ;
        cr_assert_not(w.done);

        /* A tree that is not there: the error comes through the callback. */
        w = (Walked) {};
        cr_assert_eq(devices_enumerate_async(event, "/nonexistent-sysfs", on_walked, &w, &e), 0);
        while (!w.done)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
        cr_assert_eq(w.result, -ENOENT);
        cr_assert_null(w.aliases);
        device_enumeration_free(e);

        sd_event_unref(event);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        cr_assert_eq(system(cmd), 0);
}
