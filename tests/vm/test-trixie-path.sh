#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A module file by path on Debian 13 (trixie)'s kernel (issue 24): kmod 34's modprobe
# (/vm/trixie/modprobe, run-suite-trixie.sh) knows "modprobe ./x.ko", Debian 12's kmod 30 does
# not (vm-cli shows its refusal). Here kmod 34 and `modctl modprobe` get the same arguments from
# the same state in the same boot: exit status, stdout and the modules loaded afterwards, for a
# copy of trixie's bridge.ko.xz (which depends on stp and llc) outside the module tree: loaded,
# with -v, as a dry run (-n -v, -D), by absolute path, and a path that does not exist.
. /vm/lib.sh

KMOD34=/vm/trixie/modprobe
case $(uname -r) in
6.12.*) pass "booted trixie's kernel $(uname -r)" ;;
*) fail "booted trixie's kernel (got $(uname -r))" ;;
esac
assert_eq "$TRIXIE_KMOD_VERSION" "$("$KMOD34" -V | head -n1)" "trixie's modprobe runs: $TRIXIE_KMOD_VERSION"

bridge=$(sed -n 's|^\(.*/bridge\.ko\.xz\):.*|\1|p' "/lib/modules/$KVER/modules.dep")
[ -n "$bridge" ] && mkdir -p /tmp/pathko && cp "/lib/modules/$KVER/$bridge" /tmp/pathko/
check "a copy of $bridge outside the module tree"
cd /tmp/pathko

start_system_bus
check "dbus-daemon --system is up"
start_modctld
check "modctld is ready"

reset_mods() {
        unload_quietly bridge stp llc
}

# same DESC ARGS...: kmod 34's modprobe, then ours, each from nothing loaded.
same() {
        local desc=$1; shift
        reset_mods
        run "$KMOD34" "$@"
        local k_rc=$RC k_out=$OUT k_err=$ERR k_mods
        k_mods=$(loaded_modules)
        reset_mods
        run modctl modprobe "$@"
        local o_mods
        o_mods=$(loaded_modules)
        assert_eq "$k_rc" "$RC" "$desc: exit status $k_rc like $TRIXIE_KMOD_VERSION ($(cmdline "$@"))"
        [ "$k_rc" = "$RC" ] || { diag "kmod: $k_err"; diag "ours: $ERR"; }
        assert_eq "$k_out" "$OUT" "$desc: same stdout"
        assert_eq "$k_mods" "$o_mods" "$desc: same modules loaded afterwards"
        K_ERR=$k_err
}

same "./path.ko.xz" ./bridge.ko.xz
assert_eq "" "$OUT" "./path.ko.xz: nothing on stdout"
assert_eq "bridge llc stp" "$(loaded_modules | grep -E '^(bridge|stp|llc)$' | tr '\n' ' ' | sed 's/ $//')" \
        "./path.ko.xz: bridge, stp and llc are loaded"
same "-v ./path.ko.xz" -v ./bridge.ko.xz
assert_contains "$OUT" "insmod /tmp/pathko/./bridge.ko.xz" "-v ./path.ko.xz: the file's insmod line"
same "-n -v ./path.ko.xz, with dependencies" -n -v ./bridge.ko.xz
assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c '^insmod ')" "-n -v ./path.ko.xz: llc, stp, then the file"
same "-n ./path.ko.xz" -n ./bridge.ko.xz
same "-D ./path.ko.xz" -D ./bridge.ko.xz
same "absolute path, -v" -v /tmp/pathko/bridge.ko.xz
same "missing path" ./missing.ko
assert_eq "$K_ERR" "$ERR" "missing path: kmod's words: $ERR"
same "missing path, -n -v" -n -v ./missing.ko
assert_eq "$K_ERR" "$ERR" "missing path, -n -v: kmod's words"

# Already loaded, then --first-time: kmod's error and exit status.
reset_mods
"$KMOD34" ./bridge.ko.xz
run "$KMOD34" --first-time ./bridge.ko.xz
k_rc=$RC k_err=$ERR
run modctl modprobe --first-time ./bridge.ko.xz
assert_eq "$k_rc" "$RC" "--first-time, loaded already: exit status $k_rc like kmod"
assert_eq "$k_err" "$ERR" "--first-time, loaded already: kmod's words: $ERR"
reset_mods
cd /

diag "kernel $KVER, $TRIXIE_KMOD_VERSION, $(date -u +%Y-%m-%d)"
vm_finish
