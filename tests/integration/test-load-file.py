#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`modctl load ./foo.ko` through LoadFile with modctld-fake: the CLI opens the file and hands
over the descriptor; the daemon reads the module's name and depends= from the copy it makes,
resolves the dependencies by name, applies the policy by that name, refuses a malformed file
naming it, unwinds a failing init, and a caller without org.modctl1.load-file gets nothing."""

import os
import shutil
import unittest

from modctl_test import NOBODY, ModctlTest


class LoadFileTest(ModctlTest):
    def module_copy(self, name, as_name=None):
        src = os.path.join(os.environ['FIXTURE_MODULES_DIR'], 'extra', name + '.ko')
        dst = os.path.join(self.tmp, (as_name or 'copy-of-' + name) + '.ko')
        shutil.copy(src, dst)
        os.chmod(dst, 0o644)
        return dst

    def test_load_by_path_resolves_dependencies(self):
        path = self.module_copy('modctl_test_dep')
        r = self.assert_ok(self.cli('load', path))
        # The dependency from the tree, then the file, named by its .modinfo.
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertEqual(set(self.loaded()), {'modctl_test_base', 'modctl_test_dep'})

    def test_dry_run_shows_the_plan(self):
        path = self.module_copy('modctl_test_dep')
        r = self.assert_ok(self.cli('load', '--dry-run', path))
        self.assertIn('modctl_test_base', r.stdout)
        self.assertIn('insmod ' + path, r.stdout)
        self.assertEqual(self.loaded(), {})

    def test_denied_name_is_refused(self):
        self.write_config('[Policy]\nDeny=modctl_test_dep\n')
        self.assert_ok(self.send('ReloadConfig'))
        path = self.module_copy('modctl_test_dep', 'innocent')
        r = self.cli('load', path)
        self.assertEqual(r.returncode, 3, r.stderr)  # policy denial
        self.assertIn('modctl_test_dep', r.stderr)
        self.assertIn(path, r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_malformed_file_is_refused(self):
        path = os.path.join(self.tmp, 'garbage.ko')
        with open(path, 'wb') as f:
            f.write(b'\x7fELF not really a module' * 10)
        r = self.cli('load', path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'%s' is not a kernel module" % path, r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_failing_init_unwinds(self):
        # The fake kernel fails modctl_test_chain's init (fail_env): its dependencies go again.
        path = self.module_copy('modctl_test_chain')
        r = self.cli('load', path)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.loaded(), {})

    def test_user_without_load_file_is_refused(self):
        path = self.module_copy('modctl_test_dep')
        r = self.cli('load', '--no-ask-password', path, user=NOBODY)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.loaded(), {})


if __name__ == '__main__':
    unittest.main()
