#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults in a plan, on Debian's kernel, with modctl_test_stuck (an init, or an exit, that waits
# until released) and the chain modctl_test_base -> modctl_test_stuck -> modctl_test_stuck_top.
# 1. A module init that never returns: with it stuck in finit_module() on the only configured
#    worker, kernel requests get a worker of their own and then other loads go on; `modctl
#    status` shows the init running and for how long, `modctl list` shows the module coming;
#    SIGTERM does not hang: modctld exits and its log names the load it left behind.
# 2. modctld killed with SIGKILL at each step of a plan: before the insert (a modprobe.d
#    install command of the plan's first step runs), between two inserts (the second one's init
#    waits), during an unwind (a removal's exit waits). Every point is reached by waiting on an
#    event (a fifo, a kernel log line), never by sleeping. After each restart the list is
#    truthful: /proc/modules and `modctl list` agree, every module loaded since the first start
#    has origin "external" (never ""), and the cut-short plan is reported as such.
# Each part ends with after_fault_checks (lib.sh).
. /vm/lib.sh

RELEASE=/sys/module/modctl_test_stuck/parameters/release
CONF=/etc/modprobe.d/faults-plan.conf
CHAIN="modctl_test_stuck_top modctl_test_stuck modctl_test_chain modctl_test_dep modctl_test_base"

# wait_kmsg TEXT: wait until the kernel logs a line with TEXT. Reading /dev/kmsg blocks until
# the next record, so this is woken by the kernel, for at most 400 s. Each load gets its own tag.
wait_kmsg() {
        timeout 400 grep -q -m1 -F "$1" < /dev/kmsg
}

# origin NAME: the Origin property of a loaded module, as busctl prints it (s "external").
origin() {
        busctl --system get-property org.modctl1 "/org/modctl1/module/$(echo "$1" | sed 's/_/_5f/g')" \
                org.modctl1.Module Origin 2>&1
}

# Every module loaded now that was not loaded before the first start has origin "external":
# the restarted daemon cannot attribute it, and says so (never "", loaded before any start).
assert_unattributed_external() {
        local m o bad=
        for m in $(loaded_modules); do
                grep -qx "$m" /tmp/initial-modules && continue
                o=$(origin "$m")
                [ "$o" = 's "external"' ] || bad="$bad $m=$o"
        done
        assert_eq "" "$bad" "$1: every module loaded since the first start has origin external"
}

# kill9: SIGKILL modctld and wait until it has exited (a pidfd, not a poll).
kill9() {
        kill -9 "$MODCTLD_PID"
        notify-start --wait-exit "$MODCTLD_PID" --timeout 60
        check "$1: modctld killed with SIGKILL"
        MODCTLD_PID=
}

# restart WHAT: start modctld again; $MODCTLD_LOG then holds only this start's log.
restart() {
        : > "$MODCTLD_LOG"
        start_modctld
        check "$1: modctld starts again"
}

start_system_bus
check "dbus-daemon --system is up"
mkdir -p /etc/modprobe.d
unload_quietly $CHAIN dummy veth
loaded_modules > /tmp/initial-modules
# One configured worker: the stuck init occupies it, so a kernel request that is answered
# shows that the scheduler added a worker for it.
start_modctld --workers 1
check "modctld starts with one worker"
if ! daemon_alive; then
        vm_finish
        exit 1
fi

# ---- 1. an init that never returns
modctl load modctl_test_stuck tag=never > /tmp/stuck.out 2>&1 &
LOADER=$!
wait_kmsg "modctl_test_stuck: init waiting for a release (tag never)"
check "modctl_test_stuck's init is waiting in finit_module()"
assert_ok timeout 120 /usr/libexec/modctl/modctl-request -q -- dummy
assert_loaded dummy "a kernel request is answered while the only worker is stuck"
assert_ok timeout 120 ip link add fp0 type veth peer name fp1
assert_loaded veth "the kernel's own request_module() (veth) is answered meanwhile"
ip link del fp0 2>/dev/null
assert_ok timeout 120 modctl load modctl_test_chain
assert_loaded modctl_test_chain "another load (modctl_test_chain) goes on meanwhile"

run modctl status
assert_stdout_contains "modctl_test_stuck:" "modctl status lists the init that is running"
assert_stdout_contains "init running for" "with how long it has run"
assert_stdout_contains "(origin user)" "and who asked"
run modctl status --json
assert_contains "$(echo "$OUT" | tr -d ' \n')" '"inserting":[{"name":"modctl_test_stuck","origin":"user","running_usec":' \
        "modctl status --json has it under inserting"
run modctl list --json
assert_contains "$(echo "$OUT" | tr -d ' \n')" '"name":"modctl_test_stuck","size"' "modctl list lists it"
assert_contains "$(echo "$OUT" | tr -d ' \n' | sed 's/.*"name":"modctl_test_stuck"//; s/}.*//')" '"state":"coming"' \
        "as coming"

# SIGTERM, as systemctl stop sends: modctld does not wait for the init.
kill "$MODCTLD_PID"
notify-start --wait-exit "$MODCTLD_PID" --timeout 60
check "SIGTERM: modctld exits while the init still waits (well within a 90 s stop timeout)"
MODCTLD_PID=
assert_contains "$(cat "$MODCTLD_LOG")" "Stopping while module 'modctl_test_stuck' is still in its init" \
        "its log names the load it left behind"
wait "$LOADER"
[ $? -ne 0 ]
check "the waiting client gets an error, not a hang"
# The process exit kills its stuck worker: the killable wait ends, the init fails, the kernel
# frees the module.
assert_not_loaded modctl_test_stuck "the kernel dropped the module whose init was killed"
restart "after SIGTERM"
assert_unattributed_external "stuck init"
after_fault_checks "stuck init"
unload_quietly $CHAIN dummy veth

# ---- 2a. killed before the insert: the plan's first step, an install command, is running
KO_BASE=$(find /lib/modules/"$KVER" -name modctl_test_base.ko | head -n 1)
rm -f /tmp/before.fifo /tmp/go.fifo
mkfifo /tmp/before.fifo /tmp/go.fifo
echo "install modctl_test_base echo started > /tmp/before.fifo; cat /tmp/go.fifo > /dev/null; insmod $KO_BASE" > $CONF
modctl load modctl_test_chain > /tmp/before.out 2>&1 &
LOADER=$!
read -t 400 x < /tmp/before.fifo
assert_eq started "$x" "before the insert: the plan's install command runs"
assert_not_loaded modctl_test_base "nothing is inserted yet"
kill9 "before the insert"
wait "$LOADER"
[ $? -ne 0 ]
check "before the insert: the client gets an error"
restart "before the insert"
assert_eq "$(loaded_modules)" "$(listed_modules)" "before the insert: /proc/modules and modctl list agree"
# The orphaned command goes on: base comes from it, which nobody can attribute.
echo go > /tmp/go.fifo
wait_log "Module modctl_test_base loaded (origin external"
check "before the insert: the command's load is seen as external"
assert_not_loaded modctl_test_chain "the rest of the cut-short plan did not run"
assert_unattributed_external "before the insert"
after_fault_checks "before the insert"
rm -f $CONF /tmp/before.fifo /tmp/go.fifo
unload_quietly $CHAIN

# ---- 2b. killed between two inserts: base is in, stuck's init waits, top not yet
echo "options modctl_test_stuck tag=between" > $CONF
modctl load modctl_test_stuck_top > /tmp/between.out 2>&1 &
LOADER=$!
wait_kmsg "modctl_test_stuck: init waiting for a release (tag between)"
check "between two inserts: base is in, stuck's init waits"
assert_loaded modctl_test_base
kill9 "between two inserts"
wait_kmsg "modctl_test_stuck: init killed (tag between)"
check "between two inserts: the kill ended the waiting init"
wait "$LOADER"
[ $? -ne 0 ]
check "between two inserts: the client gets an error"
restart "between two inserts"
assert_eq "$(loaded_modules)" "$(listed_modules)" "between two inserts: /proc/modules and modctl list agree"
assert_loaded modctl_test_base "between two inserts: the first insert stayed"
assert_eq 's "external"' "$(origin modctl_test_base)" "between two inserts: it has origin external"
assert_not_loaded modctl_test_stuck_top "between two inserts: the last insert never ran"
assert_contains "$(cat "$MODCTLD_LOG")" "The load of 'modctl_test_stuck_top' (origin user) was cut short" \
        "between two inserts: the restarted daemon reports the half-done plan"
assert_unattributed_external "between two inserts"
after_fault_checks "between two inserts"
unload_quietly $CHAIN

# ---- 2c. killed during an unwind: top fails, removing stuck again waits in its exit
printf '%s\n' "options modctl_test_stuck init_wait=0 exit_wait=1 tag=unwind" \
        "options modctl_test_stuck_top fail=1" > $CONF
modctl load modctl_test_stuck_top > /tmp/unwind.out 2>&1 &
LOADER=$!
wait_kmsg "modctl_test_stuck: exit waiting for a release (tag unwind)"
check "during an unwind: top failed, removing stuck again waits in its exit"
kill9 "during an unwind"
wait_kmsg "modctl_test_stuck: removed (tag unwind)"
check "during an unwind: the kill ended the waiting exit"
wait "$LOADER"
[ $? -ne 0 ]
check "during an unwind: the client gets an error"
restart "during an unwind"
assert_eq "$(loaded_modules)" "$(listed_modules)" "during an unwind: /proc/modules and modctl list agree"
assert_loaded modctl_test_base "during an unwind: what the unwind had not reached stayed"
assert_eq 's "external"' "$(origin modctl_test_base)" "during an unwind: it has origin external"
assert_not_loaded modctl_test_stuck "during an unwind: the removal finished in the kernel"
assert_contains "$(cat "$MODCTLD_LOG")" "The load of 'modctl_test_stuck_top' (origin user) was cut short" \
        "during an unwind: the restarted daemon reports the half-done plan"
assert_unattributed_external "during an unwind"
after_fault_checks "during an unwind"
rm -f $CONF
unload_quietly $CHAIN

stop_modctld
check "modctld stops"
vm_finish
