#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Finding 6 of issue 19: what a caller may read, it could read itself. A root-only (0600)
modprobe.d file's options and install commands reach no caller other than root: not through
GetModuleSettings, Search, the Options property (Get, GetAll, GetManagedObjects, and the
signals every client sees), Load's dry run, CheckPolicy, nor a failed install command's error;
nor do a root-only modctld.conf.d file's lines through GetModuleSettings and GetPolicy.
Each says "managed elsewhere (not readable)" instead and may name the file. Root still sees
them, and a 0644 file is still shown to everyone."""

import json
import os
import tempfile
import unittest

from modctl_test import MODULE_PATH, NOBODY, Bus, ModctlTest


SECRET = 'hunter2'
NOT_READABLE = 'managed elsewhere (not readable)'
# private_*: the fake kernel's stand-in for a parameter of mode 0600 in sysfs, so that once
# loaded, the kernel does not show the value to everyone either (Parameters).
SECRET_CONF = ('options modctl_test_base private_key=hunter2\n'
               'install modctl_test_dep /sbin/modprobe --ignore-install modctl_test_dep hunter2-install\n'
               'install modctl_test_fail /bin/false hunter2-failing-install\n')
PUBLIC_CONF = 'options modctl_test_chain shown=yes\n'


class SettingsReadTest(ModctlTest):
    def setUp(self):
        # The files are there before modctld starts, as an admin's would be.
        self.tmp = tempfile.mkdtemp(prefix='modctl-it-')
        os.chmod(self.tmp, 0o755)
        conf = os.path.join(self.tmp, 'root', 'etc', 'modprobe.d')
        os.makedirs(conf, mode=0o755)
        os.chmod(os.path.join(self.tmp, 'root'), 0o755)
        os.chmod(os.path.join(self.tmp, 'root', 'etc'), 0o755)
        self.secret_path = os.path.join(conf, 'secret.conf')
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(SECRET_CONF)
        self.public_path = os.path.join(conf, 'public.conf')
        with open(self.public_path, 'w') as f:
            f.write(PUBLIC_CONF)
        os.chmod(self.public_path, 0o644)
        self.bus = Bus(self.tmp)
        self.daemon = self.start_daemon(self.fail_env)

    def assert_hidden(self, text, what):
        self.assertNotIn(SECRET, text, what)
        self.assertNotIn('modprobe --ignore-install', text, what)
        self.assertNotIn('/bin/false', text, what)

    def settings(self, name, user=None):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'GetModuleSettings', 's', name, user=user))
        return r.stdout

    def get_options(self, name, user=None):
        return self.assert_ok(self.busctl('get-property', 'org.modctl1', MODULE_PATH + name.replace('_', '_5f'),
                                          'org.modctl1.Module', 'Options', user=user)).stdout

    def managed_objects(self, user=None):
        return self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1',
                                          'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects',
                                          user=user)).stdout

    def test_root_only_file_is_not_shown(self):
        # Loaded by root, so that the module has an object; every mirror sees its InterfacesAdded.
        mon, read_until = self.monitor("type='signal',sender='org.modctl1'")
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        seen = read_until(r'InterfacesAdded.*string "Disabled"\s+variant\s+boolean \w+')
        self.assert_hidden(seen, 'InterfacesAdded')
        # Options differs per caller: the signal leaves it out, and mirrors ask for it.
        self.assertNotIn('"Options"', seen)

        nobody = NOBODY
        out = self.settings('modctl_test_base', user=nobody)
        self.assert_hidden(out, 'GetModuleSettings')
        data = json.loads(out)['data']
        self.assertIn(NOT_READABLE, data[3])
        self.assertIn('value=5', data[3])  # the fixture's 0644 file
        sources = {(s[0], s[1], s[2]) for s in data[4]}
        self.assertIn(('options', NOT_READABLE, self.secret_path), sources)

        r = self.assert_ok(self.call('Search', 's', 'modctl_test_base', user=nobody))
        self.assert_hidden(r.stdout, 'Search')
        self.assertIn(NOT_READABLE, r.stdout)

        out = self.get_options('modctl_test_base', user=nobody)
        self.assert_hidden(out, 'Options')
        self.assertIn(NOT_READABLE, out)
        props = self.module_properties('modctl_test_base', user=nobody)
        self.assert_hidden(props['Options'], 'GetAll')
        self.assertIn(NOT_READABLE, props['Options'])
        out = self.managed_objects(user=nobody)
        self.assert_hidden(out, 'GetManagedObjects')
        self.assertIn(NOT_READABLE, out)

        # Dry runs: the options of base and the install command of dep come from secret.conf.
        r = self.assert_ok(self.call('Load', 'sst', 'modctl_test_dep', '', 1, user=nobody))
        self.assert_hidden(r.stdout, 'Load --dry-run')
        self.assertIn(NOT_READABLE, r.stdout)
        self.assertIn(self.secret_path, r.stdout)
        r = self.assert_ok(self.call('CheckPolicy', 'sst', 'modctl_test_dep', '', 0, user=nobody))
        self.assert_hidden(r.stdout, 'CheckPolicy')
        self.assertIn(NOT_READABLE, r.stdout)
        # The CLI prints the marker as it gets it.
        for args in (('settings', 'modctl_test_base'), ('options', 'modctl_test_base'),
                     ('load', '--dry-run', 'modctl_test_dep'), ('policy', 'check', 'modctl_test_dep')):
            r = self.assert_ok(self.cli(*args, user=nobody))
            self.assert_hidden(r.stdout + r.stderr, ' '.join(args))
            self.assertIn(NOT_READABLE, r.stdout, ' '.join(args))

        # A change of the settings is announced without a value: each client asks again.
        self.assert_ok(self.send('SetOptions', 'string:modctl_test_base', 'string:other=1', 'uint64:0'))
        seen = read_until(r'PropertiesChanged.*"Options"')
        self.assert_hidden(seen, 'PropertiesChanged')
        self.assert_hidden(self.get_options('modctl_test_base', user=nobody), 'Options after SetOptions')

    def test_failed_install_command_is_not_quoted(self):
        # Allowed to load, not to read the file: the error and the broadcast say that the
        # command failed, not what it is.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        mon, read_until = self.monitor("type='signal',sender='org.modctl1',member='ModuleLoadFailed'")
        r = self.assert_error(self.send('Load', 'string:modctl_test_fail', 'string:', 'uint64:0', user=NOBODY),
                              'org.modctl1.Error.CommandFailed')
        self.assertIn('modctl_test_fail', r.stderr)
        self.assert_hidden(r.stderr, 'Load error')
        seen = read_until(r'member=ModuleLoadFailed.*string "[^"]*"\s+string "[^"]*"\s+string "[^"]*"\s+'
                          r'string "[^"]*"')
        self.assert_hidden(seen, 'ModuleLoadFailed')

    def test_root_still_sees_everything(self):
        r = self.assert_ok(self.call('Load', 'sst', 'modctl_test_dep', '', 1))
        self.assertIn('key=hunter2', r.stdout)
        self.assertIn('install /sbin/modprobe --ignore-install modctl_test_dep hunter2-install', r.stdout)
        r = self.assert_ok(self.call('CheckPolicy', 'sst', 'modctl_test_dep', '', 0))
        self.assertIn('key=hunter2', r.stdout)
        self.assertIn('hunter2-install', r.stdout)
        self.assertNotIn(NOT_READABLE, r.stdout)
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        out = self.settings('modctl_test_base')
        self.assertIn('key=hunter2', out)
        self.assertNotIn(NOT_READABLE, out)
        self.assertIn('key=hunter2', self.get_options('modctl_test_base'))
        self.assertIn('key=hunter2', self.module_properties('modctl_test_base')['Options'])
        r = self.assert_ok(self.call('Search', 's', 'modctl_test_base'))
        self.assertIn('key=hunter2', r.stdout)

    def test_root_only_policy_file_is_not_shown(self):
        # The same for modctld.conf.d: Deny= lines in GetModuleSettings, and GetPolicy, which
        # merges every file, as a whole.
        path = os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf.d/60-secret.conf')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write('[Policy]\nDeny=modctl_test_hunter2*\n')
        self.assert_ok(self.send('ReloadConfig'))
        out = self.settings('modctl_test_hunter2x', user=NOBODY)
        self.assert_hidden(out, 'GetModuleSettings Deny=')
        data = json.loads(out)['data']
        self.assertTrue(data[2])  # still disabled: that decides what a load does
        self.assertIn(['disable', NOT_READABLE, path, False], data[4])
        r = self.assert_ok(self.call('GetPolicy', '', user=NOBODY))
        self.assert_hidden(r.stdout, 'GetPolicy')
        self.assertIn(NOT_READABLE, r.stdout)
        self.assertIn('60-secret.conf', r.stdout)
        self.assertIn('Deny=modctl_test_hunter2*', self.assert_ok(self.call('GetPolicy', '')).stdout)
        self.assertIn('Deny=modctl_test_hunter2*', self.settings('modctl_test_hunter2x'))
        os.chmod(path, 0o644)
        self.assertIn('Deny=modctl_test_hunter2*', self.assert_ok(self.call('GetPolicy', '', user=NOBODY)).stdout)

    def test_readable_file_is_shown_to_everyone(self):
        out = self.settings('modctl_test_chain', user=NOBODY)
        self.assertIn('shown=yes', out)
        self.assertIn(self.public_path, out)
        self.assertNotIn(NOT_READABLE, out)
        r = self.assert_ok(self.call('Search', 's', 'modctl_test_chain', user=NOBODY))
        self.assertIn('shown=yes', r.stdout)
        # Readable by its group: shown to a member (a supplementary group, or the effective gid),
        # still not to others. A change through modctld makes it read the files again.
        os.chown(self.secret_path, 0, 29)
        os.chmod(self.secret_path, 0o640)
        self.assert_ok(self.send('SetOptions', 'string:modctl_test_soft', 'string:y=1', 'uint64:0'))
        for member in (['setpriv', '--reuid=65534', '--regid=65534', '--groups=29'],
                       ['setpriv', '--reuid=65534', '--regid=29', '--clear-groups']):
            out = self.settings('modctl_test_base', user=member)
            self.assertIn('key=hunter2', out, member)
            self.assertNotIn(NOT_READABLE, out, member)
        self.assert_hidden(self.settings('modctl_test_base', user=NOBODY), 'not in the group')
        # The same file made readable (and read again) is shown.
        os.chmod(self.secret_path, 0o644)
        self.assert_ok(self.send('SetOptions', 'string:modctl_test_soft', 'string:x=1', 'uint64:0'))
        out = self.settings('modctl_test_base', user=NOBODY)
        self.assertIn('key=hunter2', out)
        self.assertNotIn(NOT_READABLE, out)


if __name__ == '__main__':
    unittest.main()
