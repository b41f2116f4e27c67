#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot Debian's kernel under qemu with an initramfs from build-initramfs.sh and run one guest
# test script as /vm/test.sh. The serial console streams to stdout; the exit status is the
# guest script's, read from the "MODCTL-VM-RESULT: <rc>" line that tests/vm/init prints.
# No marker (crash, panic, hang, timeout) is a failure. Nothing here ever skips.
#
#   run-vm.sh --initrd FILE [--kernel FILE] [--timeout SEC] [--memory MB] [--smp N]
#             [--append ARGS] [--env NAME=VALUE]... [--file SRC=DEST]... [--log FILE]
#             [--accel SPEC] SCRIPT
#
# --accel SPEC (or MODCTL_VM_ACCEL) gives qemu's -accel, e.g. tcg,thread=single against
# tcg,thread=multi (qemu's default for -smp 2) for the TCG contention study (issue 21).
set -euo pipefail

die() { echo "run-vm: $*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel= initrd= timeout_s=${MODCTL_VM_TIMEOUT:-600} memory=1024 smp=2 append= log= script=
accel=${MODCTL_VM_ACCEL:-}
envs=() files=()
while [[ $# -gt 0 ]]; do
        case $1 in
        --kernel) kernel=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --memory) memory=$2; shift 2 ;;
        --smp) smp=$2; shift 2 ;;
        --append) append="$append $2"; shift 2 ;;
        --env) envs+=("$2"); shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        --log) log=$2; shift 2 ;;
        --accel) accel=$2; shift 2 ;;
        -*) die "unknown option $1" ;;
        *) [[ -z $script ]] || die "only one script"; script=$1; shift ;;
        esac
done

qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[[ -n $script ]] || die "no guest script given"
[[ -f $script ]] || die "guest script $script not found"
[[ -n $initrd ]] || die "no --initrd given (build it with tests/vm/build-initramfs.sh)"
[[ -f $initrd ]] || die "initramfs $initrd not found (build it with tests/vm/build-initramfs.sh)"
if [[ -z $kernel ]]; then
        kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1) || true
        [[ -n $kernel ]] || die "no /boot/vmlinuz-* (apt-get install linux-image-amd64)"
fi
[[ -f $kernel ]] || die "kernel image $kernel not found (apt-get install linux-image-amd64)"
[[ -r $kernel ]] || die "kernel image $kernel not readable"

work=$(mktemp -d "${TMPDIR:-/tmp}/modctl-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The script, the init and lib.sh go into a second cpio appended to the initramfs: the kernel
# unpacks both, later files win, and editing a test needs no initramfs rebuild.
ov=$work/overlay
mkdir -p "$ov/vm"
cp "$script" "$ov/vm/test.sh"
cp "$here/init" "$ov/init"
cp "$here/lib.sh" "$ov/vm/lib.sh"
{
        printf 'VM_TEST_NAME=%q\n' "$(basename "$script")"
        for e in "${envs[@]}"; do
                [[ $e == *=* ]] || die "--env $e: expected NAME=VALUE"
                printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
        done
} > "$ov/vm/env"
for spec in "${files[@]}"; do
        src=${spec%%=*} dest=${spec#*=}
        [[ -e $src ]] || die "--file: $src not found"
        mkdir -p "$ov$(dirname "$dest")"
        cp -a "$src" "$ov$dest"
done
chmod 755 "$ov/init"
(cd "$ov" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$work/overlay.cpio.gz"
cat "$initrd" "$work/overlay.cpio.gz" > "$work/initrd.img"

[[ -n $log ]] || log=$work/console.log
mkdir -p "$(dirname "$log")"

# TCG only: /dev/kvm opens here but guests hang. -cpu max gives RDRAND, without which the
# guest's crng is not ready and dbus-daemon blocks. The PCI devices give modaliases.
qemu_args=(
        -machine pc -cpu max -smp "$smp" -m "$memory"
        -nographic -no-reboot
        -kernel "$kernel" -initrd "$work/initrd.img"
        -append "console=ttyS0 quiet panic=-1$append"
        -audiodev none,id=snd0 -device intel-hda -device hda-duplex,audiodev=snd0
        -nic none -netdev user,id=net0,restrict=on -device e1000,netdev=net0,romfile=
        -device virtio-rng-pci
)
[[ -z $accel ]] || qemu_args+=(-accel "$accel")

echo "run-vm: booting $(basename "$kernel") with $(basename "$script") (timeout ${timeout_s}s${accel:+, -accel $accel})" >&2
start=$(date +%s.%N)
set +e
# SeaBIOS writes terminal resets and escapes to the serial port; the log keeps plain lines.
timeout -k 10 "$timeout_s" "$qemu" "${qemu_args[@]}" < /dev/null 2>&1 \
        | sed -u -e 's/\x1bc//g' -e 's/\x1b\[[?0-9;]*[a-zA-Z]//g' -e 's/\r$//' | tee "$log"
status=("${PIPESTATUS[@]}")
set -e
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

rc=$(sed -n 's/^MODCTL-VM-RESULT: \([0-9][0-9]*\)$/\1/p' "$log" | tail -n1)
if [[ ${status[0]} -eq 124 || ${status[0]} -eq 137 ]]; then
        echo "run-vm: FAILED: the VM did not finish within ${timeout_s}s and was killed" >&2
        exit 1
fi
if [[ -z $rc ]]; then
        echo "run-vm: FAILED: no MODCTL-VM-RESULT line: the guest crashed, panicked or hung (qemu exit ${status[0]}, ${elapsed}s)" >&2
        exit 1
fi
echo "run-vm: guest script exited $rc after ${elapsed}s" >&2
exit "$rc"
