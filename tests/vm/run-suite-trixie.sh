#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-suite.sh on Debian 13 (trixie)'s kernel: fetches trixie's linux-image-amd64 and kmod into
# the cache (fetch-trixie.sh, once), then boots that kernel with its own .ko.xz modules and the
# busybox initramfs of every other VM test. No test modules: trixie's headers are not on the
# host (bookworm), so the tests use Debian's own modules.
#
#   run-suite-trixie.sh BUILD_DIR SOURCE_DIR TEST_SCRIPT [--crc64 MODULE]... [run-suite.sh options...]
#
# --crc64 MODULE  also puts MODULE's file, recompressed with xz's default CRC64 check (which the
#                 kernel's decoder refuses), at /vm/crc64/MODULE.ko.xz in the guest
# The guest gets the trixie tree's kmod 34 as /vm/trixie/run PROGRAM ARGS... (its own loader
# and libraries) and /vm/trixie/modprobe, and TRIXIE_KMOD_VERSION.
set -euo pipefail

die() { echo "run-suite-trixie: $*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: run-suite-trixie.sh BUILD_DIR SOURCE_DIR TEST_SCRIPT [options...]"
build=$1 source=$2 script=$3
shift 3
vm=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

dir=$("$vm/fetch-trixie.sh" 2> >(grep -v 'DirectoryExists' >&2)) || die "cannot fetch trixie's kernel"
kver=$(cat "$dir/kver")
moddir=$dir/root/usr/lib/modules/$kver

extra=(--file "$dir/run=/vm/trixie/run" --env "TRIXIE_KMOD_VERSION=$(head -n1 "$dir/kmod-version")")
# kmod 34 itself, for comparisons inside the guest: the binary, trixie's loader and the
# libraries it needs, nothing else of trixie's root.
stage=$build/vm/.trixie-kmod
rm -rf "$stage"
mkdir -p "$stage/root/usr/bin" "$stage/root/usr/lib64" "$stage/root/usr/lib/x86_64-linux-gnu"
cp "$dir/root/usr/bin/kmod" "$stage/root/usr/bin/"
cp -L "$dir/root/usr/lib64/ld-linux-x86-64.so.2" "$stage/root/usr/lib64/"
for lib in libkmod.so.2 libc.so.6 liblzma.so.5 libzstd.so.1 libcrypto.so.3 libz.so.1; do
        cp -L "$dir/root/usr/lib/x86_64-linux-gnu/$lib" "$stage/root/usr/lib/x86_64-linux-gnu/"
done
extra+=(--file "$stage/root=/vm/trixie/root")
# kmod 34's modprobe as one command, for MODPROBE= (compare/run-modprobe.sh).
printf '#!/bin/sh\nexec /vm/trixie/run modprobe "$@"\n' > "$stage/modprobe"
chmod 755 "$stage/modprobe"
extra+=(--file "$stage/modprobe=/vm/trixie/modprobe")

args=()
while [[ $# -gt 0 ]]; do
        if [[ $1 == --crc64 ]]; then
                m=$2
                ko=$(sed -n "s|^\(.*/$m\.ko\.xz\):.*|\1|p" "$moddir/modules.dep" | head -n1)
                [[ -n $ko ]] || die "--crc64 $m: no such module in $kver"
                mkdir -p "$build/vm/.trixie-crc64"
                xz -dc "$moddir/$ko" | xz --check=crc64 -c > "$build/vm/.trixie-crc64/$m.ko.xz"
                extra+=(--file "$build/vm/.trixie-crc64/$m.ko.xz=/vm/crc64/$m.ko.xz")
                shift 2
        else
                args+=("$1")
                shift
        fi
done

MODCTL_VM_KERNEL_ROOT=$dir/root MODCTL_VM_KVER=$kver \
        exec "$vm/run-suite.sh" "$build" "$source" "$script" "${extra[@]}" ${args[@]+"${args[@]}"}
