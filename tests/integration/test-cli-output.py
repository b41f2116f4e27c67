#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctl's output (issue 24): --json with structured plan steps and clean info fields, online
and offline alike; --help's columns; the daemon's common errors in the user's language (zh_CN).
Against modctld-fake on a private bus, as test-cli.py.

Run one test with: test-cli-output.py CliOutputTest.test_name."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from modctl_test import MODCTL, MODULES_DIR, NOBODY, TIMEOUT, ModctlTest

EXTRA = os.path.join(MODULES_DIR, 'extra')
# build/tests/modules/fixture/root/lib/modules/KVER -> build/tests/modules/signatures
SIGNATURES = os.path.normpath(os.path.join(MODULES_DIR, '..', '..', '..', '..', '..', 'signatures'))


def insmod(name, params='', taint=''):
    """A plan step; taint None: not predicted (offline)."""
    path = os.path.join(EXTRA, name + '.ko')
    return {'action': 'insmod', 'module': name, 'path': path, 'params': params,
            'line': ('insmod %s %s' % (path, params)).rstrip(), 'taint': taint}


class CliOutputTest(ModctlTest):
    fail_env = {}

    def run_cli(self, *args, **extra):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        for k in ('MODCTL_PRIVATE_SOCKET', 'PAGER', 'SYSTEMD_PAGER', 'COLUMNS'):
            env.pop(k, None)
        env.update(extra)
        return subprocess.run([MODCTL, '--no-ask-password'] + list(args), env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)

    def stop_daemon(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon = None

    # --- --json ---

    def test_dry_run_plan_steps_are_objects_online_and_offline(self):
        # The fixture's modprobe.d gives value=5, the daemon's kernel command line value=7.
        want = [{'name': 'modctl_test_dep', 'plan': [insmod('modctl_test_base', 'value=5 value=7', 'OE'),
                                                      insmod('modctl_test_dep', taint='OE')]}]
        r = self.assert_ok(self.run_cli('load', '-n', '--json=short', 'modctl_test_dep'))
        self.assertEqual(json.loads(r.stdout), want)
        self.stop_daemon()
        r = self.assert_ok(self.run_cli('load', '-n', '--json=short', 'modctl_test_dep'))
        # Offline, libkmod reads neither the daemon's modprobe.d nor its kernel command line.
        # Nor does it predict taints.
        want[0]['plan'] = [insmod('modctl_test_base', taint=None), insmod('modctl_test_dep', taint=None)]
        self.assertEqual(json.loads(r.stdout), want)
        self.assertIn('not reachable', r.stderr)

    def test_dry_run_parameters(self):
        r = self.assert_ok(self.run_cli('load', '-n', '--json=short', 'modctl_test_base', 'value=3'))
        self.assertEqual(json.loads(r.stdout), [{'name': 'modctl_test_base',
                                                 'plan': [insmod('modctl_test_base', 'value=5 value=7 value=3', 'OE')]}])

    def test_info_json_fields_are_clean(self):
        r = self.assert_ok(self.run_cli('info', '--json=short', 'modctl_test_base'))
        fields = json.loads(r.stdout)
        self.assertEqual(fields['depends'], [])
        self.assertEqual(fields['name'], ['modctl_test_base'])
        r = self.assert_ok(self.run_cli('info', '--json=short', 'modctl_test_dep'))
        self.assertEqual(json.loads(r.stdout)['depends'], ['modctl_test_base'])
        ko = os.path.join(SIGNATURES, 'signed-b.ko')
        fields = json.loads(self.assert_ok(self.run_cli('info', '--json=short', ko)).stdout)
        self.assertEqual(len(fields['signature']), 1)
        self.assertRegex(fields['signature'][0], r'^([0-9A-F]{2}:)+[0-9A-F]{2}$')
        self.assertRegex(fields['sig_key'][0], r'^([0-9A-F]{2}:)+[0-9A-F]{2}$')
        # The same hex as modinfo's wrapped text, joined.
        text = self.assert_ok(self.run_cli('info', '-F', 'signature', ko)).stdout
        self.assertEqual(fields['signature'][0], re.sub(r'(\\n|\\t|\s)', '', text))

    # --- --help ---

    def test_help_columns_and_no_trailing_spaces(self):
        for args in (['--help'], ['load', '--help'], ['info', '--help'], ['status', '--help'],
                     ['enable', '--help']):
            out = self.assert_ok(self.run_cli(*args)).stdout
            for line in out.splitlines():
                self.assertEqual(line, line.rstrip(), 'trailing space in %s: %r' % (args, line))
            # Every option's description starts in the same column as --help's.
            at = out.index('Show this help and exit')
            col = at - out.rindex('\n', 0, at) - 1
            for line in out.splitlines():
                m = re.match(r'^  (-\w --[\w-]+(=\S+)?|   --[\w-]+(=\S+)?)( +)(\S.*)$', line)
                if m:
                    self.assertEqual(len(line) - len(m.group(5)), col, '%s: %r' % (args, line))
        self.assertIn('  status\n', self.assert_ok(self.run_cli('--help')).stdout)
        self.assertIn('Usage: modctl [OPTIONS...] status\n', self.assert_ok(self.run_cli('status', '--help')).stdout)

    # --- translations ---

    def zh_env(self):
        loc = tempfile.mkdtemp(prefix='modctl-locale-', dir=self.tmp)
        os.chmod(loc, 0o755)  # read by uid 65534 too
        # No zh_CN locale need be installed: one is compiled for the test (LOCPATH).
        subprocess.run(['localedef', '-i', 'zh_CN', '-f', 'UTF-8', os.path.join(loc, 'zh_CN.UTF-8')], check=True,
                       capture_output=True, timeout=TIMEOUT)
        return {'LOCPATH': loc, 'LANG': 'zh_CN.UTF-8', 'LC_ALL': 'zh_CN.UTF-8',
                'MODCTL_LOCALEDIR': os.environ['MODCTL_TEST_LOCALEDIR']}

    def test_common_errors_in_chinese(self):
        zh = self.zh_env()
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d', 'test.conf')
        with open(path, 'w') as f:
            f.write('[Policy]\nDeny=modctl_test_base\n')
        self.assert_ok(self.send('ReloadConfig'))
        r = self.run_cli('load', 'modctl_test_base', **zh)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn('modctl: 策略拒绝加载“modctl_test_base”（规则 Deny）。\n', r.stderr)
        # The daemon's own sentence follows, with its detail.
        self.assertIn("  Policy denies loading 'modctl_test_base' (rule Deny)", r.stderr)
        r = self.run_cli('load', 'modctl_test_nosuch', **zh)
        self.assertIn('modctl: 找不到模块“modctl_test_nosuch”。\n', r.stderr)
        r = self.run_cli('unload', 'modctl_test_soft', **zh)
        self.assertIn('modctl: 模块“modctl_test_soft”未加载。\n', r.stderr)
        r = subprocess.run(NOBODY + [MODCTL, '--no-ask-password', 'load', 'modctl_test_dep'], capture_output=True,
                           text=True, timeout=TIMEOUT,
                           env=dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, **zh))
        self.assertIn('modctl: 无权更改模块“modctl_test_dep”。\n', r.stderr)
        # In English nothing changes: the daemon's sentence as it is.
        r = self.run_cli('load', 'modctl_test_nosuch')
        self.assertTrue(r.stderr.startswith("modctl: Module 'modctl_test_nosuch' not found"), r.stderr)
        self.stop_daemon()
        r = self.run_cli('load', 'modctl_test_base', **zh)
        self.assertIn('无法通过总线', r.stderr)


if __name__ == '__main__':
    unittest.main(argv=[sys.argv[0]] + sys.argv[1:], verbosity=2)
