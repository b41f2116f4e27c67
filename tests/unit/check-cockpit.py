#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Cockpit page's build outputs against its sources (no browser, no Cockpit):

- every PatternFly class the page names (index.html, modctl.js) is defined by the bundled
  patternfly.css, and no PatternFly 4 class (pf-c-*, pf-l-*, pf-u-*) is left;
- the bundle refers to no file but the fonts installed next to it;
- index.html has no text of its own: every visible string is set by modctl.js through gettext;
- every message of po/modctl.pot that the page uses is translated in each generated po.LANG.js.

    check-cockpit.py SOURCE_DIR PATTERNFLY_CSS PO_JS..."""

import html.parser
import json
import os
import re
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def page_classes(text):
    return set(re.findall(r'(?<![\w-])(pf-(?:v5-)?[clu]-[a-z0-9]+(?:-[a-z0-9]+)*(?:__[a-z0-9]+(?:-[a-z0-9]+)*)?)(?![\w-])', text))


class Texts(html.parser.HTMLParser):
    """Text nodes of <body> outside <script>, <style> and <svg>."""

    def __init__(self):
        super().__init__()
        self.stack, self.found = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ('meta', 'link', 'input', 'br', 'img', 'path'):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if 'body' in self.stack and not {'script', 'style', 'svg'} & set(self.stack) and data.strip():
            self.found.append(data.strip())


def pot_messages(path, location):
    """(msgctxt or None, msgid) of every entry whose references name location."""
    out = set()
    for block in open(path, encoding='utf-8').read().split('\n\n'):
        if not any(line.startswith('#:') and location in line for line in block.split('\n')):
            continue
        def field(name):
            m = re.search(r'^' + name + r' ((?:".*"\n?)+)', block, re.M)
            return ''.join(json.loads(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1))) if m else None
        out.add((field('msgctxt'), field('msgid')))
    return out


def po_js_catalog(path):
    cat = {}
    for line in open(path, encoding='utf-8'):
        m = re.match(r'\s*("(?:[^"\\]|\\.)*"): \[null, ("(?:[^"\\]|\\.)*")\],?$', line)
        if m:
            cat[json.loads(m.group(1))] = json.loads(m.group(2))
    return cat


def main():
    src, css_path, po_js = sys.argv[1], sys.argv[2], sys.argv[3:]
    page = {f: open(os.path.join(src, 'cockpit', f), encoding='utf-8').read() for f in ('index.html', 'modctl.js')}
    css = open(css_path, encoding='utf-8').read()

    used = set()
    for f, text in page.items():
        for c in page_classes(text):
            if not c.startswith(('pf-v5-c-', 'pf-v5-l-')):
                fail(f'cockpit/{f} names {c}, not a PatternFly 5 component or layout class')
            used.add(c)
    for c in sorted(used):
        if not re.search(r'\.' + re.escape(c) + r'(?![\w-])', css):
            fail(f'{c} is used by the page but not defined by the bundled patternfly.css (cockpit/patternfly.py COMPONENTS)')
    print(f'{len(used)} PatternFly 5 classes used by the page, all in the bundle' if not failures else '')

    for url in re.findall(r'url\(([^)]*)\)', css):
        m = re.fullmatch(r'"fonts/([A-Za-z0-9-]+\.woff2)"', url)
        if not m:
            fail(f'patternfly.css refers to {url}, which the page does not ship')
        elif not os.path.exists(os.path.join(os.path.dirname(css_path), m.group(1))):
            fail(f'patternfly.css refers to {url}, which the build did not write')

    t = Texts()
    t.feed(page['index.html'])
    for text in t.found:
        fail(f'cockpit/index.html has untranslatable text {text!r}: set it from modctl.js through _()')

    msgs = pot_messages(os.path.join(src, 'po', 'modctl.pot'), 'cockpit/')
    if len(msgs) < 20:
        fail(f'po/modctl.pot has only {len(msgs)} messages from cockpit/ (is cockpit/modctl.js in po/POTFILES?)')
    for path in po_js:
        cat = po_js_catalog(path)
        for ctx, msgid in sorted(msgs, key=str):
            key = msgid if ctx is None else ctx + '\u0004' + msgid
            if key not in cat:
                fail(f'{os.path.basename(path)}: no translation of {msgid!r}' + (f' (context {ctx!r})' if ctx else ''))
        print(f'{os.path.basename(path)}: {len(cat)} messages, {len(msgs)} used by the page')

    if failures:
        sys.exit(1)
    print('cockpit page: ok')


if __name__ == '__main__':
    main()
