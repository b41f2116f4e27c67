# SPDX-License-Identifier: LGPL-2.1-or-later
# Shell library for the guest test scripts (/bin/sh is bash in the VM). Source it with
# `. /vm/lib.sh`.
#
# Output is TAP-like: "ok N - desc" / "not ok N - desc", diagnostics as "# ...", and
# vm_finish prints "# vm: P passed, F failed" and returns 0 only if nothing failed.
#
# After every run/assert_ok/assert_fails: $RC, $OUT (stdout) and $ERR (stderr) of that command.

VM_N=0
VM_PASS=0
VM_FAIL=0
KVER=${KVER:-$(cat /vm/kver)}
MODCTLD_LOG=/tmp/modctld.log

diag() {
        printf '%s\n' "$*" | sed 's/^/#   /'
}

pass() {
        VM_N=$((VM_N + 1)); VM_PASS=$((VM_PASS + 1))
        echo "ok $VM_N - $*"
}

fail() {
        VM_N=$((VM_N + 1)); VM_FAIL=$((VM_FAIL + 1))
        echo "not ok $VM_N - $*"
}

# check DESC: pass if the last command (status in $?) succeeded.
check() {
        if [ $? -eq 0 ]; then pass "$@"; else fail "$@"; fi
}

# Run a command and keep its status and output.
run() {
        "$@" > /tmp/vm-run.out 2> /tmp/vm-run.err
        RC=$?
        OUT=$(cat /tmp/vm-run.out)
        ERR=$(cat /tmp/vm-run.err)
        return 0
}

show_last() {
        diag "command exited $RC"
        [ -n "$OUT" ] && diag "stdout:" && diag "$OUT"
        [ -n "$ERR" ] && diag "stderr:" && diag "$ERR"
        return 0
}

# A command line for a test description: arguments quoted, at most 72 characters.
cmdline() {
        local s
        s=$(printf '%q ' "$@")
        s=${s% }
        [ ${#s} -le 72 ] || s="${s:0:69}..."
        printf '%s' "$s"
}

assert_ok() {
        local d
        d="succeeds: $(cmdline "$@")"
        run "$@"
        if [ "$RC" -eq 0 ]; then pass "$d"; else fail "$d"; show_last; fi
}

assert_fails() {
        local d
        d="fails: $(cmdline "$@")"
        run "$@"
        if [ "$RC" -ne 0 ]; then pass "$d"; else fail "$d"; show_last; fi
}

# assert_eq EXPECTED ACTUAL DESC
assert_eq() {
        if [ "$1" = "$2" ]; then
                pass "$3"
        else
                fail "$3"
                diag "expected: $1"
                diag "actual:   $2"
        fi
}

# assert_contains HAYSTACK NEEDLE DESC (fixed string, case-sensitive)
assert_contains() {
        case $1 in
        *"$2"*) pass "$3" ;;
        *) fail "$3"; diag "expected to contain: $2"; diag "in:"; diag "$1" ;;
        esac
}

assert_not_contains() {
        case $1 in
        *"$2"*) fail "$3"; diag "expected not to contain: $2"; diag "in:"; diag "$1" ;;
        *) pass "$3" ;;
        esac
}

assert_stdout_contains() {
        assert_contains "$OUT" "$1" "${2:-stdout contains '$1'}"
}

assert_stderr_contains() {
        assert_contains "$ERR" "$1" "${2:-stderr contains '$1'}"
}

# Module names as the kernel spells them: dashes become underscores.
modname() {
        echo "$1" | tr - _
}

is_loaded() {
        grep -q "^$(modname "$1") " /proc/modules
}

assert_loaded() {
        if is_loaded "$1"; then pass "${2:-$1 is loaded}"; else fail "${2:-$1 is loaded}"; fi
}

assert_not_loaded() {
        if is_loaded "$1"; then fail "${2:-$1 is not loaded}"; else pass "${2:-$1 is not loaded}"; fi
}

# The set of loaded module names, sorted, one per line.
loaded_modules() {
        cut -d' ' -f1 /proc/modules | sort
}

# Unload modules with rmmod, ignoring the ones not loaded (test setup, not a test).
unload_quietly() {
        for m in "$@"; do
                is_loaded "$m" && rmmod "$(modname "$m")" 2>/dev/null
        done
        return 0
}

name_has_owner() {
        [ "$(busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                NameHasOwner s "$1" 2>/dev/null)" = "b true" ]
}

# Start dbus-daemon --system. It prints its address on fd 3 once it listens, so a blocking
# read on a FIFO is the readiness event.
start_system_bus() {
        mkdir -p /run/dbus
        rm -f /run/dbus-ready
        mkfifo /run/dbus-ready
        dbus-daemon --system --nofork --nopidfile --nosyslog --print-address=3 \
                3> /run/dbus-ready > /tmp/dbus-daemon.log 2>&1 &
        DBUS_PID=$!
        local addr=
        read -t 30 addr < /run/dbus-ready
        rm -f /run/dbus-ready
        if [ -z "$addr" ] || [ ! -S /run/dbus/system_bus_socket ]; then
                echo "start_system_bus: dbus-daemon did not come up" >&2
                cat /tmp/dbus-daemon.log >&2
                return 1
        fi
        return 0
}

# Start modctld in the background. notify-start returns when the daemon sends READY=1 over
# NOTIFY_SOCKET (there is no systemd in the VM); modctld sends it after it owns org.modctl1,
# so one NameHasOwner call checks that promise rather than polling for it.
# Tests written before autoload get a daemon without boot list, coldplug or device events, so
# the emulated devices' drivers do not show up uninvited; MODCTLD_AUTOLOAD=1 turns them on.
start_modctld() {
        local autoload=--no-autoload
        [ "${MODCTLD_AUTOLOAD:-0}" = 1 ] && autoload=
        MODCTLD_PID=$(notify-start --timeout 120 --log "$MODCTLD_LOG" --pidfile /run/modctld.pid \
                -- /usr/sbin/modctld $autoload "$@") || {
                echo "start_modctld: modctld did not become ready; its log:" >&2
                cat "$MODCTLD_LOG" >&2
                return 1
        }
        if ! name_has_owner org.modctl1; then
                echo "start_modctld: modctld sent READY=1 but org.modctl1 has no owner" >&2
                return 1
        fi
        return 0
}

# Stop modctld and wait for it to exit (pidfd, no polling).
stop_modctld() {
        [ -n "${MODCTLD_PID:-}" ] || return 0
        kill "$MODCTLD_PID" 2>/dev/null
        notify-start --wait-exit "$MODCTLD_PID" --timeout 30
        local r=$?
        MODCTLD_PID=
        return $r
}

daemon_alive() {
        [ -n "${MODCTLD_PID:-}" ] && kill -0 "$MODCTLD_PID" 2>/dev/null && name_has_owner org.modctl1
}

# wait_log TEXT: wait until the daemon's log has a line with TEXT (tail -f: woken by writes),
# for at most 400 s. Through a fifo: the guest has no /dev/fd for bash's process substitution.
wait_log() {
        local fifo=/tmp/wait-log.fifo r tpid
        rm -f $fifo
        mkfifo $fifo
        timeout 400 tail -n +1 -f "$MODCTLD_LOG" > $fifo &
        tpid=$!
        grep -q -m1 -F "$1" < $fifo
        r=$?
        kill $tpid 2>/dev/null
        wait $tpid 2>/dev/null
        rm -f $fifo
        return $r
}

# Watch the system bus for signals: monitor_start [MATCH...]; then monitor_expect_signal
# MEMBER ARG1 ARG2 [TIMEOUT] reads the monitor's output as it arrives until a signal MEMBER
# with those two string arguments shows up. dbus-monitor prints NameLost for itself once it
# has turned into a monitor: that line is the "attached" event.
monitor_start() {
        rm -f /run/monitor.fifo
        mkfifo /run/monitor.fifo
        dbus-monitor --system "$@" > /run/monitor.fifo 2> /tmp/dbus-monitor.err &
        MONITOR_PID=$!
        exec 7< /run/monitor.fifo
        : > /tmp/monitor.log
        local line
        while read -t 30 -r line <&7; do
                echo "$line" >> /tmp/monitor.log
                case $line in *member=NameLost*) return 0 ;; esac
        done
        echo "monitor_start: dbus-monitor did not attach" >&2
        cat /tmp/dbus-monitor.err >&2
        return 1
}

monitor_expect_signal() {
        local member=$1 a1=$2 a2=$3 timeout=${4:-10} line got1 got2
        while read -t "$timeout" -r line <&7; do
                echo "$line" >> /tmp/monitor.log
                case $line in
                signal*member=$member*)
                        read -t "$timeout" -r got1 <&7 || break
                        read -t "$timeout" -r got2 <&7 || break
                        echo "$got1" >> /tmp/monitor.log
                        echo "$got2" >> /tmp/monitor.log
                        [ "$got1" = "string \"$a1\"" ] && [ "$got2" = "string \"$a2\"" ] && return 0
                        ;;
                esac
        done
        return 1
}

monitor_stop() {
        [ -n "${MONITOR_PID:-}" ] || return 0
        kill "$MONITOR_PID" 2>/dev/null
        wait "$MONITOR_PID" 2>/dev/null
        exec 7<&-
        MONITOR_PID=
        rm -f /run/monitor.fifo
}

# ---- after a fault ----

# The module names `modctl list` reports, sorted, one per line.
listed_modules() {
        modctl list --json | tr ',{}[]' '\n\n\n\n\n' | sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' | sort
}

# after_fault_checks WHAT: the three checks every fault test ends with, each test named after
# WHAT. 1. /proc/modules and `modctl list` agree. 2. The settings files parse: modctld.conf and
# its drop-ins (a reload succeeds: an invalid line would fail it), and /etc/modprobe.d with
# modctl.conf (`modctl settings` reads them, and kmod's `modprobe -c` takes them without a
# warning). 3. The kernel hook answers: a kernel request through modctl-request loads dummy.
# dummy is left loaded or not, as it was.
after_fault_checks() {
        local what=$1 was_loaded=0
        assert_eq "$(loaded_modules)" "$(listed_modules)" "$what: /proc/modules and modctl list agree"
        assert_ok modctl reload
        assert_ok modctl settings dummy
        run modprobe -c
        [ "$RC" -eq 0 ] && [ -z "$ERR" ]
        check "$what: modprobe -c takes the modprobe.d files without a warning"
        [ "$RC" -eq 0 ] && [ -z "$ERR" ] || show_last
        is_loaded dummy && was_loaded=1
        unload_quietly dummy
        assert_ok /usr/libexec/modctl/modctl-request -q -- dummy
        assert_loaded dummy "$what: the kernel hook answers (a kernel request loads dummy)"
        [ "$was_loaded" = 1 ] || unload_quietly dummy
        return 0
}

# ---- benchmarks (tests/bench) ----

# The median_us=N of a timeit line.
median() {
        printf '%s\n' "$1" | sed -n 's/.*median_us=\([0-9]*\).*/\1/p'
}

# bench_report WHAT TOOL OURS THEIRS: OURS and THEIRS are timeit lines for modctl and for its
# contender; prints "BENCH WHAT modctl_median_us=N TOOL_median_us=N ratio=modctl/TOOL".
bench_report() {
        local what=$1 tool=$2 ours=$3 theirs=$4
        local m1 m2
        m1=$(median "$ours") m2=$(median "$theirs")
        if [ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -gt 0 ]; then
                echo "BENCH $what modctl_median_us=$m1 ${tool}_median_us=$m2 ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
                diag "modctl: $ours"
                diag "$tool: $theirs"
                pass "benchmark $what"
        else
                fail "benchmark $what"
                diag "modctl: $ours"
                diag "$tool: $theirs"
        fi
}

# Print the summary and return the script's exit status. On failure, show what the daemon
# and the kernel said.
vm_finish() {
        if dmesg | grep -qE 'Oops|BUG:|WARNING:|Call Trace'; then
                fail "the kernel logged no oops, BUG or WARNING"
                dmesg | grep -E -A3 'Oops|BUG:|WARNING:' | head -n 30 | sed 's/^/#   /'
        fi
        if [ "$VM_FAIL" -ne 0 ]; then
                if [ -s "$MODCTLD_LOG" ]; then
                        echo "# --- tail of $MODCTLD_LOG"
                        tail -n 40 "$MODCTLD_LOG" | sed 's/^/#   /'
                fi
                echo "# --- tail of dmesg"
                dmesg | tail -n 20 | sed 's/^/#   /'
        fi
        echo "1..$VM_N"
        echo "# vm: $VM_PASS passed, $VM_FAIL failed"
        [ "$VM_FAIL" -eq 0 ] && [ "$VM_N" -gt 0 ]
}
