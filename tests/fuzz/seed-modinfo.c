/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The source of the fuzz seeds elf-unsigned and elf-modinfo (gen-elf-seeds.sh): a relocatable
 * object whose only section is a module's .modinfo, as the kernel's modpost writes it, so the
 * fuzzers start from the shape the reader expects. The seeds are built from this file at build
 * time; no prebuilt ELF file is committed. */
__attribute__((section(".modinfo"), used, aligned(1)))
static const char modinfo[] = "license=GPL\0vermagic=6.1.0 SMP\0name=x";
