#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Settings that tell the truth: a disable, blacklist, boot entry or options line that another
file cancels is refused with org.modctl1.Error.ManagedElsewhere naming that file, and
modctld's file is put back as it was; never a success that has no effect. The cancelling
files are the ones kmod and systemd honour: an empty Deny= in a drop-in read after modctld's
(file-name order), and a file of the same name in a directory read first (/etc hides /run).
A cancellation made afterwards shows in GetModuleSettings as a source naming the file that
decides."""

import json
import os
import unittest

from modctl_test import ModctlTest


POLICY = 'etc/modctl/modctld.conf.d/50-modctl-disabled.conf'


class SettingsOverriddenTest(ModctlTest):
    fail_env = {}

    def set(self, method, name, value, flags=0):
        v = ('string:' + value) if method == 'SetOptions' else ('boolean:' + ('true' if value else 'false'))
        return self.send(method, 'string:' + name, v, 'uint64:%d' % flags)

    def settings(self, name):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'GetModuleSettings', 's', name))
        boot, blacklisted, disabled, options, sources = json.loads(r.stdout)['data']
        return {'boot': boot, 'blacklisted': blacklisted, 'disabled': disabled, 'options': options,
                'sources': [tuple(s) for s in sources]}

    def test_disable_reset_by_a_later_drop_in_is_refused(self):
        admin = 'etc/modctl/modctld.conf.d/99-admin.conf'
        self.write(admin, '[Policy]\nDeny=\n')
        self.assert_ok(self.send('ReloadConfig'))
        r = self.assert_error(self.set('SetDisabled', 'modctl_test_base', True),
                              'org.modctl1.Error.ManagedElsewhere')
        self.assertIn(self.path(admin), r.stderr)
        self.assertIn('resets the list', r.stderr)
        # Put back as it was (it did not exist), and the module still loads.
        self.assertFalse(os.path.exists(self.path(POLICY)))
        self.assertFalse(self.settings('modctl_test_base')['disabled'])
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assert_ok(self.cli('unload', 'modctl_test_base'))

        # A reset in a drop-in read before modctld's does not cancel it.
        os.rename(self.path(admin), self.path('etc/modctl/modctld.conf.d/10-admin.conf'))
        self.assert_ok(self.send('ReloadConfig'))
        self.assert_ok(self.set('SetDisabled', 'modctl_test_base', True))
        self.assertTrue(self.settings('modctl_test_base')['disabled'])
        self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0'),
                          'org.modctl1.Error.PolicyDenied')

    def test_disable_reset_afterwards_names_the_deciding_file(self):
        self.assert_ok(self.set('SetDisabled', 'modctl_test_base', True))
        admin = 'etc/modctl/modctld.conf.d/99-admin.conf'
        self.write(admin, '[Policy]\nDeny=\n')
        self.assert_ok(self.send('ReloadConfig'))
        s = self.settings('modctl_test_base')
        self.assertFalse(s['disabled'])
        self.assertIn(('disable', 'Deny= (empty: resets modctld\'s Deny=modctl_test_base in %s)' % self.path(POLICY),
                       self.path(admin), False), s['sources'])
        out = self.assert_ok(self.cli('settings', 'modctl_test_base')).stdout
        self.assertIn('99-admin.conf', out)

    def test_runtime_file_hidden_by_an_etc_file_of_its_name_is_refused(self):
        for method, key, value, ours, hider in (
                ('SetBlacklisted', 'blacklisted', True, 'run/modprobe.d/modctl-runtime.conf',
                 'etc/modprobe.d/modctl-runtime.conf'),
                ('SetOptions', 'options', 'count=4', 'run/modprobe.d/modctl-runtime.conf',
                 'etc/modprobe.d/modctl-runtime.conf'),
                ('SetBootLoad', 'boot', True, 'run/modules-load.d/modctl-runtime.conf',
                 'etc/modules-load.d/modctl-runtime.conf')):
            with self.subTest(method=method):
                self.write(hider, '# the admin\'s own\n')
                r = self.assert_error(self.set(method, 'modctl_test_chain', value, 1),
                                      'org.modctl1.Error.ManagedElsewhere')
                self.assertIn(self.path(hider), r.stderr)
                self.assertIn('is read instead of it', r.stderr)
                self.assertFalse(os.path.exists(self.path(ours)))
                self.assertEqual(self.read(hider), '# the admin\'s own\n')
                self.assertFalse(self.settings('modctl_test_chain')[key])
                # Without --runtime it goes to /etc, which nothing hides.
                self.assert_ok(self.set(method, 'modctl_test_chain', value, 0))
                self.assertTrue(self.settings('modctl_test_chain')[key])
                os.unlink(self.path(hider))

    def test_runtime_file_hidden_afterwards_names_the_deciding_file(self):
        self.assert_ok(self.set('SetBlacklisted', 'modctl_test_chain', True, 1))
        hider = 'etc/modprobe.d/modctl-runtime.conf'
        self.write(hider, '# the admin\'s own\n')
        self.assert_ok(self.send('ReloadConfig'))
        s = self.settings('modctl_test_chain')
        self.assertFalse(s['blacklisted'])
        self.assertIn(('blacklist', 'hides modctld\'s %s' % self.path('run/modprobe.d/modctl-runtime.conf'),
                       self.path(hider), False), s['sources'])


if __name__ == '__main__':
    unittest.main()
