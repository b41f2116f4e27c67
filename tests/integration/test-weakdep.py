#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kmod 33's weakdep (Debian 13's kmod 34): a modprobe.d "weakdep" line shows in `modctl info`
as a weakdep field, and loading the module never loads its weak dependencies."""

import json
import os
import unittest

from modctl_test import ModctlTest


class WeakdepTest(ModctlTest):
    def setUp(self):
        super().setUp()
        conf = os.path.join(self.daemon.config_root, 'etc/modprobe.d/weak.conf')
        with open(conf, 'w') as f:
            f.write('weakdep modctl-test-dep modctl_test_soft modctl_test_proprietary\n')
        # A fresh daemon reads the new file at its start, with no wait for the index watch.
        self.assertEqual(self.daemon.stop(), 0, self.daemon.output())
        self.daemon = self.start_daemon()

    def test_info_shows_weakdeps(self):
        r = self.assert_ok(self.cli('info', '-F', 'weakdep', 'modctl_test_dep'))
        self.assertEqual(r.stdout, 'modctl_test_soft\nmodctl_test_proprietary\n')
        fields = json.loads(self.assert_ok(self.cli('info', '--json=short', 'modctl_test_dep')).stdout)
        self.assertEqual(fields['weakdep'], ['modctl_test_soft', 'modctl_test_proprietary'])
        r = self.assert_ok(self.cli('info', '-F', 'weakdep', 'modctl_test_base'))
        self.assertEqual(r.stdout, '')

    def test_weakdeps_are_never_loaded(self):
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep'))
        self.assertNotIn('modctl_test_soft', r.stdout)
        r = self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertEqual(sorted(self.loaded()), ['modctl_test_base', 'modctl_test_dep'])


if __name__ == '__main__':
    unittest.main()
