/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && \
    !defined(MODCTL_LAYER_ENGINE) && \
    !defined(MODCTL_LAYER_KERNEL) && \
    !defined(MODCTL_LAYER_MAIN)
#error "kernel/bpf/ownership.h is the ownership port: only the engine and main.c drive it"
#endif

/* Kernel-enforced ownership of module loading: the BPF LSM programs of ownership.bpf.c, loaded
 * through their generated skeleton. They refuse or report finit_module()/init_module() by any
 * process other than modctld and its descendants (Ownership=), decide which tasks may make the
 * kernel autoload (KernelRequests=), and report through a ring buffer read on the event loop
 * (see ownership_drain() for when).
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

#include "common/daemon-config.h"
#include "common/failure.h"
#include "kernel/bpf/ownership-report.h"

typedef void (*ownership_report_t)(const OwnershipReport *report, void *userdata);

/* Where OwnershipOnExit=keep pins the links and maps. */
#define OWNERSHIP_PIN_DIR "/sys/fs/bpf/modctl"

/* The event loop's priority of the reports: just below the hook and the bus (normal), so that
 * reading a report never delays an answer. */
#define OWNERSHIP_REPORT_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 1)

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
/* Reports every record the programs left so far, now. A request that passes does not wake
 * modctld (ownership-event.h); its record is read after whatever woke modctld next (a post
 * source of the event loop, below every other source, so after the hook's answer), or here,
 * by whoever needs it first: the module uevent that an external insert causes, a caller that
 * reads the counters. Refusals and inserts wake the event loop at once, below the hook and the
 * bus in priority. */
void ownership_drain(Ownership *o);

