#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Kernel-enforced ownership over D-Bus with modctld-fake (its ownership backend is a fake that
never reaches the kernel; the real BPF programs are tested in tests/vm/test-ownership.sh): the
Ownership, KernelRequests and OwnershipEnforcement properties, their live change through
ReloadConfig, modctl status, and an unavailable backend that the daemon reports but survives."""

import os
import sys
import unittest

from modctl_test import ModctlTest


class OwnershipTest(ModctlTest):
    def prop(self, name):
        r = self.assert_ok(self.busctl('get-property', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', name))
        return r.stdout.strip()

    def write_conf(self, text):
        with open(os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d', '50-test.conf'), 'w') as f:
            f.write(text)

    def test_defaults_enforce_nothing(self):
        self.assertEqual(self.prop('Ownership'), 's "shared"')
        self.assertEqual(self.prop('KernelRequests'), 's "any"')
        self.assertEqual(self.prop('OwnershipEnforcement'), 's "off"')
        r = self.assert_ok(self.cli('status'))
        self.assertRegex(r.stdout, r'Ownership:\s+shared')
        self.assertRegex(r.stdout, r'Kernel enforcement:\s+off')
        stats = self.statistics()
        self.assertEqual((stats['external-loads'], stats['external-refused'], stats['kernel-requests-refused']),
                         (0, 0, 0))

    def test_reload_changes_modes_live(self):
        self.write_conf('[Daemon]\nOwnership=exclusive\nOwnershipOnExit=keep\n[Policy]\nKernelRequests=none\n')
        self.assert_ok(self.send('ReloadConfig'))
        self.assertEqual(self.prop('Ownership'), 's "exclusive"')
        self.assertEqual(self.prop('KernelRequests'), 's "none"')
        self.assertEqual(self.prop('OwnershipEnforcement'), 's "active, kept when modctld exits"')
        r = self.assert_ok(self.cli('status', '--json'))
        self.assertIn('"ownership": "exclusive"', r.stdout)
        self.assertIn('"kernel_requests": "none"', r.stdout)
        text = self.assert_ok(self.cli('policy', 'show')).stdout
        self.assertIn('Ownership=exclusive', text)
        self.assertIn('OwnershipOnExit=keep', text)
        self.assertIn('KernelRequests=none', text)
        # A bad value is refused with FILE:LINE, and the modes in force stay.
        self.write_conf('[Daemon]\nOwnership=mine\n')
        r = self.send('ReloadConfig')
        self.assertIn('org.modctl1.Error.InvalidConfig', r.stderr)
        self.assertIn('50-test.conf:2', r.stderr)
        self.assertEqual(self.prop('Ownership'), 's "exclusive"')
        # Back to audit with the default lifetime.
        self.write_conf('[Daemon]\nOwnership=audit\n')
        self.assert_ok(self.send('ReloadConfig'))
        self.assertEqual(self.prop('Ownership'), 's "audit"')
        self.assertEqual(self.prop('OwnershipEnforcement'), 's "active, released when modctld exits"')

    def test_unavailable_is_reported_not_fatal(self):
        self.daemon.stop()
        with open(os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write('[Daemon]\nOwnership=exclusive\n[Policy]\nKernelRequests=privileged\n')
        self.daemon = self.start_daemon(dict(self.fail_env or {},
                                MODCTL_FAKE_OWNERSHIP_UNAVAILABLE='The BPF LSM is not active in this kernel.'))
        self.assertEqual(self.prop('Ownership'), 's "exclusive"')
        self.assertEqual(self.prop('OwnershipEnforcement'), 's "unavailable: The BPF LSM is not active in this kernel."')
        r = self.assert_ok(self.cli('status'))
        self.assertIn('unavailable: The BPF LSM is not active in this kernel.', r.stdout)
        self.assertNotIn('active, ', r.stdout)
        out = self.daemon.output()
        self.assertIn('Kernel-enforced ownership is unavailable: The BPF LSM is not active in this kernel.', out)
        self.assertIn('are NOT enforced', out)
        # The daemon works as before.
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertIn('modctl_test_base', self.loaded())


if __name__ == '__main__':
    unittest.main(verbosity=2)
