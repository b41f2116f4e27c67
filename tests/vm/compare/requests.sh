#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The requests the resolver comparison runs (test-resolver-compare.sh), one a line, from a
# module directory's index. Deterministic: the same index gives the same list.
#
#   requests.sh MODULES_DIR > REQUESTS
#
#   - every module in modules.dep, by the name the kernel uses;
#   - every built-in module in modules.builtin;
#   - every 20th pattern of modules.alias as it is written (a literal request, '*' and all);
#   - every 20th pattern, at another offset, turned into a string it matches: '*' becomes "00",
#     '?' becomes "0", "[...]" its first character (a device-like modalias);
#   - every alias with '/' in it (devname: and dmi:), as written and as a matching string;
#   - every devname: alias of modules.devname.
# Requests appear once, in the order first produced.
set -euo pipefail
dir=$1
{
        sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko\(\.[a-z]*\)\?$//' -e 's/-/_/g' "$dir/modules.dep"
        sed -e 's|.*/||' -e 's/\.ko$//' -e 's/-/_/g' "$dir/modules.builtin"
        awk '$1 == "alias" && NR % 20 == 0 { print $2 }' "$dir/modules.alias"
        awk '$1 == "alias" && (NR % 20 == 7 || $2 ~ /\//) {
                s = $2; out = ""
                while (length(s) > 0) {
                        c = substr(s, 1, 1)
                        if (c == "*") { out = out "00"; s = substr(s, 2) }
                        else if (c == "?") { out = out "0"; s = substr(s, 2) }
                        else if (c == "[") {
                                e = index(s, "]")
                                if (e == 0) { out = out s; s = "" }
                                else { out = out substr(s, 2, 1); s = substr(s, e + 1) }
                        } else { out = out c; s = substr(s, 2) }
                }
                print out
        }' "$dir/modules.alias"
        awk '$1 == "alias" && $2 ~ /\// { print $2 }' "$dir/modules.alias"
        awk '$1 !~ /^#/ && NF >= 2 { print "devname:" $2 }' "$dir/modules.devname"
} | awk 'length($0) > 0 && !seen[$0]++'
