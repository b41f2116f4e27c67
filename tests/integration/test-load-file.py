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

    def deny(self, policy):
        self.write_config('[Policy]\n' + policy + '\n')
        self.assert_ok(self.send('ReloadConfig'))

    def test_denied_name_is_refused(self):
        # The file is called innocent.ko: the policy judges the name in its .modinfo.
        self.deny('Deny=modctl_test_dep')
        path = self.module_copy('modctl_test_dep', 'innocent')
        r = self.cli('load', path)
        self.assertEqual(r.returncode, 3, r.stderr)  # policy denial
        self.assertIn("Module 'modctl_test_dep' is masked by Deny=modctl_test_dep", r.stderr)
        self.assertIn(path, r.stderr)
        # Nothing at all: the plan is judged before its first step, the dependency too.
        self.assertEqual(self.loaded(), {})
        # The same rule by name, for comparison: the same verdict.
        self.assertEqual(self.cli('load', 'modctl_test_dep').returncode, 3)

    def test_denied_dependency_is_refused(self):
        # The file itself is allowed; its depends= names modctl_test_base, which is not.
        self.deny('Deny=modctl_test_base')
        path = self.module_copy('modctl_test_dep')
        r = self.cli('load', path)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("Module 'modctl_test_base' is masked by Deny=modctl_test_base", r.stderr)
        self.assertEqual(self.loaded(), {})
        # A file without that dependency loads under the same policy.
        r = self.assert_ok(self.cli('load', self.module_copy('modctl_test_hang')))
        self.assertEqual(r.stdout.split(), ['modctl_test_hang'])
        self.assertEqual(set(self.loaded()), {'modctl_test_hang'})

    def test_content_rules_judge_the_file_not_the_tree(self):
        # A copy of modctl_test_dep whose .modinfo says license=MIT (same length as GPL): the tree's
        # module of that name is GPL, so only a policy that reads the handed-over bytes refuses it.
        path = self.module_copy('modctl_test_dep')
        with open(path, 'rb') as f:
            data = f.read()
        self.assertEqual(data.count(b'license=GPL\0'), 1)
        with open(path, 'wb') as f:
            f.write(data.replace(b'license=GPL\0', b'license=MIT\0'))
        self.deny('License=gpl-compatible')
        r = self.cli('load', path)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("has the license 'MIT'", r.stderr)
        self.assertEqual(self.loaded(), {})
        r = self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])

    def test_malformed_file_is_refused(self):
        path = os.path.join(self.tmp, 'garbage.ko')
        with open(path, 'wb') as f:
            f.write(b'\x7fELF not really a module' * 10)
        r = self.cli('load', path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'%s' is not a kernel module" % path, r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_file_without_name_or_cut_short_is_refused(self):
        # name= renamed (same length) in a copy: the .modinfo no longer names the module.
        path = self.module_copy('modctl_test_dep', 'noname')
        with open(path, 'rb') as f:
            data = f.read()
        self.assertEqual(data.count(b'\0name=modctl_test_dep\0'), 1)
        with open(path, 'wb') as f:
            f.write(data.replace(b'\0name=modctl_test_dep\0', b'\0nam_=modctl_test_dep\0'))
        r = self.cli('load', path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("'%s' is not a loadable module: its .modinfo has no name=" % path, r.stderr)
        # The first half of a module: no section headers, so no .modinfo.
        cut = self.module_copy('modctl_test_dep', 'cut')
        with open(cut, 'r+b') as f:
            f.truncate(len(data) // 2)
        r = self.cli('load', cut)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("'%s' is not a kernel module" % cut, r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_failing_init_unwinds(self):
        # The fake kernel fails modctl_test_chain's init (fail_env): its dependencies go again.
        path = self.module_copy('modctl_test_chain')
        r = self.cli('load', path)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.loaded(), {})

    def test_user_without_load_file_is_refused(self):
        # No polkitd: only root may.
        path = self.module_copy('modctl_test_dep')
        r = self.cli('load', '--no-ask-password', path, user=NOBODY)
        self.assertEqual(r.returncode, 6, r.stderr)  # not authorized
        self.assertEqual(self.loaded(), {})

    def test_load_file_is_its_own_polkit_action(self):
        # org.modctl1.load lets a user load modules of the tree by name, never a file of its own,
        # not even as a dry run; org.modctl1.load-file does.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        path = self.module_copy('modctl_test_dep')
        for args in ([path], ['--dry-run', path]):
            r = self.cli('load', '--no-ask-password', *args, user=NOBODY)
            self.assertEqual(r.returncode, 6, r.stderr)
            self.assertIn('polkit', r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep', user=NOBODY))

        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load-file')
        r = self.assert_ok(self.cli('load', '--no-ask-password', path, user=NOBODY))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertEqual(self.module_properties('modctl_test_dep')['Origin'], 'user')


if __name__ == '__main__':
    unittest.main()
