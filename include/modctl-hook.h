/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The private protocol between the kernel hook helper (modctl-request) and modctld.
 *
 * The socket is AF_UNIX, SOCK_SEQPACKET: one message is one request or one reply, so a
 * message is never split or merged and there is no framing to get wrong. Both ends run on the
 * same host, so integers are in host byte order.
 *
 *   request: ModctlHookHeader { magic, version, length }, then `length` bytes of the name
 *            (no NUL), 1 <= length <= MODCTL_HOOK_NAME_MAX.
 *   reply:   ModctlHookReply { header (length = sizeof(reply) - sizeof(header)), status, error }
 *
 * A client sends one request per connection and reads one reply; the daemon closes the
 * connection after replying. A malformed request (short, wrong magic, other version, too long,
 * length not matching the message) gets a MODCTL_HOOK_STATUS_BAD_REQUEST reply naming the
 * errno, then the connection is closed. A peer that is not uid 0 gets
 * MODCTL_HOOK_STATUS_REFUSED (EACCES). A new version bumps MODCTL_HOOK_VERSION; the magic
 * stays.
 *
 * Header-only on purpose: the helper links nothing but libc, and the unit tests use the same
 * parsers. The parsers never log. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MODCTL_HOOK_SOCKET          "/run/modctl/request.sock"
/* Next to the socket: the helper appends one byte per fallback (daemon unreachable), so the
 * daemon can count fallbacks that happened while it was not running. */
#define MODCTL_HOOK_FALLBACK_FILE   "hook-fallbacks"

#define MODCTL_HOOK_MAGIC           UINT32_C(0x6b52434d) /* "MCRk" in memory on little endian */
#define MODCTL_HOOK_VERSION         UINT16_C(1)
/* The kernel's names are at most 55 bytes; 127 is the daemon's limit for any name or alias. */
#define MODCTL_HOOK_NAME_MAX        127

/* The daemon closes a connection that sends no complete request within this time. */
#define MODCTL_HOOK_RECEIVE_TIMEOUT_SEC 5
/* The helper gives up waiting for a reply after this long and falls back. Longer than the
 * daemon's default LoadTimeoutSec= (120 s), so a working daemon always answers first. */
#define MODCTL_HOOK_REPLY_TIMEOUT_SEC   180

typedef struct ModctlHookHeader {
        uint32_t magic;
        uint16_t version;
        uint16_t length;        /* bytes after the header */
} ModctlHookHeader;

typedef enum ModctlHookStatus {
        MODCTL_HOOK_STATUS_LOADED      = 0, /* loaded now, already loaded, or being loaded */
        MODCTL_HOOK_STATUS_FAILED      = 1, /* error says why (ENOENT: no such module) */
        MODCTL_HOOK_STATUS_REFUSED     = 2, /* the peer is not root (EACCES) */
        MODCTL_HOOK_STATUS_BAD_REQUEST = 3, /* malformed request; error says how */
        _MODCTL_HOOK_STATUS_MAX,
} ModctlHookStatus;

typedef struct ModctlHookReply {
        ModctlHookHeader header;
        int32_t status;         /* ModctlHookStatus */
        int32_t error;          /* positive errno, 0 on success */
} ModctlHookReply;

#define MODCTL_HOOK_REQUEST_MAX (sizeof(ModctlHookHeader) + MODCTL_HOOK_NAME_MAX)

/* Builds a request in buf (at least MODCTL_HOOK_REQUEST_MAX bytes). Returns its size, or
 * -EINVAL for an empty name and -ENAMETOOLONG for a name above MODCTL_HOOK_NAME_MAX. */
static inline int modctl_hook_build_request(const char *name, void *buf) {
        size_t n = strlen(name);
        ModctlHookHeader h = { MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION, (uint16_t) n };

        if (n == 0)
                return -EINVAL;
        if (n > MODCTL_HOOK_NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(buf, &h, sizeof(h));
        memcpy((char *) buf + sizeof(h), name, n);
        return (int) (sizeof(h) + n);
}

/* Checks one received message. size is the message's real size (recv with MSG_TRUNC), which
 * may exceed what was copied into buf; buf holds min(size, MODCTL_HOOK_REQUEST_MAX) bytes.
 * Returns 0 and the NUL-terminated name, or:
 *   -ENODATA         shorter than a header
 *   -EBADMSG         not our magic, or length does not match the message
 *   -EPROTONOSUPPORT another protocol version
 *   -EMSGSIZE        larger than any valid request
 *   -EINVAL          empty name, or bytes that cannot be in a name (NUL, control, non-ASCII) */
static inline int modctl_hook_parse_request(const void *buf, size_t size,
                                            char ret_name[static MODCTL_HOOK_NAME_MAX + 1]) {
        ModctlHookHeader h;

        if (size < sizeof(h))
                return -ENODATA;
        memcpy(&h, buf, sizeof(h));
        if (h.magic != MODCTL_HOOK_MAGIC)
                return -EBADMSG;
        if (h.version != MODCTL_HOOK_VERSION)
                return -EPROTONOSUPPORT;
        if (size > MODCTL_HOOK_REQUEST_MAX || h.length > MODCTL_HOOK_NAME_MAX)
                return -EMSGSIZE;
        if (h.length != size - sizeof(h))
                return -EBADMSG;
        if (h.length == 0)
                return -EINVAL;

        const unsigned char *p = (const unsigned char *) buf + sizeof(h);
        for (size_t i = 0; i < h.length; i++)
                if (p[i] <= ' ' || p[i] > '~')
                        return -EINVAL;
        memcpy(ret_name, p, h.length);
        ret_name[h.length] = '\0';
        return 0;
}

static inline ModctlHookReply modctl_hook_make_reply(ModctlHookStatus status, int error) {
        return (ModctlHookReply) {
                .header = { MODCTL_HOOK_MAGIC, MODCTL_HOOK_VERSION,
                            (uint16_t) (sizeof(ModctlHookReply) - sizeof(ModctlHookHeader)) },
                .status = status,
                .error = error < 0 ? -error : error,
        };
}

/* Returns 0 with status and (positive) error, or -EBADMSG / -EPROTONOSUPPORT. */
static inline int modctl_hook_parse_reply(const void *buf, size_t size, ModctlHookStatus *ret_status,
                                          int *ret_error) {
        ModctlHookReply r;

        if (size != sizeof(r))
                return -EBADMSG;
        memcpy(&r, buf, sizeof(r));
        if (r.header.magic != MODCTL_HOOK_MAGIC)
                return -EBADMSG;
        if (r.header.version != MODCTL_HOOK_VERSION)
                return -EPROTONOSUPPORT;
        if (r.header.length != sizeof(r) - sizeof(r.header) || r.status < 0 || r.status >= _MODCTL_HOOK_STATUS_MAX ||
            r.error < 0)
                return -EBADMSG;
        *ret_status = (ModctlHookStatus) r.status;
        *ret_error = r.error;
        return 0;
}
