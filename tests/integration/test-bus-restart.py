#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dbus-daemon dies and comes back: the kernel hook answers while the bus is gone, and modctld
takes its name and objects up again on the new bus without a restart of its own (the same
process). The VM test (tests/vm/test-bus-restart.sh) does the same on Debian's kernel, with a
device load too.

modctld gets the bus's address without the guid dbus-daemon prints: the guid pins one
dbus-daemon instance, and the system bus's address (what modctld uses in production) has none."""

import os
import subprocess
import types
import unittest

from modctl_test import TIMEOUT, Bus, Daemon, ModctlTest


class BusRestartTest(ModctlTest):
    def setUp(self):
        super().setUp()
        self.daemon.stop()
        plain = types.SimpleNamespace(address='unix:path=' + os.path.join(self.tmp, 'bus.sock'))
        self.daemon = Daemon(self.tmp, plain, self.fail_env, extra_args=['--no-autoload'])

    def wait_name(self):
        # gdbus wait watches NameOwnerChanged: no polling.
        r = subprocess.run(['gdbus', 'wait', '--address', self.bus.address, '--timeout', str(TIMEOUT),
                            'org.modctl1'], capture_output=True, text=True, timeout=TIMEOUT + 5)
        self.assertEqual(r.returncode, 0, r.stderr + self.daemon.output())

    def test_kernel_requests_go_on_and_the_name_comes_back(self):
        pid = self.daemon.proc.pid
        self.assert_ok(self.cli('list'))

        self.bus.stop()
        # No bus: the kernel's request still gets its module.
        r = self.helper('modctl_test_dep')
        self.assertEqual(r.returncode, 0, r.stderr + self.daemon.output())

        self.bus = Bus(self.tmp)
        self.wait_name()
        out = self.assert_ok(self.cli('list')).stdout
        self.assertIn('modctl_test_dep', out)
        self.assertIsNone(self.daemon.proc.poll(), 'modctld exited')
        self.assertEqual(self.daemon.proc.pid, pid)
        self.assertIn('Lost the connection to the bus', self.daemon.output())
        self.assertIn('Back on the bus: serving org.modctl1 again.', self.daemon.output())
        # The objects are back too: the module object of what loaded while the bus was away.
        self.assert_ok(self.busctl('introspect', 'org.modctl1', '/org/modctl1/module/modctl_5ftest_5fdep'))

    def test_a_second_restart_is_survived_too(self):
        for _ in range(2):
            self.bus.stop()
            self.bus = Bus(self.tmp)
            self.wait_name()
            self.assert_ok(self.cli('list'))


if __name__ == '__main__':
    unittest.main()
