#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo (scripts/demo): a system bus, modctld, and a few modctl commands, each echoed.
. /vm/lib.sh

start_system_bus || exit 1
start_modctld || exit 1

rc=0
demo() {
        echo
        echo "\$ $*"
        "$@" || { echo "(exit status $?)"; rc=1; }
}

demo modctl status
demo modctl load --dry-run snd
demo modctl load snd
demo modctl list
demo modctl info snd
demo modctl policy check snd
demo modctl unload -r snd
demo modctl list
# The kernel's own request (rtnl-link-dummy) goes through modctld's hook.
demo ip link add d0 type dummy
demo modctl list
demo modctl status
echo
stop_modctld
exit $rc
