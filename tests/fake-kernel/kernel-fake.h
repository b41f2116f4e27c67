/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Test-only knobs of the kernel backends (kernel.h is the interface the daemon uses).
 *
 * The fake backend also reads these environment variables in kernel_new_fake(), so that the
 * integration-test daemon can be set up from outside:
 *   MODCTL_FAKE_KERNEL_FAIL="name:errno[,name:errno...]"  insert of name fails with -errno
 *   MODCTL_FAKE_KERNEL_BUILTIN="a,b"                      modules built into the kernel
 *   MODCTL_FAKE_KERNEL_LOADED="a,b"                       modules loaded before we started
 *   MODCTL_FAKE_KERNEL_TRUSTED_KEYS="CN: skid[;...]"      the trusted keyrings' key descriptions
 *   MODCTL_FAKE_KERNEL_CMDLINE="..."                      its command line (default ""): inserts
 *                                                         of its module_blacklist= names fail
 *                                                         with EPERM, as in the kernel
 * Every knob below returns -EOPNOTSUPP when k is not the fake backend. */

#include <stdbool.h>

#include "kernel/kernel.h"

/* The fake backend: modules live in memory, files are read from the module tree. */
int kernel_new_fake(Kernel **ret);
bool kernel_is_fake(Kernel *k);

/* Emits ADD for name without changing anything, like `udevadm trigger` replaying "add" for
 * /sys/module/NAME (a loaded module or a built-in one). */
int kernel_fake_replay_add(Kernel *k, const char *name);

/* Makes every later insert of name fail with error (negative or positive errno), as if the
 * module's init returned it. Checked after the "already loaded" and dependency checks, like a
 * real init. error 0 clears it. */
int kernel_fake_set_failure(Kernel *k, const char *name, int error);

/* Marks name as built in: get_state says BUILTIN, insert says -EEXIST, list does not show it. */
int kernel_fake_set_builtin(Kernel *k, const char *name);

/* Simulates a load by another tool (no file, no dependencies). Emits ADD like any load. */
int kernel_fake_insert_external(Kernel *k, const char *name);

/* Sets the refcount of a loaded module, e.g. to simulate an open device; -1 makes it permanent
 * (remove then fails with -EBUSY, like a module without an exit function). */
int kernel_fake_set_refcount(Kernel *k, const char *name, int refcount);

/* The params and flags the loaded module name was inserted with; *ret_params is "" when none. */
int kernel_fake_get_params(Kernel *k, const char *name, char **ret_params, unsigned *ret_flags);

/* Inserts of name block inside the kernel, like a module init that hangs, until released. */
int kernel_fake_hold(Kernel *k, const char *name);
int kernel_fake_release(Kernel *k, const char *name);
/* Called on the inserting thread when an insert of a held module starts to wait (NULL: none). */
extern void (*kernel_fake_on_hold)(const char *name);
/* The key descriptions trusted_keys() reports (NULL: none). */
int kernel_fake_set_trusted_keys(Kernel *k, char * const *descriptions);

/* The command line get_cmdline() reports; its module_blacklist= names fail to insert with EPERM,
 * before any other check, like the kernel's early_mod_check(). */
int kernel_fake_set_cmdline(Kernel *k, const char *cmdline);
/* How many times insert was called, successful or not. */
unsigned kernel_fake_insert_calls(Kernel *k);

/* The timeline's clock becomes virtual: it starts at start_usec and moves only when a module is
 * inserted, by kernel_fake_insert_usec() of its name, so every timeline of one run is exact. */
int kernel_fake_use_virtual_clock(Kernel *k, uint64_t start_usec);
uint64_t kernel_fake_insert_usec(const char *name);

/* What decompression() says from now on: NULL (the default, like 6.1) or "xz", which makes the
 * fake take MODULE_INIT_COMPRESSED_FILE like 6.12 does: an xz stream with a CRC32 check (or
 * none) is decompressed, any other file fails with EINVAL. Set before inserting. */
int kernel_fake_set_decompression(Kernel *k, const char *algorithm);

