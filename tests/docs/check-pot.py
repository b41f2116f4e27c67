#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails when the committed po/modctl.pot is stale: its msgids (with their context and plural)
differ from those of a catalog made from the sources now (the build's modctl-fresh.pot).
Dates, file positions and comments do not count. `ninja -C build modctl-pot` regenerates it.

usage: check-pot.py COMMITTED.pot FRESH.pot"""
import ast
import sys


def msgids(path):
    ids, entry, key = set(), {}, None
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines() + ['']
    for line in lines:
        line = line.strip()
        if not line or line.startswith('#'):
            if 'msgid' in entry and entry['msgid'] != '':
                ids.add((entry.get('msgctxt'), entry['msgid'], entry.get('msgid_plural')))
            if not line:
                entry, key = {}, None
            continue
        if line.startswith('"'):
            if key:
                entry[key] += ast.literal_eval(line)
            continue
        word, _, rest = line.partition(' ')
        key = word if word in ('msgctxt', 'msgid', 'msgid_plural') else None
        if key:
            entry[key] = ast.literal_eval(rest)
    return ids


committed, fresh = msgids(sys.argv[1]), msgids(sys.argv[2])
missing, extra = sorted(fresh - committed), sorted(committed - fresh)
for m in missing:
    print('FAIL: marked in the sources, missing from po/modctl.pot: %r' % (m[1],))
for m in extra:
    print('FAIL: in po/modctl.pot, no longer in the sources: %r' % (m[1],))
if missing or extra:
    print('po/modctl.pot is stale (%d strings, the sources have %d): run ninja -C build modctl-pot'
          % (len(committed), len(fresh)))
    sys.exit(1)
print('ok: po/modctl.pot has the %d strings the sources mark' % len(fresh))
