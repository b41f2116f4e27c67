#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon's own behaviour with modctld-fake over the fixture module tree: the bus
contract, loading and unloading, polkit, the module objects, the kernel hook (modctl-request
and the request socket), and autoload (boot list, coldplug, sticky unloads). The harness
(private bus, modctld-fake, helpers) is tests/pylib/modctl_test.

Run one test with: test-daemon.py DaemonTest.test_name, in the environment that
tests/integration/meson.build sets (meson test -C build integration-<name>)."""

import os
import re
import select
import socket
import subprocess
import tempfile
import time
import unittest

from modctl_test import MODCTL, MODPROBE_D, MODULE_PATH, MODULES_DIR, NOBODY, TIMEOUT, Bus, Daemon, ModctlTest


class DaemonTest(ModctlTest):
    # --- the contract ---

    def test_introspection_matches_contract(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        for iface, path in [('org.modctl1.Manager', '/org/modctl1'),
                            ('org.modctl1.Module', MODULE_PATH + 'modctl_5ftest_5fbase')]:
            self.check_contract(iface, path)

    def test_properties(self):
        r = self.assert_ok(self.busctl('get-property', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'KernelRelease'))
        self.assertEqual(r.stdout.split()[1].strip('"'), os.path.basename(MODULES_DIR))
        r = self.assert_ok(self.cli('status'))
        self.assertIn(os.path.basename(MODULES_DIR), r.stdout)

    # --- loading ---

    def test_load_inserts_dependencies_first(self):
        r = self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        mods = self.loaded()
        self.assertIn('modctl_test_dep', mods)
        self.assertEqual(mods['modctl_test_base']['holders'], ['modctl_test_dep'])
        # Loading again is success with nothing inserted.
        r = self.assert_ok(self.call('Load', 'sst', 'modctl_test_dep', '', 0))
        self.assertEqual(r.stdout.strip(), 'as 0')

    def test_load_by_alias_and_dash_name(self):
        r = self.assert_ok(self.call('Load', 'sst', 'modctl-test-alias', '', 0))
        self.assertEqual(r.stdout.strip(), 'as 2 "modctl_test_base" "modctl_test_dep"')
        r = self.assert_ok(self.call('Unload', 'st', 'modctl-test-dep', 1))
        self.assertEqual(r.stdout.strip(), 'as 2 "modctl_test_dep" "modctl_test_base"')
        self.assertNotIn('modctl_test_base', self.loaded())

    def test_dry_run_inserts_nothing(self):
        r = self.assert_ok(self.cli('load', '--dry-run', '--verdicts', 'modctl_test_dep'))
        lines = r.stdout.strip().split('\n')
        self.assertEqual(len(lines), 4, r.stdout)
        # The test modules are out of tree and unsigned: O and E, predicted after the steps.
        self.assertEqual(lines[2:], ['taint modctl_test_base OE', 'taint modctl_test_dep OE'])
        self.assertTrue(lines[0].startswith('insmod ') and 'modctl_test_base.ko' in lines[0], lines)
        self.assertIn('value=7', lines[0])  # from the kernel command line
        self.assertTrue(lines[1].startswith('insmod ') and 'modctl_test_dep.ko' in lines[1], lines)
        self.assertEqual(self.loaded(), {})

    def test_signals_name_the_origin(self):
        mon = subprocess.Popen(['dbus-monitor', '--address', self.bus.address, '--monitor',
                                "type='signal',interface='org.modctl1.Manager'"], stdout=subprocess.PIPE)
        seen = ''

        def read_until(text):
            # Unbuffered reads: select() must see exactly what dbus-monitor has written.
            nonlocal seen
            deadline = time.monotonic() + TIMEOUT
            while text not in seen and time.monotonic() < deadline:
                ready, _, _ = select.select([mon.stdout], [], [], deadline - time.monotonic())
                if ready:
                    seen += os.read(mon.stdout.fileno(), 65536).decode()

        try:
            # dbus-monitor is a monitor once the bus told it that it lost its own unique name.
            read_until('member=NameLost')
            self.assert_ok(self.cli('load', 'modctl_test_base'))
            self.assert_ok(self.cli('unload', 'modctl_test_base'))
            read_until('member=ModuleUnloaded')
            self.assertRegex(seen, r'member=ModuleLoaded\n\s+string "modctl_test_base"\n\s+string "user"')
            self.assertRegex(seen, r'member=ModuleUnloaded\n\s+string "modctl_test_base"\n\s+string "user"')
        finally:
            mon.terminate()
            mon.wait()
            mon.stdout.close()

    # --- the module objects ---

    def test_module_objects(self):
        _, read_until = self.monitor("type='signal',sender='org.modctl1',path_namespace='/org/modctl1'")
        self.assertEqual(self.managed_modules(), {})

        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        base, dep = MODULE_PATH + 'modctl_5ftest_5fbase', MODULE_PATH + 'modctl_5ftest_5fdep'
        self.assertEqual(set(self.managed_modules()), {base, dep})
        r = self.assert_ok(self.busctl('tree', '--list', 'org.modctl1'))
        self.assertEqual(set(r.stdout.split()) & {base, dep}, {base, dep})
        p = self.module_properties('modctl_test_base')
        self.assertEqual(p['Name'], 'modctl_test_base')
        self.assertEqual(p['State'], 'live')
        self.assertEqual(p['RefCount'], 1)
        self.assertEqual(p['Holders'], ['modctl_test_dep'])
        self.assertEqual(p['Taint'], '')
        self.assertEqual(p['Origin'], 'user')
        self.assertGreater(p['Size'], 0)
        self.assertAlmostEqual(p['LoadedAt'] / 1e6, time.time(), delta=60)
        self.assertEqual(p['Parameters'], {'value': '7'})  # from the kernel command line

        read_until(r'member=InterfacesAdded\s+object path "%s"' % dep)
        read_until(r'member=InterfacesAdded\s+object path "%s"' % base)

        # dep goes: base's users change without a uevent of base's own.
        self.assert_ok(self.cli('unload', 'modctl_test_dep'))
        seen = read_until(r'path=%s; interface=org.freedesktop.DBus.Properties; member=PropertiesChanged.*?'
                          r'string "RefCount"\s+variant\s+int32 0' % base)
        self.assertRegex(seen, r'member=InterfacesRemoved\s+object path "%s"' % dep)
        self.assertEqual(set(self.managed_modules()), {base})
        self.assertEqual(self.module_properties('modctl_test_base')['Holders'], [])

        self.assert_ok(self.cli('unload', 'modctl_test_base'))
        read_until(r'member=InterfacesRemoved\s+object path "%s"' % base)
        self.assertEqual(self.managed_modules(), {})
        r = self.busctl('call', 'org.modctl1', base, 'org.freedesktop.DBus.Properties', 'GetAll', 's',
                        'org.modctl1.Module')
        self.assertNotEqual(r.returncode, 0)

    def test_manager_properties(self):
        r = self.assert_ok(self.busctl('get-property', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                       'PolicyMode'))
        self.assertEqual(r.stdout.strip(), 's "enforce"')
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assert_error(self.send('Load', 'string:no_such_module', 'string:', 'uint64:0'), 'NotFound')
        stats = self.statistics()
        self.assertEqual((stats['operations'], stats['operations-coalesced'], stats['operations-failed']), (2, 0, 1))

    # --- bad input ---

    def test_invalid_names(self):
        # Paths are never names; aliases may hold '/' (devname:snd/timer) and run to 4095 bytes.
        for bad in ['../evil', '../../etc/passwd', '/lib/modules/x.ko', 'a/../b', 'has space', '', 'x' * 4096, '..']:
            r = self.assert_error(self.send('Load', 'string:' + str(bad), 'string:', 'uint64:0'), 'org.modctl1.Error.InvalidName')
            r = self.cli('load', bad)
            if bad.startswith(('/', './', '../')):
                # The CLI takes these for module files (LoadFile): none exists.
                self.assertEqual(r.returncode, 4, r.stderr)
                self.assertIn('cannot open the module file', r.stderr)
            else:
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn('Invalid module name', r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assert_ok(self.cli('status'))

    def test_long_and_slashed_aliases_are_looked_up(self):
        for alias in ['devname:snd/nosuch', 'dmi:pnR40/R41:nosuch', 'cpu:type:x86,' + 'f' * 600]:
            r = self.assert_error(self.send('Load', 'string:' + alias, 'string:', 'uint64:1'), 'org.modctl1.Error.NotFound')
            self.assertIn(alias[:30], r.stderr)

    def test_unknown_module(self):
        r = self.assert_error(self.send('Load', 'string:no_such_module', 'string:', 'uint64:0'), 'org.modctl1.Error.NotFound')
        self.assertIn('no_such_module', r.stderr)
        r = self.cli('load', 'no_such_module')
        self.assertEqual(r.returncode, 4)  # not found: modctl(1), EXIT STATUS
        self.assertIn("'no_such_module'", r.stderr)
        self.assert_error(self.send('Info', 'string:no_such_module'), 'org.modctl1.Error.NotFound')

    def test_unknown_flags(self):
        self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:' + str(1 << 40)),
                          'org.modctl1.Error.InvalidArgument')

    def test_parameters_private_to_root(self):
        # The daemon reads sysfs as root; a 0600 parameter (private_* in the fake kernel) is
        # shown to root only, through GetAll and GetManagedObjects alike.
        self.assert_ok(self.send('Load', 'string:modctl_test_base', 'string:value=3 private_key=42', 'uint64:0'))
        self.assertEqual(self.module_properties('modctl_test_base')['Parameters'], {'value': '3', 'private_key': '42'})
        self.assertEqual(self.module_properties('modctl_test_base', user=NOBODY)['Parameters'], {'value': '3'})
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1',
                                       'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', user=NOBODY))
        self.assertNotIn('private_key', r.stdout)

    def test_no_index_watch_sees_changes(self):
        # Without the inotify watch (as when root's inotify limit is reached), every request
        # checks the index and modprobe.d files: a depmod run and a new modprobe.d alias are
        # seen without a restart.
        import shutil
        self.assertEqual(self.daemon.stop(), 0)
        kver = os.path.basename(MODULES_DIR)
        root = os.path.join(self.tmp, 'mods')
        shutil.copytree(os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR))), root, symlinks=True)
        moddir = os.path.join(root, 'lib/modules', kver)
        chain = os.path.join(moddir, 'extra/modctl_test_chain.ko')
        os.rename(chain, chain + '.held')
        subprocess.run(['depmod', '-b', root, kver], check=True)
        confdir = os.path.join(self.tmp, 'modprobe.d')
        shutil.copytree(MODPROBE_D, confdir)
        self.daemon = self.start_daemon(self.fail_env, modules_dir=moddir, modprobe_d=confdir,
                             extra_args=['--no-index-watch'])
        self.assertIn('Not watching the module index and configuration: every request checks the files.',
                      self.daemon.output())

        self.assert_error(self.send('Load', 'string:modctl_test_chain', 'string:', 'uint64:0'),
                          'org.modctl1.Error.NotFound')
        os.rename(chain + '.held', chain)
        subprocess.run(['depmod', '-b', root, kver], check=True)
        # Found now (the fake kernel then fails its init on purpose, see fail_env).
        r = self.assert_error(self.send('Load', 'string:modctl_test_chain', 'string:', 'uint64:0'),
                              'org.modctl1.Error.KernelRejected')
        self.assertIn("'modctl_test_chain'", r.stderr)

        self.assert_error(self.send('Load', 'string:modctl-nowatch-alias', 'string:', 'uint64:0'),
                          'org.modctl1.Error.NotFound')
        self.assertEqual(self.helper('modctl-nowatch-alias').returncode, 1)
        with open(os.path.join(confdir, 'nowatch.conf'), 'w') as f:
            f.write('alias modctl-nowatch-alias modctl_test_dep\n')
        # Through the kernel hook, which caches nothing without the watch.
        self.assertEqual(self.helper('modctl-nowatch-alias').returncode, 0)
        self.assertIn('modctl_test_dep', self.loaded())

    def test_invalid_parameters(self):
        # Parameters reach install commands and the kernel: the one grammar of module-params.h.
        # Every refusal names the module, the parameter and the byte.
        for params in ['x=1; id > /tmp/pwned', 'x=1 $(id)', 'x="open', 'x=1\ny=2', 'x=\x1b']:
            for method in ['Load', 'CheckPolicy']:
                r = self.send(method, "string:modctl_test_base", "string:" + params, "uint64:0")
                self.assertNotEqual(r.returncode, 0, (method, params))
                r = self.assert_error(r,
                                      'org.modctl1.Error.InvalidParameters')
                self.assertIn("module 'modctl_test_base': parameter '", r.stderr)
        self.assertEqual(self.loaded(), {})
        # What the kernel accepts still works.
        self.assert_ok(self.send('Load', 'string:modctl_test_base', 'string:value=3 name="two words"', 'uint64:0'))
        self.assertIn('modctl_test_base', self.loaded())

    def test_init_failure_leaves_nothing(self):
        r = self.assert_error(self.send('Load', 'string:modctl_test_fail', 'string:', 'uint64:0'), 'org.modctl1.Error.KernelRejected')
        self.assertIn('modctl_test_fail', r.stderr)
        self.assertIn('ENODEV', r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_failure_partway_unwinds(self):
        # modctl_test_chain needs modctl_test_base; the fake kernel rejects chain itself.
        r = self.cli('load', 'modctl_test_chain')
        self.assertEqual(r.returncode, 7)  # kernel rejected
        self.assertIn('modctl_test_chain', r.stderr)
        self.assertIn('Removed again', r.stderr)
        self.assertIn('modctl_test_base', r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_in_use_names_holders(self):
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        r = self.assert_error(self.send('Unload', 'string:modctl_test_base', 'uint64:0'), 'org.modctl1.Error.InUse')
        self.assertIn('modctl_test_dep', r.stderr)
        self.assertIn('modctl_test_base', self.loaded())
        self.assert_error(self.send('Unload', 'string:modctl_test_soft', 'uint64:0'), 'org.modctl1.Error.NotLoaded')

    def test_unload_without_and_with_unused(self):
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        r = self.assert_ok(self.cli('unload', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_dep'])
        self.assertEqual(set(self.loaded()), {'modctl_test_base'})
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        r = self.assert_ok(self.cli('unload', '-r', 'modctl_test_dep'))
        self.assertEqual(r.stdout.split(), ['modctl_test_dep', 'modctl_test_base'])
        self.assertEqual(self.loaded(), {})

    def test_info(self):
        r = self.assert_ok(self.cli('info', 'modctl_test_dep'))
        self.assertRegex(r.stdout, r'filename:\s+\S+/modctl_test_dep\.ko')
        self.assertRegex(r.stdout, r'license:\s+GPL')
        self.assertRegex(r.stdout, r'depends:\s+modctl_test_base')

    # --- authorization ---

    def test_unprivileged_caller(self):
        # No polkitd on the bus: nobody but root may change anything, and the error says why.
        r = self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0', user=NOBODY),
                              'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn('polkit', r.stderr)
        r = self.cli('load', 'modctl_test_base', user=NOBODY)
        self.assertEqual(r.returncode, 6)  # not authorized
        self.assertIn("only root may load module 'modctl_test_base'", r.stderr)
        self.assertIn('polkit', r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assert_error(self.send('Unload', 'string:modctl_test_base', 'uint64:0', user=NOBODY),
                          'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn('modctl_test_base', self.loaded())
        self.assert_ok(self.cli('list', user=NOBODY))
        self.assert_ok(self.cli('info', 'modctl_test_base', user=NOBODY))
        self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep', user=NOBODY))

    def test_polkit_denies_then_allows(self):
        self.start_polkit()
        r = self.assert_error(self.send('Load', 'string:modctl_test_dep', 'string:', 'uint64:0', user=NOBODY),
                              'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn("not authorized to load module 'modctl_test_dep'", r.stderr)
        r = self.cli('load', 'modctl_test_dep', user=NOBODY)
        self.assertEqual(r.returncode, 6)  # not authorized
        self.assertIn('polkit', r.stderr)
        self.assertEqual(self.loaded(), {})

        # Authorized for loading, not for unloading.
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        r = self.assert_ok(self.cli('load', 'modctl_test_dep', user=NOBODY))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assertEqual(self.module_properties('modctl_test_dep')['Origin'], 'user')
        r = self.assert_error(self.send('Unload', 'string:modctl_test_dep', 'uint64:0', user=NOBODY),
                              'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn("unload module 'modctl_test_dep'", r.stderr)
        self.assertIn('modctl_test_dep', self.loaded())
        self.polkit('SetAllowed', 'as', 2, 'org.modctl1.load', 'org.modctl1.unload')
        r = self.assert_ok(self.cli('unload', '-r', 'modctl_test_dep', user=NOBODY))
        self.assertEqual(self.loaded(), {})

    def test_polkit_force_needs_its_own_action(self):
        # Allowed to load is not allowed to force: ignore-install and force flags ask for
        # org.modctl1.load-force, and rules see the flags.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        for flags in (2, 4, 8):
            r = self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:%d' % flags,
                                            user=NOBODY), 'org.freedesktop.DBus.Error.AccessDenied')
            self.assertIn('force or ignore-install', r.stderr)
        self.assertEqual(self.loaded(), {})
        # A rule that allows exactly load-force with flags 0x2 (ignore install commands).
        self.polkit('AddMethod', 'sssss', 'org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization',
                    '(sa{sv})sa{ss}us', '(bba{ss})',
                    'ret = (args[1] == "org.modctl1.load-force" and args[2].get("flags") == "0x2"'
                    ' and args[2].get("module") == "modctl_test_base", False, {})')
        self.assert_ok(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:2', user=NOBODY))
        self.assertIn('modctl_test_base', self.loaded())
        self.assert_error(self.send('Load', 'string:modctl_test_dep', 'string:', 'uint64:0', user=NOBODY),
                          'org.freedesktop.DBus.Error.AccessDenied')

    def test_polkit_challenge(self):
        # polkit answers "authentication would help": the caller learns it can ask interactively.
        self.start_polkit()
        self.polkit('AddMethod', 'sssss', 'org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization',
                    '(sa{sv})sa{ss}us', '(bba{ss})', 'ret = (False, True, {})')
        r = self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0', user=NOBODY),
                              'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired')
        self.assertIn("load module 'modctl_test_base'", r.stderr)
        r = self.cli('--no-ask-password', 'load', 'modctl_test_base', user=NOBODY)
        self.assertEqual(r.returncode, 6)  # not authorized
        self.assertIn('--no-ask-password', r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_read_only_needs_no_authorization(self):
        # A polkitd that never answers: anything that asked it would hang.
        self.start_polkit()
        self.polkit('SimulateHang', 'b', 'true')
        self.assert_ok(self.cli('load', 'modctl_test_base'))  # root asks nobody
        self.assert_ok(self.cli('list', user=NOBODY))
        self.assert_ok(self.cli('status', user=NOBODY))
        self.assert_ok(self.cli('info', 'modctl_test_dep', user=NOBODY))
        self.assert_ok(self.cli('load', '--dry-run', 'modctl_test_dep', user=NOBODY))
        self.assert_ok(self.busctl('get-property', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager',
                                   'Statistics', user=NOBODY))
        self.assert_ok(self.busctl('tree', 'org.modctl1', user=NOBODY))
        self.assert_ok(self.busctl('call', 'org.modctl1', MODULE_PATH + 'modctl_5ftest_5fbase',
                                   'org.freedesktop.DBus.Properties', 'GetAll', 's', 'org.modctl1.Module',
                                   user=NOBODY))
        r = self.polkit('HaveHangingCalls')
        self.assertEqual(r.stdout.strip(), 'b false')

    def test_polkit_pending_is_capped(self):
        # A polkitd that never answers, and one unprivileged connection firing 40 Loads: at most
        # 16 wait for polkit, the rest are refused at once with Busy; root is not held up.
        self.start_polkit()
        self.polkit('SimulateHang', 'b', 'true')
        script = r"""
import dbus, sys
from gi.repository import GLib
from dbus.mainloop.glib import DBusGMainLoop
DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
mgr = dbus.Interface(bus.get_object('org.modctl1', '/org/modctl1'), 'org.modctl1.Manager')
busy = 0
answered = 0
loop = GLib.MainLoop()
def err(e):
    global busy, answered
    answered += 1
    if e.get_dbus_name() == 'org.modctl1.Error.Busy':
        busy += 1
    if answered == 24:
        loop.quit()
for i in range(40):
    mgr.Load('modctl_test_base', '', dbus.UInt64(0), reply_handler=lambda *a: None, error_handler=err,
             timeout=600)
GLib.timeout_add_seconds(20, loop.quit)
loop.run()
print(busy, answered)
"""
        r = subprocess.run(NOBODY + ['/usr/bin/python3', '-c', script, self.bus.address], capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.stdout.split(), ['24', '24'], r.stderr)
        self.assert_ok(self.cli('load', 'modctl_test_dep'))  # root asks nobody, and is not capped
        self.assertIn('modctl_test_dep', self.loaded())

    def test_caller_gone_while_polkit_pending(self):
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        self.polkit('SimulateHang', 'b', 'true')
        _, read_until = self.monitor("type='method_call',member='CheckAuthorization'",
                                     "type='signal',member='NameOwnerChanged'",
                                     "type='method_call',member='NameHasOwner'",
                                     "type='method_return'")
        # A caller that asks (allowing interactive authorization, as modctl does) and then
        # goes away: kill modctl while polkit "thinks".
        caller = subprocess.Popen(NOBODY + [MODCTL, 'load', 'modctl_test_base'],
                                  env=dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen = read_until(r'member=CheckAuthorization.*?uint32 \d+')
        call = seen[seen.index('member=CheckAuthorization'):]
        sender = re.search(r'string "name"\s+variant\s+string "(:[0-9.]+)"', call).group(1)
        self.assertIn('string "system-bus-name"', call)
        self.assertIn('string "org.modctl1.load"', call)
        self.assertRegex(call, r'string "module"\s+string "modctl_test_base"')
        self.assertIn('uint32 1', call)  # AllowUserInteraction

        caller.kill()
        caller.wait(TIMEOUT)
        read_until(r'member=NameOwnerChanged\s+string "%s"\s+string "%s"\s+string ""' % (sender, sender))
        # Now polkit says yes; the daemon must notice the caller is gone and do nothing.
        self.polkit('ReleaseHangingCalls')
        read_until(r'member=NameHasOwner\s+string "%s".*?method return.*?boolean false' % sender)
        # The daemon reads its socket in order: once it answers this, it has seen the reply above.
        self.assertEqual(self.loaded(), {})
        self.assertIn('went away while polkit decided whether it may load module', self.daemon.output())
        self.assertEqual(self.statistics()['operations'], 0)

    def test_only_root_may_own_the_name(self):
        # On a bus of its own, so that the name is free: the policy alone must refuse it.
        tmp = tempfile.mkdtemp(prefix='modctl-it-own-')
        os.chmod(tmp, 0o755)
        bus = Bus(tmp)
        try:
            other = Daemon(tmp, bus, user=NOBODY, expect_ready=False)
            rc = other.proc.wait(TIMEOUT)
            other.notify.close()
            self.assertNotEqual(rc, 0)
            self.assertIn('Failed to acquire bus name org.modctl1', other.output())
        finally:
            bus.stop()

    # --- the kernel hook (modctl-request and the daemon's request socket) ---

    def test_hook_loads_with_origin_kernel(self):
        r = self.helper('modctl-test-alias')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('modctl_test_dep', self.loaded())
        self.assertIn('Module modctl_test_dep loaded (origin kernel)', self.daemon.output())
        # Already loaded: success again, nothing new.
        self.assertEqual(self.helper('modctl_test_dep').returncode, 0)
        st = self.statistics()
        self.assertEqual(st['requests'], 2, st)
        self.assertEqual(st['cache-misses'], 2, st)
        r = self.assert_ok(self.cli('status'))
        self.assertRegex(r.stdout, r'Statistics:')
        self.assertRegex(r.stdout, r'Kernel requests:\s+2')

    def test_hook_usage(self):
        # What real callers of kernel.modprobe use: the kernel's `-q -- NAME`, iptables-legacy's
        # and ebtables' `NAME [-q]`, scripts' `-q NAME`, -v, -b.
        accepted = [['modctl_test_base'], ['modctl_test_base', '-q'], ['-q', 'modctl_test_base'],
                    ['-q', '--', 'modctl_test_base'], ['-v', 'modctl_test_base'], ['-b', 'modctl_test_base'],
                    ['-qb', '--', 'modctl_test_base'], ['--', 'modctl_test_base']]
        for argv in accepted:
            r = self.helper(None, argv=argv)
            self.assertEqual(r.returncode, 0, (argv, r.stderr))
        self.assertIn('loaded by modctld', self.helper(None, argv=['-v', 'modctl_test_base']).stderr)
        refused = {
            (): 'no module name',
            ('-q', '--', 'a', 'b'): 'more than one module name',
            ('-r', 'modctl_test_base'): "unsupported option '-r'",
            ('-a', 'x', 'y'): "unsupported option '-a'",
            ('--remove', 'modctl_test_base'): "unsupported option '--remove'",
            ('-q', '--', ''): 'not a valid module name',
            ('-q', '--', 'x' * 200): 'not a valid module name',
            ('-',): 'not a module name',
        }
        for argv, why in refused.items():
            r = self.helper(None, argv=list(argv))
            self.assertEqual(r.returncode, 2, argv)
            self.assertIn(why, r.stderr, argv)
            self.assertIn('Usage', r.stderr)
        self.assertEqual(set(self.loaded()), {'modctl_test_base'})

    def test_hook_like_modprobe(self):
        # The kernel's HDA driver sends its modalias with a trailing newline; modprobe matches it.
        r = self.helper('modctl-test-alias\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('modctl_test_dep', self.loaded())
        # An alias whose only match is blacklisted: nothing to do, exit 0, nothing loaded.
        r = self.helper('modctl-blacklisted-alias')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('modctl_test_proprietary', self.loaded())
        # Over the bus too: an empty list, and the dry run says why.
        r = self.assert_ok(self.send('Load', 'string:modctl-blacklisted-alias', 'string:', 'uint64:1'))
        self.assertIn('blacklisted modctl_test_proprietary', r.stdout)
        r = self.assert_ok(self.cli('load', 'modctl-blacklisted-alias'))
        self.assertNotIn('modctl_test_proprietary', self.loaded())

    def test_hook_negative_cache(self):
        for _ in range(3):
            self.assertEqual(self.helper('net-pf-14').returncode, 1)
        self.assertEqual(self.helper('modctl_test_base').returncode, 0)
        st = self.statistics()
        self.assertEqual((st['requests'], st['cache-misses'], st['cache-hits']), (4, 2, 2), st)
        self.assertEqual(set(self.loaded()), {'modctl_test_base'})

    def test_hook_refuses_non_root(self):
        # The socket is root's alone: others cannot even connect, so they can hold no
        # connection (and no fd) of the daemon. Nor does their failure fall back to modprobe.
        self.assertEqual(os.stat(self.daemon.hook_socket).st_mode & 0o777, 0o600)
        r = self.helper('modctl_test_base', user=NOBODY)
        self.assertEqual(r.returncode, 1)
        self.assertIn('Permission denied', r.stderr)
        self.assertNotIn('HookFallback', r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assertEqual(self.statistics()['fallbacks'], 0)

    def test_hook_malformed_requests(self):
        import struct
        header = struct.Struct('=IHH')
        magic, version = 0x6b52434d, 1

        def exchange(payload):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(TIMEOUT)
            s.connect(self.daemon.hook_socket)
            if payload is not None:
                s.send(payload)
            reply = s.recv(64)
            eof = s.recv(64)
            s.close()
            self.assertEqual(eof, b'', 'the daemon closes the connection after its reply')
            m, v, length, status, error = struct.unpack('=IHHii', reply)
            self.assertEqual((m, v, length), (magic, version, 8))
            return status, error

        import errno
        cases = [
            (b'abc', errno.ENODATA),                                        # short
            (b'GET / HTTP/1.0\r\n\r\n', errno.EBADMSG),                      # garbage
            (header.pack(magic, version, 4000) + b'a' * 4000, errno.EMSGSIZE),  # oversized
            (header.pack(magic, 2, 5) + b'dummy', errno.EPROTONOSUPPORT),    # another version
            (header.pack(magic, version, 9) + b'dummy', errno.EBADMSG),      # length mismatch
            (header.pack(magic, version, 3) + b'a\x00b', errno.EINVAL),      # NUL in the name
        ]
        for payload, want in cases:
            self.assertEqual(exchange(payload), (3, want), payload[:20])
        # Slow: connected, but no request within the receive timeout.
        start = time.monotonic()
        self.assertEqual(exchange(None), (3, errno.ETIMEDOUT))
        self.assertGreaterEqual(time.monotonic() - start, 4)
        self.assertEqual(self.statistics()['malformed'], len(cases) + 1)
        self.assertIn('Rejected a kernel module request', self.daemon.output())
        # The daemon is unaffected.
        self.assertEqual(self.helper('modctl_test_base').returncode, 0)
        self.assert_ok(self.cli('load', 'modctl_test_dep'))

    def test_hook_fallback_when_daemon_is_down(self):
        marker = os.path.join(self.tmp, 'modprobe-ran')
        fake_modprobe = os.path.join(self.tmp, 'fake-modprobe')
        with open(fake_modprobe, 'w') as f:
            f.write('#!/bin/sh\necho "$@" >> %s\n' % marker)
        os.chmod(fake_modprobe, 0o755)
        self.write_config('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\n' % fake_modprobe)
        socket_path = self.daemon.hook_socket

        # A clean stop removes the socket the daemon created.
        self.assertEqual(self.daemon.stop(), 0)
        self.assertFalse(os.path.exists(socket_path))
        r = self.helper('modctl_test_base', socket_path=socket_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(marker) as f:
            self.assertEqual(f.read(), '-q -- modctl_test_base\n')
        self.assertIn('HookFallback=modprobe: running %s' % fake_modprobe, r.stderr)

        os.unlink(marker)
        self.write_config('[Daemon]\nHookFallback=deny\nHookModprobe=%s\n' % fake_modprobe)
        r = self.helper('modctl_test_base', socket_path=socket_path)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(marker))
        self.assertIn('HookFallback=deny', r.stderr)

        # The default is deny: a policy is in force, the fallback must not bypass it.
        self.write_config('[Daemon]\nHookModprobe=%s\n' % fake_modprobe)
        r = self.helper('modctl_test_base', socket_path=socket_path)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(marker))
        self.assertIn('HookFallback=deny', r.stderr)

        # A configuration error fails closed, saying why, even where modprobe was chosen.
        self.write_config('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\nNonsense=1\n' % fake_modprobe)
        r = self.helper('modctl_test_base', socket_path=socket_path)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(marker))
        self.assertIn('failing closed', r.stderr)
        self.assertIn("unknown key 'Nonsense'", r.stderr)

        # A socket left behind by a daemon that died (connection refused): absent, so the
        # fallback applies (modprobe chosen here).
        self.write_config('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\n' % fake_modprobe)
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        stale.bind(socket_path)
        stale.close()
        r = self.helper('modctl_test_base', socket_path=socket_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Connection refused', r.stderr)
        os.unlink(marker)
        os.unlink(socket_path)

        # A daemon that is there but resets the connection (say, while restarting) is not
        # absent: no fallback, the request fails.
        import threading
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(socket_path)
        listener.listen(4)

        def accept_and_drop():
            c, _ = listener.accept()
            c.recv(256)
            c.close()
        t = threading.Thread(target=accept_and_drop)
        t.start()
        r = self.helper('modctl_test_base', socket_path=socket_path)
        t.join()
        listener.close()
        os.unlink(socket_path)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(marker))
        self.assertIn('did not answer', r.stderr)
        self.assertNotIn('HookFallback', r.stderr)

        # The next daemon replaces the stale socket and counts what happened while it was down.
        self.daemon = self.start_daemon(self.fail_env)
        self.assertEqual(self.statistics()['fallbacks'], 5)
        self.assertEqual(self.helper('modctl_test_base').returncode, 0)
        self.assertIn('modctl_test_base', self.loaded())

    # --- autoload: boot list and coldplug (fake sysfs tree), sticky unloads ---

    def test_boot_list_loads_before_ready(self):
        self.restart_with_autoload(conf='# boot\n; list\nmodctl_test_base\nno_such_module_xyz\nmodctl-test-soft\n')
        loaded = self.loaded()
        self.assertIn('modctl_test_base', loaded)
        self.assertIn('modctl_test_soft', loaded, 'a missing entry does not stop the rest')
        out = self.daemon.output()
        self.assertIn('no_such_module_xyz', out)
        self.assertRegex(out, r'Autoload boot: 3 modules requested, \d+ inserted, 1 failed')

    def test_coldplug_and_sticky_unload(self):
        self.restart_with_autoload(aliases=['modctl-test-alias', 'pci:v0000FFFFd0000FFFFsv*', 'modctl-test-alias'])
        self.assertIn('modctl_test_dep', self.loaded(), 'coldplug loads what the alias matches')
        self.assert_ok(self.cli('unload', 'modctl_test_dep'))
        self.restart_with_autoload()
        self.assertNotIn('modctl_test_dep', self.loaded(), 'an unload by an admin sticks across a restart')
        self.assertIn('Not loading module modctl_test_dep', self.daemon.output())
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.restart_with_autoload()
        self.assertIn('modctl_test_dep', self.loaded(), 'an explicit load ends the sticky unload')

if __name__ == '__main__':
    unittest.main()
