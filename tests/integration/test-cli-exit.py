#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctl's exit codes (issue 24): each cause of a failure has its own code, from the D-Bus error
the daemon replied with; modctl(1)'s EXIT STATUS section has the table. Against modctld-fake on a
private bus, as test-cli.py.

Run one test with: test-cli-exit.py CliExitTest.test_name."""

import os
import subprocess
import sys
import unittest

from modctl_test import MODCTL, MODULES_DIR, NOBODY, TIMEOUT, ModctlTest

# modctl(1), EXIT STATUS.
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_POLICY_DENIED = 3
EXIT_NOT_FOUND = 4
EXIT_UNREACHABLE = 5
EXIT_NOT_AUTHORIZED = 6
EXIT_KERNEL_REJECTED = 7
EXIT_BUSY = 8


class CliExitTest(ModctlTest):
    # The fake kernel refuses modctl_test_fail with ENODEV (the default of ModctlTest).

    def run_cli(self, *args, user=None, ask=False, **extra):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        env.update(extra)
        env.pop('MODCTL_PRIVATE_SOCKET', None)
        return subprocess.run((user or []) + [MODCTL] + ([] if ask else ['--no-ask-password']) + list(args), env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def assert_exit(self, r, code, text=None):
        self.assertEqual(r.returncode, code, 'stdout: %s\nstderr: %s' % (r.stdout, r.stderr))
        if text:
            self.assertIn(text, r.stderr)
        return r

    def set_policy(self, text):
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d', 'test.conf')
        with open(path, 'w') as f:
            f.write(text)
        self.assert_ok(self.send('ReloadConfig'))

    def test_success_and_usage(self):
        self.assert_exit(self.run_cli('load', 'modctl_test_base'), 0)
        self.assert_exit(self.run_cli('frobnicate'), EXIT_USAGE, "unknown command 'frobnicate'")
        self.assert_exit(self.run_cli('load', '--bogus', 'modctl_test_base'), EXIT_USAGE)
        self.assert_exit(self.run_cli('load'), EXIT_USAGE)

    def test_policy_denied(self):
        self.set_policy('[Policy]\nDeny=modctl_test_base\n')
        self.assert_exit(self.run_cli('load', 'modctl_test_base'), EXIT_POLICY_DENIED, 'Deny')
        # Through a dependency too.
        self.assert_exit(self.run_cli('load', 'modctl_test_dep'), EXIT_POLICY_DENIED)

    def test_not_found(self):
        self.assert_exit(self.run_cli('load', 'modctl_test_nosuch'), EXIT_NOT_FOUND, 'modctl_test_nosuch')
        self.assert_exit(self.run_cli('unload', 'modctl_test_base'), EXIT_NOT_FOUND, 'not loaded')
        self.assert_exit(self.run_cli('info', 'modctl_test_nosuch'), EXIT_NOT_FOUND)

    def test_not_found_offline(self):
        self.daemon.stop()
        self.daemon = None
        self.assert_exit(self.run_cli('info', 'modctl_test_nosuch'), EXIT_NOT_FOUND, 'not found')
        self.assert_exit(self.run_cli('load', '-n', 'modctl_test_nosuch'), EXIT_NOT_FOUND, 'not found')

    def test_unreachable(self):
        self.daemon.stop()
        self.daemon = None
        self.assert_exit(self.run_cli('load', 'modctl_test_base'), EXIT_UNREACHABLE, 'cannot reach modctld')
        self.assert_exit(self.run_cli('status'), EXIT_UNREACHABLE, 'cannot reach modctld')
        self.assert_exit(self.run_cli('status', MODCTL_BUS_ADDRESS='unix:path=/nonexistent/bus'),
                         EXIT_UNREACHABLE, 'cannot reach modctld')

    def test_not_authorized(self):
        # No polkitd on the bus: only root may load.
        self.assert_exit(self.run_cli('load', 'modctl_test_base', user=NOBODY), EXIT_NOT_AUTHORIZED,
                         "only root may load module 'modctl_test_base'")
        self.assertEqual(self.loaded(), {})

    def test_kernel_rejected(self):
        self.assert_exit(self.run_cli('load', 'modctl_test_fail'), EXIT_KERNEL_REJECTED, 'modctl_test_fail')

    def test_busy_in_use(self):
        self.assert_exit(self.run_cli('load', 'modctl_test_dep'), 0)
        self.assert_exit(self.run_cli('unload', 'modctl_test_base'), EXIT_BUSY, 'in use')

    def test_busy_queue_full(self):
        # A polkitd that never answers holds 16 of uid 65534's Loads: its next one is Busy at once.
        self.start_polkit()
        self.polkit('SimulateHang', 'b', 'true')
        script = r"""
import dbus, sys
from gi.repository import GLib
from dbus.mainloop.glib import DBusGMainLoop
DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
obj = bus.get_object('org.modctl1', '/org/modctl1')
mgr = dbus.Interface(obj, 'org.modctl1.Manager')
for i in range(16):
    mgr.Load('modctl_test_base', '', dbus.UInt64(0), reply_handler=lambda *a: None,
             error_handler=lambda e: None, timeout=600)
# Messages on one connection are handled in order: once this returns, the 16 wait for polkit.
dbus.Interface(obj, 'org.freedesktop.DBus.Peer').Ping()
print('ready', flush=True)
sys.stdin.readline()
"""
        holder = subprocess.Popen(NOBODY + ['/usr/bin/python3', '-c', script, self.bus.address],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def stop():
            holder.stdin.close()
            holder.wait(TIMEOUT)
        self.addCleanup(stop)
        self.assertEqual(holder.stdout.readline(), 'ready\n')
        self.assert_exit(self.run_cli('load', 'modctl_test_dep', user=NOBODY), EXIT_BUSY, 'Try again later')

    def test_other_failure(self):
        # A failure without a code of its own.
        r = self.run_cli('load', 'modctl_test_base', 'value=1', '--', 'value=2')
        self.assert_exit(r, EXIT_FAILURE, 'not both')

    def test_first_failure_decides(self):
        self.set_policy('[Policy]\nDeny=modctl_test_base\n')
        self.assert_exit(self.run_cli('load', 'modctl_test_nosuch', 'modctl_test_base'), EXIT_NOT_FOUND)
        self.assert_exit(self.run_cli('load', 'modctl_test_base', 'modctl_test_nosuch'), EXIT_POLICY_DENIED)

    def test_modprobe_mode_keeps_kmods_codes(self):
        r = self.run_cli('modprobe', 'modctl_test_nosuch', ask=True)
        self.assertEqual(r.returncode, 1, r.stderr)


if __name__ == '__main__':
    unittest.main(argv=[sys.argv[0]] + sys.argv[1:], verbosity=2)
