// SPDX-License-Identifier: GPL-2.0-only
/* BPF LSM programs that make modctld the only process that inserts modules, and that decide
 * which tasks may make the kernel autoload one. modctld loads them through the generated
 * skeleton (ownership.skel.h) and sets the one "settings" entry; the programs report to it
 * through the "events" ring buffer. GPL: the helpers they call are GPL-only. */

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kernel/bpf/ownership-types.h"
#include "kernel/bpf/ownership-event.h"
#include "kernel/bpf/ownership-cause.h"

#define CAP_SYS_MODULE 16
#define PF_KTHREAD 0x00200000  /* include/linux/sched.h */
#define ANCESTRY_MAX 16         /* how far up the process tree an install command may be */

char LICENSE[] SEC("license") = "GPL";

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct modctl_bpf_settings);
} settings SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Reports lost because the ring buffer was full (the daemon stopped reading). */
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u64);
} dropped SEC(".maps");

/* Who asked for each component of a crypto template instance lately (ownership-cause.h). */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, 1024);
        __type(key, char[MODCTL_BPF_NAME_MAX]);
        __type(value, struct modctl_bpf_cause);
} causes SEC(".maps");

/* The cause each kernel thread was found to work for, by thread id. */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, 256);
        __type(key, __u32);
        __type(value, struct modctl_bpf_cause);
} thread_causes SEC(".maps");

static __always_inline const struct modctl_bpf_settings *get_settings(void) {
        __u32 zero = 0;
        return bpf_map_lookup_elem(&settings, &zero);
}

/* modctld's thread group, or a process below it (an install command and what it runs). */
static __always_inline int is_owner(const struct modctl_bpf_settings *s) {
        struct task_struct *t = (struct task_struct *) bpf_get_current_task();

        if (s->owner_tgid == 0 || s->nsec_per_tick == 0)
                return 0;
        for (int i = 0; i < ANCESTRY_MAX && t; i++) {
                __u32 tgid = BPF_CORE_READ(t, tgid);
                if (tgid == s->owner_tgid) {
                        __u64 start = BPF_CORE_READ(t, group_leader, start_boottime);
                        return start / s->nsec_per_tick == s->owner_start_ticks;
                }
                if (tgid <= 1)
                        return 0;
                t = BPF_CORE_READ(t, real_parent);
        }
        return 0;
}

static __always_inline int has_cap_sys_module(void) {
        struct task_struct *t = (struct task_struct *) bpf_get_current_task();
        const struct cred *cred = BPF_CORE_READ(t, cred);
        __u32 caps = 0;

        if (BPF_CORE_READ(cred, user_ns, level) != 0)
                return 0;
        bpf_probe_read_kernel(&caps, sizeof(caps),
                              (const char *) cred + bpf_core_field_offset(struct cred, cap_effective));
        return (caps >> CAP_SYS_MODULE) & 1;
}

static __always_inline void read_path(char out[MODCTL_BPF_PATH_DEPTH][MODCTL_BPF_NAME_MAX], struct dentry *d) {
        for (int i = 0; i < MODCTL_BPF_PATH_DEPTH && d; i++) {
                struct dentry *parent = BPF_CORE_READ(d, d_parent);
                bpf_probe_read_kernel_str(out[i], MODCTL_BPF_NAME_MAX, BPF_CORE_READ(d, d_name.name));
                if (parent == d)
                        break;
                d = parent;
        }
}

static __always_inline void report(__u32 kind, int refused, struct file *file, const char *name, int kthread,
                                   __u32 cause_kind, const struct modctl_bpf_cause *cause) {
        struct task_struct *t = (struct task_struct *) bpf_get_current_task();
        struct modctl_bpf_event *e;
        __u64 id = bpf_get_current_pid_tgid();

        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __u32 zero = 0;
                __u64 *n = bpf_map_lookup_elem(&dropped, &zero);
                if (n)
                        *n += 1;
                return;
        }
        /* Ring buffer memory is not zeroed, and the record is too large for an inline memset:
         * every string starts empty and is NUL-terminated when written. */
        e->name[0] = 0;
        for (int i = 0; i < MODCTL_BPF_PATH_DEPTH; i++) {
                e->file[i][0] = 0;
                e->exe[i][0] = 0;
        }
        e->kind = kind;
        e->refused = refused;
        e->pid = (__u32) id;
        e->tgid = id >> 32;
        e->uid = (__u32) bpf_get_current_uid_gid();
        e->ppid = BPF_CORE_READ(t, real_parent, tgid);
        e->cgroup_id = bpf_get_current_cgroup_id();
        bpf_get_current_comm(e->comm, sizeof(e->comm));
        if (name)
                bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
        if (file)
                read_path(e->file, BPF_CORE_READ(file, f_path.dentry));
        read_path(e->exe, BPF_CORE_READ(t, mm, exe_file, f_path.dentry));
        e->kthread = kthread;
        e->cause = cause_kind;
        e->cause_cgroup_id = cause ? cause->cgroup_id : 0;
        e->cause_pid = cause ? cause->pid : 0;
        e->cause_tgid = cause ? cause->tgid : 0;
        e->cause_uid = cause ? cause->uid : 0;
        e->cause_privileged = cause ? cause->privileged : 0;
        e->cause_comm[0] = 0;
        if (cause)
                __builtin_memcpy(e->cause_comm, cause->comm, sizeof(e->cause_comm));
        bpf_ringbuf_submit(e, modctl_bpf_submit_flags(kind, refused));
}

/* An insert by someone else than modctld: report it, and refuse it under exclusive. */
static __always_inline int judge_insert(__u32 kind, struct file *file) {
        const struct modctl_bpf_settings *s = get_settings();

        if (!s || s->ownership == MODCTL_BPF_OWNERSHIP_SHARED || is_owner(s))
                return 0;
        if (s->ownership == MODCTL_BPF_OWNERSHIP_EXCLUSIVE) {
                report(kind, 1, file, 0, 0, 0, 0);
                return -EPERM;
        }
        report(kind, 0, file, 0, 0, 0, 0);
        return 0;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(modctl_read_file, struct file *file, enum kernel_read_file_id id, _Bool contents, int ret) {
        if (ret != 0)
                return ret;
        if (id != bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
                return 0;
        return judge_insert(MODCTL_BPF_EVENT_READ_FILE, file);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(modctl_load_data, enum kernel_load_data_id id, _Bool contents, int ret) {
        if (ret != 0)
                return ret;
        if (id != bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
                return 0;
        return judge_insert(MODCTL_BPF_EVENT_LOAD_DATA, 0);
}

static int scan_step(__u32 i, void *ctx) {
        return modctl_cause_scan_step(i, ctx);
}

/* Records cause for each component of the crypto name in scan (ownership-cause.h). */
static __always_inline void record_components(struct modctl_cause_scan *scan, const struct modctl_bpf_cause *c) {
        struct modctl_bpf_cause stored;

        bpf_loop(MODCTL_BPF_NAME_MAX, scan_step, scan, 0);
        for (int k = 0; k < MODCTL_CAUSE_COMPONENTS; k++) {
                char key[MODCTL_BPF_NAME_MAX] = {};
                const struct modctl_bpf_cause *old;

                if (k >= scan->n)
                        break;
                bpf_probe_read_kernel(key, modctl_bound(scan->clen[k], MODCTL_BPF_NAME_MAX - 1),
                                      scan->name + modctl_bound(scan->start[k], MODCTL_BPF_NAME_MAX - 1));
                old = bpf_map_lookup_elem(&causes, key);
                modctl_cause_merge(&stored, old, c);
                bpf_map_update_elem(&causes, key, &stored, BPF_ANY);
        }
}

/* The current task, as the cause of what kernel threads ask for next. */
static __always_inline void current_cause(struct modctl_bpf_cause *c, int privileged) {
        __u64 id = bpf_get_current_pid_tgid();

        c->at = bpf_ktime_get_ns();
        c->cgroup_id = bpf_get_current_cgroup_id();
        c->pid = (__u32) id;
        c->tgid = id >> 32;
        c->uid = (__u32) bpf_get_current_uid_gid();
        c->privileged = privileged;
        bpf_get_current_comm(c->comm, sizeof(c->comm));
}

/* A kernel thread's "crypto-X": the valid cause recorded for X, or for this thread; copied into
 * ret, which then carries it on (ownership-cause.h), or 0. */
static __always_inline const struct modctl_bpf_cause *kthread_cause(struct modctl_cause_scan *scan, int off, int len,
                                                                    struct modctl_bpf_cause *ret) {
        const char *name = scan->name;
        char key[MODCTL_BPF_NAME_MAX] = {};
        __u32 tid = (__u32) bpf_get_current_pid_tgid();
        __u64 now = bpf_ktime_get_ns();
        const struct modctl_bpf_cause *c, *old;
        struct modctl_bpf_cause stored;

        bpf_probe_read_kernel(key, modctl_bound(len, MODCTL_BPF_NAME_MAX - 1),
                              name + modctl_bound(off, MODCTL_BPF_NAME_MAX - 1));
        c = modctl_cause_valid(bpf_map_lookup_elem(&causes, key), now);
        old = modctl_cause_valid(bpf_map_lookup_elem(&thread_causes, &tid), now);
        if (!c)
                c = old;
        if (!c)
                return 0;
        stored = *c;
        stored.at = now;
        /* The least privileged of what the name and the thread were caused by. */
        modctl_cause_merge(ret, old, &stored);
        bpf_map_update_elem(&thread_causes, &tid, ret, BPF_ANY);
        if (modctl_cause_has_paren(name)) {
                modctl_cause_scan_init(scan, off, len);
                record_components(scan, ret);
        }
        return ret;
}

/* Runs in the context of the task whose action needs the module (a socket() of an unknown
 * family, ip link add ... type X), before the kernel starts kernel.modprobe; or in a kernel
 * thread that works for a task (cryptomgr_probe for an AF_ALG bind): then the request is judged
 * by the task that caused it, as ownership-cause.h says. */
SEC("lsm/kernel_module_request")
int BPF_PROG(modctl_module_request, char *kmod_name, int ret) {
        const struct modctl_bpf_settings *s = get_settings();
        struct task_struct *t = (struct task_struct *) bpf_get_current_task();
        struct modctl_cause_scan scan = {};
        char *name = scan.name;
        struct modctl_bpf_cause found;
        const struct modctl_bpf_cause *cause = 0;
        int privileged, kthread, crypto, off, len = 0, refuse;
        __u32 cause_kind = MODCTL_BPF_CAUSE_SELF;

        if (ret != 0)
                return ret;
        if (!s)
                return 0;
        if (is_owner(s))
                return 0;       /* a module's init asking for another while modctld loads it */
        bpf_probe_read_kernel_str(name, MODCTL_BPF_NAME_MAX, kmod_name);
        off = modctl_cause_crypto_offset(name);
        crypto = off >= 0;
        kthread = (BPF_CORE_READ(t, flags) & PF_KTHREAD) != 0;
        privileged = has_cap_sys_module();
        if (crypto) {
                len = modctl_cause_crypto_len(name, off);
                if (kthread) {
                        cause = kthread_cause(&scan, off, len, &found);
                        cause_kind = cause ? MODCTL_BPF_CAUSE_RECORDED : MODCTL_BPF_CAUSE_UNKNOWN;
                } else if (modctl_cause_has_paren(name)) {
                        current_cause(&found, privileged);
                        modctl_cause_scan_init(&scan, off, len);
                        record_components(&scan, &found);
                }
        }
        refuse = modctl_request_refused(s->requests, privileged, kthread, crypto, cause);
        report(MODCTL_BPF_EVENT_REQUEST, refuse, 0, name, kthread, cause_kind, cause);
        return refuse ? -EPERM : 0;
}
