#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the ELF fuzz seeds from source (seed-modinfo.c), so that the source tree holds no
# prebuilt ELF file:
#   elf-unsigned  a relocatable object with only .modinfo (and .shstrtab), like a stripped module
#   elf-modinfo   the same with a module signature appended: the PKCS#7 blob PKCS7, the 12-byte
#                 struct module_signature (id_type 2, sig_len big-endian) and the marker
#   gen-elf-seeds.sh OBJCOPY SOURCE PKCS7 OUT_UNSIGNED OUT_SIGNED CC [CC_ARGS...]
set -eu
objcopy=$1 source=$2 pkcs7=$3 unsigned=$4 signed=$5
shift 5
tmp=$unsigned.o
"$@" -c -o "$tmp" "$source"
"$objcopy" --only-section=.modinfo --strip-all "$tmp" "$unsigned"
rm -f "$tmp"
len=$(wc -c <"$pkcs7")
{
        cat "$unsigned" "$pkcs7"
        # algo, hash, id_type = 2 (PKCS#7), signer_len, key_id_len, pad[3], __be32 sig_len
        printf '\000\000\002\000\000\000\000\000'
        # shellcheck disable=SC2059 # the format is the four octal escapes built here
        printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((len >> 24 & 255)) $((len >> 16 & 255)) $((len >> 8 & 255)) $((len & 255)))"
        printf '~Module signature appended~\n'
} >"$signed"
