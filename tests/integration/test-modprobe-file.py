#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A module file by path in the modprobe mode and in `modctl load` (issue 24), with
modctld-fake: `modctl modprobe ./x.ko` (kmod 31's rule: an argument starting with "/" or "./")
opens the file with the caller's rights and loads it through LoadFile, dependencies first; -v
prints kmod's insmod lines; -n and -D print libkmod's plan for the file, as kmod 34.2's modprobe
printed it for the same fixture on 2026-12-08; a missing path is kmod's FATAL line and exit 1.
`modctl load -n ./x.ko` without modctld prints the same plan; a real load without it is the
same "cannot reach modctld" (exit 5) as for a name.

Run one test with: test-modprobe-file.py ModprobeFileTest.test_name."""

import os
import shutil
import subprocess
import unittest

from modctl_test import MODCTL, MODPROBE_D, MODULES_DIR, TIMEOUT, ModctlTest

KVER = os.path.basename(MODULES_DIR)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR)))
OFFLINE = ['-d', ROOT, '-S', KVER, '-C', MODPROBE_D]
BASE = os.path.join(MODULES_DIR, 'extra', 'modctl_test_base.ko')
MISSING = "modprobe: FATAL: Failed to get module from path ./missing.ko: No such file or directory\n"


class ModprobeFileTest(ModctlTest):
    def setUp(self):
        super().setUp()
        # The module developer's build directory: copies outside the module tree.
        self.work = os.path.join(self.tmp, 'work')
        os.makedirs(self.work)
        for name in ('modctl_test_dep', 'modctl_test_hang'):
            shutil.copy(os.path.join(MODULES_DIR, 'extra', name + '.ko'), self.work)
        shutil.copy(os.path.join(MODULES_DIR, 'extra', 'modctl_test_dep.ko'), os.path.join(self.work, 'renamed.ko'))
        os.chmod(self.work, 0o755)

    def run_in_work(self, *args, **env):
        full = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                    MODCTL_MODULES_DIR=MODULES_DIR, **env)
        full.pop('MODCTL_PRIVATE_SOCKET', None)
        return subprocess.run([MODCTL] + list(args), env=full, cwd=self.work, capture_output=True, text=True,
                              timeout=TIMEOUT)

    def test_modprobe_path_loads_the_file_and_its_dependencies(self):
        r = self.run_in_work('modprobe', './modctl_test_dep.ko')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((r.stdout, r.stderr), ('', ''))
        self.assertEqual(set(self.loaded()), {'modctl_test_base', 'modctl_test_dep'})
        self.assertEqual(self.module_properties('modctl_test_dep')['Origin'], 'user')
        # Loaded already: nothing to do, exit 0; --first-time: kmod's error, exit 1.
        self.assertEqual(self.run_in_work('modprobe', './modctl_test_dep.ko').returncode, 0)
        r = self.run_in_work('modprobe', '--first-time', os.path.join(self.work, 'modctl_test_dep.ko'))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "modprobe: ERROR: could not insert 'modctl_test_dep': Module already in kernel\n")

    def test_modprobe_path_verbose_prints_kmods_insmod_lines(self):
        r = self.run_in_work('modprobe', '-v', './modctl_test_dep.ko')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'insmod %s \ninsmod %s/./modctl_test_dep.ko \n' % (BASE, self.work))
        # An absolute path stays as given; several files with -a.
        r = self.run_in_work('modprobe', '-v', '-a', os.path.join(self.work, 'modctl_test_hang.ko'))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'insmod %s/modctl_test_hang.ko \n' % self.work)
        self.assertIn('modctl_test_hang', self.loaded())

    def test_modprobe_dry_run_of_a_path_is_kmods_plan(self):
        # kmod 34.2 (Debian 13) printed exactly these lines for the same files, tree and modprobe.d.
        plan = 'insmod %s value=5 \ninsmod %s/./modctl_test_dep.ko \n' % (BASE, self.work)
        for args in (['-n', '-v'], ['-D'], ['--show-depends'], ['--dry-run', '--verbose']):
            r = self.run_in_work('modprobe', *(OFFLINE + args + ['./modctl_test_dep.ko']))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, plan, ''), args)
        # kmod names the file's module after its base name and finds no dependencies for
        # renamed.ko in modules.dep (modctl-modprobe(8), DIFFERENCES FROM KMOD).
        r = self.run_in_work('modprobe', *(OFFLINE + ['-n', '-v', './renamed.ko']))
        self.assertEqual((r.returncode, r.stdout), (0, 'insmod %s/./renamed.ko \n' % self.work))
        # -n alone prints nothing, as in kmod; nothing was loaded by any of it.
        r = self.run_in_work('modprobe', *(OFFLINE + ['-n', './modctl_test_dep.ko']))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, '', ''))
        self.assertEqual(self.loaded(), {})

    def test_modprobe_missing_path_is_kmods_fatal_line(self):
        for args in ([], ['-n', '-v'], ['-D']):
            r = self.run_in_work('modprobe', *(args + ['./missing.ko']))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (1, '', MISSING), args)
        r = self.run_in_work('modprobe', '-q', './missing.ko')
        self.assertEqual((r.returncode, r.stderr), (1, ''))
        # Without "./" it is a name, as in kmod.
        r = self.run_in_work('modprobe', 'missing.ko')
        self.assertEqual(r.returncode, 1)
        self.assertNotIn('from path', r.stderr)

    def test_modprobe_path_is_judged_by_the_policy(self):
        self.write_config('[Policy]\nDeny=modctl_test_base\n')
        self.assert_ok(self.send('ReloadConfig'))
        r = self.run_in_work('modprobe', './modctl_test_dep.ko')
        self.assertEqual(r.returncode, 1)
        self.assertIn("modprobe: ERROR: could not insert 'modctl_test_dep': ", r.stderr)
        self.assertIn('Deny=modctl_test_base', r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_load_dry_run_of_a_file_without_modctld(self):
        self.daemon.stop()
        self.daemon = None
        # libkmod's plan, as modprobe -n -v prints it.
        r = self.run_in_work('load', '-n', './modctl_test_dep.ko')
        self.assertEqual((r.returncode, r.stdout), (0, 'insmod %s \ninsmod %s/./modctl_test_dep.ko \n'
                                                       % (BASE, self.work)), r.stderr)
        r = self.run_in_work('load', '-n', 'missing.ko')
        self.assertEqual(r.returncode, 4, r.stderr)  # not found
        self.assertIn("cannot open the module file 'missing.ko'", r.stderr)
        # A real load needs modctld, a file as much as a name: the same sentence, exit 5.
        by_name = self.run_in_work('load', 'modctl_test_dep')
        by_file = self.run_in_work('load', './modctl_test_dep.ko')
        self.assertEqual(by_file.returncode, 5, by_file.stderr)
        self.assertEqual(by_file.stderr, by_name.stderr)
        self.assertIn('systemctl start modctld.service', by_file.stderr)

    def test_load_dry_run_of_a_file_with_modctld(self):
        # modctld's plan: the dependency from the tree, then the file as the kernel names its
        # descriptor (the real path).
        r = self.run_in_work('load', '-n', './modctl_test_dep.ko')
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        self.assertTrue(lines[0].startswith('insmod %s ' % BASE), r.stdout)
        self.assertEqual(lines[1], 'insmod %s/modctl_test_dep.ko' % os.path.realpath(self.work))
        self.assertEqual(self.loaded(), {})


if __name__ == '__main__':
    unittest.main()
