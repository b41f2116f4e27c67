#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PatternFly 5 for the Cockpit page, from npm's @patternfly/patternfly, bundled at build time.

The tarball is pinned by version and by npm's integrity hash (sha512). It is looked for, in
order, in cockpit/vendor/ (checked into the source tree, so that the Debian source package
builds offline), in the cache ($XDG_CACHE_HOME/modctl/npm, else ~/.cache/modctl/npm), and else
fetched with `npm pack` into the cache. A tarball whose hash differs is refused, wherever it
came from.

    patternfly.py bundle --vendor DIR --version V --integrity sha512-... --output CSS --fonts FONT...
        writes CSS: PatternFly's variables, fonts and globals and the components the page uses
        (COMPONENTS below), nothing else; and each FONT (a file name) next to CSS, the only
        font files the bundled @font-face rules name (their URLs become fonts/NAME).
    patternfly.py fetch --vendor DIR --version V --integrity sha512-...
        puts the pinned tarball into DIR (to bump the version: change it and the hash in
        cockpit/meson.build, run this, commit the new tarball and delete the old one).
"""

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = '@patternfly/patternfly'

# The base: custom properties, @font-face, and the document-wide rules (box-sizing, body font).
# Not base/patternfly-icons.css (Font Awesome and pficon, 150 kB): the page draws its few icons
# as inline SVG.
BASE = ['base/patternfly-variables.css', 'base/patternfly-fonts.css', 'base/patternfly-globals.css',
        'base/patternfly-common.css']

# What the page's markup uses (index.html, modctl.js); tests/unit check-cockpit-css checks that
# every pf-v5-c-* and pf-v5-l-* class the page names is defined by the bundle.
COMPONENTS = ['components/Page/page.css', 'components/Card/card.css', 'components/Title/title.css',
              'components/Table/table.css', 'components/Table/table-grid.css',
              'components/Button/button.css', 'components/Label/label.css',
              'components/Badge/badge.css', 'components/Alert/alert.css',
              'components/ModalBox/modal-box.css', 'components/Backdrop/backdrop.css',
              'components/FormControl/form-control.css', 'components/InputGroup/input-group.css',
              'components/Switch/switch.css', 'components/List/list.css',
              'components/Pagination/pagination.css',
              'components/Toolbar/toolbar.css', 'components/DescriptionList/description-list.css',
              'components/Form/form.css', 'layouts/Bullseye/bullseye.css']


def tarball_name(version):
    return f'patternfly-patternfly-{version}.tgz'


def integrity_of(path):
    with open(path, 'rb') as f:
        return 'sha512-' + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()


def cache_dir():
    return os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'modctl', 'npm')


def verified(path, integrity):
    got = integrity_of(path)
    if got != integrity:
        sys.exit(f'patternfly.py: {path} has integrity {got}, expected {integrity} (pinned in cockpit/meson.build)')
    return path


def npm_pack(version, integrity, dest):
    """npm pack into dest; returns the verified tarball's path."""
    npm = shutil.which('npm')
    if not npm:
        sys.exit(f'patternfly.py: {tarball_name(version)} is neither in cockpit/vendor/ nor in {cache_dir()}, '
                 'and npm is missing to fetch it')
    os.makedirs(dest, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        subprocess.run([npm, 'pack', '--silent', f'{PACKAGE}@{version}', '--pack-destination', tmp],
                       check=True, stdout=subprocess.DEVNULL)
        got = os.path.join(tmp, tarball_name(version))
        verified(got, integrity)
        final = os.path.join(dest, tarball_name(version))
        os.replace(got, final)
    return final


def find_tarball(vendor, version, integrity, fetch=True):
    for d in (vendor, cache_dir()):
        p = os.path.join(d, tarball_name(version))
        if os.path.exists(p):
            return verified(p, integrity)
    if not fetch:
        sys.exit(f'patternfly.py: {tarball_name(version)} not found')
    return npm_pack(version, integrity, cache_dir())


def read_member(tar, name):
    f = tar.extractfile('package/' + name)
    if f is None:
        sys.exit(f'patternfly.py: {name} is not a file in the tarball')
    return f.read().decode('utf-8')


FONT_FACE = re.compile(r'@font-face\s*\{[^}]*\}')
FONT_URL = re.compile(r'url\("\./assets/fonts/([A-Za-z]+)/([A-Za-z0-9-]+\.woff2)"\)')


def fonts_kept(css, wanted):
    """The @font-face rules whose font file is in wanted, with URLs rewritten to fonts/NAME;
    the others (italic and variable faces) are dropped. Returns (css, {name: member})."""
    used = {}

    def keep(m):
        rule = m.group(0)
        urls = FONT_URL.findall(rule)
        if len(urls) != 1 or urls[0][1] not in wanted:
            return ''
        family, name = urls[0]
        used[name] = f'assets/fonts/{family}/{name}'
        return FONT_URL.sub(f'url("fonts/{name}")', rule)

    out = FONT_FACE.sub(keep, css)
    out = re.sub(r'\n{3,}', '\n\n', out)
    return out, used


def bundle(args):
    tgz = find_tarball(args.vendor, args.version, args.integrity)
    wanted = set(args.fonts)
    parts = [f'/* PatternFly {args.version} ({PACKAGE} from npm, MIT; fonts: Red Hat Text, Display and\n'
             f' * Mono, OFL-1.1), bundled by cockpit/patternfly.py: the base and the components the\n'
             f' * modctl page uses. */\n']
    with tarfile.open(tgz) as tar:
        for name in BASE + COMPONENTS:
            css = read_member(tar, name)
            if name == 'base/patternfly-fonts.css':
                css, used = fonts_kept(css, wanted)
                missing = wanted - set(used)
                if missing:
                    sys.exit(f'patternfly.py: no @font-face rule names {sorted(missing)}')
            elif 'url(' in css:
                sys.exit(f'patternfly.py: {name} refers to a file (url()) that the bundle does not carry')
            parts.append(f'\n/* {name} */\n{css}')
        outdir = os.path.dirname(os.path.abspath(args.output))
        for name, member in used.items():
            with open(os.path.join(outdir, name), 'wb') as f:
                f.write(tar.extractfile('package/' + member).read())
    tmp = args.output + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(''.join(parts))
    os.replace(tmp, args.output)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('command', choices=['bundle', 'fetch'])
    p.add_argument('--vendor', required=True)
    p.add_argument('--version', required=True)
    p.add_argument('--integrity', required=True)
    p.add_argument('--output')
    p.add_argument('--fonts', nargs='*', default=[])
    args = p.parse_args()
    if args.command == 'fetch':
        p = os.path.join(args.vendor, tarball_name(args.version))
        if os.path.exists(p):
            verified(p, args.integrity)
        else:
            shutil.copy(find_tarball(args.vendor, args.version, args.integrity), p)
        print(p)
    else:
        if not args.output:
            sys.exit('patternfly.py bundle: --output is required')
        bundle(args)


if __name__ == '__main__':
    main()
