#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The built unit files against the build host's own systemd units (Debian 12's, as the full
system has them): systemd-analyze verify finds no ordering cycle (it loads the transaction of
each unit, as PID 1 would), and the boot list's end (modctld-boot-list.service) comes before
what needs the boot modules while modctld.service itself, and so udev's trigger, does not wait
for it (issue 21). The boot itself is checked on the full system (tests/system/test-package.py)."""

import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.path.dirname(os.path.dirname(os.environ.get('MODCTL', '/nonexistent/client/modctl')))
SOURCE = os.path.dirname(os.path.dirname(os.environ.get('CONTRACT_XML', '/nonexistent/dbus/x.xml')))
SYSTEM_UNITS = '/lib/systemd/system'


def directives(path, key):
    values = []
    with open(path) as f:
        for line in f:
            if line.startswith(key + '='):
                values += line.split('=', 1)[1].split()
    return values


@unittest.skipUnless(shutil.which('systemd-analyze') and os.path.exists(os.path.join(SYSTEM_UNITS, 'sysinit.target')),
                     'no systemd-analyze or no system units on this host')
class UnitOrderingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='modctl-units.')
        self.units = os.path.join(self.tmp, 'units')
        os.makedirs(os.path.join(self.units, 'systemd-modules-load.service.d'))
        for name in ('modctld.service', 'modctld-boot-list.service', 'modctl-udev-handoff.service'):
            shutil.copy(os.path.join(BUILD, 'systemd', name), self.units)
        shutil.copy(os.path.join(SOURCE, 'systemd', 'modctld-request.socket'), self.units)
        shutil.copy(os.path.join(SOURCE, 'systemd', 'systemd-modules-load.conf'),
                    os.path.join(self.units, 'systemd-modules-load.service.d', '50-modctl.conf'))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_no_ordering_cycle_with_the_system_units(self):
        env = dict(os.environ, SYSTEMD_UNIT_PATH=self.units + ':' + SYSTEM_UNITS + ':', SYSTEMD_LOG_LEVEL='info')
        units = [os.path.join(self.units, u) for u in ('modctld.service', 'modctld-boot-list.service',
                                                       'modctl-udev-handoff.service')]
        units += [os.path.join(SYSTEM_UNITS, u) for u in ('sysinit.target', 'systemd-sysctl.service',
                                                           'systemd-udev-trigger.service',
                                                           'systemd-modules-load.service')]
        r = subprocess.run(['systemd-analyze', 'verify', '--man=no'] + units, env=env, cwd=self.tmp,
                           capture_output=True, text=True, timeout=120)
        # The binaries are not installed on the build host; everything else is a finding.
        findings = [line for line in (r.stdout + r.stderr).splitlines()
                    if line.strip() and 'is not executable' not in line]
        self.assertEqual(findings, [])

    def test_only_what_needs_the_modules_waits_for_the_boot_list(self):
        daemon = os.path.join(self.units, 'modctld.service')
        boot_list = os.path.join(self.units, 'modctld-boot-list.service')
        dropin = os.path.join(self.units, 'systemd-modules-load.service.d', '50-modctl.conf')
        self.assertIn('modctld-boot-list.service', directives(daemon, 'Wants'))
        # modctld comes before udev's trigger for its start only, and nothing it is ordered
        # before needs the boot list: that is the boot-list unit's job.
        self.assertIn('systemd-udev-trigger.service', directives(daemon, 'Before'))
        self.assertNotIn('systemd-sysctl.service', directives(daemon, 'Before'))
        self.assertNotIn('systemd-udev-trigger.service', directives(boot_list, 'Before'))
        for unit in ('systemd-sysctl.service', 'systemd-modules-load.service', 'sysinit.target'):
            self.assertIn(unit, directives(boot_list, 'Before'))
        self.assertEqual(directives(boot_list, 'After'), ['modctld.service'])
        self.assertIn('modctld-boot-list.service', directives(dropin, 'After'))
        # Debian's own units that wait for systemd-modules-load (systemd-sysctl, procps) keep
        # finding the modules loaded, through the drop-in's ordering.
        self.assertIn('systemd-modules-load.service',
                      directives(os.path.join(SYSTEM_UNITS, 'systemd-sysctl.service'), 'After'))

    def test_the_wait_for_udevd_is_not_on_modctlds_start(self):
        daemon = os.path.join(self.units, 'modctld.service')
        handoff = os.path.join(self.units, 'modctl-udev-handoff.service')
        # Before the daemon: one command, the handoff's start, which waits for nothing.
        self.assertEqual([v for v in directives(daemon, 'ExecStartPre')],
                         ['+' + os.path.join(self.libexecdir(daemon), 'modctl-udev-handoff'), 'start'])
        self.assertIn('modctl-udev-handoff.service', directives(daemon, 'Wants'))
        self.assertNotIn('modctl-udev-handoff.service', directives(daemon, 'After'))
        # The wait for udevd's answer: after the daemon and udevd, before udev's coldplug, and
        # bound to the daemon so that a restart of modctld runs it again.
        self.assertEqual(directives(handoff, 'ExecStart')[1:], ['settle'])
        for unit in ('modctld.service', 'systemd-udevd.service'):
            self.assertIn(unit, directives(handoff, 'After'))
        self.assertIn('systemd-udev-trigger.service', directives(handoff, 'Before'))
        self.assertEqual(directives(handoff, 'BindsTo'), ['modctld.service'])

    @staticmethod
    def libexecdir(unit):
        return os.path.dirname(directives(unit, 'ExecStopPost')[0].lstrip('+'))


if __name__ == '__main__':
    unittest.main()
