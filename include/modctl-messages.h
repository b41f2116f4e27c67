/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The journal's MESSAGE_ID= of each kind of event modctld logs, with the fields MODULE=,
 * ORIGIN=, the caller's CALLER_UID=, CALLER_PID=, CALLER_COMM=, CALLER_UNIT= (each where
 * known) and ERRNO= (failures); systemd/modctl.catalog says which each entry carries. A contract like the
 * bus names: `journalctl MESSAGE_ID=...` and the catalog (systemd/modctl.catalog) use them.
 * Never change one; add new ones. */

#define MODCTL_MESSAGE_MODULE_LOADED     "9843b42ecff74db8a24724a9ee51066b"
#define MODCTL_MESSAGE_MODULE_UNLOADED   "e50764409cc64822b8cd09022e8e244e"
#define MODCTL_MESSAGE_MODULE_FAILED     "169ea059b4e04933ab0aa17ff3ca1b3c"
#define MODCTL_MESSAGE_POLICY_DENIED     "6897438789d14f368912bd4d85a7bf63"
#define MODCTL_MESSAGE_KERNEL_REQUEST    "32eae9a0eb8f41aeaa1d65600ae9dbcc"
#define MODCTL_MESSAGE_SETTING_CHANGED   "48b061aaee9b4aa2985f77da6ca0ca5a"
