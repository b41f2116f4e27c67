/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/macro.h"
#include "kernel/bpf/ownership.h"
#include "kernel/bpf/ownership-event.h"
#include "ownership.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static const char *const link_names[] = { "link-read-file", "link-load-data", "link-module-request" };
static const char *const map_names[] = { "settings", "events", "dropped" };

struct Ownership {
        sd_event *event;
        ownership_report_t report;
        void *userdata;
        struct ownership_bpf *skel;
        struct ring_buffer *ring;
        sd_event_source *ring_source;
        sd_event_source *drain_source;  /* post: reads what did not wake us, after each wakeup */
        bool pinned;
        bool adopted;
};

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
        /* libbpf's own messages would go to stderr; the failure we return says what matters. */
        if (getenv("MODCTL_BPF_DEBUG"))
                return vfprintf(stderr, fmt, ap);
        return 0;
}

int ownership_new(sd_event *event, ownership_report_t report, void *userdata, Ownership **ret) {
        assert(event);
        assert(ret);

        Ownership *o = calloc(1, sizeof(Ownership));
        if (!o)
                return -ENOMEM;
        o->event = sd_event_ref(event);
        o->report = report;
        o->userdata = userdata;
        libbpf_set_print(silent_print);
        *ret = o;
        return 0;
}

static char *pin_path(const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s", OWNERSHIP_PIN_DIR, name) < 0)
                return NULL;
        return p;
}

static bool pins_exist(void) {
        _cleanup_free_ char *p = pin_path(map_names[0]);
        return p && access(p, F_OK) == 0;
}

static void unpin_all(void) {
        for (size_t i = 0; i < ELEMENTSOF(link_names); i++) {
                _cleanup_free_ char *p = pin_path(link_names[i]);
                if (p)
                        (void) unlink(p);
        }
        for (size_t i = 0; i < ELEMENTSOF(map_names); i++) {
                _cleanup_free_ char *p = pin_path(map_names[i]);
                if (p)
                        (void) unlink(p);
        }
        (void) rmdir(OWNERSHIP_PIN_DIR);
}

/* "bpf" in the active LSM list: without it the programs attach but the kernel never runs them,
 * so we must not claim any protection. */
static int check_lsm_active(Failure *failure) {
        char buf[512];
        ssize_t n;
        int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP,
                                   "Cannot tell whether the BPF LSM is active: /sys/kernel/security/lsm: %s "
                                   "(is securityfs mounted?).", strerror(errno));
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "Cannot read /sys/kernel/security/lsm: %s.", strerror(errno));
        buf[n] = '\0';
        for (char *save = NULL, *w = strtok_r(buf, ",\n", &save); w; w = strtok_r(NULL, ",\n", &save))
                if (streq(w, "bpf"))
                        return 0;
        return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP,
                           "The BPF LSM is not active in this kernel (active LSMs: %s); boot with 'bpf' in lsm= "
                           "to enable it.", buf);
}

static int check_bpffs(Failure *failure) {
        struct statfs st;

        if (statfs("/sys/fs/bpf", &st) < 0 || (unsigned long) st.f_type != BPF_FS_MAGIC)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP,
                                   "OwnershipOnExit=keep needs bpffs mounted on /sys/fs/bpf.");
        return 0;
}

/* Field 22 of /proc/self/stat: the start time in clock ticks since boot. */
static int read_start_ticks(uint64_t *ret) {
        char buf[1024];
        FILE *f = fopen("/proc/self/stat", "re");
        char *p;
        unsigned long long v;

        if (!f)
                return -errno;
        if (!fgets(buf, sizeof(buf), f)) {
                fclose(f);
                return -EIO;
        }
        fclose(f);
        p = strrchr(buf, ')');       /* comm may contain spaces */
        if (!p)
                return -EIO;
        /* after ") ": field 3 (state) ... field 22 */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &v) != 1)
                return -EIO;
        *ret = v;
        return 0;
}

static int write_settings(int map_fd, OwnershipMode mode, KernelRequests requests) {
        struct modctl_bpf_settings s = {
                .ownership = mode == OWNERSHIP_EXCLUSIVE ? MODCTL_BPF_OWNERSHIP_EXCLUSIVE :
                             mode == OWNERSHIP_AUDIT ? MODCTL_BPF_OWNERSHIP_AUDIT : MODCTL_BPF_OWNERSHIP_SHARED,
                .requests = requests == KERNEL_REQUESTS_NONE ? MODCTL_BPF_REQUESTS_NONE :
                            requests == KERNEL_REQUESTS_PRIVILEGED ? MODCTL_BPF_REQUESTS_PRIVILEGED :
                            MODCTL_BPF_REQUESTS_ANY,
                .owner_tgid = (__u32) getpid(),
        };
        long tick = sysconf(_SC_CLK_TCK);
        __u32 zero = 0;
        int r;

        if (tick <= 0)
                return -EIO;
        s.nsec_per_tick = 1000000000ULL / (unsigned long long) tick;
        uint64_t ticks;
        r = read_start_ticks(&ticks);
        if (r < 0)
                return r;
        s.owner_start_ticks = ticks;
        if (bpf_map_update_elem(map_fd, &zero, &s, BPF_ANY) < 0)
                return -errno;
        return 0;
}

static void join_path(char out[], size_t size, const char comps[MODCTL_BPF_PATH_DEPTH][MODCTL_BPF_NAME_MAX]) {
        size_t len = 0;
        int last = -1;
        bool rooted = false;

        out[0] = '\0';
        for (int i = 0; i < MODCTL_BPF_PATH_DEPTH; i++) {
                if (!comps[i][0])
                        break;
                if (streq(comps[i], "/")) {
                        rooted = true;
                        break;
                }
                last = i;
        }
        if (last < 0)
                return;
        if (!rooted)
                len += snprintf(out + len, size - len, "...");
        for (int i = last; i >= 0 && len < size; i--)
                len += snprintf(out + len, size - len, "/%.*s", MODCTL_BPF_NAME_MAX, comps[i]);
}

static void read_cgroup(pid_t tgid, uint64_t id, char *cgroup, size_t size, char *unit, size_t unit_size) {
        char path[64], line[512];
        FILE *f;

        snprintf(cgroup, size, "cgroup id %llu", (unsigned long long) id);
        unit[0] = '\0';
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) tgid);
        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(cgroup, size, "%s", line + 3);
                        break;
                }
        fclose(f);
        const char *last = strrchr(cgroup, '/');
        last = last ? last + 1 : cgroup;
        size_t n = strlen(last);
        if ((n > 8 && streq(last + n - 8, ".service")) || (n > 6 && streq(last + n - 6, ".scope")))
                snprintf(unit, unit_size, "%.*s", (int) (unit_size - 1), last);
}

static int on_ring_record(void *ctx, void *data, size_t size) {
        Ownership *o = ctx;
        const struct modctl_bpf_event *e = data;
        char file[MODCTL_BPF_PATH_DEPTH * (MODCTL_BPF_NAME_MAX + 1) + 4];
        char exe[sizeof(file)], cgroup[512], unit[512], name[MODCTL_BPF_NAME_MAX + 1];
        char cause_cgroup[512] = "", cause_unit[512];
        OwnershipReport r = {};

        if (size < sizeof(*e) || !o->report)
                return 0;
        switch (e->kind) {
        case MODCTL_BPF_EVENT_READ_FILE: r.action = OWNERSHIP_ACTION_FINIT_MODULE; break;
        case MODCTL_BPF_EVENT_LOAD_DATA: r.action = OWNERSHIP_ACTION_INIT_MODULE; break;
        case MODCTL_BPF_EVENT_REQUEST:   r.action = OWNERSHIP_ACTION_REQUEST; break;
        default: return 0;
        }
        r.refused = e->refused;
        r.pid = e->pid;
        r.tgid = e->tgid;
        r.ppid = e->ppid;
        r.uid = e->uid;
        snprintf(r.comm, sizeof(r.comm), "%.*s", (int) sizeof(e->comm), e->comm);
        snprintf(name, sizeof(name), "%.*s", MODCTL_BPF_NAME_MAX, e->name);
        join_path(file, sizeof(file), e->file);
        join_path(exe, sizeof(exe), e->exe);
        read_cgroup(e->tgid, e->cgroup_id, cgroup, sizeof(cgroup), unit, sizeof(unit));
        r.kthread = e->kthread;
        r.cause = e->cause == MODCTL_BPF_CAUSE_RECORDED ? OWNERSHIP_CAUSE_RECORDED :
                  e->cause == MODCTL_BPF_CAUSE_UNKNOWN ? OWNERSHIP_CAUSE_UNKNOWN : OWNERSHIP_CAUSE_SELF;
        if (r.cause == OWNERSHIP_CAUSE_RECORDED) {
                r.cause_pid = e->cause_pid;
                r.cause_tgid = e->cause_tgid;
                r.cause_uid = e->cause_uid;
                snprintf(r.cause_comm, sizeof(r.cause_comm), "%.*s", (int) sizeof(e->cause_comm), e->cause_comm);
                read_cgroup(e->cause_tgid, e->cause_cgroup_id, cause_cgroup, sizeof(cause_cgroup), cause_unit,
                            sizeof(cause_unit));
        }
        r.cause_cgroup = cause_cgroup;
        r.name = name;
        r.file = file;
        r.exe = exe;
        r.cgroup = cgroup;
        r.unit = unit;
        o->report(&r, o->userdata);
        return 0;
}

void ownership_drain(Ownership *o) {
        assert(o);

        /* Only reads the ring's positions (shared memory) when it is empty: no system call. */
        if (o->ring)
                (void) ring_buffer__consume(o->ring);
}

static int on_ring_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ownership_drain(userdata);
        return 0;
}

static int on_drain(sd_event_source *s, void *userdata) {
        ownership_drain(userdata);
        return 0;
}

/* Pin the new links, replacing what an earlier modctld left: each old link detaches only when
 * its pin goes, and by then the new one is attached, so no moment is left unguarded. */
static int pin_links(Ownership *o) {
        struct bpf_link *links[] = { o->skel->links.modctl_read_file, o->skel->links.modctl_load_data,
                                     o->skel->links.modctl_module_request };
        int r;

        if (mkdir(OWNERSHIP_PIN_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *p = pin_path(link_names[i]);
                _cleanup_free_ char *tmp = NULL;
                /* bpffs refuses names with a dot. */
                if (!p || asprintf(&tmp, "%s/new-%s", OWNERSHIP_PIN_DIR, link_names[i]) < 0)
                        return -ENOMEM;
                (void) unlink(tmp);
                r = bpf_link__pin(links[i], tmp);
                if (r < 0)
                        return r;
                if (rename(tmp, p) < 0)
                        return -errno;
        }
        return 0;
}

static int load(Ownership *o, OwnershipMode mode, KernelRequests requests, bool keep, Failure *failure) {
        struct ownership_bpf *skel;
        bool adopt = pins_exist();
        int r;

        r = check_lsm_active(failure);
        if (r < 0)
                return r;
        if (keep) {
                r = check_bpffs(failure);
                if (r < 0)
                        return r;
        }

        skel = ownership_bpf__open();
        if (!skel)
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "Cannot open the BPF programs: %s.", strerror(errno));
        if (adopt || keep) {
                /* Share the maps with pinned programs of an earlier modctld, so that they see
                 * the new owner before anything else changes. */
                struct bpf_map *maps[] = { skel->maps.settings, skel->maps.events, skel->maps.dropped };
                for (size_t i = 0; i < ELEMENTSOF(maps); i++) {
                        _cleanup_free_ char *p = pin_path(map_names[i]);
                        if (!p || bpf_map__set_pin_path(maps[i], p) < 0) {
                                ownership_bpf__destroy(skel);
                                return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory.");
                        }
                }
                if (keep && mkdir(OWNERSHIP_PIN_DIR, 0700) < 0 && errno != EEXIST) {
                        r = -errno;
                        ownership_bpf__destroy(skel);
                        return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot create %s: %s.", OWNERSHIP_PIN_DIR, strerror(-r));
                }
        }
        r = ownership_bpf__load(skel);
        if (r < 0) {
                ownership_bpf__destroy(skel);
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP,
                                   "Cannot load the BPF LSM programs: %s (the kernel needs BTF at "
                                   "/sys/kernel/btf/vmlinux and CONFIG_BPF_LSM).", strerror(-r));
        }
        r = write_settings(bpf_map__fd(skel->maps.settings), mode, requests);
        if (r < 0) {
                ownership_bpf__destroy(skel);
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot configure the BPF programs: %s.", strerror(-r));
        }
        r = ownership_bpf__attach(skel);
        if (r < 0) {
                ownership_bpf__destroy(skel);
                return failure_set_errno(failure, FAILURE_INTERNAL, -EOPNOTSUPP, "Cannot attach the BPF LSM programs: %s.", strerror(-r));
        }
        o->skel = skel;
        o->adopted = adopt;

        o->ring = ring_buffer__new(bpf_map__fd(skel->maps.events), on_ring_record, o, NULL);
        if (!o->ring)
                return failure_set_errno(failure, FAILURE_INTERNAL, -errno, "Cannot read the BPF ring buffer: %m.");
        r = sd_event_add_io(o->event, &o->ring_source, ring_buffer__epoll_fd(o->ring), EPOLLIN, on_ring_ready, o);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot watch the BPF ring buffer: %s.", strerror(-r));
        /* Below the hook and the bus: a refusal's report never delays an answer. The module
         * uevent that follows an insert drains the ring itself first (manager.c), so that its
         * record names the loader. */
        (void) sd_event_source_set_priority(o->ring_source, OWNERSHIP_REPORT_PRIORITY);
        (void) sd_event_source_set_description(o->ring_source, "ownership-ring");
        r = sd_event_add_post(o->event, &o->drain_source, on_drain, o);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot watch the BPF ring buffer: %s.", strerror(-r));
        (void) sd_event_source_set_priority(o->drain_source, OWNERSHIP_REPORT_PRIORITY);
        (void) sd_event_source_set_description(o->drain_source, "ownership-drain");
        /* Reports from while no modctld was reading (kept programs) are there already. */
        (void) ring_buffer__consume(o->ring);
        return 0;
}

/* OwnershipOnExit=keep: the maps and links go to bpffs, replacing any earlier modctld's. */
static int pin(Ownership *o, Failure *failure) {
        struct bpf_map *maps[] = { o->skel->maps.settings, o->skel->maps.events, o->skel->maps.dropped };
        int r;

        r = check_bpffs(failure);
        if (r < 0)
                return r;
        if (mkdir(OWNERSHIP_PIN_DIR, 0700) < 0 && errno != EEXIST)
                return failure_set_errno(failure, FAILURE_INTERNAL, -errno, "Cannot create %s: %m.", OWNERSHIP_PIN_DIR);
        for (size_t i = 0; i < ELEMENTSOF(maps); i++) {
                _cleanup_free_ char *p = pin_path(map_names[i]);
                if (!p)
                        return failure_set_errno(failure, FAILURE_INTERNAL, -ENOMEM, "Out of memory.");
                if (bpf_map__is_pinned(maps[i]) && access(p, F_OK) == 0)
                        continue;
                (void) unlink(p);
                r = bpf_map__pin(maps[i], p);
                if (r < 0)
                        return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot pin %s: %s.", p, strerror(-r));
        }
        r = pin_links(o);
        if (r < 0)
                return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot pin the BPF links in %s: %s.", OWNERSHIP_PIN_DIR, strerror(-r));
        o->pinned = true;
        return 0;
}

int ownership_apply(Ownership *o, OwnershipMode mode, KernelRequests requests, OwnershipOnExit on_exit,
                    Failure *failure) {
        bool keep = on_exit == OWNERSHIP_ON_EXIT_KEEP;
        int r;

        assert(o);

        if (!o->skel) {
                if (mode == OWNERSHIP_SHARED && requests == KERNEL_REQUESTS_ANY && !keep && !pins_exist())
                        return 0;
                r = load(o, mode, requests, keep, failure);
                if (r < 0) {
                        /* Programs kept by an earlier modctld still refuse everyone but it;
                         * whoever we are, we may not leave the host with nobody allowed to load. */
                        if (pins_exist())
                                unpin_all();
                        return r;
                }
                o->pinned = false;
        } else {
                r = write_settings(bpf_map__fd(o->skel->maps.settings), mode, requests);
                if (r < 0)
                        return failure_set_errno(failure, FAILURE_INTERNAL, r, "Cannot update the BPF programs' settings: %s.", strerror(-r));
        }
        if (keep)
                return o->pinned ? 0 : pin(o, failure);
        /* Released: ours detach with our fds; an adopted earlier set detaches as its pins go,
         * after ours took over. */
        if (pins_exist())
                unpin_all();
        o->pinned = false;
        return 0;
}

void ownership_get_state(Ownership *o, OwnershipState *ret) {
        assert(o);
        assert(ret);

        *ret = (OwnershipState) { .active = o->skel, .pinned = o->pinned, .adopted = o->adopted };
        if (o->skel) {
                int ncpu = libbpf_num_possible_cpus();
                __u32 zero = 0;
                if (ncpu > 0 && ncpu < 4096) {
                        __u64 v[ncpu];
                        if (bpf_map_lookup_elem(bpf_map__fd(o->skel->maps.dropped), &zero, v) == 0)
                                for (int i = 0; i < ncpu; i++)
                                        ret->dropped += v[i];
                }
        }
}

Ownership *ownership_free(Ownership *o) {
        if (!o)
                return NULL;
        sd_event_source_disable_unref(o->drain_source);
        sd_event_source_disable_unref(o->ring_source);
        ring_buffer__free(o->ring);
        /* Kept: the pins hold the links and maps; closing our fds changes nothing in the kernel.
         * Released: the links detach as their last fd closes. */
        ownership_bpf__destroy(o->skel);
        sd_event_unref(o->event);
        free(o);
        return NULL;
}
