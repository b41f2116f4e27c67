#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel hook helper runs as root for any task that makes the kernel ask for a module: it
# must be a static PIE (no dynamic loader, no shared library, relocated with ASLR by glibc's
# rcrt1) with full RELRO and immediate binding. hardening-check cannot tell a static PIE (no
# PT_PHDR) from a shared library, so this reads the ELF headers itself.
#   check-helper-hardening.sh READELF HELPER
set -eu
readelf=$1 helper=$2
fail() {
        echo "FAIL: $helper: $*" >&2
        exit 1
}
"$readelf" -hW "$helper" | grep -Eq '^ *Type: +DYN ' || fail "not a position-independent executable (ELF type is not DYN)"
"$readelf" -lW "$helper" | grep -Eq '^ *INTERP ' && fail "has a PT_INTERP: it is dynamically linked"
"$readelf" -lW "$helper" | grep -Eq '^ *GNU_RELRO ' || fail "no PT_GNU_RELRO: no read-only relocations"
dyn=$("$readelf" -dW "$helper")
echo "$dyn" | grep -q '(NEEDED)' && fail "needs shared libraries: $(echo "$dyn" | grep '(NEEDED)')"
echo "$dyn" | grep -Eq '\(FLAGS_1\).*\bPIE\b' || fail "no DF_1_PIE: not marked as a PIE"
echo "$dyn" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*\bBIND_NOW\b|\(FLAGS_1\).*\bNOW\b' || fail "no immediate binding (BIND_NOW)"
echo "ok: $helper is a static PIE with full RELRO and immediate binding"
