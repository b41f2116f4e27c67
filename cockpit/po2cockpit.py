#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cockpit's po.LANG.js from one of po/'s catalogs: the messages extracted from the page's
sources (their "#:" references name cockpit/), in the cockpit.locale({...}) format that
Cockpit's own po tooling writes and that Cockpit serves as the page's po.js when the session's
language is LANG. gettext's own tools read the catalog (msggrep selects by reference, msgfmt
compiles, so fuzzy and untranslated entries are left out as for the .mo files); Python's gettext
reads the result.

    po2cockpit.py --location 'cockpit/*' po/zh_CN.po build/cockpit/po.zh_CN.js"""

import argparse
import gettext
import io
import json
import os
import re
import subprocess
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--location', required=True, help='msggrep -N pattern of the page\'s sources')
    p.add_argument('po')
    p.add_argument('output')
    args = p.parse_args()

    selected = subprocess.run(['msggrep', '--location=' + args.location, args.po],
                              check=True, stdout=subprocess.PIPE).stdout
    if not selected.strip():
        sys.exit(f'po2cockpit: {args.po} has no message from {args.location}')
    mo = subprocess.run(['msgfmt', '--check-format', '-o', '-', '-'], input=selected, check=True,
                        stdout=subprocess.PIPE).stdout
    t = gettext.GNUTranslations(io.BytesIO(mo))
    info = t.info()
    language = info.get('language')
    if not language:
        sys.exit(f'po2cockpit: {args.po} has no Language header')
    forms = info.get('plural-forms', 'nplurals=2; plural=(n != 1);')
    if not re.fullmatch(r'[ nplurals=0-9;()!<>&|?:%+\-*/]+', forms):
        sys.exit(f'po2cockpit: {args.po}: unexpected Plural-Forms {forms!r}')

    entries = []
    for key, text in sorted(t._catalog.items(), key=lambda kv: str(kv[0])):
        if isinstance(key, tuple):
            sys.exit(f'po2cockpit: {args.po}: plural message {key[0]!r}: the page uses none yet, '
                     'and this script does not write them')
        if key == '':
            continue
        entries.append(f'    {json.dumps(key, ensure_ascii=False)}: [null, {json.dumps(text, ensure_ascii=False)}]')
    if not entries:
        sys.exit(f'po2cockpit: {args.po} has no translated message from {args.location}')

    header = ('    "": { "plural-forms": function(n) { var nplurals, plural; ' + forms.strip().rstrip(';')
              + '; return plural; }, "language": ' + json.dumps(language)
              + ', "language-direction": "ltr" }')
    with open(args.output, 'w', encoding='utf-8') as f:
        f.write(f'/* Generated from po/{os.path.basename(args.po)} by cockpit/po2cockpit.py; do not edit. */\n')
        f.write('cockpit.locale({\n' + ',\n'.join([header] + entries) + '\n});\n')


if __name__ == '__main__':
    main()
