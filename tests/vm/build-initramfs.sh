#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the initramfs for the qemu end-to-end tests.
#
#   build-initramfs.sh STAGING_DIR FIXTURE_DIR OUT.cpio.gz [options]
#
# STAGING_DIR  a `meson install --destdir` tree, copied in whole ("-" for none)
# FIXTURE_DIR  output of tests/modules/build-fixture.sh; its root/ is copied in ("-" for none)
# options:
#   --kver VER       kernel release (default: the newest /boot/vmlinuz-*)
#   --module NAME    one more kernel module, with its dependency closure (repeatable)
#   --binary PATH    one more host binary, with its ldd closure (repeatable)
#   --file SRC=DEST  one more file or directory, copied to DEST inside (repeatable)
#   --full-index     the kernel's whole module index (modules.dep, .alias, .symbols, .builtin,
#                    ... : every modules.* file) instead of depmod over the modules copied in;
#                    modprobe -D and the resolver need only these, not the .ko files
#   --modprobe-d     Debian's own /lib/modprobe.d/*.conf (kmod's and systemd's) in /usr/lib/modprobe.d
#   --cpu-modules    every module with a cpu: alias, with its dependencies
#   --kernel-root DIR  the kernel and its modules from DIR/boot and DIR/lib/modules (an unpacked
#                    kernel package, tests/vm/fetch-trixie.sh) instead of the host's
#
# The tree is merged-/usr like Debian 12: bash is /bin/sh, busybox (static) provides the small
# tools; dbus, busctl, kmod, iproute2 and setpriv are the real Debian binaries; the kernel
# modules come from /lib/modules/KVER and `depmod -b` indexes the result.
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: build-initramfs.sh STAGING_DIR FIXTURE_DIR OUT.cpio.gz [--kver VER] [--module NAME]... [--binary PATH]... [--file SRC=DEST]..."
staging=$1 fixture=$2 out=$3
shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcroot=$(cd "$here/../.." && pwd)

kver=
extra_modules=()
extra_binaries=()
extra_files=()
full_index= modprobe_d= cpu_modules= kroot=
while [[ $# -gt 0 ]]; do
        case $1 in
        --kver) kver=$2; shift 2 ;;
        --module) extra_modules+=("$2"); shift 2 ;;
        --binary) extra_binaries+=("$2"); shift 2 ;;
        --file) extra_files+=("$2"); shift 2 ;;
        --full-index) full_index=1; shift ;;
        --modprobe-d) modprobe_d=1; shift ;;
        --cpu-modules) cpu_modules=1; shift ;;
        --kernel-root) kroot=$(cd "$2" && pwd); shift 2 ;;
        *) die "unknown option $1" ;;
        esac
done

if [[ -z $kver ]]; then
        kver=$(ls -1 "$kroot"/boot/vmlinuz-* 2>/dev/null | sed 's|^.*/boot/vmlinuz-||' | sort -V | tail -n1)
        [[ -n $kver ]] || die "no $kroot/boot/vmlinuz-* installed (apt-get install linux-image-amd64)"
fi
# The modules' path inside the guest; on the host they lie below $kroot.
moddir=/lib/modules/$kver
[[ -f $kroot$moddir/modules.dep ]] || die "$kroot$moddir/modules.dep missing (apt-get install linux-image-amd64)"
[[ $staging == - || -d $staging ]] || die "staging dir $staging does not exist (run meson install --destdir first)"
[[ $fixture == - || -d $fixture ]] || die "fixture dir $fixture does not exist"

busybox=
for b in /bin/busybox /usr/bin/busybox; do
        # ldd fails on a static binary: that is the one we want (busybox-static, not busybox).
        if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi
done
[[ -n $busybox ]] || die "no static busybox (apt-get install busybox-static)"

# Modules every VM test may need: snd and its users for dependency tests, real PCI devices'
# drivers for autoload tests, dummy for request_module tests, appletalk (net-pf-5) for the
# unprivileged-autoload tests of KernelRequests=.
base_modules=(snd soundcore snd-hda-intel snd-hda-codec-generic e1000 virtio-pci virtio-rng dummy appletalk)
# A boot list of about 30 common modules for the boot benchmark (no xfs/btrfs: 4 MB each).
boot_list_modules=(veth bridge 8021q bonding tun macvlan ipvlan vxlan geneve wireguard
        nf_tables nft_ct nft_chain_nat nf_conntrack nf_nat ip_tables iptable_filter iptable_nat
        xt_conntrack overlay fuse squashfs isofs udf vfat loop nbd zram ext4 crc32c_generic
        cryptd aesni_intel snd-aloop snd-dummy uinput tcp_bbr sch_netem)

binaries=(
        /usr/bin/bash
        /usr/bin/dbus-daemon /usr/bin/dbus-send /usr/bin/dbus-monitor /usr/bin/dbus-uuidgen
        /usr/bin/busctl
        /usr/bin/kmod /usr/sbin/modprobe /usr/sbin/insmod /usr/sbin/rmmod /usr/sbin/depmod
        /usr/sbin/modinfo /usr/sbin/lsmod /usr/bin/lsmod
        /usr/bin/ip /usr/sbin/ip
        /usr/bin/setpriv
)

work=$(mktemp -d "${TMPDIR:-/tmp}/modctl-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/usr/{bin,sbin,lib,lib64,libexec} "$root"/{etc,proc,sys,dev,run,tmp,root,var,home/tester,vm/bin}
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
ln -s ../run "$root/var/run"; mkdir -p "$root/var/lib/dbus" "$root/var/tmp"
chmod 1777 "$root/tmp" "$root/var/tmp"

declare -A copied=()
# Copy a host file to the same path inside, following symlinks for the content but
# recreating the link itself so that kmod's multi-call links keep working.
copy_path() {
        local p=$1
        [[ -n ${copied[$p]:-} ]] && return 0
        copied[$p]=1
        mkdir -p "$root$(dirname "$p")"
        if [[ -L $p ]]; then
                local t; t=$(readlink "$p")
                [[ -e $root$p || -L $root$p ]] || ln -s "$t" "$root$p"
                [[ $t == /* ]] || t=$(dirname "$p")/$t
                copy_path "$(realpath -s "$t")"
        else
                cp -a "$p" "$root$p"
        fi
}

copy_libs() {
        local lib
        # ldd prints "name => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)".
        while read -r lib; do
                copy_path "$lib"
        done < <(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

add_binary() {
        [[ -e $1 ]] || die "$1 not found on the host"
        copy_path "$1"
        copy_libs "$(realpath "$1")"
}

# 1. The tree under test.
if [[ $staging != - ]]; then
        tar -C "$staging" -cf - . | tar -C "$root" -xf - --keep-directory-symlink
        while IFS= read -r -d '' f; do
                if head -c4 "$f" | grep -q $'\x7fELF'; then copy_libs "$f"; fi
        done < <(find "$staging" -type f -perm -u+x -print0)
fi

# 2. Real tools.
for b in "${binaries[@]}" "${extra_binaries[@]}"; do add_binary "$b"; done
# Opened by modctl with dlopen() (tables, --json), so no ldd closure names them.
for soname in libsmartcols.so.1:libsmartcols1 libjson-c.so.5:libjson-c5; do
        lib=$(ldconfig -p | sed -n "s|^[[:space:]]*${soname%%:*} (libc6,x86-64) => ||p" | head -n1)
        [[ -n $lib ]] || die "${soname%%:*} not found on the host (apt-get install ${soname#*:})"
        copy_path "$lib"
done

# 3. Small helpers compiled from tests/ (cached next to the output).
helpers=$(dirname "$out")/.vm-helpers
mkdir -p "$helpers"
for src in "$here/notify-start.c" "$srcroot/tests/bench/timeit.c" "$srcroot/tests/bench/kreq.c" \
        "$srcroot/tests/bench/exit0.c" "$srcroot/tests/bench/modwait.c"; do
        exe=$helpers/$(basename "$src" .c)
        if [[ ! -x $exe || $src -nt $exe ]]; then
                "${CC:-cc}" -O2 -Wall -static -o "$exe" "$src" || die "cannot compile $src"
        fi
        cp "$exe" "$root/vm/bin/"
done

# 4. busybox for everything else; real binaries win. /bin/sh is bash, not busybox ash: Debian's
# static busybox prefers its own applets over $PATH, so under ash `modprobe` or `setpriv`
# would silently be busybox's, not the real tools the tests mean.
ln -s bash "$root/usr/bin/sh"
cp "$busybox" "$root/usr/bin/busybox"
while read -r applet; do
        name=$(basename "$applet")
        [[ -e $root/usr/bin/$name || -L $root/usr/bin/$name || -e $root/usr/sbin/$name || -L $root/usr/sbin/$name ]] && continue
        case $applet in
        sbin/*|usr/sbin/*) ln -s ../bin/busybox "$root/usr/sbin/$name" ;;
        *) ln -s busybox "$root/usr/bin/$name" ;;
        esac
done < <("$busybox" --list-full)

# 5. Configuration.
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
messagebus:x:100:101:System Message Bus:/nonexistent:/usr/sbin/nologin
tester:x:1000:1000:Unprivileged tester:/home/tester:/bin/sh
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
messagebus:x:101:
tester:x:1000:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost modctl-vm\n::1 localhost\n' > "$root/etc/hosts"
mkdir -p "$root/usr/share/dbus-1/system.d"
cp /usr/share/dbus-1/system.conf "$root/usr/share/dbus-1/system.conf"
cp "$here/init" "$root/init"
# The kernel opens /dev/console for init before /init can mount devtmpfs.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
cp "$here/lib.sh" "$root/vm/lib.sh"
chmod 755 "$root/init"

# 6. Kernel modules with their dependency closure (softdeps included by modprobe -D).
mkdir -p "$root$moddir"
# The kernel image: Signature=kernel reads the certificates of the built-in trusted keys from it.
mkdir -p "$root/boot"
cp "$kroot/boot/vmlinuz-$kver" "$root/boot/"
for f in modules.order modules.builtin modules.builtin.modinfo; do
        [[ -f $kroot$moddir/$f ]] && cp "$kroot$moddir/$f" "$root$moddir/"
done
declare -A want=()
if [[ -n $cpu_modules ]]; then
        while read -r m; do extra_modules+=("$m"); done \
                < <(awk '$1 == "alias" && $2 ~ /^cpu:/ { print $3 }' "$kroot$moddir/modules.alias" | sort -u)
fi
for m in "${base_modules[@]}" "${boot_list_modules[@]}" "${extra_modules[@]}"; do
        out_d=$(modprobe ${kroot:+-d "$kroot"} -S "$kver" -D --ignore-install "$m" 2>&1) || die "module $m: $out_d"
        while read -r verb path _; do
                [[ $verb == insmod ]] && want[${path#"$kroot"}]=1
        done <<< "$out_d"
done
for p in "${!want[@]}"; do
        mkdir -p "$root$(dirname "$p")"
        cp "$kroot$p" "$root$p"
done

# 7. The test modules.
if [[ $fixture != - && -d $fixture/root ]]; then
        tar -C "$fixture/root" -cf - . | tar -C "$root" -xf - --keep-directory-symlink
fi

# 8. Extra files.
for spec in "${extra_files[@]}"; do
        src=${spec%%=*} dest=${spec#*=}
        [[ -e $src ]] || die "--file: $src not found"
        mkdir -p "$root$(dirname "$dest")"
        cp -a "$src" "$root$dest"
done

depmod -b "$root" "$kver" || die "depmod failed"
if [[ -n $full_index ]]; then
        cp "$kroot$moddir"/modules.* "$root$moddir/"
fi
if [[ -n $modprobe_d ]]; then
        mkdir -p "$root/usr/lib/modprobe.d"
        cp /lib/modprobe.d/*.conf "$root/usr/lib/modprobe.d/"
fi
echo "$kver" > "$root/vm/kver"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) \
        | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($(du -h "$out" | cut -f1), kernel $kver, ${#want[@]} modules)" >&2
