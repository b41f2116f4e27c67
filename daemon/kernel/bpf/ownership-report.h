/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What kernel-enforced ownership reports (ownership.h): plain data that the engine hands to
 * its listeners, the bus and the journal among them, which may read it without reaching the
 * ownership backend itself. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum OwnershipAction {
        OWNERSHIP_ACTION_FINIT_MODULE,  /* kernel_read_file(READING_MODULE) */
        OWNERSHIP_ACTION_INIT_MODULE,   /* kernel_load_data(LOADING_MODULE) */
        OWNERSHIP_ACTION_REQUEST,       /* kernel_module_request */
        _OWNERSHIP_ACTION_MAX,
} OwnershipAction;

/* Who caused a request (see ownership-cause.h for the rule). */
typedef enum OwnershipCause {
        OWNERSHIP_CAUSE_SELF,           /* the requesting task itself */
        OWNERSHIP_CAUSE_RECORDED,       /* a kernel thread, working for the task in cause_* */
        OWNERSHIP_CAUSE_UNKNOWN,        /* a kernel thread's crypto request with no recorded cause */
} OwnershipCause;

/* How long a task's crypto request counts as the cause of a kernel thread's (the BPF program's
 * MODCTL_CAUSE_WINDOW_NSEC; ownership.c checks that the two agree). */
#define OWNERSHIP_CAUSE_WINDOW_SEC 10

typedef struct OwnershipReport {
        OwnershipAction action;
        bool refused;
        pid_t pid;              /* the thread */
        pid_t tgid;             /* the process */
        pid_t ppid;
        uid_t uid;
        char comm[16];
        const char *name;       /* the requested name (requests); "" otherwise */
        const char *file;       /* the module file (finit_module), within its filesystem; "" otherwise */
        const char *exe;        /* the executable, within its filesystem */
        const char *cgroup;     /* from /proc/PID/cgroup while the process lives, else "cgroup id N" */
        const char *unit;       /* the cgroup's last component if a .service or .scope, else "" */
        /* Requests only: whether the task above is a kernel thread, and who it worked for. */
        bool kthread;
        OwnershipCause cause;
        pid_t cause_pid;        /* OWNERSHIP_CAUSE_RECORDED: the task whose action it was */
        pid_t cause_tgid;
        uid_t cause_uid;
        char cause_comm[16];
        const char *cause_cgroup; /* as cgroup, of the cause; "" unless recorded */
} OwnershipReport;

typedef struct OwnershipState {
        bool active;            /* the programs are attached and enforce what settings say */
        bool pinned;            /* OwnershipOnExit=keep is in force */
        bool adopted;           /* we took over pinned programs of an earlier modctld */
        uint64_t dropped;       /* reports lost to a full ring buffer */
} OwnershipState;

const char *ownership_action_to_string(OwnershipAction a);
