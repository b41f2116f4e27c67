/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The settings files and the catalog as plain C: input rules, reading every file with its
 * source, changing only modctld's own files, refusing admins' entries, and catalog search. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings/atomic-file.h"
#include "settings/catalog.h"
#include "macro.h"
#include "module-params.h"
#include "settings/settings.h"
#include "strv.h"
#include "utf8.h"

static char root[] = "/tmp/modctl-settings.XXXXXX";

static void write_file(const char *rel, const char *text) {
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        cr_assert_eq(system(cmd), 0);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

static char *read_rel(const char *rel) {
        char path[512];
        char *text = NULL;
        snprintf(path, sizeof(path), "%s%s", root, rel);
        if (read_file_text(path, 65536, &text) < 0)
                return NULL;
        return text;
}

static void setup(void) {
        strcpy(root, "/tmp/modctl-settings.XXXXXX");
        cr_assert_not_null(mkdtemp(root));
}

static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(settings, .init = setup, .fini = teardown);

Test(settings, input_rules) {
        cr_assert(settings_name_is_valid("snd-hda_intel"));
        cr_assert(!settings_name_is_valid(""));
        cr_assert(!settings_name_is_valid("snd*"));
        cr_assert(!settings_name_is_valid("-x"));
        cr_assert(!settings_name_is_valid("a b"));
        cr_assert(!settings_name_is_valid("a\nblacklist b"));
        /* Options follow the one parameter grammar (module-params.h; test-module-params.c). */
        cr_assert_eq(module_params_validate("", NULL), 0);
        cr_assert_eq(module_params_validate("index=-2 model=auto,foo x.y=1 flag a=\"x y\"", NULL), 0);
        cr_assert_lt(module_params_validate("a=1\ninstall x /bin/sh", NULL), 0);
        cr_assert_lt(module_params_validate("a=1#c", NULL), 0);
        cr_assert_lt(module_params_validate("=1", NULL), 0);
        cr_assert_lt(module_params_validate("a=\\", NULL), 0);
        cr_assert_lt(module_params_validate("--config=/tmp/x", NULL), 0);
        cr_assert_lt(module_params_validate("a=$(id>/tmp/p)", NULL), 0);
}

static SettingsPaths *paths(void) {
        char etc[600], admin[600];
        SettingsPaths *p = NULL;
        snprintf(etc, sizeof(etc), "%s/etc/modprobe.d", root);
        snprintf(admin, sizeof(admin), "%s/lib/modprobe.d", root);
        cr_assert_eq(settings_paths_new(root, STRV_MAKE(etc, admin), "quiet modules_load=vfat,loop", &p), 0);
        return p;
}

Test(settings, sources_and_precedence) {
        _cleanup_(settings_paths_freep) SettingsPaths *p = paths();
        _cleanup_(settings_state_freep) SettingsState *s = NULL;
        _cleanup_(config_unrefp) Config *c = NULL;
        ModuleSettings ms = {};
        SettingSource *src = NULL;
        size_t n = 0;

        write_file("/lib/modprobe.d/a.conf", "blacklist pcspkr\noptions snd-hda-intel \\\n  model=auto   index=1\n");
        /* Same name in an earlier directory hides it. */
        write_file("/lib/modprobe.d/hidden.conf", "blacklist hidden_one\n");
        write_file("/etc/modprobe.d/hidden.conf", "# nothing\n");
        write_file("/etc/modules-load.d/x.conf", "tun\n; comment\n");
        cr_assert_eq(config_new_default(&c), 0);
        cr_assert_eq(config_parse_string(c, "/x/modctld.conf", "[Policy]\nDeny=nouveau snd_pcsp*\n", NULL), 0);
        cr_assert_eq(settings_state_load(p, &s), 0);

        cr_assert_eq(settings_query(s, c, "pcspkr", &ms), 0);
        cr_assert(ms.blacklisted && !ms.boot && !ms.disabled);
        module_settings_done(&ms);
        cr_assert_eq(settings_query(s, c, "hidden_one", &ms), 0);
        cr_assert(!ms.blacklisted);
        module_settings_done(&ms);
        cr_assert_eq(settings_query(s, c, "snd_hda_intel", &ms), 0);
        cr_assert_str_eq(ms.options, "model=auto index=1");
        module_settings_done(&ms);
        cr_assert_eq(settings_query(s, c, "loop", &ms), 0);
        cr_assert(ms.boot);
        module_settings_done(&ms);
        cr_assert_eq(settings_query(s, c, "snd-pcsp", &ms), 0);
        cr_assert(ms.disabled);
        module_settings_done(&ms);

        cr_assert_eq(settings_describe(s, p, c, "snd_pcsp", &src, &n), 0);
        cr_assert_eq(n, 1);
        cr_assert_str_eq(src[0].value, "Deny=snd_pcsp*");
        cr_assert_str_eq(src[0].file, "/x/modctld.conf");
        cr_assert(!src[0].owned);
        setting_sources_free(src, n);
        cr_assert_eq(settings_describe(s, p, c, "vfat", &src, &n), 0);
        cr_assert_eq(n, 1);
        cr_assert_str_eq(src[0].file, "kernel command line");
        setting_sources_free(src, n);
}

Test(settings, change_writes_only_our_file) {
        _cleanup_(settings_paths_freep) SettingsPaths *p = paths();
        _cleanup_(settings_state_freep) SettingsState *s = NULL;
        _cleanup_(config_unrefp) Config *c = NULL;
        _cleanup_(failure_donep) Failure f = FAILURE_NULL;
        _cleanup_free_ char *text = NULL, *file = NULL;
        bool changed;

        write_file("/lib/modprobe.d/a.conf", "blacklist pcspkr\noptions snd value=1\n");
        cr_assert_eq(config_new_default(&c), 0);
        cr_assert_eq(settings_state_load(p, &s), 0);

        cr_assert_eq(settings_change(s, p, c, SETTING_BLACKLIST, "nouveau", true, NULL, false, &changed, &file, &f), 0);
        cr_assert(changed);
        text = read_rel("/etc/modprobe.d/modctl.conf");
        cr_assert_not_null(text);
        cr_assert(strncmp(text, SETTINGS_FILE_HEADER "\n", strlen(SETTINGS_FILE_HEADER) + 1) == 0);
        cr_assert_not_null(strstr(text, "\nblacklist nouveau\n"));

        /* An admin's blacklist: reported, not undone, the error names the file. */
        cr_assert_eq(settings_change(s, p, c, SETTING_BLACKLIST, "pcspkr", false, NULL, false, &changed, NULL, &f),
                     -failure_kind_to_errno(FAILURE_MANAGED_ELSEWHERE));
        cr_assert_not_null(strstr(f.message, "/lib/modprobe.d/a.conf"));
        failure_done(&f);
        /* Asking for what is in effect already writes nothing. */
        cr_assert_eq(settings_change(s, p, c, SETTING_BLACKLIST, "pcspkr", true, NULL, false, &changed, NULL, &f), 0);
        cr_assert(!changed);
        /* A parameter an admin's file sets. */
        cr_assert_eq(settings_change(s, p, c, SETTING_OPTIONS, "snd", false, "value=2", false, &changed, NULL, &f),
                     -failure_kind_to_errno(FAILURE_MANAGED_ELSEWHERE));
        failure_done(&f);
        /* Options outside the grammar: InvalidParameters naming the parameter, nothing written. */
        cr_assert_eq(settings_change(s, p, c, SETTING_OPTIONS, "snd", false, "--config=/tmp/evil.conf", true, &changed,
                                     NULL, &f), -failure_kind_to_errno(FAILURE_INVALID_PARAMETERS));
        cr_assert_eq(f.kind, FAILURE_INVALID_PARAMETERS);
        cr_assert_not_null(strstr(f.message, "parameter '--config'"), "%s", f.message);
        failure_done(&f);
        cr_assert_null(read_rel("/run/modprobe.d/modctl-runtime.conf"));
        cr_assert_eq(settings_change(s, p, c, SETTING_OPTIONS, "snd", false, "other=2", true, &changed, NULL, &f), 0);
        free(text);
        text = read_rel("/run/modprobe.d/modctl-runtime.conf");
        cr_assert_not_null(strstr(text, "\noptions snd other=2\n"));

        /* A file at our path that we did not write is left alone. */
        write_file("/etc/modules-load.d/modctl.conf", "mine\n");
        cr_assert_eq(settings_change(s, p, c, SETTING_BOOT, "tun", true, NULL, false, &changed, NULL, &f),
                     -failure_kind_to_errno(FAILURE_MANAGED_ELSEWHERE));
        free(text);
        text = read_rel("/etc/modules-load.d/modctl.conf");
        cr_assert_str_eq(text, "mine\n");
}

Test(settings, catalog_search_and_cache) {
        _cleanup_(catalog_freep) Catalog *c = NULL, *c2 = NULL;
        CatalogStats st;
        char cache[600];
        size_t *hits = NULL, n = 0;

        snprintf(cache, sizeof(cache), "%s/cache/catalog", root);
        cr_assert_eq(catalog_build(MODCTL_TEST_MODULES_DIR "/root/lib/modules/" MODCTL_TEST_KVER, cache, NULL, &c, &st), 0);
        cr_assert_gt(catalog_size(c), 5);
        cr_assert_eq(st.parsed, catalog_size(c));
        cr_assert(st.cache_written);
        cr_assert_str_eq(catalog_find(c, "modctl-test-dep")->description,
                         "modctl test module: hard dependency on modctl_test_base");
        cr_assert_not_null(strstr(catalog_find(c, "modctl_test_dep")->aliases, "modctl-test-alias"));
        cr_assert_str_eq(catalog_find(c, "modctl_test_proprietary")->license, "Proprietary");

        cr_assert_eq(catalog_search(c, "HARD DEP", &hits, &n), 0);
        cr_assert_eq(n, 1);
        cr_assert_str_eq(catalog_entry(c, hits[0])->name, "modctl_test_dep");
        free(hits);
        cr_assert_eq(catalog_search(c, "modctl-test-ch", &hits, &n), 0);
        cr_assert_eq(n, 1);
        free(hits);
        cr_assert_eq(catalog_search(c, "", &hits, &n), 0);
        cr_assert_eq(n, catalog_size(c));
        free(hits);
        cr_assert(!catalog_is_stale(c));

        /* From the cache file: nothing is read again. */
        cr_assert_eq(catalog_build(MODCTL_TEST_MODULES_DIR "/root/lib/modules/" MODCTL_TEST_KVER, cache, NULL, &c2, &st), 0);
        cr_assert_eq(st.parsed, 0);
        cr_assert_eq(st.reused, catalog_size(c));
        cr_assert(!st.cache_written);
}

/* The bus sends catalog strings without checking them (catalog.h): a cache line that is not
 * valid UTF-8 is not taken, its module file is read again. */
Test(settings, catalog_cache_line_with_invalid_utf8_is_read_again) {
        _cleanup_(catalog_freep) Catalog *c = NULL, *c2 = NULL;
        _cleanup_free_ char *text = NULL;
        CatalogStats st;
        char cache[600], *hard;
        FILE *f;

        snprintf(cache, sizeof(cache), "%s/cache/catalog", root);
        cr_assert_eq(catalog_build(MODCTL_TEST_MODULES_DIR "/root/lib/modules/" MODCTL_TEST_KVER, cache, NULL, &c, &st), 0);
        text = read_rel("/cache/catalog");
        cr_assert_not_null(text);
        hard = strstr(text, "hard dependency");
        cr_assert_not_null(hard);
        hard[0] = '\xe9';                       /* Latin-1, in modctl_test_dep's line only */
        f = fopen(cache, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);

        cr_assert_eq(catalog_build(MODCTL_TEST_MODULES_DIR "/root/lib/modules/" MODCTL_TEST_KVER, cache, NULL, &c2, &st), 0);
        cr_assert_eq(st.parsed, 1, "parsed %zu reused %zu of %zu", st.parsed, st.reused, catalog_size(c2));
        cr_assert_eq(st.reused, catalog_size(c2) - 1);
        cr_assert_str_eq(catalog_find(c2, "modctl_test_dep")->description,
                         "modctl test module: hard dependency on modctl_test_base");
        for (size_t i = 0; i < catalog_size(c2); i++) {
                const CatalogEntry *e = catalog_entry(c2, i);
                cr_assert(utf8_is_valid(e->name) && utf8_is_valid(e->description) && utf8_is_valid(e->license) &&
                          utf8_is_valid(e->signer) && utf8_is_valid(e->aliases), "entry %s", e->name);
        }
}

/* SearchPage's slicing over the catalog's index: pages in catalog_search()'s order, the total
 * always, and the edges (past the end, limit 0, a limit beyond the catalog) as empty or short
 * pages. */
Test(settings, catalog_search_page) {
        _cleanup_(catalog_freep) Catalog *c = NULL;
        _cleanup_free_ size_t *every = NULL;
        size_t n_every = 0, *page = NULL, n = 0, total = 0, seen = 0;

        cr_assert_eq(catalog_build(MODCTL_TEST_MODULES_DIR "/root/lib/modules/" MODCTL_TEST_KVER, NULL, NULL, &c,
                                   NULL), 0);
        cr_assert_eq(catalog_search(c, "modctl", &every, &n_every), 0);
        cr_assert_gt(n_every, 4);

        for (size_t offset = 0; offset < n_every; offset += 2) {
                cr_assert_eq(catalog_search_page(c, "modctl", offset, 2, &page, &n, &total), 0);
                cr_assert_eq(total, n_every);
                cr_assert_eq(n, MIN((size_t) 2, n_every - offset));
                for (size_t i = 0; i < n; i++)
                        cr_assert_eq(page[i], every[offset + i]);
                seen += n;
                free(page);
        }
        cr_assert_eq(seen, n_every);

        cr_assert_eq(catalog_search_page(c, "modctl", n_every, 5, &page, &n, &total), 0);
        cr_assert_eq(n, 0);
        cr_assert_eq(total, n_every);
        free(page);
        cr_assert_eq(catalog_search_page(c, "modctl", SIZE_MAX, SIZE_MAX, &page, &n, &total), 0);
        cr_assert_eq(n, 0);
        free(page);
        cr_assert_eq(catalog_search_page(c, "modctl", 0, 0, &page, &n, &total), 0);
        cr_assert_eq(n, 0);
        cr_assert_eq(total, n_every);
        free(page);
        cr_assert_eq(catalog_search_page(c, "modctl", 1, SIZE_MAX, &page, &n, &total), 0);
        cr_assert_eq(n, n_every - 1);
        cr_assert_eq(page[0], every[1]);
        free(page);
        cr_assert_eq(catalog_search_page(c, "HARD DEP", 0, 10, &page, &n, &total), 0);
        cr_assert_eq(total, 1);
        cr_assert_eq(n, 1);
        cr_assert_str_eq(catalog_entry(c, page[0])->name, "modctl_test_dep");
        free(page);
}
