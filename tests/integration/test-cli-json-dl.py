#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""json-c is opened with dlopen() only when JSON is asked for (issue 23): a plain `modctl load`,
`unload` or `modprobe` by root over the private socket never maps it, and --json still
prints the same objects. The dynamic linker's own trace (LD_DEBUG=files) names every shared
object it opens, linked or dlopen()ed."""

import json
import os
import subprocess
import tempfile
import unittest

from modctl_test import MODCTL, TIMEOUT, Bus, ModctlTest


class JsonDlTest(ModctlTest):
    fail_env = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='modctl-jsondl-')
        os.chmod(self.tmp, 0o755)
        self.bus = Bus(self.tmp)
        self.private = os.path.join(self.tmp, 'private')
        self.daemon = self.start_daemon(extra_args=['--private-socket', self.private])

    def root_cli(self, *args):
        """modctl as root over the private socket, with the linker's trace on stderr."""
        env = dict(os.environ, MODCTL_BUS_ADDRESS='unix:path=' + os.path.join(self.tmp, 'nothing'),
                   MODCTL_PRIVATE_SOCKET=self.private, LANG='C.UTF-8', LANGUAGE='', LD_DEBUG='files')
        return subprocess.run([MODCTL] + list(args), env=env, capture_output=True, text=True, timeout=TIMEOUT)

    def opened_json_c(self, r):
        return 'libjson-c.so' in r.stderr

    def test_plain_verbs_do_not_map_json_c(self):
        r = self.assert_ok(self.root_cli('load', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertFalse(self.opened_json_c(r), r.stderr)
        r = self.assert_ok(self.root_cli('unload', '-r', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_dep', 'modctl_test_base'])
        self.assertFalse(self.opened_json_c(r), r.stderr)
        r = self.assert_ok(self.root_cli('modprobe', 'modctl_test_base'))
        self.assertFalse(self.opened_json_c(r), r.stderr)
        r = self.assert_ok(self.root_cli('load', 'modctl_test_base'))
        self.assertIn('already loaded', r.stdout)
        self.assertFalse(self.opened_json_c(r), r.stderr)
        self.assertEqual(self.loaded().keys(), {'modctl_test_base'})

    def test_json_opens_json_c_and_prints_the_same_objects(self):
        r = self.assert_ok(self.root_cli('load', '--json=short', 'modctl_test_dep'))
        self.assertTrue(self.opened_json_c(r), r.stderr)
        out = [line for line in r.stdout.splitlines() if line.startswith('[')]
        self.assertEqual(json.loads(out[0]), [{'name': 'modctl_test_dep',
                                               'inserted': ['modctl_test_base', 'modctl_test_dep'],
                                               'already_loaded': False}])
        r = self.assert_ok(self.root_cli('unload', '--json=short', '-r', 'modctl_test_dep'))
        out = [line for line in r.stdout.splitlines() if line.startswith('[')]
        self.assertEqual(json.loads(out[0]), [{'name': 'modctl_test_dep',
                                               'removed': ['modctl_test_dep', 'modctl_test_base']}])
        self.assertEqual(self.loaded(), {})


if __name__ == '__main__':
    unittest.main()
