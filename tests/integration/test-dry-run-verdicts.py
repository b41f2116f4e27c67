#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""load --dry-run does what modprobe -D does and no more (issue 23): the plan's steps, no module
file read, no rule judged; --verdicts (the Load flag 16) adds the policy and the taint
prediction. Against modctld-fake on a private bus, online and offline.

Run one test with: test-dry-run-verdicts.py DryRunVerdictsTest.test_name."""

import json
import os
import shutil
import subprocess
import unittest

from modctl_test import MODCTL, MODULES_DIR, TIMEOUT, ModctlTest

VERDICTS = 16


class DryRunVerdictsTest(ModctlTest):
    def cli(self, *args, user=None):
        """modctl as test-cli-output.py runs it: offline, it reads the fixture's tree."""
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        for k in ('MODCTL_PRIVATE_SOCKET', 'PAGER', 'SYSTEMD_PAGER', 'COLUMNS'):
            env.pop(k, None)
        return subprocess.run((user or []) + [MODCTL, '--no-ask-password'] + list(args), env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def set_policy(self, text):
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d', '50-test.conf')
        with open(path, 'w') as f:
            f.write(text)
        self.assert_ok(self.send('ReloadConfig'))

    def test_plain_dry_run_prints_steps_only(self):
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_proprietary'))
        lines = r.stdout.strip().split('\n')
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertRegex(lines[0], r'^insmod \S+/modctl_test_proprietary\.ko$')
        self.assertEqual(r.stderr, '')
        r = self.assert_ok(self.cli('load', '--dry-run', '--verdicts', 'modctl_test_proprietary'))
        self.assertEqual(r.stdout.strip().split('\n'), [lines[0], 'taint modctl_test_proprietary POE'])

    def test_plain_dry_run_judges_no_rule(self):
        self.set_policy('[Policy]\nDeny=modctl-test-base\n')
        # Like modprobe -D: the plan, whatever the policy says of it.
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep'))
        self.assertIn('modctl_test_base.ko', r.stdout)
        r = self.cli('load', '--dry-run', '--verdicts', 'modctl_test_dep')
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)  # policy denial
        self.assertIn('Deny', r.stderr)
        self.assertEqual(r.stdout, '')
        self.assertEqual(self.loaded(), {})

    def test_plain_dry_run_opens_no_module_file(self):
        # The file the index names is gone: only something that opens it can tell.
        self.daemon.stop()
        moddir = os.path.join(self.tmp, 'modroot', os.path.basename(MODULES_DIR))  # the name is the release
        shutil.copytree(MODULES_DIR, moddir)
        os.unlink(os.path.join(moddir, 'extra', 'modctl_test_dep.ko'))
        self.daemon = self.start_daemon(self.fail_env, modules_dir=moddir)
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep'))
        self.assertRegex(r.stdout, r'insmod \S+/modctl_test_base\.ko value=5 value=7\ninsmod \S+/modctl_test_dep\.ko\n')
        r = self.cli('load', '--dry-run', '--verdicts', 'modctl_test_dep')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('modctl_test_dep', r.stderr)

    def test_json_taint_is_null_without_verdicts(self):
        r = self.assert_ok(self.cli('load', '--dry-run', '--json=short', 'modctl_test_dep'))
        plan = json.loads(r.stdout)[0]['plan']
        self.assertEqual([(s['module'], s['taint']) for s in plan],
                         [('modctl_test_base', None), ('modctl_test_dep', None)])
        r = self.assert_ok(self.cli('load', '--dry-run', '--verdicts', '--json=short', 'modctl_test_dep'))
        plan = json.loads(r.stdout)[0]['plan']
        self.assertEqual([(s['module'], s['taint']) for s in plan],
                         [('modctl_test_base', 'OE'), ('modctl_test_dep', 'OE')])

    def test_bus_flag(self):
        r = self.assert_ok(self.call('Load', 'sst', 'modctl_test_proprietary', '', 1))
        self.assertNotIn('taint', r.stdout)
        r = self.assert_ok(self.call('Load', 'sst', 'modctl_test_proprietary', '', 1 | VERDICTS))
        self.assertIn('"taint modctl_test_proprietary POE"', r.stdout)
        # Verdicts without a dry run is a mistake of the caller's, and nothing is loaded.
        r = self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:%d' % VERDICTS)
        self.assert_error(r, 'org.modctl1.Error.InvalidArgument')
        self.assertIn('modctl_test_base', r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_verdicts_needs_dry_run(self):
        r = self.cli('load', '--verdicts', 'modctl_test_base')
        self.assertEqual(r.returncode, 2, r.stderr)  # usage
        self.assertIn("'--verdicts' is only valid with '--dry-run'", r.stderr)
        self.assertEqual(self.loaded(), {})
        r = self.cli('unload', '--verdicts', 'modctl_test_base')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("option '--verdicts' is not valid for 'unload'", r.stderr)

    def test_offline_says_nothing_unless_verdicts_asked(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon = None
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep'))
        self.assertEqual(r.stderr, '')
        self.assertRegex(r.stdout, r'insmod \S+/modctl_test_base\.ko \ninsmod \S+/modctl_test_dep\.ko \n')
        r = self.assert_ok(self.cli('load', '--dry-run', '--verdicts', 'modctl_test_dep'))
        self.assertIn('without policy verdicts or taint prediction', r.stderr)
        self.assertNotIn('taint', r.stdout)


if __name__ == '__main__':
    unittest.main()
