#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command, run the way a newcomer runs it: ./scripts/demo from a fresh copy
# of the tree (what a clean clone holds: tracked and untracked files, nothing that .gitignore
# leaves out, no build dir), on a terminal, bounded in time. It fails when the demo fails,
# hangs (a pager waiting for a key once did), or prints an exit status other than 0 for any of
# its commands.
#
#   test-demo-newcomer.sh SOURCE_DIR
set -euo pipefail

source=$(cd "$1" && pwd)
limit=${MODCTL_DEMO_TIMEOUT:-1500}
tmp=$(mktemp -d /var/tmp/modctl-demo-newcomer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "demo-newcomer: copying the tree to $tmp/modctl" >&2
mkdir "$tmp/modctl"
(cd "$source" && git ls-files -z --cached --others --exclude-standard) \
        | (cd "$source" && xargs -0 -r cp --parents -t "$tmp/modctl" 2>/dev/null || true)
[[ -x $tmp/modctl/scripts/demo ]] || { echo "demo-newcomer: the copy has no scripts/demo" >&2; exit 1; }

# On a pseudo-terminal, as at a person's shell: stdout is a terminal, so anything that waits
# for a key would wait here too.
cd "$tmp/modctl"
set +e
timeout -k 10 "$limit" /usr/bin/python3 -c '
import os, pty, sys
log = open(sys.argv[1], "wb")
def read(fd):
    data = os.read(fd, 65536)
    log.write(data)
    log.flush()
    return data
status = pty.spawn(["./scripts/demo"], read, lambda fd: b"")
sys.exit(os.waitstatus_to_exitcode(status))
' "$tmp/demo.log" < /dev/null > /dev/null
rc=$?
set -e
tr -d '\r' < "$tmp/demo.log" | sed -e 's/\x1b\[[?0-9;]*[a-zA-Z]//g' > "$tmp/demo.txt"
cat "$tmp/demo.txt"

fail() { echo "demo-newcomer: FAILED: $*" >&2; exit 1; }
[[ $rc -ne 124 && $rc -ne 137 ]] || fail "./scripts/demo did not finish within ${limit}s"
[[ $rc -eq 0 ]] || fail "./scripts/demo exited $rc"
for cmd in 'modctl status' 'modctl load snd' 'modctl list' 'modctl info snd' 'modctl unload -r snd' \
        'ip link add d0 type dummy'; do
        grep -qxF "\$ $cmd" "$tmp/demo.txt" || fail "the demo did not show '\$ $cmd'"
done
! grep -q '^(exit status' "$tmp/demo.txt" || fail "a demo command failed: $(grep '^(exit status' "$tmp/demo.txt" | head -n1)"
grep -q '^snd ' "$tmp/demo.txt" || fail "modctl list never showed snd loaded"
echo "demo-newcomer: the demo finished on a terminal" >&2
