#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The full-system suite's package cache key (tests/system/sysvm.py, source_key()): a .deb
built earlier is reused only for the same packaged source. On a small tree in a temporary
directory:

- the key changes with a file's content, a new file, a deleted file, an executable bit, a
  symlink's target, tests/meson.build (read by the package build), and the suite;
- it does not change with modification times (an older time on changed content is still a
  change; the same content with a new time is none), nor with the rest of tests/, build*/,
  .git or node_modules.

    check-deb-source-key.py SOURCE_DIR"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(sys.argv[1], 'tests', 'system'))
import sysvm  # noqa: E402

failures = []


def check(name, cond):
    print(('ok   ' if cond else 'FAIL ') + name)
    if not cond:
        failures.append(name)


def write(root, rel, text, mode=0o644):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'w') as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def main():
    tree = tempfile.mkdtemp(prefix='modctl-source-key.')
    try:
        write(tree, 'meson.build', "project('x')\n")
        write(tree, 'daemon/main.c', 'int main(void) { return 0; }\n')
        write(tree, 'debian/rules', '#!/usr/bin/make -f\n', 0o755)
        write(tree, 'tests/meson.build', "subdir('unit')\n")
        write(tree, 'tests/unit/test-a.c', 'a\n')
        os.symlink('main.c', os.path.join(tree, 'daemon/link.c'))

        def key(suite='trixie'):
            return sysvm.source_key(tree, suite, 'build-deb-trixie.sh')

        base = key()
        check('the same tree gives the same key', key() == base)
        check('the suite is in the key', key('bookworm') != base)

        main_c = os.path.join(tree, 'daemon/main.c')
        st = os.stat(main_c)
        write(tree, 'daemon/main.c', 'int main(void) { return 1; }\n')
        os.utime(main_c, (st.st_atime - 3600, st.st_mtime - 3600))
        check('changed content with an older time changes the key', key() != base)
        write(tree, 'daemon/main.c', 'int main(void) { return 0; }\n')
        check('the old content again gives the old key', key() == base)
        os.utime(main_c, (st.st_atime + 3600, st.st_mtime + 3600))
        check('a new time on the same content changes nothing', key() == base)

        write(tree, 'daemon/new.c', '\n')
        check('a new file changes the key', key() != base)
        os.unlink(os.path.join(tree, 'daemon/new.c'))
        check('removing it again gives the old key', key() == base)
        os.unlink(os.path.join(tree, 'meson.build'))
        check('a deleted file changes the key', key() != base)
        write(tree, 'meson.build', "project('x')\n")

        os.chmod(os.path.join(tree, 'debian/rules'), 0o644)
        check('an executable bit changes the key', key() != base)
        os.chmod(os.path.join(tree, 'debian/rules'), 0o755)

        os.unlink(os.path.join(tree, 'daemon/link.c'))
        os.symlink('other.c', os.path.join(tree, 'daemon/link.c'))
        check("a symlink's target changes the key", key() != base)
        os.unlink(os.path.join(tree, 'daemon/link.c'))
        os.symlink('main.c', os.path.join(tree, 'daemon/link.c'))
        check('the tree as it was gives the old key', key() == base)

        write(tree, 'tests/meson.build', "subdir('unit')\nsubdir('vm')\n")
        check('tests/meson.build changes the key', key() != base)
        write(tree, 'tests/meson.build', "subdir('unit')\n")

        write(tree, 'tests/unit/test-a.c', 'b\n')
        write(tree, 'tests/system/test-new.py', 'x\n')
        write(tree, 'build/build.ninja', 'x\n')
        write(tree, 'build-asan/build.ninja', 'x\n')
        write(tree, '.git/HEAD', 'x\n')
        write(tree, 'cockpit/node_modules/x.js', 'x\n')
        check('tests/ below its meson.build, build*, .git and node_modules are not in the key',
              key() == base)
    finally:
        shutil.rmtree(tree)
    if failures:
        print(f'{len(failures)} failed: {", ".join(failures)}')
        sys.exit(1)


main()
