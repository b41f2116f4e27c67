#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Debian 13 (trixie)'s 6.12 kernel and its .ko.xz modules (run-suite-trixie.sh): modctld hands
# a compressed module to finit_module() as it is, with MODULE_INIT_COMPRESSED_FILE, because
# /sys/module/compression says xz; and a module the kernel's decoder refuses (recompressed with
# xz's default CRC64 check; the kernel reads CRC32 only) is inserted again, decompressed in user
# space. strace -f on modctld shows every finit_module() call with its fd's path and flags.
. /vm/lib.sh

case $(uname -r) in
6.12.*) pass "booted trixie's kernel $(uname -r)" ;;
*) fail "booted trixie's kernel (got $(uname -r))" ;;
esac
assert_eq xz "$(cat /sys/module/compression 2>&1)" "/sys/module/compression says the kernel decompresses xz"

dep=/lib/modules/$KVER/modules.dep
dummy=$(sed -n 's|^\(.*/dummy\.ko\.xz\):.*|\1|p' "$dep")
loop=$(sed -n 's|^\(.*/loop\.ko\.xz\):.*|\1|p' "$dep")
[ -n "$dummy" ] && [ -n "$loop" ] && [ -f "/lib/modules/$KVER/$dummy" ]
check "trixie's modules are .ko.xz ($dummy, $loop)"
assert_not_loaded dummy
assert_not_loaded loop

# loop's file as xz(1) writes it by default: a CRC64 check, which the kernel's decoder refuses.
cp /vm/crc64/loop.ko.xz "/lib/modules/$KVER/$loop"
[ "$(od -An -tx1 -j7 -N1 "/lib/modules/$KVER/$loop" | tr -d ' ')" = 04 ]
check "loop.ko.xz now has a CRC64 check"

start_system_bus
MODCTLD_PID=$(notify-start --timeout 120 --log "$MODCTLD_LOG" --pidfile /run/modctld.pid -- \
        strace -f -qq -y -e trace=finit_module -o /tmp/strace.log \
        /usr/sbin/modctld --no-autoload --log-level=debug)
check "modctld starts under strace"

assert_ok modctl load dummy
assert_loaded dummy
assert_ok modctl load loop
assert_loaded loop "loop is loaded although the kernel refused its xz stream"

# strace -o FILE PROG blocks fatal signals (its -I 3 default), so a SIGTERM to strace does
# nothing (the first boot of this test waited 30 s for it): modctld, strace's one child, gets the
# SIGTERM, and strace ends with it; then its log is complete.
kill $(cat "/proc/$MODCTLD_PID/task/$MODCTLD_PID/children")
stop_modctld
check "modctld stops"
strace_log=$(cat /tmp/strace.log)
diag "$strace_log"

# strace 6.1 names flag 4 MODULE_INIT_COMPRESSED_FILE or prints it as a number.
grep -Eq "dummy\.ko\.xz>, \"\", (MODULE_INIT_COMPRESSED_FILE|0x4[^)]*)\) = 0" /tmp/strace.log
check "dummy.ko.xz went to finit_module() compressed, with MODULE_INIT_COMPRESSED_FILE, and loaded"
grep -Eq "loop\.ko\.xz>, \"\", (MODULE_INIT_COMPRESSED_FILE|0x4[^)]*)\) = -1 EINVAL" /tmp/strace.log
check "the kernel refused loop's CRC64 stream with EINVAL"
grep -Eq "memfd:modctl-module.*, \"\", 0\) = 0" /tmp/strace.log
check "loop was inserted again from a memfd, decompressed in user space, without the flag"
[ "$(grep -c 'finit_module(' /tmp/strace.log)" = 3 ]
check "three finit_module() calls in all: no other retry"
assert_contains "$(cat "$MODCTLD_LOG")" "The kernel refused to decompress module 'loop' (EINVAL), inserting it decompressed in user space." \
        "modctld's debug log says why it decompressed loop itself"

# Plain kmod (bookworm's 30 here) has no part in it: the comparison is modctld's own calls.
diag "kernel $KVER, $(date -u +%Y-%m-%d)"
vm_finish
