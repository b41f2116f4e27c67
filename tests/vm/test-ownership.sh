#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel-enforced ownership on Debian's kernel (BPF LSM, active by default there):
# Ownership=exclusive refuses insmod and modprobe by root in the kernel while modctl load, the
# kernel hook and modprobe.d install commands run by modctld keep working; audit lets them
# through and names who did it; KernelRequests=privileged refuses autoload triggered by an
# unprivileged task, also when a kernel thread asks for it (an AF_ALG bind to a template,
# probed by cryptomgr_probe with init's credentials), while root's first use of a template
# still loads; the default lifetime fails open when modctld is killed, keep holds the lock
# until a new modctld takes over.
. /vm/lib.sh

CONF=/etc/modctl/modctld.conf
MODDIR=/lib/modules/$KVER
DUMMY_KO=$(find "$MODDIR/kernel" -name 'dummy.ko*' | head -n1)
AF_APPLETALK=5
SOCK_DGRAM=2

# One counter of the Statistics property, from `modctl status --json`.
stat_value() {
        modctl status --json | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\([0-9][0-9]*\).*/\1/p"
}

# monitor_expect_request NAME TIMEOUT: read KernelRequest signals until the one for NAME; its
# seven argument lines end up in $SIG.
monitor_expect_request() {
        local name=$1 timeout=${2:-30} line i
        while read -t "$timeout" -r line <&7; do
                echo "$line" >> /tmp/monitor.log
                case $line in
                signal*member=KernelRequest*)
                        SIG=
                        for i in 1 2 3 4 5 6 7; do
                                read -t 5 -r line <&7 || return 1
                                echo "$line" >> /tmp/monitor.log
                                SIG="$SIG$line
"
                        done
                        case $SIG in "string \"$name\""*) return 0 ;; esac ;;
                esac
        done
        return 1
}

prop() {
        busctl get-property org.modctl1 /org/modctl1 org.modctl1.Manager "$1" 2>&1
}

configure() {
        mkdir -p /etc/modctl
        printf '%s\n' "$@" > "$CONF"
}

# monitor_expect_member MEMBER TIMEOUT: read the monitor until a signal MEMBER arrives; its
# argument lines (up to the next blank line or signal) end up in $SIG.
monitor_expect_member() {
        local member=$1 timeout=${2:-20} line
        SIG=
        while read -t "$timeout" -r line <&7; do
                echo "$line" >> /tmp/monitor.log
                case $line in
                signal*member=$member*)
                        while read -t 5 -r line <&7; do
                                echo "$line" >> /tmp/monitor.log
                                case $line in signal*|method*|"") break ;; esac
                                SIG="$SIG$line
"
                                case $line in boolean*) return 0 ;; esac
                        done
                        return 0 ;;
                esac
        done
        return 1
}

[ -n "$DUMMY_KO" ]
check "dummy.ko is in the VM ($DUMMY_KO)"
assert_contains "$(cat /sys/kernel/security/lsm)" "bpf" "the BPF LSM is active on Debian's kernel"

mkdir -p /etc/modprobe.d
echo "install modctl_test_base /sbin/modprobe --ignore-install modctl_test_base && touch /run/install-ran" \
        > /etc/modprobe.d/ownership.conf

start_system_bus
check "dbus-daemon --system is up"

# ==== exclusive
configure "[Daemon]" "Ownership=exclusive"
start_modctld --log-level=debug
check "modctld starts with Ownership=exclusive"
if ! daemon_alive; then
        vm_finish
        exit 1
fi
assert_eq 's "exclusive"' "$(prop Ownership)" "the Ownership property says exclusive"
assert_eq 's "active, released when modctld exits"' "$(prop OwnershipEnforcement)" \
        "OwnershipEnforcement says the kernel enforces it"
assert_ok modctl status
assert_stdout_contains "exclusive" "modctl status shows the mode"
assert_stdout_contains "active, released when modctld exits" "modctl status shows that it is enforced"

unload_quietly dummy
monitor_start "type='signal',interface='org.modctl1.Manager',member='ExternalLoad'" || fail "dbus-monitor attaches"
run insmod "$DUMMY_KO"
[ "$RC" -ne 0 ]
check "root's insmod fails under exclusive"
assert_contains "$ERR" "Operation not permitted" "insmod says Operation not permitted"
assert_not_loaded dummy "insmod loaded nothing"
monitor_expect_member ExternalLoad 20
check "ExternalLoad arrives for the refused insmod"
assert_contains "$SIG" 'string "finit_module"' "ExternalLoad names the syscall"
assert_contains "$SIG" 'string "insmod"' "ExternalLoad names the refused process (comm insmod)"
assert_contains "$SIG" 'string "/usr/bin/kmod"' "ExternalLoad names its executable"
assert_contains "$SIG" "dummy.ko" "ExternalLoad names the module file"
assert_contains "$SIG" "boolean true" "ExternalLoad says it was refused"
diag "$SIG"

run modprobe dummy
[ "$RC" -ne 0 ]
check "root's modprobe dummy fails under exclusive"
assert_contains "$ERR" "Operation not permitted" "modprobe says Operation not permitted"
assert_not_loaded dummy "modprobe loaded nothing"
monitor_expect_member ExternalLoad 20
assert_contains "$SIG" 'string "modprobe"' "ExternalLoad names the refused modprobe"
monitor_stop
assert_contains "$(cat "$MODCTLD_LOG")" "Refused finit_module() by pid" "the daemon logs the refusal"
assert_contains "$(cat "$MODCTLD_LOG")" "(insmod), uid 0" "with the process's comm and uid"
[ "$(stat_value external-refused)" -ge 2 ] 2>/dev/null
check "Statistics counts the refusals (external-refused=$(stat_value external-refused))"

assert_ok modctl load dummy
assert_loaded dummy "modctl load dummy works under exclusive"
unload_quietly dummy
# modctl monitor names who caused the kernel's request. Its stderr line says the matches are
# in place; the FIFOs are opened in the order modctl opens them.
rm -f /run/mon.out /run/mon.err
mkfifo /run/mon.out /run/mon.err
modctl monitor > /run/mon.out 2> /run/mon.err &
mon_pid=$!
exec 9< /run/mon.out
exec 8< /run/mon.err
read -t 30 -r line <&8
assert_contains "$line" "Monitoring" "modctl monitor is listening"
assert_ok ip link add d0 type dummy
assert_loaded dummy "ip link add d0 type dummy loads dummy through the hook under exclusive"
mon_line=
while read -t 30 -r line <&9; do
        case $line in *"loaded    dummy"*) mon_line=$line; break ;; esac
done
assert_contains "$mon_line" "loaded    dummy (origin kernel (requested by pid" "modctl monitor names the requester of the kernel load"
assert_contains "$mon_line" " ip, uid 0))" "with its comm and uid"
kill "$mon_pid"; wait "$mon_pid" 2>/dev/null
exec 8<&- 9<&-
ip link del d0 2>/dev/null
unload_quietly dummy
unload_quietly modctl_test_base
assert_ok modctl load modctl_test_base
assert_loaded modctl_test_base "an install command (modprobe --ignore-install) run by modctld works under exclusive"
[ -e /run/install-ran ]
check "the install command ran (it touched /run/install-ran)"
unload_quietly modctl_test_base

# ==== audit, live through ReloadConfig
configure "[Daemon]" "Ownership=audit"
assert_ok modctl reload
assert_eq 's "audit"' "$(prop Ownership)" "ReloadConfig switches Ownership to audit"
monitor_start "type='signal',interface='org.modctl1.Manager',member='ExternalLoad'" || fail "dbus-monitor attaches"
insmod "$DUMMY_KO" &
insmod_pid=$!
wait $insmod_pid
assert_eq 0 "$?" "root's insmod works under audit"
assert_loaded dummy "insmod loaded dummy under audit"
monitor_expect_member ExternalLoad 20
check "ExternalLoad arrives for the insmod"
assert_contains "$SIG" "uint32 $insmod_pid" "ExternalLoad names insmod's pid ($insmod_pid)"
assert_contains "$SIG" 'string "insmod"' "ExternalLoad names its comm"
assert_contains "$SIG" "boolean false" "ExternalLoad says it was let through"
assert_contains "$(cat "$MODCTLD_LOG")" "Module dummy loaded (origin external, by pid $insmod_pid insmod, uid 0)." \
        "the daemon's record of the external load names who loaded it"
monitor_stop
[ "$(stat_value external-loads)" -ge 1 ] 2>/dev/null
check "Statistics counts the external load (external-loads=$(stat_value external-loads))"
unload_quietly dummy

# ==== KernelRequests=privileged
configure "[Daemon]" "Ownership=exclusive" "[Policy]" "KernelRequests=privileged"
assert_ok modctl reload
assert_eq 's "privileged"' "$(prop KernelRequests)" "ReloadConfig sets KernelRequests=privileged"
unload_quietly appletalk psnap llc
monitor_start "type='signal',interface='org.modctl1.Manager',member='KernelRequest'" || fail "dbus-monitor attaches"
run setpriv --reuid 65534 --regid 65534 --clear-groups kreq try $AF_APPLETALK $SOCK_DGRAM
[ "$RC" -ne 0 ]
check "socket(AF_APPLETALK) as uid 65534 fails ($OUT)"
assert_not_loaded appletalk "the unprivileged socket() did not load appletalk"
monitor_expect_member KernelRequest 20
check "KernelRequest arrives for the refused request"
assert_contains "$SIG" 'string "net-pf-5"' "it names the requested module"
assert_contains "$SIG" "uint32 65534" "it names the caller's uid"
assert_contains "$SIG" 'string "kreq"' "it names the caller's comm"
assert_contains "$SIG" "boolean true" "it says refused"
assert_contains "$(cat "$MODCTLD_LOG")" "Refused kernel request for 'net-pf-5' by pid" "the daemon logs the refusal"
[ "$(stat_value kernel-requests-refused)" -ge 1 ] 2>/dev/null
check "Statistics counts it (kernel-requests-refused=$(stat_value kernel-requests-refused))"
run kreq try $AF_APPLETALK $SOCK_DGRAM
assert_eq 0 "$RC" "socket(AF_APPLETALK) as root works ($OUT)"
assert_loaded appletalk "root's socket() loaded appletalk through modctld"
monitor_expect_member KernelRequest 20
assert_contains "$SIG" "uint32 0" "the passing request names root"
assert_contains "$SIG" "boolean false" "and says it passed"
# A request that passes does not wake modctld by itself (BPF_RB_NO_WAKEUP): its report is read
# after the hook's answer, in the same wakeup, and still names who asked. net-pf-14 resolves
# to nothing, so the hook answers at once ("failed" in the debug log).
before=$(wc -l < "$MODCTLD_LOG")
kreq try 14 2 > /tmp/kreq14.out 2>&1 &
kreq_pid=$!
wait $kreq_pid
monitor_expect_request net-pf-14 20
check "KernelRequest arrives for root's passing request net-pf-14 ($(cat /tmp/kreq14.out))"
assert_contains "$SIG" "uint32 $kreq_pid" "it names the requester's pid ($kreq_pid)"
assert_contains "$SIG" 'string "kreq"' "and its comm"
assert_contains "$SIG" "boolean false" "and says it passed"
log=$(tail -n +$((before + 1)) "$MODCTLD_LOG")
answered=$(printf '%s\n' "$log" | grep -n "Kernel request for 'net-pf-14' (pid [0-9]*) failed" | head -n1 | cut -d: -f1)
reported=$(printf '%s\n' "$log" | grep -n "Kernel request for 'net-pf-14' by pid $kreq_pid" | head -n1 | cut -d: -f1)
[ -n "$answered" ] && [ -n "$reported" ] && [ "$answered" -lt "$reported" ]
check "modctld answered the hook (log line ${answered:-none}) before it read the report (line ${reported:-none})"
monitor_stop
unload_quietly appletalk psnap llc

# ==== KernelRequests=privileged: what a kernel thread asks for a task (issue 19, finding 4)
# Root loads the AF_ALG front ends; the templates and algorithms are left to autoload.
for m in af_alg algif_aead algif_skcipher; do
        assert_ok modctl load "$m"
done
unload_quietly pcrypt xts ecb serpent_generic
monitor_start "type='signal',interface='org.modctl1.Manager',member='KernelRequest'" || fail "dbus-monitor attaches"
# uid 65534 binds to pcrypt(...): the bind asks for crypto-pcrypt(gcm(aes)) in its context,
# then the cryptomgr_probe kernel thread asks for crypto-pcrypt with init's credentials.
run setpriv --reuid 65534 --regid 65534 --clear-groups kreq alg aead 'pcrypt(gcm(aes))'
[ "$RC" -ne 0 ]
check "AF_ALG bind to pcrypt(gcm(aes)) as uid 65534 fails ($OUT)"
assert_not_loaded pcrypt "the kernel thread's request for crypto-pcrypt did not load pcrypt"
monitor_expect_request crypto-pcrypt 30
check "KernelRequest arrives for the kernel thread's crypto-pcrypt"
assert_contains "$SIG" "uint32 65534" "it names uid 65534, the task that caused it"
assert_contains "$SIG" 'string "kreq"' "it names the caller's comm"
assert_contains "$SIG" "boolean true" "it says refused"
assert_contains "$SIG" 'string "cryptomgr_probe"' "it names the kernel thread that asked"
assert_contains "$(cat "$MODCTLD_LOG")" "Refused kernel request for 'crypto-pcrypt' caused by pid" \
        "the daemon's log names the cause"
# Root's first use of a template: xts(serpent), as cryptsetup would. The kernel thread asks for
# crypto-xts and crypto-serpent, then, for the name xts builds, crypto-ecb(serpent) and, in one
# more kernel thread, crypto-ecb: all caused by root.
run kreq alg skcipher 'xts(serpent)'
assert_eq 0 "$RC" "AF_ALG bind to xts(serpent) as root works ($OUT)"
assert_loaded xts "root's bind loaded the xts template through modctld"
assert_loaded ecb "and the ecb template that xts asked for"
assert_loaded serpent_generic "and the serpent algorithm"
monitor_expect_request crypto-xts 30
check "KernelRequest arrives for crypto-xts"
assert_contains "$SIG" "uint32 0" "it names root as the cause"
assert_contains "$SIG" "boolean false" "and says it passed"
assert_contains "$SIG" 'string "cryptomgr_probe"' "and that a kernel thread asked"
monitor_stop
unload_quietly pcrypt xts ecb serpent_generic algif_aead algif_skcipher af_alg

# ==== lifetime: the default fails open when modctld dies
configure "[Daemon]" "Ownership=exclusive"
assert_ok modctl reload
assert_fails insmod "$DUMMY_KO"
kill -9 "$MODCTLD_PID"
notify-start --wait-exit "$MODCTLD_PID" --timeout 30
check "modctld is killed with SIGKILL"
MODCTLD_PID=
assert_ok insmod "$DUMMY_KO"
assert_loaded dummy "with the default lifetime, insmod works again once modctld is dead"
unload_quietly dummy

# ==== keep: the lock outlives the daemon until the next one takes over
configure "[Daemon]" "Ownership=exclusive" "OwnershipOnExit=keep"
start_modctld --log-level=debug
check "modctld starts with OwnershipOnExit=keep"
assert_eq 's "active, kept when modctld exits"' "$(prop OwnershipEnforcement)" "OwnershipEnforcement says kept"
[ -e /sys/fs/bpf/modctl/link-read-file ] && [ -e /sys/fs/bpf/modctl/settings ]
check "the links and maps are pinned in /sys/fs/bpf/modctl"
kill -9 "$MODCTLD_PID"
notify-start --wait-exit "$MODCTLD_PID" --timeout 30
check "modctld is killed with SIGKILL"
MODCTLD_PID=
run insmod "$DUMMY_KO"
[ "$RC" -ne 0 ]
check "with keep, insmod stays refused while no modctld runs"
assert_contains "$ERR" "Operation not permitted" "refused by the kernel"
assert_not_loaded dummy
: > "$MODCTLD_LOG"
start_modctld --log-level=debug
check "a new modctld starts"
assert_contains "$(cat "$MODCTLD_LOG")" "took over the programs kept by the previous modctld" "it adopts the kept programs"
assert_ok modctl load dummy
assert_loaded dummy "modctl load works once the new modctld took over"
unload_quietly dummy
assert_fails insmod "$DUMMY_KO"
assert_not_loaded dummy "insmod is still refused"
# Back to release: the pins go, and a clean stop fails open.
configure "[Daemon]" "Ownership=exclusive" "OwnershipOnExit=release"
assert_ok modctl reload
[ ! -e /sys/fs/bpf/modctl/link-read-file ]
check "OwnershipOnExit=release removes the pins"
stop_modctld
check "modctld stops"
assert_ok insmod "$DUMMY_KO"
assert_loaded dummy "after a clean stop insmod works again"
unload_quietly dummy

# With only the capabilities modctld.service keeps (its CapabilityBoundingSet=), the programs
# load, attach and enforce.
configure "[Daemon]" "Ownership=exclusive"
MODCTLD_PID=$(notify-start --timeout 120 --log "$MODCTLD_LOG" --pidfile /run/modctld.pid \
        -- setpriv --bounding-set -all,+sys_module,+bpf,+perfmon,+mac_admin -- /usr/sbin/modctld --no-autoload)
check "modctld starts with only CAP_SYS_MODULE CAP_BPF CAP_PERFMON CAP_MAC_ADMIN"
assert_eq 's "active, released when modctld exits"' "$(prop OwnershipEnforcement)" \
        "enforcement is active with the unit's capabilities"
assert_fails insmod "$DUMMY_KO"
assert_ok modctl load dummy
assert_loaded dummy "modctl load works with the unit's capabilities"
unload_quietly dummy
stop_modctld
check "modctld stops"

vm_finish
