#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every built man page renders without a single warning: as man(1) shows it on an 80-column
# terminal (man --warnings, which runs preconv, tbl and groff with -ww) and as plain groff
# with all warnings on. Any line on stderr fails the page. A page with a table must begin with
# the preprocessor line '\" t.
# usage: test-man-render.sh PAGE...
set -uo pipefail
fail=0
(($# > 0)) || { echo "FAIL: no pages given"; exit 1; }
for page in "$@"; do
        if [[ ! -s $page ]]; then
                echo "FAIL: $page is missing or empty"; fail=1; continue
        fi
        # A table needs the preprocessor line '\" t first (man/scdoc-man.sh): tools that do
        # not guess, such as lintian's groff check on Debian 13, run tbl only when it is there.
        if grep -q '^\.TS' "$page" && [[ $(head -n1 "$page") != "'\\\" t" ]]; then
                echo "FAIL: $(basename "$page") has a table but does not begin with '\\\" t"; fail=1; continue
        fi
        man_out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l "$page" 2>&1 >/dev/null)
        groff_out=$(LC_ALL=C.UTF-8 groff -k -t -ww -z -man -Tutf8 "$page" 2>&1)
        out=$(printf '%s\n%s' "$man_out" "$groff_out" | sed '/^$/d')
        if [[ -n $out ]]; then
                echo "FAIL: $(basename "$page") renders with warnings:"; printf '%s\n' "$out"; fail=1
        else
                echo "ok: $(basename "$page")"
        fi
done
exit $fail
