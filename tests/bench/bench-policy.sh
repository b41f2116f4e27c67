#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Policy benchmarks, in one VM boot: what checking the bytes before finit_module() costs.
#   snd-kernel:    `modctl load snd` (soundcore + snd, Debian-signed) with License=gpl-compatible
#                  Signature=kernel vs Mode=off
#   base-trusted:  `modctl load modctl_test_base` signed by a trusted key, Signature=trusted
#                  (OpenSSL CMS verification) vs Mode=off
#   check-snd:     `modctl policy check snd` vs `modctl load --dry-run snd` under Mode=off
# Each prints: BENCH <what> policy_median_us=N off_median_us=N ratio=R. Medians of BENCH_RUNS
# runs (default 15) after one warm-up; TCG guest: compare ratios, not microseconds.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-15}
CONF=/etc/modctl/modctld.conf

set_conf() {
        mkdir -p /etc/modctl
        printf '%s\n' "$@" > "$CONF"
        modctl reload
}

report() {
        local what=$1 with=$2 without=$3 m1 m2
        m1=$(median "$with") m2=$(median "$without")
        if [ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -gt 0 ]; then
                echo "BENCH $what policy_median_us=$m1 off_median_us=$m2 ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
                diag "policy: $with"
                diag "off: $without"
                pass "benchmark $what"
        else
                fail "benchmark $what"
                diag "policy: $with"
                diag "off: $without"
        fi
}

start_system_bus
check "dbus-daemon --system is up"
mkdir -p /etc/modctl/keys
cp /vm/sig/trusted/cert-a.pem /etc/modctl/keys/
cp /vm/sig/signed-a.ko "/lib/modules/$KVER/extra/modctl_test_base.ko"
start_modctld
check "modctld is ready"
unload_quietly snd soundcore modctl_test_base

set_conf "[Policy]" "License=gpl-compatible" "Signature=kernel"
check "policy: License=gpl-compatible Signature=kernel"
with=$(timeit -n "$RUNS" -a "rmmod snd soundcore" -- modctl load snd)
set_conf "[Policy]" "Mode=off"
check "policy: Mode=off"
without=$(timeit -n "$RUNS" -a "rmmod snd soundcore" -- modctl load snd)
report snd-kernel "$with" "$without"
assert_not_loaded snd "the snd benchmark cleaned up"

set_conf "[Policy]" "Signature=trusted"
check "policy: Signature=trusted"
with=$(timeit -n "$RUNS" -a "rmmod modctl_test_base" -- modctl load modctl_test_base)
set_conf "[Policy]" "Mode=off"
without=$(timeit -n "$RUNS" -a "rmmod modctl_test_base" -- modctl load modctl_test_base)
report base-trusted "$with" "$without"

with=$(timeit -n "$RUNS" -- modctl policy check snd)
without=$(timeit -n "$RUNS" -- modctl load --dry-run snd)
report check-snd "$with" "$without"

stop_modctld
vm_finish
