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

#include "ownership-types.h"
#include "ownership-event.h"

#define CAP_SYS_MODULE 16
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

static __always_inline void report(__u32 kind, int refused, struct file *file, const char *name) {
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
        bpf_ringbuf_submit(e, 0);
}

/* An insert by someone else than modctld: report it, and refuse it under exclusive. */
static __always_inline int judge_insert(__u32 kind, struct file *file) {
        const struct modctl_bpf_settings *s = get_settings();

        if (!s || s->ownership == MODCTL_BPF_OWNERSHIP_SHARED || is_owner(s))
                return 0;
        if (s->ownership == MODCTL_BPF_OWNERSHIP_EXCLUSIVE) {
                report(kind, 1, file, 0);
                return -EPERM;
        }
        report(kind, 0, file, 0);
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

/* Runs in the context of the task whose action needs the module (a socket() of an unknown
 * family, ip link add ... type X), before the kernel starts kernel.modprobe. */
SEC("lsm/kernel_module_request")
int BPF_PROG(modctl_module_request, char *kmod_name, int ret) {
        const struct modctl_bpf_settings *s = get_settings();
        int refuse = 0;

        if (ret != 0)
                return ret;
        if (!s)
                return 0;
        if (is_owner(s))
                return 0;       /* a module's init asking for another while modctld loads it */
        if (s->requests == MODCTL_BPF_REQUESTS_NONE)
                refuse = 1;
        else if (s->requests == MODCTL_BPF_REQUESTS_PRIVILEGED)
                refuse = !has_cap_sys_module();
        report(MODCTL_BPF_EVENT_REQUEST, refuse, 0, kmod_name);
        return refuse ? -EPERM : 0;
}
