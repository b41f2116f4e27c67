/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sticky unloads, and the coldplug walk over a sysfs tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sticky.h"
#include "strv.h"
#include "sources/udev.h"

static char dir[] = "/tmp/modctl-sticky.XXXXXX";

static void setup(void) {
        strcpy(dir, "/tmp/modctl-sticky.XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void) system(cmd);
}

Test(sticky, coldplug_holds_back_hotplug_brings_back) {
        _cleanup_(sticky_freep) Sticky *s = NULL;
        cr_assert_eq(sticky_new(NULL, &s), 0);

        cr_assert(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG));
        cr_assert_eq(sticky_unloaded(s, "e1000"), 0);
        cr_assert_not(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG));
        cr_assert_not(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG), "asking twice changes nothing");
        cr_assert(sticky_allows(s, "snd_hda_intel", DEVICE_TRIGGER_COLDPLUG), "other modules are not affected");

        /* The device is re-added: load it, and forget the unload. */
        cr_assert(sticky_allows(s, "e1000", DEVICE_TRIGGER_HOTPLUG));
        cr_assert(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG));
}

Test(sticky, any_load_clears_and_names_are_normalized) {
        _cleanup_(sticky_freep) Sticky *s = NULL;
        cr_assert_eq(sticky_new(NULL, &s), 0);

        cr_assert_eq(sticky_unloaded(s, "snd-hda-intel"), 0);
        cr_assert(sticky_contains(s, "snd_hda_intel"));
        cr_assert_not(sticky_allows(s, "snd_hda_intel", DEVICE_TRIGGER_COLDPLUG));
        cr_assert_eq(sticky_loaded(s, "snd_hda_intel"), 0);
        cr_assert(sticky_allows(s, "snd-hda-intel", DEVICE_TRIGGER_COLDPLUG));
        cr_assert_eq(sticky_loaded(s, "never_unloaded"), 0);
}

Test(sticky, survives_a_restart_through_the_file, .init = setup, .fini = teardown) {
        char path[512];
        snprintf(path, sizeof(path), "%s/run/modctl/unloaded", dir);

        Sticky *s = NULL;
        cr_assert_eq(sticky_new(path, &s), 0);
        cr_assert_eq(sticky_unloaded(s, "e1000"), 0);
        cr_assert_eq(sticky_unloaded(s, "virtio_rng"), 0);
        cr_assert_eq(access(path, F_OK), 0);
        sticky_free(s);

        /* A new daemon reads it back. */
        cr_assert_eq(sticky_new(path, &s), 0);
        cr_assert_not(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG));
        cr_assert_not(sticky_allows(s, "virtio_rng", DEVICE_TRIGGER_COLDPLUG));
        cr_assert(sticky_allows(s, "e1000", DEVICE_TRIGGER_HOTPLUG));
        cr_assert(sticky_allows(s, "virtio_rng", DEVICE_TRIGGER_HOTPLUG));
        sticky_free(s);

        /* Empty again: the file goes away. */
        cr_assert_eq(access(path, F_OK), -1);
        cr_assert_eq(sticky_new(path, &s), 0);
        cr_assert(sticky_allows(s, "e1000", DEVICE_TRIGGER_COLDPLUG));
        sticky_free(s);
}

static void write_alias(const char *rel, const char *alias) {
        char path[512], cmd[700];
        snprintf(path, sizeof(path), "%s/sys/devices/%s", dir, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
        cr_assert_eq(system(cmd), 0);
        strcat(path, "/modalias");
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "%s\n", alias);
        fclose(f);
}

Test(coldplug, walks_devices_dedups_and_skips_links, .init = setup, .fini = teardown) {
        _cleanup_(strv_freep) char **aliases = NULL;
        char sysfs[512], link[600], target[600];

        write_alias("pci0000:00/0000:00:03.0", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00");
        write_alias("pci0000:00/0000:00:04.0", "pci:v00008086d00002668sv00001AF4sd00001100bc04sc03i00");
        write_alias("pci0000:00/0000:00:05.0", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00");
        write_alias("pci0000:00/0000:00:06.0/virtio0", "virtio:d00000004v00001AF4");
        write_alias("platform/serial8250", "");
        snprintf(sysfs, sizeof(sysfs), "%s/sys", dir);
        /* A link back up the tree, like sysfs' subsystem/driver links, must not be followed. */
        snprintf(link, sizeof(link), "%s/devices/pci0000:00/0000:00:03.0/loop", sysfs);
        snprintf(target, sizeof(target), "%s/devices", sysfs);
        cr_assert_eq(symlink(target, link), 0);

        cr_assert_eq(devices_enumerate_modaliases(sysfs, &aliases), 0);
        cr_assert_eq(strv_length(aliases), 3);
        cr_assert(strv_contains(aliases, "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"));
        cr_assert(strv_contains(aliases, "pci:v00008086d00002668sv00001AF4sd00001100bc04sc03i00"));
        cr_assert(strv_contains(aliases, "virtio:d00000004v00001AF4"));
}

Test(coldplug, missing_tree_is_an_error) {
        char **aliases = NULL;
        cr_assert_eq(devices_enumerate_modaliases("/nonexistent", &aliases), -ENOENT);
        cr_assert_null(aliases);
}
