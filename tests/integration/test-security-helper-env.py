#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The clients' own attack surface (issue 19, finding 8): the installed kernel-hook helper runs
as root for whoever made the kernel ask, so it must read no environment variable that could
choose its socket, its configuration (and so a fallback command) or where it creates files.
The pager's secure mode (finding 9) is tested with the other pager cases in test-cli.py."""

import os
import shutil
import subprocess
import tempfile
import unittest

from modctl_test import MODCTL_REQUEST as TEST_BUILD, MODCTL_REQUEST_INSTALLED as INSTALLED, TIMEOUT


class HelperEnvironmentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='modctl-it-helper-env-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.marker = os.path.join(self.tmp, 'payload-ran')
        payload = os.path.join(self.tmp, 'payload')
        with open(payload, 'w') as f:
            f.write('#!/bin/sh\nid > %s\n' % self.marker)
        os.chmod(payload, 0o755)
        # The attacker's configuration root: a fallback that runs the payload.
        conf = os.path.join(self.tmp, 'root', 'etc', 'modctl')
        os.makedirs(conf)
        with open(os.path.join(conf, 'modctld.conf'), 'w') as f:
            f.write('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\n' % payload)
        # A socket in a folder that does not exist: the helper would create it for its
        # fallback counter.
        self.chosen_dir = os.path.join(self.tmp, 'chosen')
        self.env = dict(os.environ, MODCTL_REQUEST_SOCKET=os.path.join(self.chosen_dir, 'request.sock'),
                        MODCTL_REQUEST_CONFIG_ROOT=os.path.join(self.tmp, 'root'))

    def run_helper(self, exe):
        # In a mount namespace of its own with an empty /run (and /etc/modctl, if the host has
        # one), so that the installed paths the helper does use are absent and untouched here.
        script = ('mount -t tmpfs tmpfs /run && '
                  '{ ! [ -d /etc/modctl ] || mount -t tmpfs tmpfs /etc/modctl; } && '
                  'exec "$0" -q -- modctl_test_base')
        return subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, exe],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)

    def test_installed_helper_reads_no_environment(self):
        r = self.run_helper(INSTALLED)
        # The installed defaults: /run/modctl/request.sock is absent, no modctld.conf, so
        # HookFallback=deny.
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('/run/modctl/request.sock', r.stderr)
        self.assertIn('HookFallback=deny', r.stderr)
        self.assertFalse(os.path.exists(self.marker), 'the fallback from the caller\'s configuration ran')
        self.assertFalse(os.path.exists(self.chosen_dir), 'the helper created a folder the caller chose')

    def test_test_build_takes_the_paths(self):
        # The check above can fail: the test build, given the same environment, follows it.
        r = self.run_helper(TEST_BUILD)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.marker))
        self.assertTrue(os.path.exists(os.path.join(self.chosen_dir, 'hook-fallbacks')))


if __name__ == '__main__':
    unittest.main()
