#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Policy over D-Bus with modctld-fake: denials name module, rule and reason and insert nothing,
also for a dependency and an alias target; CheckPolicy, GetPolicy, ReloadConfig and SIGHUP keep
the old policy when the new one is invalid; Mode=warn loads and signals PolicyWarning."""

import os
import select
import signal
import subprocess
import sys
import time
import unittest

from modctl_test import NOBODY, TIMEOUT, ModctlTest


class PolicyTest(ModctlTest):
    def write_conf(self, text, name='50-test.conf'):
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d', name)
        with open(path, 'w') as f:
            f.write(text)

    def reload(self):
        return self.send('ReloadConfig')

    def set_policy(self, text):
        self.write_conf(text)
        r = self.reload()
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_license_denial_inserts_nothing(self):
        self.set_policy('[Policy]\nLicense=gpl-compatible\n')
        r = self.send('Load', 'string:modctl_test_proprietary', 'string:', 'uint64:0')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('org.modctl1.Error.PolicyDenied', r.stderr)
        self.assertIn('modctl_test_proprietary', r.stderr)
        self.assertIn('License', r.stderr)
        self.assertIn("'Proprietary'", r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assert_ok(self.cli('load', 'modctl_test_base'))

    def test_deny_blocks_a_dependency_and_alias_target(self):
        self.set_policy('[Policy]\nDeny=modctl-test-base\n')
        for name in ('modctl_test_dep', 'modctl-test-alias'):
            r = self.cli('load', name)
            self.assertEqual(r.returncode, 3, r.stdout)  # policy denial
            self.assertIn('modctl_test_base', r.stderr)
            self.assertIn('Deny', r.stderr)
        self.assertEqual(self.loaded(), {})
        # The dry run says the same.
        r = self.send('Load', 'string:modctl_test_dep', 'string:', 'uint64:1')
        self.assertIn('org.modctl1.Error.PolicyDenied', r.stderr)

    def test_check_policy(self):
        self.set_policy('[Policy]\nDeny=modctl_test_base\n')
        r = self.call('CheckPolicy', 'sst', 'modctl_test_dep', '', 0)
        self.assert_ok(r)
        self.assertIn('"modctl_test_base" "deny" "Deny"', r.stdout)
        self.assertIn('"modctl_test_dep" "allow" "" "" "OE"', r.stdout)
        r = self.cli('policy', 'check', 'modctl_test_dep')
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r'modctl_test_base\s+deny\s+OE\s+Deny\s+Module .modctl_test_base. is masked')
        self.assertRegex(r.stdout, r'modctl_test_dep\s+allow\s+OE\s+-\s+-')
        # Anyone may ask.
        self.assertEqual(self.cli('policy', 'check', 'modctl_test_base', user=NOBODY).returncode, 1)
        self.assertEqual(self.loaded(), {})

    def test_show_and_reload(self):
        self.set_policy('[Policy]\nLicense=gpl-compatible\nSignature=signed\n')
        r = self.assert_ok(self.cli('policy', 'show'))
        self.assertIn('License=gpl-compatible\n', r.stdout)
        self.assertIn('Signature=signed\n', r.stdout)
        self.assertIn('50-test.conf', r.stdout)

        # An invalid line: the error names file and line, and the old policy stays.
        self.write_conf('[Policy]\nLicense=gpl-compatible\nSignature=whatever\n')
        r = self.reload()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('org.modctl1.Error.InvalidConfig', r.stderr)
        self.assertIn('50-test.conf:3', r.stderr)
        self.assertIn('Signature=signed', self.cli('policy', 'show').stdout)
        r = self.cli('reload')
        self.assertEqual(r.returncode, 1)
        self.assertIn('50-test.conf:3', r.stderr)

        # Only root reloads.
        self.write_conf('[Policy]\nMode=off\n')
        r = self.send('ReloadConfig', user=NOBODY)
        self.assertIn('AccessDenied', r.stderr)
        self.assertIn('Mode=enforce', self.cli('policy', 'show').stdout)
        self.assert_ok(self.cli('reload'))
        self.assertIn('Mode=off', self.cli('policy', 'show').stdout)

    def test_sighup_reloads_and_keeps_old_policy_on_error(self):
        def hup_and_wait(expect):
            # The log line is the event: the daemon writes it when it handled the signal.
            before = self.daemon.output().count(expect)
            self.daemon.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + TIMEOUT
            while self.daemon.output().count(expect) == before:
                self.assertLess(time.monotonic(), deadline, self.daemon.output())
                self.daemon.notify.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    self.daemon.notify.recv(4096)  # RELOADING=1 / READY=1 around every reload
                except OSError:
                    pass

        self.write_conf('[Policy]\nDeny=modctl_test_base\n')
        hup_and_wait('Configuration reloaded')
        self.assertIn('Deny=modctl_test_base', self.cli('policy', 'show').stdout)
        self.write_conf('[Policy]\nDeny=bad/glob\n')
        hup_and_wait('previous one stays in force')
        self.assertIn('50-test.conf:2', self.daemon.output())
        self.assertIn('Deny=modctl_test_base', self.cli('policy', 'show').stdout)
        self.assertEqual(self.cli('load', 'modctl_test_base').returncode, 3)  # policy denial

    def test_warn_loads_and_signals(self):
        self.set_policy('[Policy]\nMode=warn\nLicense=gpl-compatible\n')
        mon = subprocess.Popen(['dbus-monitor', '--address', self.bus.address, '--monitor',
                                "type='signal',interface='org.modctl1.Manager',member='PolicyWarning'"],
                               stdout=subprocess.PIPE)
        seen = b''

        def read_until(text):
            nonlocal seen
            deadline = time.monotonic() + TIMEOUT
            while text not in seen and time.monotonic() < deadline:
                ready, _, _ = select.select([mon.stdout], [], [], deadline - time.monotonic())
                if ready:
                    seen += os.read(mon.stdout.fileno(), 4096)

        try:
            # dbus-monitor is a monitor once the bus told it that it lost its own unique name;
            # a signal sent before that would go unseen.
            read_until(b'member=NameLost')
            self.assert_ok(self.cli('load', 'modctl_test_proprietary'))
            self.assertIn('modctl_test_proprietary', self.loaded())
            read_until(b'Proprietary')
            self.assertIn(b'member=PolicyWarning', seen)
            self.assertIn(b'string "License"', seen)
        finally:
            mon.terminate()
            mon.wait()

    def test_info_predicts_taint(self):
        r = self.assert_ok(self.cli('info', 'modctl_test_proprietary'))
        self.assertRegex(r.stdout, r'taint_prediction:\s+POE')

    def test_dry_run_predicts_taint(self):
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_proprietary'))
        self.assertIn('taint modctl_test_proprietary POE', r.stdout)


if __name__ == '__main__':
    unittest.main()
