#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kmod's side of the resolver comparison: modprobe -D over a request list (requests.sh and
# cases.txt), each request's output followed by the separator line that modprobe prints for
# modctl-cmp-sep (modctl-compare.conf).
#
#   run-modprobe.sh REQUESTS OUT ERR [modprobe options, e.g. -S VER -C DIR]
#
# Plain requests (one NAME a line) go to one `modprobe -a -D` per 500, so the index is loaded a
# few times, not thousands; requests with parameters or options (NAME<TAB>PARAMS[<TAB>OPTS],
# PARAMS as a shell would split them, "-" for none) run one modprobe each. $MODPROBE is the
# modprobe to run (default: the one on PATH; Debian 13's kmod 34 for vm-trixie-resolver-compare).
set -euo pipefail
modprobe() { "${MODPROBE:-/usr/sbin/modprobe}" "$@"; }
requests=$1 out=$2 err=$3
shift 3
mp=("$@")
: > "$out"
: > "$err"
batch=()
flush() {
        [[ ${#batch[@]} -gt 0 ]] || return 0
        modprobe "${mp[@]}" -a -D -- "${batch[@]}" >> "$out" 2>> "$err" || true
        batch=()
}
while IFS=$'\t' read -r name params opts; do
        if [[ -z ${params:-}${opts:-} ]]; then
                batch+=("$name" modctl-cmp-sep)
                [[ ${#batch[@]} -lt 1000 ]] || flush
                continue
        fi
        flush
        [[ ${params:-} != - ]] || params=
        eval "p=(${params:-})"
        # shellcheck disable=SC2086 # opts are modprobe options, one word each
        modprobe "${mp[@]}" -D ${opts:-} -- "$name" "${p[@]}" >> "$out" 2>> "$err" || true
        echo "install /bin/echo MODCTL-CMP-SEP " >> "$out"
done < "$requests"
flush
