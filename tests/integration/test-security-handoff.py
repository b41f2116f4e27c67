#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 19, finding 3: a stop, restart, crash or package upgrade of modctld hands the
devices back to udevd (modctl-udev-handoff stop replays "add" for every driverless device), and
udevd's kmod builtin loads whatever their modaliases match, the drivers the policy denied
included. modctld now keeps /run/modprobe.d/modctl-denied.conf equal to what its policy keeps
out, on disk before anything could crash; udevd's kmod builtin (modprobe -b here, the same
KMOD_PROBE_APPLY_BLACKLIST) and modprobe's alias lookups leave those modules out. These tests
make the denials as the review did (uid 65534 with only org.modctl1.configure for SetDisabled;
Deny= and License= from the admin), kill -9 modctld, and ask kmod's own modprobe what udevd
would load for each device."""

import json
import os
import signal
import subprocess
import unittest

from modctl_test import MODULES_DIR, NOBODY, TIMEOUT, ModctlTest


# The fixture tree is ROOT/lib/modules/KVER.
KVER = os.path.basename(MODULES_DIR)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR)))


class HandoffTest(ModctlTest):
    def denied_conf(self):
        return os.path.join(self.daemon.config_root, 'run/modprobe.d/modctl-denied.conf')

    def read_denied(self):
        with open(self.denied_conf()) as f:
            return f.read()

    def blacklisted(self):
        return {line.split()[1] for line in self.read_denied().splitlines() if line.startswith('blacklist ')}

    def write_policy(self, text):
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d/50-test.conf')
        with open(path, 'w') as f:
            f.write(text)

    def udevd_would_insert(self, alias):
        """What udevd's kmod builtin inserts for a device with this modalias once modctld is
        gone: kmod's modprobe with -b (udev probes with KMOD_PROBE_APPLY_BLACKLIST) over the
        fixture tree and the modprobe.d below the test's root (where modctld writes)."""
        conf = os.path.join(self.daemon.config_root, 'run/modprobe.d')
        r = subprocess.run(['modprobe', '-b', '-n', '-v', '-d', ROOT, '-S', KVER, '-C', conf, alias],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [os.path.basename(w).removesuffix('.ko') for line in r.stdout.splitlines()
                if line.startswith('insmod ') for w in line.split()[1:2]]

    def modprobe_would_insert(self, alias):
        """What the kernel's request_module() path does once kernel.modprobe is modprobe again
        (or HookFallback=modprobe): the blacklist applies to alias matches."""
        conf = os.path.join(self.daemon.config_root, 'run/modprobe.d')
        r = subprocess.run(['modprobe', '-n', '-v', '-d', ROOT, '-S', KVER, '-C', conf, alias],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [os.path.basename(line.split()[1]).removesuffix('.ko') for line in r.stdout.splitlines()
                if line.startswith('insmod ')]

    def kill9(self):
        """A crash: modctld gets no chance to write anything."""
        self.daemon.proc.send_signal(signal.SIGKILL)
        self.daemon.proc.wait(TIMEOUT)
        self.daemon.notify.close()
        self.daemon.log.close()

    def test_crash_leaves_denied_drivers_out(self):
        self.write_policy('[Policy]\nDeny=modctl_test_nested\nLicense=gpl-compatible\n')
        # Devices whose drivers the name rules (Deny=, SetDisabled), the content rules
        # (License=) and nothing deny.
        self.restart_with_autoload(aliases=['modctl_test_nested', 'modctl_test_proprietary', 'modctl_test_soft'])
        loaded = self.loaded()
        self.assertIn('modctl_test_soft', loaded)
        self.assertNotIn('modctl_test_nested', loaded)
        self.assertNotIn('modctl_test_proprietary', loaded)
        # A desktop user with only org.modctl1.configure disables the driver of another device.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.configure')
        self.assert_ok(self.call('SetDisabled', 'sbt', 'modctl_test_dep', 'true', 0, user=NOBODY))

        self.kill9()
        # What ExecStopPost=modctl-udev-handoff stop then hands to udevd, device by device.
        self.assertEqual(self.udevd_would_insert('modctl_test_nested'), [], 'Deny= holds after a crash')
        self.assertEqual(self.udevd_would_insert('modctl-test-alias'), [], 'SetDisabled holds after a crash')
        self.assertEqual(self.udevd_would_insert('modctl_test_proprietary'), [], 'License= holds after a crash')
        self.assertEqual(self.udevd_would_insert('modctl_test_soft'), ['modctl_test_base', 'modctl_test_soft'],
                         'an allowed driver still loads')
        self.assertEqual(self.modprobe_would_insert('modctl-test-alias'), [], 'and so for request_module()')
        # Only what the policy denies, and only names kmod can parse.
        self.assertEqual(self.blacklisted(), {'modctl_test_nested', 'modctl_test_dep', 'modctl_test_proprietary'})

        # Restarted (Restart=on-failure): the refused driver stays out from the first moment,
        # before coldplug has judged it again.
        self.daemon = self.start_daemon(self.fail_env)
        self.assertIn('modctl_test_proprietary', self.blacklisted())
        self.assertIn('modctl_test_dep', self.blacklisted())
        self.assertEqual(self.daemon.stop(), 0)
        self.assertEqual(self.udevd_would_insert('modctl_test_proprietary'), [], 'and after a clean stop')
        self.assertEqual(self.udevd_would_insert('modctl-test-alias'), [])
        self.daemon = self.start_daemon(self.fail_env)

    def test_allowed_again_is_not_kept_out(self):
        self.write_policy('[Policy]\nDeny=modctl_test_dep\nLicense=gpl-compatible\n')
        self.restart_with_autoload(aliases=['modctl_test_proprietary'])
        self.assertEqual(self.blacklisted(), {'modctl_test_dep', 'modctl_test_proprietary'})
        # modctld itself judges by its policy, not by that file: its settings do not call the
        # module blacklisted.
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'GetModuleSettings', 's', 'modctl_test_dep'))
        boot, blacklisted, disabled, options, sources = json.loads(r.stdout)['data']
        self.assertFalse(blacklisted, r.stdout)
        self.assertTrue(disabled, r.stdout)
        self.assertNotIn('modctl-denied.conf', r.stdout)
        # The admin relaxes the policy: the name rule's entry goes at once, and the refused
        # module goes when it loads (by its alias here, which the file must not hide).
        self.write_policy('[Policy]\n')
        self.assert_ok(self.send('ReloadConfig'))
        self.assertEqual(self.blacklisted(), {'modctl_test_proprietary'})
        self.assert_ok(self.cli('load', 'modctl-test-alias'))
        self.assert_ok(self.cli('load', 'modctl_test_proprietary'))
        self.assertEqual(self.blacklisted(), set())
        self.assertEqual(self.udevd_would_insert('modctl-test-alias'), ['modctl_test_base', 'modctl_test_dep'])

    def test_warn_mode_keeps_nothing_out(self):
        self.write_policy('[Policy]\nMode=warn\nDeny=modctl_test_dep\n')
        self.assert_ok(self.send('ReloadConfig'))
        self.assertEqual(self.blacklisted(), set())
        self.assertIn('# Managed by modctld', self.read_denied())

    def test_own_file_is_not_a_setting(self):
        # A stale copy from an earlier run names a module the policy in force allows: modctld
        # loads it for its alias, and then drops it from the file.
        self.assertEqual(self.daemon.stop(), 0)
        with open(self.denied_conf(), 'w') as f:
            f.write('# Managed by modctld: changes made here by hand are lost.\n'
                    '# Refused by the policy when loaded (License=, Signature=, OutOfTree=, Staging=, Vermagic=):\n'
                    'blacklist modctl_test_dep\nblacklist bad$(id)\n')
        self.daemon = self.start_daemon(self.fail_env)
        self.assertEqual(self.blacklisted(), {'modctl_test_dep'}, 'only valid names are carried over')
        self.assert_ok(self.cli('load', 'modctl-test-alias'))
        self.assertIn('modctl_test_dep', self.loaded())
        self.assertEqual(self.blacklisted(), set())


if __name__ == '__main__':
    unittest.main()
