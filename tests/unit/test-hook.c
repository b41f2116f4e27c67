/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel hook's pieces without a daemon: the wire format (include/modctl-hook.h) and the
 * negative cache. The index watch has test-index-watch.c, the fake kernel test-kernel-fake.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "modctl-hook.h"
#include "module-name.h"
#include "sources/negative-cache.h"

static char name[MODCTL_HOOK_NAME_MAX + 1];

static size_t request(const char *n, uint32_t magic, uint16_t version, uint16_t length, char *buf) {
        ModctlHookHeader h = { magic, version, length };
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), n, strlen(n));
        return sizeof(h) + strlen(n);
}

Test(wire, round_trip) {
        char buf[MODCTL_HOOK_REQUEST_MAX] = {};
        int n = modctl_hook_build_request("rtnl-link-dummy", buf);
        cr_assert_eq(n, (int) (sizeof(ModctlHookHeader) + 15));
        cr_assert_eq(modctl_hook_parse_request(buf, (size_t) n, name), 0);
        cr_assert_str_eq(name, "rtnl-link-dummy");

        ModctlHookReply r = modctl_hook_make_reply(MODCTL_HOOK_STATUS_FAILED, -ENOENT);
        ModctlHookStatus status;
        int error;
        cr_assert_eq(modctl_hook_parse_reply(&r, sizeof(r), &status, &error), 0);
        cr_assert_eq(status, MODCTL_HOOK_STATUS_FAILED);
        cr_assert_eq(error, ENOENT);
}

Test(wire, longest_name) {
        char buf[MODCTL_HOOK_REQUEST_MAX + 1] = {}, n[MODCTL_HOOK_NAME_MAX + 2];
        memset(n, 'a', MODCTL_HOOK_NAME_MAX);
        n[MODCTL_HOOK_NAME_MAX] = '\0';
        int size = modctl_hook_build_request(n, buf);
        cr_assert_eq(modctl_hook_parse_request(buf, (size_t) size, name), 0);
        cr_assert_str_eq(name, n);
        n[MODCTL_HOOK_NAME_MAX] = 'a';
        n[MODCTL_HOOK_NAME_MAX + 1] = '\0';
        cr_assert_eq(modctl_hook_build_request(n, buf), -ENAMETOOLONG);
        cr_assert_eq(modctl_hook_build_request("", buf), -EINVAL);
}

Test(wire, kernel_requests_of_55_bytes) {
        /* The longest name request_module() sends on 64-bit passes the wire and the daemon's
         * name check as it is. */
        char buf[MODCTL_HOOK_REQUEST_MAX] = {}, n[MODULE_KERNEL_REQUEST_MAX + 1];

        cr_assert_geq(MODCTL_HOOK_NAME_MAX, MODULE_KERNEL_REQUEST_MAX);
        memset(n, 'k', MODULE_KERNEL_REQUEST_MAX);
        n[MODULE_KERNEL_REQUEST_MAX] = '\0';
        int size = modctl_hook_build_request(n, buf);
        cr_assert_eq(size, (int) (sizeof(ModctlHookHeader) + 55));
        cr_assert_eq(modctl_hook_parse_request(buf, (size_t) size, name), 0);
        cr_assert_str_eq(name, n);
        cr_assert(module_request_is_valid(name));
}

Test(wire, short_messages) {
        char buf[MODCTL_HOOK_REQUEST_MAX] = {};
        int n = modctl_hook_build_request("dummy", buf);
        for (size_t size = 0; size < sizeof(ModctlHookHeader); size++)
                cr_assert_eq(modctl_hook_parse_request(buf, size, name), -ENODATA, "size %zu", size);
        /* A header that announces more than arrived. */
        cr_assert_eq(modctl_hook_parse_request(buf, (size_t) n - 1, name), -EBADMSG);
        /* A header alone, announcing an empty name. */
        request("", MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION, 0, buf);
        cr_assert_eq(modctl_hook_parse_request(buf, sizeof(ModctlHookHeader), name), -EINVAL);
}

Test(wire, garbage) {
        char buf[MODCTL_HOOK_REQUEST_MAX] = {};
        size_t n = request("dummy", 0xdeadbeef, MODCTL_HOOK_VERSION, 5, buf);
        cr_assert_eq(modctl_hook_parse_request(buf, n, name), -EBADMSG);
        memcpy(buf, "GET / HTTP/1.0\r\n", 16);
        cr_assert_eq(modctl_hook_parse_request(buf, 16, name), -EBADMSG);
        /* Bytes that cannot be in a name. */
        const char *bad[] = { "a b", "a\nb", "a\tb", "\x7f", "caf\xc3\xa9" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                n = request(bad[i], MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION, (uint16_t) strlen(bad[i]), buf);
                cr_assert_eq(modctl_hook_parse_request(buf, n, name), -EINVAL, "%zu", i);
        }
        n = request("ab", MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION, 3, buf);
        buf[n++] = '\0';
        cr_assert_eq(modctl_hook_parse_request(buf, n, name), -EINVAL);
}

Test(wire, oversized) {
        char buf[MODCTL_HOOK_REQUEST_MAX] = {};
        request("dummy", MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION, MODCTL_HOOK_NAME_MAX + 1, buf);
        /* The real size, as recv(MSG_TRUNC) reports it, is larger than the buffer. */
        cr_assert_eq(modctl_hook_parse_request(buf, MODCTL_HOOK_REQUEST_MAX + 1, name), -EMSGSIZE);
        cr_assert_eq(modctl_hook_parse_request(buf, 65536, name), -EMSGSIZE);
        /* A length field above the limit, whatever arrived. */
        cr_assert_eq(modctl_hook_parse_request(buf, sizeof(ModctlHookHeader) + 5, name), -EMSGSIZE);
}

Test(wire, wrong_version) {
        char buf[MODCTL_HOOK_REQUEST_MAX] = {};
        size_t n = request("dummy", MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION + 1, 5, buf);
        cr_assert_eq(modctl_hook_parse_request(buf, n, name), -EPROTONOSUPPORT);
        n = request("dummy", MODCTL_HOOK_MAGIC, 0, 5, buf);
        cr_assert_eq(modctl_hook_parse_request(buf, n, name), -EPROTONOSUPPORT);
}

Test(wire, bad_replies) {
        ModctlHookReply r = modctl_hook_make_reply(MODCTL_HOOK_STATUS_LOADED, 0);
        ModctlHookStatus status;
        int error;
        cr_assert_eq(modctl_hook_parse_reply(&r, sizeof(r) - 1, &status, &error), -EBADMSG);
        r.status = 99;
        cr_assert_eq(modctl_hook_parse_reply(&r, sizeof(r), &status, &error), -EBADMSG);
        r = modctl_hook_make_reply(MODCTL_HOOK_STATUS_LOADED, 0);
        r.header.version = 2;
        cr_assert_eq(modctl_hook_parse_reply(&r, sizeof(r), &status, &error), -EPROTONOSUPPORT);
        r = modctl_hook_make_reply(MODCTL_HOOK_STATUS_LOADED, 0);
        r.header.magic = 0;
        cr_assert_eq(modctl_hook_parse_reply(&r, sizeof(r), &status, &error), -EBADMSG);
}

Test(negative_cache, add_contains_clear_bound) {
        NegativeCache *c = NULL;
        cr_assert_eq(negative_cache_new(3, &c), 0);
        cr_assert_not(negative_cache_contains(c, "net-pf-14"));
        cr_assert_eq(negative_cache_add(c, "net-pf-14"), 1);
        cr_assert_eq(negative_cache_add(c, "net-pf-14"), 0);
        cr_assert(negative_cache_contains(c, "net-pf-14"));
        cr_assert_eq(negative_cache_add(c, "b"), 1);
        cr_assert_eq(negative_cache_add(c, "c"), 1);
        cr_assert_eq(negative_cache_size(c), 3);
        /* Full: it starts over rather than grow. */
        cr_assert_eq(negative_cache_add(c, "d"), 1);
        cr_assert_eq(negative_cache_size(c), 1);
        cr_assert(negative_cache_contains(c, "d"));
        cr_assert_not(negative_cache_contains(c, "net-pf-14"));
        negative_cache_clear(c);
        cr_assert_eq(negative_cache_size(c), 0);
        negative_cache_free(c);
}
