/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_KERNEL)
#error "kernel/ is the kernel backend: its insides are its own"
#endif

/* What the BPF LSM programs (ownership.bpf.c) and modctld share: the settings map's value and
 * the ring buffer's records. Included by both sides, so only fixed-size kernel types. */

#include <linux/bpf.h>
#include <linux/types.h>

enum {
        MODCTL_BPF_OWNERSHIP_SHARED = 0,     /* programs only report kernel requests */
        MODCTL_BPF_OWNERSHIP_AUDIT = 1,      /* report inserts by others */
        MODCTL_BPF_OWNERSHIP_EXCLUSIVE = 2,  /* refuse them with EPERM, and report */
};

enum {
        MODCTL_BPF_REQUESTS_ANY = 0,
        MODCTL_BPF_REQUESTS_PRIVILEGED = 1,  /* CAP_SYS_MODULE in the initial user namespace */
        MODCTL_BPF_REQUESTS_NONE = 2,        /* only modctld's own (nested) requests */
};

/* The one entry of the "settings" array map. The owner is a thread group, identified by its
 * pid and its start time in clock ticks (field 22 of /proc/PID/stat), so a reused pid is not
 * the owner; the owner's descendants (install commands) count as the owner. */
struct modctl_bpf_settings {
        __u32 ownership;
        __u32 requests;
        __u32 owner_tgid;               /* 0: no owner (nobody is allowed under exclusive) */
        __u32 reserved;
        __u64 owner_start_ticks;
        __u64 nsec_per_tick;            /* NSEC_PER_SEC / USER_HZ */
};

enum {
        MODCTL_BPF_EVENT_READ_FILE = 1,      /* finit_module(): kernel_read_file(READING_MODULE) */
        MODCTL_BPF_EVENT_LOAD_DATA = 2,      /* init_module(): kernel_load_data(LOADING_MODULE) */
        MODCTL_BPF_EVENT_REQUEST = 3,        /* request_module(): kernel_module_request */
};

/* Who caused a request (struct modctl_bpf_event's cause; see ownership-cause.h). */
enum {
        MODCTL_BPF_CAUSE_SELF = 0,           /* the requesting task itself */
        MODCTL_BPF_CAUSE_RECORDED = 1,       /* a kernel thread, for the task in cause_* */
        MODCTL_BPF_CAUSE_UNKNOWN = 2,        /* a kernel thread's crypto request, no cause recorded */
};

/* How a report wakes modctld: bpf_ringbuf_submit()'s flags. A request that passes costs the
 * requester nothing more: it is read at modctld's next wakeup, which the hook's connection for
 * the same request makes anyway (and it is read after the hook is answered). A refused request
 * and an insert by another process wake modctld at once; forced, because the kernel's adaptive
 * wakeup (flags 0) skips the wakeup while unread records sit before the new one. */
static inline __u64 modctl_bpf_submit_flags(__u32 kind, __u32 refused) {
        return kind == MODCTL_BPF_EVENT_REQUEST && !refused ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
}

#define MODCTL_BPF_PATH_DEPTH 12             /* path components kept, leaf first */
#define MODCTL_BPF_NAME_MAX 64               /* bytes per component or requested name */

struct modctl_bpf_event {
        __u32 kind;
        __u32 refused;
        __u32 pid;                      /* thread id */
        __u32 tgid;                     /* process id */
        __u32 uid;
        __u32 ppid;
        __u64 cgroup_id;
        char comm[16];
        char name[MODCTL_BPF_NAME_MAX];  /* the request's module name */
        /* Paths as dentry names from the leaf up (within their filesystem), "" past the root. */
        char file[MODCTL_BPF_PATH_DEPTH][MODCTL_BPF_NAME_MAX];
        char exe[MODCTL_BPF_PATH_DEPTH][MODCTL_BPF_NAME_MAX];
        /* Requests only: whether the requesting task is a kernel thread, and who caused it. */
        __u32 kthread;
        __u32 cause;                    /* MODCTL_BPF_CAUSE_* */
        __u64 cause_cgroup_id;
        __u32 cause_pid;
        __u32 cause_tgid;
        __u32 cause_uid;
        __u32 cause_privileged;
        char cause_comm[16];
};
