#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The CLI's tables (issue 24): libsmartcols lays them out, -o/--output picks and orders the
columns, --raw prints them unaligned and escaped, and modctl's own layout (without
libsmartcols) gives the same text. Against modctld-fake on a private bus, as test-cli.py.

Run one test with: test-cli-columns.py CliColumnsTest.test_name."""

import os
import subprocess
import sys
import unittest

from modctl_test import MODCTL, MODULES_DIR, TIMEOUT, ModctlTest


class CliColumnsTest(ModctlTest):
    fail_env = {}

    def run_cli(self, *args, **extra):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        for k in ('MODCTL_PRIVATE_SOCKET', 'PAGER', 'SYSTEMD_PAGER', 'COLUMNS', 'MODCTL_NO_SMARTCOLS',
                  'SYSTEMD_COLORS', 'NO_COLOR'):
            env.pop(k, None)
        env.update(extra)
        return subprocess.run([MODCTL, '--no-ask-password'] + list(args), env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)

    def both_layouts(self, *args):
        """The same command laid out by libsmartcols and by modctl itself: the text must agree."""
        a = self.assert_ok(self.run_cli(*args))
        b = self.assert_ok(self.run_cli(*args, MODCTL_NO_SMARTCOLS='1'))
        self.assertEqual(a.stdout, b.stdout, 'libsmartcols and the built-in layout differ for %s' % (args,))
        return a.stdout

    def setUp(self):
        super().setUp()
        self.assert_ok(self.run_cli('load', 'modctl_test_dep'))

    def test_default_columns_unchanged(self):
        lines = self.both_layouts('list').splitlines()
        self.assertEqual(lines[0].split(), ['Module', 'Size', 'State', 'Taint', 'Used', 'by'])
        rows = {line.split()[0]: line for line in lines[1:]}
        self.assertIn('modctl_test_base', rows)
        # Size is right-aligned under its header, cells two spaces apart, no trailing blanks.
        header = lines[0]
        size_end = header.index('Size') + len('Size')
        base = rows['modctl_test_base']
        self.assertRegex(base[:size_end], r'\d$', lines)
        for line in lines:
            self.assertEqual(line, line.rstrip(), 'trailing blanks in %r' % line)

    def test_output_picks_and_orders_columns(self):
        out = self.both_layouts('list', '-o', 'state,module')
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ['State', 'Module'])
        self.assertIn(['live', 'modctl_test_base'], [line.split() for line in lines[1:]])
        # Case does not matter, as in util-linux.
        self.assertEqual(self.both_layouts('list', '--output=STATE,Module'), out)

    def test_output_plus_adds_to_the_default(self):
        lines = self.both_layouts('list', '-o', '+module').splitlines()
        self.assertEqual(lines[0].split(), ['Module', 'Size', 'State', 'Taint', 'Used', 'by', 'Module'])
        row = next(line.split() for line in lines[1:] if line.startswith('modctl_test_dep '))
        self.assertEqual((row[0], row[-1]), ('modctl_test_dep', 'modctl_test_dep'))

    def test_unknown_column_is_a_usage_error(self):
        for spec in ('state,bogus', '', 'module,,state', '+'):
            r = self.run_cli('list', '-o', spec)
            self.assertEqual(r.returncode, 2, (spec, r))
            self.assertIn("unknown column", r.stderr)
            self.assertIn('module,size,state,taint,used-by', r.stderr)
            self.assertEqual(r.stdout, '')
        r = self.run_cli('load', '-o', 'module', 'modctl_test_base')
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("option '--output' is not valid for 'load'", r.stderr)

    def test_raw_is_unaligned_and_escaped(self):
        lines = self.both_layouts('--raw', 'list').splitlines()
        self.assertEqual(lines[0], 'Module Size State Taint Used\\x20by')
        dep = next(line for line in lines if line.startswith('modctl_test_dep '))
        self.assertEqual(dep.split(' ')[2], 'live', dep)
        self.assertNotIn('  ', '\n'.join(lines))
        lines = self.both_layouts('--raw', '--no-legend', 'list', '-o', 'module,state').splitlines()
        self.assertIn('modctl_test_base live', lines)

    def test_other_tables(self):
        lines = self.both_layouts('policy', 'check', 'modctl_test_chain', '-o', 'verdict,module').splitlines()
        self.assertIn(['VERDICT', 'MODULE'], [line.split() for line in lines])
        self.assertIn(['allow', 'modctl_test_chain'], [line.split() for line in lines])
        lines = self.both_layouts('settings', 'modctl_test_base', '-o', 'file,setting').splitlines()
        self.assertIn(['FILE', 'SETTING'], [line.split() for line in lines])
        r = self.run_cli('search', '-o', 'bogus')
        self.assertEqual(r.returncode, 2, r)
        self.assertIn('name,state,description', r.stderr)


if __name__ == '__main__':
    unittest.main(argv=[sys.argv[0]] + sys.argv[1:], verbosity=2)
