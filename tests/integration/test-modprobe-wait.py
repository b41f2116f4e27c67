#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of modprobe -r -w MSEC in modctl's modprobe mode (issue 24): a module in
use is removed once it becomes unused within MSEC, woken by modctld's ModuleUnloaded signal
rather than by polling; past MSEC it fails with kmod's words and exit status 1.

Run one test with: test-modprobe-wait.py ModprobeWaitTest.test_name."""

import os
import subprocess
import time
import unittest

from modctl_test import MODCTL, MODULES_DIR, TIMEOUT, ModctlTest


class ModprobeWaitTest(ModctlTest):
    def env(self):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        env.pop('MODCTL_PRIVATE_SOCKET', None)
        return env

    def modprobe(self, *args):
        return subprocess.run([MODCTL, 'modprobe'] + list(args), env=self.env(), capture_output=True, text=True,
                              timeout=TIMEOUT)

    def test_waits_until_the_holder_is_gone(self):
        self.assert_ok(self.modprobe('modctl_test_dep'))
        self.assertIn('modctl_test_base', self.loaded())
        # The refusal on the bus is the sign that the client has tried once and now waits.
        _, read_until = self.monitor("type='error'")
        proc = subprocess.Popen([MODCTL, 'modprobe', '-r', '-v', '-w', str(TIMEOUT * 1000), 'modctl_test_base'],
                                env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        read_until(r'error_name=org\.modctl1\.Error\.InUse')
        self.assertIsNone(proc.poll(), 'modprobe -w gave up while the module was still in use')
        self.assertEqual(set(self.loaded()), {'modctl_test_base', 'modctl_test_dep'})

        # The holder goes: its ModuleUnloaded wakes the waiting client, which removes the module.
        r = self.call('Unload', 'st', 'modctl_test_dep', '0')
        self.assertEqual(r.returncode, 0, r.stderr)
        out, err = proc.communicate(timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, 'rmmod modctl_test_base\n')
        self.assertEqual(err, '')
        self.assertEqual(self.loaded(), {})

    def test_gives_up_after_msec_like_kmod(self):
        self.assert_ok(self.modprobe('modctl_test_dep'))
        start = time.monotonic()
        r = self.modprobe('-r', '-w', '300', 'modctl_test_base')
        took = time.monotonic() - start
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr,
                         "modprobe: ERROR: could not remove 'modctl_test_base': Resource temporarily unavailable\n")
        self.assertEqual(r.stdout, '')
        self.assertGreaterEqual(took, 0.3)
        self.assertEqual(set(self.loaded()), {'modctl_test_base', 'modctl_test_dep'})

    def test_unused_module_goes_at_once(self):
        self.assert_ok(self.modprobe('modctl_test_base'))
        r = self.assert_ok(self.modprobe('-r', '-v', '--wait=60000', 'modctl_test_base'))
        self.assertEqual(r.stdout, 'rmmod modctl_test_base\n')
        self.assertEqual(self.loaded(), {})
        # Not loaded: nothing to wait for, a success as without -w.
        self.assert_ok(self.modprobe('-r', '-w', '60000', 'modctl_test_base'))

    def test_bad_wait_value_is_kmods_error(self):
        for value in ('abc', '', '10ms'):
            r = self.modprobe('-r', '-w', value, 'modctl_test_base')
            self.assertEqual(r.returncode, 1, value)
            self.assertEqual(r.stderr, "modprobe: ERROR: unexpected wait value '%s'.\n" % value)


if __name__ == '__main__':
    unittest.main()
