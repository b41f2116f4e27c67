/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signature=kernel's keys: only what the kernel trusts for modules (trusted-keys.h), walked on
 * a keyring graph like Debian's: .secondary_trusted_keys links .builtin_trusted_keys, and
 * .machine when the kernel trusts MOK keys; .platform stands alone. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strv.h"
#include "kernel/trusted-keys.h"

enum { BUILTIN = 0x10, SECONDARY = 0x20, MACHINE = 0x30, PLATFORM = 0x40, K_DEBIAN = 0x101,
       K_SECONDARY = 0x102, K_MOK = 0x103, K_UEFI = 0x104 };

typedef struct Graph {
        bool machine_linked;
} Graph;

static const int32_t *members(Graph *g, int32_t id, size_t *n) {
        static const int32_t none[1];
        static int32_t buf[8];
        size_t k = 0;

        switch (id) {
        case BUILTIN: buf[k++] = K_DEBIAN; break;
        case SECONDARY:
                buf[k++] = BUILTIN;
                buf[k++] = K_SECONDARY;
                if (g->machine_linked)
                        buf[k++] = MACHINE;
                buf[k++] = BUILTIN;     /* linked twice: walked once */
                break;
        case MACHINE: buf[k++] = K_MOK; break;
        case PLATFORM: buf[k++] = K_UEFI; break;
        default: *n = 0; return none;
        }
        *n = k;
        return buf;
}

static long fake_read(int32_t id, int32_t *ids, size_t size, void *userdata) {
        size_t n;
        const int32_t *m = members(userdata, id, &n);

        if (id == K_DEBIAN || id == K_SECONDARY || id == K_MOK || id == K_UEFI)
                return -ENOTDIR;
        memcpy(ids, m, MIN(size, n * sizeof(int32_t)));
        return (long) (n * sizeof(int32_t));
}

static long fake_describe(int32_t id, char *buf, size_t size, void *userdata) {
        const char *d;

        switch (id) {
        case BUILTIN: d = "keyring;0;0;1f0b0000;.builtin_trusted_keys"; break;
        case SECONDARY: d = "keyring;0;0;1f0f0000;.secondary_trusted_keys"; break;
        case MACHINE: d = "keyring;0;0;1f0f0000;.machine"; break;
        case PLATFORM: d = "keyring;0;0;1f0f0000;.platform"; break;
        case K_DEBIAN: d = "asymmetric;0;0;1f030000;Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1"; break;
        case K_SECONDARY: d = "asymmetric;0;0;1f030000;Added: 1111"; break;
        case K_MOK: d = "asymmetric;0;0;1f030000;My MOK: 3333"; break;
        case K_UEFI: d = "asymmetric;0;0;1f030000;Microsoft Corporation UEFI CA 2011: 13adbf4309bd82709c8cd54f316ed522988a1bd4"; break;
        default: return -ENOKEY;
        }
        snprintf(buf, size, "%s", d);
        return (long) strlen(d) + 1;
}

static char proc_keys[] = "/tmp/modctl-keys.XXXXXX";

static void write_proc_keys(bool secondary) {
        FILE *f;
        int fd;

        strcpy(proc_keys, "/tmp/modctl-keys.XXXXXX");
        fd = mkstemp(proc_keys);
        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        fprintf(f, "00000010 I------     1 perm 1f0b0000     0     0 keyring   .builtin_trusted_keys: 1\n");
        if (secondary)
                fprintf(f, "00000020 I------     1 perm 1f0f0000     0     0 keyring   .secondary_trusted_keys: 3\n");
        fprintf(f, "00000030 I------     1 perm 1f0f0000     0     0 keyring   .machine: 1\n");
        fprintf(f, "00000040 I------     1 perm 1f0f0000     0     0 keyring   .platform: 1\n");
        fprintf(f, "00000101 I------     1 perm 1f030000     0     0 asymmetri Debian Secure Boot CA: 6cce X509.rsa []\n");
        fclose(f);
}

static void teardown(void) {
        unlink(proc_keys);
}

static const KeyringOps ops = { .read = fake_read, .describe = fake_describe };

Test(trusted_keys, platform_key_is_never_trusted, .fini = teardown) {
        Graph g = { .machine_linked = true };
        char **keys = NULL;

        write_proc_keys(true);
        cr_assert_eq(trusted_keys_walk(proc_keys, &ops, &g, &keys), 0);
        cr_assert(strv_contains(keys, "Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1"));
        cr_assert(strv_contains(keys, "Added: 1111"));
        cr_assert(strv_contains(keys, "My MOK: 3333"), "linked .machine counts");
        cr_assert(!strv_contains(keys, "Microsoft Corporation UEFI CA 2011: 13adbf4309bd82709c8cd54f316ed522988a1bd4"),
                  "a key only in .platform must not be trusted");
        cr_assert_eq(strv_length(keys), 3);
        strv_free(keys);
}

Test(trusted_keys, machine_counts_only_where_linked, .fini = teardown) {
        Graph g = { .machine_linked = false };
        char **keys = NULL;

        write_proc_keys(true);
        cr_assert_eq(trusted_keys_walk(proc_keys, &ops, &g, &keys), 0);
        cr_assert(!strv_contains(keys, "My MOK: 3333"), ".machine not linked into .secondary_trusted_keys");
        cr_assert_eq(strv_length(keys), 2);
        strv_free(keys);
}

Test(trusted_keys, builtin_only_without_secondary, .fini = teardown) {
        Graph g = { .machine_linked = true };
        char **keys = NULL;

        write_proc_keys(false);
        cr_assert_eq(trusted_keys_walk(proc_keys, &ops, &g, &keys), 0);
        cr_assert_eq(strv_length(keys), 1);
        cr_assert(strv_contains(keys, "Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1"));
        strv_free(keys);
}

Test(trusted_keys, no_keyrings) {
        char **keys = NULL;
        cr_assert_eq(trusted_keys_walk("/nonexistent/proc/keys", &ops, NULL, &keys), -ENOENT);
        cr_assert_eq(trusted_keys_walk("/dev/null", &ops, NULL, &keys), -ENOKEY);
}
