/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modctl wait boot: returns once modctld has loaded the boot list (modules-load.d and
 * modules_load=), every load finished, successfully or not. modctld's READY=1 does not wait for
 * the boot list, so that udevd's coldplug runs beside it; modctld-boot-list.service runs this
 * command to mark the boot list's end for what needs those modules (systemd-sysctl, units
 * ordered after systemd-modules-load.service). The daemon answers WaitBootList when the batch
 * ends: nothing here polls. In early boot, before the system bus, root reaches it over the
 * private socket. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "bus-call.h"
#include "i18n.h"
#include "modctl.h"
#include "output.h"

int verb_wait(sd_bus *bus, const Options *o, char **args, size_t n_args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        uint64_t finished;
        int r;

        if (!streq(args[0], "boot")) {
                log_error_line(_("Cannot wait for '%s': only the boot list ('boot') has an end to wait for."), args[0]);
                return -EINVAL;
        }

        r = modctl_new_method_call(bus, "WaitBootList", false, &m);
        if (r < 0)
                return log_oom();
        /* As long as the boot list takes: the unit's TimeoutStartSec= bounds it, and modctld's
         * LoadTimeoutSec= bounds each load. */
        r = modctl_call(bus, m, UINT64_MAX, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "t", &finished);
        if (r < 0)
                return log_parse_error(r);
        if (!o->quiet)
                printf(_("Boot list loaded @%" PRIu64 ".%06" PRIu64 "s.\n"), finished / 1000000, finished % 1000000);
        return 0;
}
