#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The meson entry point of the vm and bench suites: install the build into a staging tree,
# build the test modules, build the initramfs and boot it with one guest script.
#
#   run-suite.sh BUILD_DIR SOURCE_DIR TEST_SCRIPT [--initramfs OPTION]... [run-vm.sh options...]
#
# --initramfs OPTION passes one more argument to build-initramfs.sh (e.g. --full-index).
#
# MODCTL_VM_KVER picks the kernel release (default: the newest /boot/vmlinuz-*).
# MODCTL_VM_KERNEL_ROOT boots the kernel of an unpacked kernel package instead of the host's
# (DIR/boot, DIR/lib/modules; see run-suite-trixie.sh); no test modules are built for it, as
# its headers are not on the host.
# Everything lands in BUILD_DIR/vm/<script name>/, the console log included.
set -euo pipefail

die() { echo "run-suite: $*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: run-suite.sh BUILD_DIR SOURCE_DIR TEST_SCRIPT [run-vm options...]"
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd) script=$3
shift 3
[[ -f $script ]] || die "test script $script not found"
initramfs_args=() vm_args=()
while [[ $# -gt 0 ]]; do
        if [[ $1 == --initramfs ]]; then
                [[ $# -ge 2 ]] || die "--initramfs needs an argument"
                initramfs_args+=("$2")
                shift 2
        else
                vm_args+=("$1")
                shift
        fi
done
vm=$source/tests/vm

kver=${MODCTL_VM_KVER:-} kroot=${MODCTL_VM_KERNEL_ROOT:-}
if [[ -z $kver ]]; then
        kver=$(ls -1 "$kroot"/boot/vmlinuz-* 2>/dev/null | sed 's|^.*/boot/vmlinuz-||' | sort -V | tail -n1)
fi
[[ -n $kver ]] || die "no kernel in $kroot/boot (apt-get install linux-image-amd64)"
[[ -f $kroot/boot/vmlinuz-$kver ]] || die "$kroot/boot/vmlinuz-$kver missing (apt-get install linux-image-amd64)"
[[ -n $kroot || -d /lib/modules/$kver/build ]] || die "/lib/modules/$kver/build missing (apt-get install linux-headers-amd64)"

name=$(basename "$script" .sh)
out=$build/vm/$name
rm -rf "$out"
mkdir -p "$out"

step() { echo "run-suite: $*" >&2; }

step "installing $build into $out/staging"
meson install -C "$build" --no-rebuild --quiet --destdir "$out/staging" > "$out/install.log" 2>&1 \
        || { cat "$out/install.log" >&2; die "meson install failed"; }
[[ -x $out/staging/usr/sbin/modctld ]] || die "the staging tree has no /usr/sbin/modctld"

# The meson build's own fixture, when it is there for this kernel; else build one here.
fixture=$build/tests/modules/fixture
if [[ -n $kroot ]]; then
        fixture=-
        initramfs_args+=(--kernel-root "$kroot")
elif [[ ! -f $fixture/kernel-release || $(cat "$fixture/kernel-release") != "$kver" ]]; then
        fixture=$out/fixture
        step "building the test modules for $kver"
        "$source/tests/modules/build-fixture.sh" "$source/tests/modules" "$fixture" "$kver" > "$out/fixture.log" 2>&1 \
                || { cat "$out/fixture.log" >&2; die "building the test modules failed"; }
fi
[[ $fixture == - ]] || ls "$fixture/root/lib/modules/$kver/extra/"*.ko > /dev/null 2>&1 || die "no test modules in $fixture"

step "building the initramfs"
"$vm/build-initramfs.sh" "$out/staging" "$fixture" "$out/initramfs.cpio.gz" --kver "$kver" \
        ${initramfs_args[@]+"${initramfs_args[@]}"}

run_vm() {
        "$vm/run-vm.sh" --kernel "$kroot/boot/vmlinuz-$kver" --initrd "$out/initramfs.cpio.gz" \
                --log "$out/console.log" ${vm_args[@]+"${vm_args[@]}"} "$script"
}
[[ $name == bench-* ]] || { run_vm; exit; }

# The benchmarks' knobs, from the environment of `meson test` into the guest: BENCH_RUNS
# (rounds after the warm-up), BENCH_WORKERS (modctld --workers=N, bench-boot) and
# MODCTL_VM_ACCEL (qemu's -accel, e.g. tcg,thread=single; run-vm.sh reads it, the guest gets it
# as BENCH_ACCEL to print in its BENCH line; plain "tcg" is qemu's default, thread=multi).
for knob in BENCH_RUNS BENCH_WORKERS; do
        [[ -z ${!knob:-} ]] || vm_args+=(--env "$knob=${!knob}")
done
vm_args+=(--env "BENCH_ACCEL=${MODCTL_VM_ACCEL:-tcg}")

# A benchmark's figures mean something only on a quiet host: print the host's load and any
# other guest, before and after, so a contended run is visible in its own log.
host_state() {
        local others
        others=$(pgrep -c '^qemu-system' || true)
        echo "BENCH host $1: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs," \
             "other qemu guests running: $others, accel ${MODCTL_VM_ACCEL:-default}," \
             "runs ${BENCH_RUNS:-default}, workers ${BENCH_WORKERS:-default}, $(date -u +%FT%TZ)"
}
host_state before
rc=0
run_vm || rc=$?
host_state after
exit "$rc"
