#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ELF fixtures of test-elf-modinfo, made at build time from one .modinfo text: a
# relocatable object holding only that section, in each class and byte order objcopy writes
# on any host (ELF32 i386 and generic little endian, ELF32 and ELF64 big endian as on powerpc,
# s390x or mips, and x86-64 for reference). Usage: make-elf-fixtures.sh OBJCOPY OUTDIR.
set -eu
objcopy=$1
out=$2
mkdir -p "$out"
# The entries as the kernel's modpost writes them: NUL-terminated, with NUL padding between two.
printf 'license=GPL\0\0name=fixture\0vermagic=6.1.0-686 SMP mod_unload 686 \0depends=\0' >"$out/modinfo.bin"
for target in elf32-i386 elf32-little elf32-big elf64-big elf64-x86-64; do
        "$objcopy" -I binary -O "$target" \
                --rename-section .data=.modinfo,contents,alloc,load,readonly,data \
                "$out/modinfo.bin" "$out/modinfo-$target.o"
done
# The same section under another name: not a module.
"$objcopy" -I binary -O elf32-big --rename-section .data=.rodata "$out/modinfo.bin" "$out/nomodinfo-elf32-big.o"
# For the module-file checks of LoadFile (test-load-file): a .modinfo without name=, as modules
# built before 5.3 or outside kbuild have, and one whose depends= repeats and leaves gaps.
printf 'license=GPL\0vermagic=6.1.0 SMP \0depends=a\0' >"$out/noname.bin"
printf 'license=GPL\0depends=base,,dep,base,\0name=withdeps\0' >"$out/withdeps.bin"
for f in noname withdeps; do
        "$objcopy" -I binary -O elf64-x86-64 \
                --rename-section .data=.modinfo,contents,alloc,load,readonly,data \
                "$out/$f.bin" "$out/$f-elf64-x86-64.o"
done
