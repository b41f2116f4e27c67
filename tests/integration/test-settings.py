#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The persistent settings API and the catalog with modctld-fake: every Set* call writes only
modctld's own file and takes effect at once; reading back names the file that decided; an
admin's file (and a file at modctld's path that modctld did not write) is never rewritten and
the call says why; a crash between writing and renaming leaves the old file; unprivileged
callers are refused without polkit and polkit is asked with the module in the details."""

import glob
import json
import os
import re
import subprocess
import unittest

from modctl_test import MODPROBE_D, NOBODY, TIMEOUT, ModctlTest


HEADER = '# Managed by modctld: changes made here by hand are lost.\n'


class SettingsTest(ModctlTest):
    fail_env = {}

    def set(self, method, name, value, flags=0, user=None):
        """A Set* call through dbus-send, which prints the error name on failure."""
        v = ('string:' + value) if method == 'SetOptions' else ('boolean:' + ('true' if value else 'false'))
        return self.send(method, 'string:' + name, v, 'uint64:%d' % flags, user=user)

    def settings(self, name, user=None):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'GetModuleSettings', 's', name, user=user))
        boot, blacklisted, disabled, options, sources = json.loads(r.stdout)['data']
        return {'boot': boot, 'blacklisted': blacklisted, 'disabled': disabled, 'options': options,
                'sources': [tuple(s) for s in sources]}

    def search(self, text):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'Search', 's', text))
        keys = ('name', 'description', 'license', 'signer', 'loaded', 'boot', 'blacklisted', 'disabled', 'options',
                'aliases')
        return {e[0]: dict(zip(keys, e)) for e in json.loads(r.stdout)['data'][0]}

    def restart(self, extra_env=None):
        self.assertEqual(self.daemon.stop(), 0, self.daemon.output())
        self.daemon = self.start_daemon(extra_env)

    # --- boot list ---

    def test_boot_list_written_reported_and_loaded_at_start(self):
        _, read_until = self.monitor("type='signal',member='SettingChanged'")
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl-test-base', 'true', 0))
        read_until(r'member=SettingChanged\s+string "modctl-test-base"\s+string "boot"\s+string "yes"\s+'
                   r'string "[^"]*/etc/modules-load.d/modctl.conf"')
        self.assertEqual(self.read('etc/modules-load.d/modctl.conf').splitlines()[0] + '\n', HEADER)
        self.assertIn('\nmodctl_test_base\n', self.read('etc/modules-load.d/modctl.conf'))
        s = self.settings('modctl_test_base')
        self.assertTrue(s['boot'])
        self.assertEqual(s['sources'][0][:2], ('boot', 'yes'))
        self.assertTrue(s['sources'][0][2].endswith('/etc/modules-load.d/modctl.conf'))
        self.assertTrue(s['sources'][0][3])
        # Asking again changes nothing.
        before = os.stat(self.path('etc/modules-load.d/modctl.conf'))
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_base', 'true', 0))
        self.assertEqual(os.stat(self.path('etc/modules-load.d/modctl.conf')).st_ino, before.st_ino)

        # The next start loads it with origin boot.
        self.restart()
        self.assertEqual(self.module_properties('modctl_test_base')['Origin'], 'boot')

        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_base', 'false', 0))
        self.assertNotIn('modctl_test_base', self.read('etc/modules-load.d/modctl.conf'))
        self.assertFalse(self.settings('modctl_test_base')['boot'])

    def test_runtime_flag_writes_under_run(self):
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_chain', 'true', 1))
        self.assertIn('modctl_test_chain', self.read('run/modules-load.d/modctl-runtime.conf'))
        self.assertFalse(os.path.exists(self.path('etc/modules-load.d/modctl.conf')))
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_chain', 'count=9', 1))
        self.assertIn('options modctl_test_chain count=9\n', self.read('run/modprobe.d/modctl-runtime.conf'))
        # Persistent options replace the runtime line: one line for the module in our files.
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_chain', 'count=8', 0))
        self.assertNotIn('modctl_test_chain', self.read('run/modprobe.d/modctl-runtime.conf'))
        self.assertIn('options modctl_test_chain count=8\n', self.read('etc/modprobe.d/modctl.conf'))
        self.assert_error(self.set('SetBootLoad', 'modctl_test_chain', True, 2),
                          'Unknown flags 0x2')

    # --- blacklist, disable, options: effective at once ---

    def test_blacklist_stops_alias_loading_at_once(self):
        self.assert_ok(self.cli('load', '--dry-run', 'modctl-test-alias'))
        self.assert_ok(self.call('SetBlacklisted', 'sbt', 'modctl_test_dep', 'true', 0))
        self.assertIn('blacklist modctl_test_dep\n', self.read('etc/modprobe.d/modctl.conf'))
        # As modprobe: an alias whose only match is blacklisted loads nothing.
        r = self.assert_ok(self.call('Load', 'sst', 'modctl-test-alias', '', 0))
        self.assertEqual(r.stdout.strip(), 'as 0')
        self.assertEqual(self.loaded(), {})
        self.assertTrue(self.settings('modctl_test_dep')['blacklisted'])
        # By name it still loads, as with modprobe.
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assertTrue(self.module_properties('modctl_test_dep')['Blacklisted'])
        self.assert_ok(self.cli('unload', '-r', 'modctl_test_dep'))
        self.assert_ok(self.call('SetBlacklisted', 'sbt', 'modctl_test_dep', 'false', 0))
        self.assert_ok(self.cli('load', 'modctl-test-alias'))

    def test_disable_refuses_loads_live(self):
        self.assert_ok(self.call('SetDisabled', 'sbt', 'modctl_test_base', 'true', 0))
        self.assertIn('[Policy]\nDeny=modctl_test_base\n',
                      self.read('etc/modctl/modctld.conf.d/50-modctl-disabled.conf'))
        r = self.assert_error(self.send('Load', 'string:modctl_test_dep', 'string:', 'uint64:0'),
                              'org.modctl1.Error.PolicyDenied')
        self.assertIn('Deny=modctl_test_base', r.stderr)
        self.assertEqual(self.loaded(), {})
        s = self.settings('modctl_test_base')
        self.assertTrue(s['disabled'])
        self.assertIn(('disable', 'Deny=modctl_test_base',
                       self.path('etc/modctl/modctld.conf.d/50-modctl-disabled.conf'), True), s['sources'])
        self.assertIn('Deny=modctl_test_base', self.assert_ok(self.cli('policy', 'show')).stdout)
        self.assert_ok(self.call('SetDisabled', 'sbt', 'modctl_test_base', 'false', 0))
        self.assert_ok(self.cli('load', 'modctl_test_dep'))

    def test_options_apply_to_the_next_load(self):
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_chain', 'extra=1', 0))
        r = self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_chain'))
        self.assertRegex(r.stdout, r'insmod \S+modctl_test_chain\.ko.*extra=1')
        self.assertEqual(self.settings('modctl_test_chain')['options'], 'extra=1')
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_chain', '', 0))
        self.assertNotIn('modctl_test_chain', self.read('etc/modprobe.d/modctl.conf'))
        self.assertNotIn('extra=1', self.cli('load', '--dry-run', 'modctl_test_chain').stdout)

    def test_bad_input_writes_nothing(self):
        # The one parameter grammar (module-params.h); test-security-params.py has the attacks.
        for options in ('a=1\ninstall modctl_test_base /bin/sh', 'a="x', 'a=1 # c', 'a=\\', '=1', 'a=1\tb=2'):
            self.assert_error(self.call('SetOptions', 'sst', 'modctl_test_base', options, 0),
                              "Invalid parameters for module 'modctl_test_base': parameter")
        for name in ('', 'a*', 'snd/../x', 'a b', '-x', 'x' * 56, 'foo\nbar'):
            r = self.send('SetBlacklisted', 'string:' + name, 'boolean:true', 'uint64:0')
            self.assert_error(r, 'org.modctl1.Error.InvalidName')
        self.assertEqual(glob.glob(self.path('etc/modprobe.d/*')), [])

    # --- files modctld does not manage ---

    def test_admin_files_are_reported_and_not_changed(self):
        admin = 'etc/modprobe.d/admin.conf'
        self.write(admin, '# mine\nblacklist modctl-test-soft\n')
        self.write('etc/modctl/modctld.conf.d/10-admin.conf', '[Policy]\nDeny=modctl_test_f*\n')
        self.assert_ok(self.send('ReloadConfig'))
        s = self.settings('modctl_test_soft')
        self.assertTrue(s['blacklisted'])
        self.assertEqual(s['sources'], [('blacklist', 'yes', self.path(admin), False)])
        r = self.assert_error(self.set('SetBlacklisted', 'modctl_test_soft', False, 0),
                              'org.modctl1.Error.ManagedElsewhere')
        self.assertIn(self.path(admin), r.stderr)
        self.assertEqual(self.read(admin), '# mine\nblacklist modctl-test-soft\n')
        # Blacklisting it again is already true: nothing to write.
        self.assert_ok(self.call('SetBlacklisted', 'sbt', 'modctl_test_soft', 'true', 0))
        self.assertFalse(os.path.exists(self.path('etc/modprobe.d/modctl.conf')))

        # The fixture's options line sets value=: that parameter is not ours to override.
        s = self.settings('modctl_test_base')
        self.assertIn(('options', 'value=5', os.path.join(MODPROBE_D, 'fixture.conf'), False), s['sources'])
        r = self.assert_error(self.set('SetOptions', 'modctl_test_base', 'value=9', 0),
                              'org.modctl1.Error.ManagedElsewhere')
        self.assertIn("Parameter 'value'", r.stderr)
        self.assertIn('fixture.conf', r.stderr)
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_base', 'other=2', 0))
        self.assertEqual(self.settings('modctl_test_base')['options'], 'value=5 other=2')

        # A Deny= glob in an admin's drop-in.
        self.assertTrue(self.settings('modctl_test_fail')['disabled'])
        r = self.assert_error(self.set('SetDisabled', 'modctl_test_fail', False, 0),
                              'org.modctl1.Error.ManagedElsewhere')
        self.assertIn('Deny=modctl_test_f*', r.stderr)
        self.assertIn('10-admin.conf', r.stderr)

    def test_foreign_file_at_our_path_is_not_rewritten(self):
        self.write('etc/modprobe.d/modctl.conf', 'options modctl_test_chain count=1\n')
        r = self.assert_error(self.set('SetBlacklisted', 'modctl_test_dep', True, 0),
                              'org.modctl1.Error.ManagedElsewhere')
        self.assertIn('was not written by modctld', r.stderr)
        self.assertEqual(self.read('etc/modprobe.d/modctl.conf'), 'options modctl_test_chain count=1\n')

    # --- atomicity ---

    def test_crash_between_write_and_rename_leaves_the_old_file(self):
        old = HEADER + 'modctl_test_chain\n'
        self.write('etc/modules-load.d/modctl.conf', old)
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon = self.start_daemon({'MODCTL_FAKE_CRASH_BEFORE_RENAME': 'modules-load.d/modctl.conf'})
        r = self.call('SetBootLoad', 'sbt', 'modctl_test_base', 'true', 0)
        self.assertNotEqual(r.returncode, 0)
        self.daemon.proc.wait(TIMEOUT)
        self.assertEqual(self.daemon.proc.returncode, -9)
        # The new contents were written and synced to a temporary file, never renamed.
        self.assertEqual(self.read('etc/modules-load.d/modctl.conf'), old)
        tmp = glob.glob(self.path('etc/modules-load.d/.#modctl.conf*'))
        self.assertEqual(len(tmp), 1)
        with open(tmp[0]) as f:
            self.assertIn('modctl_test_base', f.read())
        self.daemon.notify.close()
        self.daemon.log.close()
        self.daemon = self.start_daemon({})
        self.assertTrue(self.settings('modctl_test_chain')['boot'])
        self.assertFalse(self.settings('modctl_test_base')['boot'])

    # --- authorization ---

    def test_unprivileged_refused_without_polkit(self):
        for method, sig, args in (('SetBootLoad', 'sbt', ('modctl_test_base', 'true', 0)),
                                  ('SetBlacklisted', 'sbt', ('modctl_test_base', 'true', 0)),
                                  ('SetDisabled', 'sbt', ('modctl_test_base', 'true', 0)),
                                  ('SetOptions', 'sst', ('modctl_test_base', 'x=1', 0))):
            r = self.assert_error(self.set(method, args[0], args[1] == 'true' if sig == 'sbt' else args[1], args[2],
                                           user=NOBODY), 'org.freedesktop.DBus.Error.AccessDenied')
            self.assertIn("module 'modctl_test_base'", r.stderr)
        self.assertEqual(glob.glob(self.path('etc/*/*.conf')) + glob.glob(self.path('etc/modctl/*/*')), [])
        # Reading is open.
        self.settings('modctl_test_base', user=NOBODY)

    def test_polkit_asked_with_module_in_details(self):
        self.start_polkit()
        _, read_until = self.monitor("type='method_call',member='CheckAuthorization'")
        r = self.assert_error(self.set('SetBootLoad', 'modctl_test_dep', True, 0, user=NOBODY),
                              'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn("not authorized to change whether module 'modctl_test_dep' loads at boot", r.stderr)
        seen = read_until(r'member=CheckAuthorization.*?uint32 \d+')
        call = seen[seen.index('member=CheckAuthorization'):]
        self.assertIn('string "org.modctl1.configure"', call)
        self.assertRegex(call, r'string "module"\s+string "modctl_test_dep"')
        self.assertRegex(call, r'string "setting"\s+string "boot"')
        self.assertFalse(os.path.exists(self.path('etc/modules-load.d/modctl.conf')))
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.configure')
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_dep', 'true', 0, user=NOBODY))
        self.assertTrue(self.settings('modctl_test_dep')['boot'])

    # --- catalog and module objects ---

    def test_search_catalog(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_dep', 'true', 0))
        every = self.search('')
        self.assertIn('modctl_test_proprietary', every)
        self.assertEqual(every['modctl_test_proprietary']['license'], 'Proprietary')
        self.assertTrue(every['modctl_test_base']['loaded'])
        self.assertFalse(every['modctl_test_dep']['loaded'])
        self.assertTrue(every['modctl_test_dep']['boot'])
        self.assertIn('modctl-test-alias', every['modctl_test_dep']['aliases'])
        self.assertEqual(every['modctl_test_base']['description'], 'modctl test module: exported symbol and parameter')
        self.assertEqual(list(self.search('HARD dependency')), ['modctl_test_dep'])
        self.assertEqual(list(self.search('modctl-test-ba')), ['modctl_test_base'])
        self.assertEqual(self.search('no such thing at all'), {})

    def test_catalog_cache_survives_a_restart(self):
        self.search('')
        cache = glob.glob(self.path('var/cache/modctl/catalog-*'))
        self.assertEqual(len(cache), 1)
        self.assertRegex(self.daemon.output(), r'Module catalog: \d+ modules \([1-9]\d* read, 0 from the cache, cache written\)')
        self.restart()
        self.assertIn('modctl_test_dep', self.search('dependency'))
        self.assertRegex(self.daemon.output(), r'Module catalog: \d+ modules \(0 read, [1-9]\d* from the cache\)')

    def test_module_object_settings_and_change_signals(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        p = self.module_properties('modctl_test_base')
        self.assertEqual(p['Description'], 'modctl test module: exported symbol and parameter')
        self.assertEqual((p['BootLoad'], p['Blacklisted'], p['Disabled'], p['Options']), (False, False, False, 'value=5'))
        _, read_until = self.monitor("type='signal',interface='org.freedesktop.DBus.Properties'")
        self.assert_ok(self.call('SetBootLoad', 'sbt', 'modctl_test_base', 'true', 0))
        read_until(r'path=/org/modctl1/module/modctl_5ftest_5fbase;.*?string "BootLoad"\s+variant\s+boolean true')
        self.assert_ok(self.call('SetDisabled', 'sbt', 'modctl_test_base', 'true', 0))
        read_until(r'string "Disabled"\s+variant\s+boolean true')
        self.assert_ok(self.call('SetOptions', 'sst', 'modctl_test_base', 'other=3', 0))
        # Options is per caller (finding 6 of issue 19): invalidated, and each client asks again.
        read_until(r'array \[\s+string "Options"\s+\]')
        self.assertEqual(self.module_properties('modctl_test_base')['Options'], 'value=5 other=3')
        # An admin's edit shows too (inotify on modprobe.d).
        self.write('etc/modprobe.d/admin.conf', 'blacklist modctl_test_base\n')
        read_until(r'string "Blacklisted"\s+variant\s+boolean true')


    # --- the CLI ---

    def test_cli_verbs(self):
        r = self.assert_ok(self.cli('enable', '--now', 'modctl-test-dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertIn('modctl_test_dep', self.read('etc/modules-load.d/modctl.conf'))
        r = self.assert_ok(self.cli('settings', 'modctl_test_dep'))
        self.assertIn('boot:        yes', r.stdout)
        self.assertRegex(r.stdout, r'boot\s+yes\s+modctl\s+\S+/etc/modules-load.d/modctl.conf')
        js = json.loads(self.assert_ok(self.cli('settings', '--json', 'modctl_test_base')).stdout)
        self.assertEqual(js['options'], 'value=5')
        self.assertEqual(js['sources'][0]['managed'], False)

        # disable: never loaded, and out of the boot list.
        self.assert_ok(self.cli('disable', '--now', 'modctl_test_dep'))
        self.assertNotIn('modctl_test_dep', self.loaded())
        self.assertNotIn('modctl_test_dep', self.read('etc/modules-load.d/modctl.conf'))
        r = self.cli('load', 'modctl_test_dep')
        self.assertEqual(r.returncode, 3)  # policy denial: modctl(1), EXIT STATUS
        self.assertIn("Policy denies loading 'modctl_test_dep' (rule Deny)", r.stderr)
        self.assert_ok(self.cli('enable', 'modctl_test_dep'))
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assert_ok(self.cli('disable', '--boot', 'modctl_test_dep'))
        self.assertFalse(self.settings('modctl_test_dep')['disabled'])

        self.assert_ok(self.cli('blacklist', '--runtime', 'modctl_test_soft'))
        self.assertIn('blacklist modctl_test_soft', self.read('run/modprobe.d/modctl-runtime.conf'))
        self.assert_ok(self.cli('unblacklist', 'modctl_test_soft'))
        self.assertFalse(self.settings('modctl_test_soft')['blacklisted'])

        self.assert_ok(self.cli('options', 'modctl_test_chain', 'count=2', 'extra=x'))
        self.assertEqual(self.assert_ok(self.cli('options', 'modctl_test_chain')).stdout.splitlines()[0], 'count=2 extra=x')
        self.assert_ok(self.cli('options', '--clear', 'modctl_test_chain'))
        self.assertEqual(self.cli('options', 'modctl_test_chain').stdout, '')
        r = self.cli('options', 'modctl_test_base', 'value=1')
        self.assertEqual(r.returncode, 1)
        self.assertIn("Parameter 'value' of module 'modctl_test_base' is set by", r.stderr)

        r = self.assert_ok(self.cli('search', 'dependency'))
        self.assertRegex(r.stdout, r'modctl_test_dep\s+loaded\s+modctl test module: hard dependency')
        js = json.loads(self.assert_ok(self.cli('search', '--json', 'proprietary')).stdout)
        self.assertEqual([e['name'] for e in js], ['modctl_test_proprietary'])
        r = self.cli('search', 'nothing-matches-this')
        self.assertEqual(r.returncode, 1)
        self.assertIn("No module matches 'nothing-matches-this'", r.stderr)

        r = self.cli('blacklist', '--now', 'modctl_test_soft')
        self.assertEqual(r.returncode, 2)
        self.assertIn("option '--now' is not valid for 'blacklist'", r.stderr)
        r = self.cli('enable', 'modctl_test_soft', user=NOBODY)
        self.assertEqual(r.returncode, 6)  # not authorized


if __name__ == '__main__':
    unittest.main()
