/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_KERNEL)
#error "kernel/ is the kernel backend: its insides are its own"
#endif

/* The few kernel types the programs read, declared by hand instead of a generated vmlinux.h:
 * with preserve_access_index, clang records each field access by name, and libbpf relocates
 * it against the running kernel's BTF (/sys/kernel/btf/vmlinux) at load time. So the build
 * needs no BTF of its own (build machines may run a kernel without it), and only the fields
 * listed here must exist in the target kernel, at whatever offset it puts them. */

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct qstr {
        const unsigned char *name;
};

struct dentry {
        struct dentry *d_parent;
        struct qstr d_name;
};

struct path {
        struct dentry *dentry;
};

struct file {
        struct path f_path;
};

struct mm_struct {
        struct file *exe_file;
};

struct user_namespace {
        int level;
};

struct cred {
        struct user_namespace *user_ns;
        /* kernel_cap_t: a struct of __u32 cap[2] before 6.3, of __u64 val since; bit
         * CAP_SYS_MODULE (16) is in the first 32 bits either way (little-endian), so only the
         * field's offset is relocated (a struct, so that libbpf finds the kinds compatible). */
        struct { unsigned int first; } cap_effective;
};

struct task_struct {
        int pid;
        int tgid;
        unsigned int flags;
        unsigned long long start_boottime;
        struct task_struct *real_parent;
        struct task_struct *group_leader;
        struct mm_struct *mm;
        const struct cred *cred;
};

#pragma clang attribute pop

enum kernel_read_file_id {
        READING_MODULE = 2,
};

enum kernel_load_data_id {
        LOADING_MODULE = 2,
};
