#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer target for a bounded time: new inputs go to a work corpus in the build
# dir, the committed seeds are only read, crashes land next to the work corpus. Seeds built
# at build time (GENERATED...) are copied into a seed directory of their own.
#   run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [GENERATED...]
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4
mkdir -p "$work/corpus" "$work/artifacts"
rm -rf "$work/generated"
mkdir -p "$work/generated"
if [ $# -gt 0 ]; then
        cp "$@" "$work/generated/"
fi
# A target whose seeds are all generated has no committed seed directory.
[ -d "$seeds" ] || seeds=
# -error_exitcode: libFuzzer's default, 77, is what meson reads as "skipped".
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -error_exitcode=1 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" ${seeds:+"$seeds"} "$work/generated"
