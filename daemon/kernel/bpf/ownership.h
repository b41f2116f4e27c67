/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel-enforced ownership of module loading: the BPF LSM programs of ownership.bpf.c, loaded
 * through their generated skeleton. They refuse or report finit_module()/init_module() by any
 * process other than modctld and its descendants (Ownership=), decide which tasks may make the
 * kernel autoload (KernelRequests=), and report through a ring buffer read on the event loop.
 *
 * Who counts as modctld: its thread group (identified by pid and start time, so a reused pid is
 * not it) and every process below it in the process tree, up to 16 levels (the install
 * commands of modprobe.d and what they run). A process that detaches from the tree (double
 * fork) or a shell of an administrator is not modctld, whatever its cgroup.
 *
 * Built without BPF (-Dbpf=disabled, or libbpf/bpftool/clang missing), ownership_apply() fails
 * with -EOPNOTSUPP and says so. Never logs: the reason comes back in a Failure. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "daemon-config.h"
#include "failure.h"

/* Where OwnershipOnExit=keep pins the links and maps. */
#define OWNERSHIP_PIN_DIR "/sys/fs/bpf/modctl"

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

typedef void (*ownership_report_t)(const OwnershipReport *report, void *userdata);

typedef struct OwnershipState {
        bool active;            /* the programs are attached and enforce what settings say */
        bool pinned;            /* OwnershipOnExit=keep is in force */
        bool adopted;           /* we took over pinned programs of an earlier modctld */
        uint64_t dropped;       /* reports lost to a full ring buffer */
} OwnershipState;

typedef struct Ownership Ownership;

int ownership_new(sd_event *event, ownership_report_t report, void *userdata, Ownership **ret);
/* Releases (or, when kept, leaves pinned) the programs. */
Ownership *ownership_free(Ownership *o);
static inline void ownership_freep(Ownership **o) { ownership_free(*o); }

/* Brings the kernel in line with the settings: loads and attaches the programs when anything
 * is asked of them (or an earlier modctld left them pinned), updates what they enforce, pins or
 * unpins them. With the defaults (shared, any, release) and nothing pinned, loads nothing.
 * Failure: -EOPNOTSUPP when enforcement is not available here (not built in, BPF LSM not
 * active, no BTF), with the reason; the previous state stays. */
int ownership_apply(Ownership *o, OwnershipMode mode, KernelRequests requests, OwnershipOnExit on_exit,
                    Failure *failure);
void ownership_get_state(Ownership *o, OwnershipState *ret);

const char *ownership_action_to_string(OwnershipAction a);
