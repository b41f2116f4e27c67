/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_ENGINE) && !defined(MODCTL_LAYER_KERNEL)
#error "kernel/bpf/ownership-cause.h is the BPF program's rule: the kernel backend's, and the engine's for its window"
#endif

/* Who caused a request_module() that a kernel thread makes: the plain-C part of the BPF
 * program's kernel_module_request decision, shared by the program (ownership.bpf.c), the fake
 * backend of the integration tests and the unit tests. Only fixed-size types, no libc, no
 * function pointers, bounded loops: it must pass the BPF verifier.
 *
 * The kernel facts it rests on (crypto/api.c and crypto/algboss.c of 6.1): an AF_ALG bind or
 * any crypto_alloc_*() of "T(A)" that is not registered yet runs crypto_larval_lookup() in the
 * caller's context, which asks for "crypto-T(A)" and "crypto-T(A)-all"; then it schedules a
 * cryptomgr_probe kernel thread, which asks for "crypto-T" (the template), and which looks up
 * the inner algorithm A (asking for "crypto-A", "crypto-A-all", and, when A is itself "U(B)",
 * another cryptomgr_probe for "crypto-U", and so on). Those kernel threads run with init's
 * credentials, so their own capabilities say nothing about who wanted the module.
 *
 * Templates also build names of their own inside the kernel thread: xts and lrw ask for
 * "ecb(A)" when A is a plain cipher, and that instance is probed by one more kernel thread.
 *
 * The rule: every "crypto-" request with a '(' made in a task's own context records, for each
 * component of the name (each template, each algorithm, each parenthesized sub-instance), the
 * requester as its cause, for MODCTL_CAUSE_WINDOW_NSEC. A kernel thread's "crypto-X" request is
 * judged by the cause recorded for X, or else by the cause that this same kernel thread was
 * found to work for by an earlier request (the names a template builds). A kernel thread that
 * has a cause passes it on: to its own later requests, and, for a name with a '(', to that
 * name's components (the next kernel thread's template), each time for a new window. When
 * several tasks caused the same component or thread within the window, the least privileged
 * one is kept, so that a privileged user's concurrent request never launders an unprivileged
 * one. A kernel thread's "crypto-" request with no cause is refused under
 * KernelRequests=privileged (fail closed). Kernel-thread requests for anything else are not
 * caused by an AF_ALG bind and are judged as before (the kernel thread's own capabilities), but
 * reported as made by a kernel thread. */

#include <linux/types.h>

#include "kernel/bpf/ownership-event.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif

/* x & mask, where the BPF verifier sees the mask: clang drops a mask it can prove redundant
 * from an earlier check, but that check may be on another copy of the register, whose bounds
 * the verifier does not carry over. */
static __always_inline __u32 modctl_bound(__u32 x, __u32 mask) {
#ifdef __bpf__
        asm volatile("" : "+r"(x));
#endif
        return x & mask;
}

#define MODCTL_CAUSE_WINDOW_NSEC (10ULL * 1000000000ULL)
#define MODCTL_CAUSE_COMPONENTS 12
#define MODCTL_CAUSE_SLOTS 16           /* MODCTL_CAUSE_COMPONENTS, rounded up to a power of 2 */
#define MODCTL_CAUSE_DEPTH 4
#define MODCTL_CAUSE_PREFIX "crypto-"
#define MODCTL_CAUSE_PREFIX_LEN 7

/* The value of the "causes" map, keyed by a component name (MODCTL_BPF_NAME_MAX bytes, NUL
 * padded). */
struct modctl_bpf_cause {
        __u64 at;                       /* bpf_ktime_get_ns() when recorded */
        __u64 cgroup_id;
        __u32 pid;
        __u32 tgid;
        __u32 uid;
        __u32 privileged;               /* CAP_SYS_MODULE in the initial user namespace */
        char comm[16];
};

/* name is "crypto-..." (as request_module() passes it), NUL-terminated within
 * MODCTL_BPF_NAME_MAX bytes. Returns the offset of what follows the prefix, or -1. */
static __always_inline int modctl_cause_crypto_offset(const char *name) {
        const char prefix[] = MODCTL_CAUSE_PREFIX;

        for (int i = 0; i < MODCTL_CAUSE_PREFIX_LEN; i++)
                if (name[i] != prefix[i])
                        return -1;
        return MODCTL_CAUSE_PREFIX_LEN;
}

/* The length of the crypto name that starts at name + off, without the "-all" that
 * crypto_larval_lookup() appends for its second request. */
static __always_inline int modctl_cause_crypto_len(const char *name, int off) {
        int len = 0;

        for (int i = 0; i < MODCTL_BPF_NAME_MAX; i++) {
                if (i < off)
                        continue;
                if (!name[i])
                        break;
                len = i + 1 - off;
        }
        if (len > 4 && name[modctl_bound(off + len - 4, MODCTL_BPF_NAME_MAX - 1)] == '-' &&
            name[modctl_bound(off + len - 3, MODCTL_BPF_NAME_MAX - 1)] == 'a' &&
            name[modctl_bound(off + len - 2, MODCTL_BPF_NAME_MAX - 1)] == 'l' &&
            name[modctl_bound(off + len - 1, MODCTL_BPF_NAME_MAX - 1)] == 'l')
                len -= 4;
        return len;
}

static __always_inline int modctl_cause_has_paren(const char *name) {
        for (int i = 0; i < MODCTL_BPF_NAME_MAX; i++) {
                if (!name[i])
                        return 0;
                if (name[i] == '(')
                        return 1;
        }
        return 0;
}

/* The components of the crypto name name[off..off+len): for "crypto-pcrypt(gcm(aes))",
 * "pcrypt", "gcm", "aes", "gcm(aes)", "pcrypt(gcm(aes))", as offsets into name and lengths;
 * at most MODCTL_CAUSE_COMPONENTS (a name with more, or nested deeper than
 * MODCTL_CAUSE_DEPTH, records only the first ones, and the others then have no cause).
 *
 * One step per byte of name, so that the BPF program runs it through bpf_loop(), whose
 * callback the verifier checks once, instead of a loop it would walk through for every
 * combination of the counters. */
struct modctl_cause_scan {
        char name[MODCTL_BPF_NAME_MAX];
        __u32 off;
        __u32 len;
        __u32 tok;              /* where the current token starts */
        __u32 depth;
        __u32 n;                /* components found */
        __u32 done;
        __u64 open;             /* where each open level's instance starts, a byte per level */
        __u8 start[MODCTL_CAUSE_SLOTS];
        __u8 clen[MODCTL_CAUSE_SLOTS];
};

static __always_inline void modctl_cause_scan_push(struct modctl_cause_scan *s, __u32 start, __u32 len) {
        __u32 n = s->n;

        if (n >= MODCTL_CAUSE_COMPONENTS)
                return;
        s->start[modctl_bound(n, MODCTL_CAUSE_SLOTS - 1)] = (__u8) start;
        s->clen[modctl_bound(n, MODCTL_CAUSE_SLOTS - 1)] = (__u8) len;
        s->n = n + 1;
}

/* Returns 1 when the scan is over. */
static __always_inline int modctl_cause_scan_step(__u32 i, struct modctl_cause_scan *s) {
        __u32 depth = s->depth & (MODCTL_CAUSE_DEPTH - 1);
        char c;

        if (s->done || i >= MODCTL_BPF_NAME_MAX)
                return 1;
        if (i < s->off)
                return 0;
        c = i < s->off + s->len ? s->name[modctl_bound(i, MODCTL_BPF_NAME_MAX - 1)] : 0;
        if (c != '(' && c != ',' && c != ')' && c != 0)
                return 0;
        if (i > s->tok)
                modctl_cause_scan_push(s, s->tok, i - s->tok);
        if (c == '(') {
                if (s->depth >= MODCTL_CAUSE_DEPTH) {
                        s->done = 1;
                        return 1;
                }
                s->open |= (__u64) (s->tok & 0xff) << (8 * depth);
                s->depth++;
        } else if (c == ')') {
                __u32 s0;

                if (s->depth == 0) {
                        s->done = 1;
                        return 1;
                }
                s->depth--;
                depth = s->depth & (MODCTL_CAUSE_DEPTH - 1);
                s0 = (__u32) (s->open >> (8 * depth)) & 0xff;
                modctl_cause_scan_push(s, s0, i + 1 - s0);
                s->open &= ~((__u64) 0xff << (8 * depth));
        } else if (c == 0) {
                s->done = 1;
                return 1;
        }
        s->tok = i + 1;
        return 0;
}

static __always_inline void modctl_cause_scan_init(struct modctl_cause_scan *s, int off, int len) {
        s->off = (__u32) off;
        s->len = (__u32) len;
        s->tok = (__u32) off;
        s->depth = 0;
        s->n = 0;
        s->done = 0;
        s->open = 0;
}

#ifndef __bpf__
/* The same without bpf_loop(), for the fake backend and the tests. */
static inline int modctl_cause_components(const char *name, int off, int len, __u8 start[MODCTL_CAUSE_COMPONENTS],
                                          __u8 clen[MODCTL_CAUSE_COMPONENTS]) {
        struct modctl_cause_scan s = {};

        for (int i = 0; i < MODCTL_BPF_NAME_MAX; i++)
                s.name[i] = name[i];
        modctl_cause_scan_init(&s, off, len);
        for (__u32 i = 0; i < MODCTL_BPF_NAME_MAX; i++)
                if (modctl_cause_scan_step(i, &s))
                        break;
        for (__u32 k = 0; k < s.n; k++) {
                start[k] = s.start[k];
                clen[k] = s.clen[k];
        }
        return (int) s.n;
}
#endif

/* What to store for a component or a thread: the new cause, unless an unexpired one is less
 * privileged (then that one stays as it is, and expires when it would have). */
static __always_inline void modctl_cause_merge(struct modctl_bpf_cause *stored, const struct modctl_bpf_cause *old,
                                               const struct modctl_bpf_cause *new_cause) {
        if (old && new_cause->at - old->at <= MODCTL_CAUSE_WINDOW_NSEC && !old->privileged && new_cause->privileged) {
                *stored = *old;
                return;
        }
        *stored = *new_cause;
}

/* A recorded cause that is still valid at now, or 0. */
static __always_inline const struct modctl_bpf_cause *modctl_cause_valid(const struct modctl_bpf_cause *c, __u64 now) {
        if (!c || now < c->at || now - c->at > MODCTL_CAUSE_WINDOW_NSEC)
                return 0;
        return c;
}

/* Whether KernelRequests= (MODCTL_BPF_REQUESTS_*) refuses a request, made by a task with
 * (privileged) or without CAP_SYS_MODULE; kthread: the task is a kernel thread; crypto: the
 * name starts with "crypto-"; cause: the valid recorded cause of a kernel thread's crypto
 * request, or 0. modctld's own requests (and its descendants') are allowed before this. */
static __always_inline int modctl_request_refused(__u32 requests, int privileged, int kthread, int crypto,
                                                  const struct modctl_bpf_cause *cause) {
        if (requests == MODCTL_BPF_REQUESTS_NONE)
                return 1;
        if (requests != MODCTL_BPF_REQUESTS_PRIVILEGED)
                return 0;
        if (kthread && crypto)
                return !cause || !cause->privileged;
        return !privileged;
}
