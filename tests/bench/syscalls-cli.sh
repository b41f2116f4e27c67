#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# System calls per operation (issue 23), in one VM boot, as root (modctl over modctld's
# private socket): `modctl load dummy` vs `insmod dummy.ko`, and `modctl modprobe dummy` vs
# kmod's `modprobe dummy`. `strace -f -c` of the command (and its children; modctld's own work
# is not in it), dummy unloaded between runs, after one untraced warm-up of each. A count does
# not depend on the host's load, so this runs any time. Prints, per pair:
#   SYSCALLS <pair> <syscall> modctl=N <tool>=N      (every syscall either of them made)
#   SYSCALLS <pair> total modctl=N <tool>=N
#   LIBS <pair> modctl=N <tool>=N                    (shared objects opened, dlopen included)
. /vm/lib.sh

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

ko=$(modprobe -D dummy | sed -n 's/^insmod \([^ ]*\).*/\1/p')
unload_quietly dummy

# trace OUT CMD...: one traced run; counts in OUT.c, opened files in OUT.o.
trace() {
        local out=$1
        shift
        "$@" > /dev/null 2>&1
        rmmod dummy 2>/dev/null
        strace -f -c -o "$out.c" "$@" > /dev/null 2>&1
        rmmod dummy 2>/dev/null
        strace -f -e trace=openat,open -o "$out.o" "$@" > /dev/null 2>&1
        rmmod dummy 2>/dev/null
}

# calls FILE: "syscall count" lines of strace -c's table (the total as "total").
calls() {
        awk '$1 ~ /^[0-9.]+$/ && NF >= 5 { print $NF, $4 }' "$1"
}

libs() {
        grep -v ENOENT "$1" | grep -c '\.so[.0-9]*"'
}

report() {
        local pair=$1 tool=$2 ours=$3 theirs=$4
        calls "$ours.c" > /tmp/ours.n
        calls "$theirs.c" > /tmp/theirs.n
        cut -d' ' -f1 /tmp/ours.n /tmp/theirs.n | sort -u | grep -vx total | while read -r s; do
                a=$(awk -v s="$s" '$1 == s { print $2 }' /tmp/ours.n)
                b=$(awk -v s="$s" '$1 == s { print $2 }' /tmp/theirs.n)
                echo "SYSCALLS $pair $s modctl=${a:-0} $tool=${b:-0}"
        done
        a=$(awk '$1 == "total" { print $2 }' /tmp/ours.n)
        b=$(awk '$1 == "total" { print $2 }' /tmp/theirs.n)
        echo "SYSCALLS $pair total modctl=${a:-0} $tool=${b:-0}"
        echo "LIBS $pair modctl=$(libs "$ours.o") $tool=$(libs "$theirs.o")"
}

trace /tmp/load modctl load dummy
assert_not_loaded dummy "modctl load dummy was unloaded after its runs"
trace /tmp/insmod insmod "$ko"
report load insmod /tmp/load /tmp/insmod
[ -s /tmp/load.c ] && [ -s /tmp/insmod.c ]
check "strace counted both commands"

trace /tmp/mp modctl modprobe dummy
trace /tmp/kmp modprobe dummy
report modprobe modprobe /tmp/mp /tmp/kmp
assert_not_loaded dummy "the runs cleaned up"
# The whole traces, for a look at what each call was.
for f in /tmp/load.o /tmp/mp.o; do
        diag "$(echo "== $f"; cat "$f")"
done

stop_modctld
vm_finish
