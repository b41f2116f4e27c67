#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scdoc-man.sh SCDOC INPUT OUTPUT: build a manual page with scdoc. A page with a table (.TS)
# gets the preprocessor line '\" t first, as man(7) asks, so that man and groff run tbl on it:
# scdoc does not write one, and without it groff 1.23 warns "tbl preprocessor failed" and
# renders the table as plain lines (lintian's groff-message).
set -eu
"$1" <"$2" >"$3.tmp"
if grep -q '^\.TS' "$3.tmp"; then
        { printf '%s\n' "'\\\" t"; cat "$3.tmp"; } >"$3"
        rm "$3.tmp"
else
        mv "$3.tmp" "$3"
fi
