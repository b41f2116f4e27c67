/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fake ownership backend's kernel_module_request, for unit tests and, through
 * MODCTL_FAKE_OWNERSHIP_REQUESTS=PATH, for the integration tests: it judges a request as the
 * BPF program does (the same ownership-cause.h), keeping the causes the program keeps in its
 * map, and reports it through the backend's report callback while the programs would be
 * attached.
 *
 * On PATH (a SOCK_SEQPACKET socket) each packet is one request, "key=value" words separated by
 * spaces, name last (the rest of the packet): "kthread=0 pid=7 uid=65534 cap=0 comm=python3
 * name=crypto-pcrypt(aes)"; pid, uid, cap and comm default to the peer's (cap=1 for root), as
 * if the peer were the kernel's current task. The answer is one packet: "refused" or
 * "allowed". */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/bpf/ownership.h"

typedef struct OwnershipFakeRequest {
        const char *name;
        pid_t pid;              /* thread and process */
        uid_t uid;
        bool privileged;        /* CAP_SYS_MODULE in the initial user namespace */
        bool kthread;
        const char *comm;
        uint64_t now_nsec;      /* CLOCK_MONOTONIC; 0: now */
} OwnershipFakeRequest;

/* Returns whether the request is refused (with the programs attached: the settings applied
 * last), and reports it. Without the programs attached, allows it and reports nothing. */
bool ownership_fake_request(Ownership *o, const OwnershipFakeRequest *req);
