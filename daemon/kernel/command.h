/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The layers that may include this header (daemon/meson.build, README "Source tree"). */
#if defined(MODCTL_LAYER) && !defined(MODCTL_LAYER_KERNEL)
#error "kernel/ is the kernel backend: its insides are its own"
#endif

/* Runs a modprobe.d install or remove command. Never system(3): the command runs through
 * posix_spawn of /bin/sh -c with a clean environment and a timeout, and the caller's thread
 * waits on a pidfd, not a sleep loop. Safe to call from worker threads. Never logs. */

#include <stdint.h>

/* options are the module's parameters: the command sees them as $CMDLINE_OPTS, an environment
 * variable, never spliced into its text (modprobe substitutes the text; a shell would then
 * parse the caller's parameters as commands). Signal dispositions and mask start at default.
 * Returns 0 if the command ran and exited 0; -ETIMEDOUT if it was killed after timeout_usec;
 * -ECHILD if it exited non-zero or died of a signal (*ret_status then holds the wait status);
 * -EINVAL if options are outside the parameter grammar (module-params.h), without running it;
 * other negative errnos if it could not be started. ret_status may be NULL. */
int command_run(const char *command, const char *module, const char *options, uint64_t timeout_usec,
                int *ret_status);
