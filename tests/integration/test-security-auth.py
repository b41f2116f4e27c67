#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Security, findings 5 and 7 of issue 19: caps that hold per uid, not per connection (one
uid's flood of authorization checks or inspections never makes another uid's call fail), and
Unload's ignore-remove flag needs the force action, as Load's ignore-install does.

Run one test with: test-security-auth.py AuthTest.test_name."""

import json
import os
import shutil
import subprocess
import unittest

from modctl_test import MODULES_DIR, MODULE_PATH, NOBODY, TIMEOUT, ModctlTest


# Another unprivileged user: the one an attacker running as nobody must not starve.
OTHER = ['setpriv', '--reuid=1000', '--regid=1000', '--clear-groups']

# Opens CONNS connections to the bus and sends CALLS asynchronous calls on each (the first
# connection may start with one FIRST call), then a Peer.Ping per connection. modctld answers
# the calls of one connection in order, so once every Ping is answered it has taken in every
# call: those it refused are answered, the others are pending. It prints one JSON line then
# (the error names seen so far, and the first message of each) and stays connected until its stdin closes.
FLOOD = r"""
import dbus, json, sys
from gi.repository import GLib
from dbus.mainloop.glib import DBusGMainLoop
DBusGMainLoop(set_as_default=True)
addr, conns, calls, method, args, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    json.loads(sys.argv[5]), json.loads(sys.argv[6])
def typed(a):
    return dbus.UInt64(a) if isinstance(a, int) else a
errors = {}
pinged = 0
messages = {}
def on_error(e):
    errors[e.get_dbus_name()] = errors.get(e.get_dbus_name(), 0) + 1
    messages.setdefault(e.get_dbus_name(), e.get_dbus_message())
def on_ping(*a):
    global pinged
    pinged += 1
    if pinged == conns:
        print(json.dumps({'flooded': errors, 'messages': messages}), flush=True)
keep = []
for n in range(conns):
    bus = dbus.bus.BusConnection(addr)
    keep.append(bus)
    obj = bus.get_object('org.modctl1', '/org/modctl1', introspect=False)
    mgr = dbus.Interface(obj, 'org.modctl1.Manager')
    if n == 0 and first:
        getattr(mgr, first[0])(*[typed(a) for a in first[1:]], reply_handler=lambda *a: None,
                               error_handler=on_error, timeout=600)
    for i in range(calls):
        getattr(mgr, method)(*[typed(a) for a in args], reply_handler=lambda *a: None, error_handler=on_error,
                             timeout=600)
    dbus.Interface(obj, 'org.freedesktop.DBus.Peer').Ping(reply_handler=on_ping, error_handler=on_error)
loop = GLib.MainLoop()
GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, lambda *a: loop.quit())
loop.run()
"""

# One call, then a Ping on the same connection: prints "asked" once modctld has taken the call
# in (and so sent anything it asks polkit on the bus), then the call's outcome: "ok" or the
# error name and message.
ONE = r"""
import dbus, json, sys
from gi.repository import GLib
from dbus.mainloop.glib import DBusGMainLoop
DBusGMainLoop(set_as_default=True)
addr, call = sys.argv[1], json.loads(sys.argv[2])
bus = dbus.bus.BusConnection(addr)
obj = bus.get_object('org.modctl1', '/org/modctl1', introspect=False)
mgr = dbus.Interface(obj, 'org.modctl1.Manager')
loop = GLib.MainLoop()
def ok(*a):
    print('ok', flush=True)
    loop.quit()
def err(e):
    print(e.get_dbus_name(), e.get_dbus_message(), flush=True)
    loop.quit()
getattr(mgr, call[0])(*[dbus.UInt64(a) if isinstance(a, int) else a for a in call[1:]], reply_handler=ok,
                      error_handler=err, timeout=120)
dbus.Interface(obj, 'org.freedesktop.DBus.Peer').Ping()
print('asked', flush=True)
loop.run()
"""


class AuthTest(ModctlTest):
    def flood(self, conns, calls, method, args, first=None):
        """As nobody: conns connections with calls pending each; returns the errors refused at once."""
        proc = subprocess.Popen(NOBODY + ['/usr/bin/python3', '-c', FLOOD, self.bus.address, str(conns),
                                             str(calls), method, json.dumps(args), json.dumps(first)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def stop():
            proc.stdin.close()
            proc.wait(TIMEOUT)
            proc.stdout.close()
        self.addCleanup(stop)
        line = proc.stdout.readline()
        self.assertTrue(line, 'the flood exited early')
        seen = json.loads(line)
        return seen['flooded'], seen['messages']

    def other_user_call(self, *call):
        """As uid 1000: the call is taken in once this returns; then read_result() gives its outcome."""
        proc = subprocess.Popen(OTHER + ['/usr/bin/python3', '-c', ONE, self.bus.address, json.dumps(call)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close(), proc.stderr.close()))
        self.assertEqual(proc.stdout.readline().strip(), 'asked', proc.stderr.read() if proc.poll() else '')

        def read_result():
            out = proc.stdout.readline().strip()
            proc.wait(TIMEOUT)
            return out
        return read_result

    # --- finding 5: pending authorizations are counted per uid ---

    def test_polkit_checks_of_one_uid_leave_room_for_another(self):
        # polkitd that holds every answer; load is granted. uid 65534 opens 17 connections with
        # 16 Loads each, the reproduction that used to exhaust modctld's pending replies at
        # dbus-daemon (128) and make everyone else's check fail with AccessDenied.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        self.polkit('SimulateHang', 'b', 'true')
        errors, messages = self.flood(17, 16, 'Load', ['modctl_test_base', '', 0])

        # uid 1000 still gets its check to polkit, and its Load through once polkit answers.
        result = self.other_user_call('Load', 'modctl_test_dep', '', 0)
        self.polkit('ReleaseHangingCalls')
        self.assertEqual(result(), 'ok')
        self.assertIn('modctl_test_dep', self.loaded())

        # Nothing of uid 65534's was denied; what is over its share was Busy, at once.
        self.assertEqual(set(errors), {'org.modctl1.Error.Busy'}, errors)
        self.assertGreaterEqual(errors['org.modctl1.Error.Busy'], 17 * 16 - 16, errors)
        self.assertIn('uid 65534', messages['org.modctl1.Error.Busy'])
        self.assertIn('at most 16 per user', messages['org.modctl1.Error.Busy'])
        # Root is asked about by nobody, and never held up.
        self.assert_ok(self.cli('unload', 'modctl_test_dep'))

    # --- finding 5: heavy unauthenticated work is counted per uid ---

    def test_inspections_of_one_uid_leave_room_for_another(self):
        # A module tree whose modctl_test_proprietary.ko is a FIFO: an inspection of it holds the
        # inspector thread until the test writes the real file into it, so the queue stays full.
        self.daemon.stop()
        moddir = os.path.join(self.tmp, 'modroot', os.path.basename(MODULES_DIR))  # the name is the release
        shutil.copytree(MODULES_DIR, moddir)
        ko = os.path.join(moddir, 'extra', 'modctl_test_proprietary.ko')
        with open(ko, 'rb') as f:
            content = f.read()
        os.unlink(ko)
        os.mkfifo(ko)
        os.chmod(ko, 0o644)
        self.daemon = self.start_daemon(self.fail_env, modules_dir=moddir)

        def unblock():
            try:
                fd = os.open(ko, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return False  # nobody is reading it
            os.set_blocking(fd, True)
            try:
                with os.fdopen(fd, 'wb') as f:
                    f.write(content)
            except BrokenPipeError:
                pass  # the reader had enough of it: it has moved on either way
            return True
        blocked = [True]
        self.addCleanup(lambda: blocked[0] and unblock())

        # uid 65534: an Info that holds the thread, then 9 connections x 4 policy checks.
        errors, messages = self.flood(9, 4, 'CheckPolicy', ['modctl_test_base', '', 0],
                            first=['Info', 'modctl_test_proprietary'])

        # uid 1000's dry run and Info are queued, not refused, and answered once the thread moves.
        dry_run = self.other_user_call('Load', 'modctl_test_dep', '', 1)
        info = self.other_user_call('Info', 'modctl_test_dep')
        self.assertTrue(unblock(), 'the inspector never opened the FIFO')
        blocked[0] = False
        self.assertEqual(dry_run(), 'ok')
        self.assertEqual(info(), 'ok')
        # uid 65534 had its share, and no more: Busy, naming the limit.
        self.assertEqual(set(errors), {'org.modctl1.Error.Busy'}, errors)
        self.assertGreaterEqual(errors['org.modctl1.Error.Busy'], 9 * 4 + 1 - 4, errors)
        self.assertIn('uid 65534', messages['org.modctl1.Error.Busy'])
        self.assertIn('at most 4 per user', messages['org.modctl1.Error.Busy'])
        self.assertEqual(self.loaded(), {})

    def test_searches_of_one_uid_leave_the_event_loop_to_others(self):
        # Search answers with up to the whole catalog, built on the event loop: uid 65534 sends
        # 200 of them over 8 connections; beyond its budget they are refused at once, and
        # uid 1000's search is answered in full.
        errors, messages = self.flood(8, 25, 'Search', [''])
        self.assertEqual(set(errors), {'org.modctl1.Error.Busy'}, errors)
        self.assertGreaterEqual(errors['org.modctl1.Error.Busy'], 100, errors)
        self.assertIn('uid 65534', messages['org.modctl1.Error.Busy'])
        self.assertIn('per user', messages['org.modctl1.Error.Busy'])
        r = self.assert_ok(self.call('Search', 's', 'modctl_test', user=OTHER))
        self.assertIn('modctl_test_base', r.stdout)
        self.assert_ok(self.call('Search', 's', 'modctl_test'))  # root is not counted

    def test_description_is_read_once_not_per_call(self):
        # Without a catalog, a module object's Description comes from its file. Once read, it is
        # remembered until the index changes: the file is swapped for a FIFO that would hold the
        # event loop if it were opened again, and uid 65534's repeated reads must not open it.
        self.daemon.stop()
        moddir = os.path.join(self.tmp, 'modroot', os.path.basename(MODULES_DIR))
        shutil.copytree(MODULES_DIR, moddir)
        self.daemon = self.start_daemon(self.fail_env, modules_dir=moddir)
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertEqual(self.module_properties('modctl_test_base', user=NOBODY)['Description'],
                         'modctl test module: exported symbol and parameter')
        ko = os.path.join(moddir, 'extra', 'modctl_test_base.ko')
        os.rename(ko, ko + '.held')
        os.mkfifo(ko + '.fifo')
        os.rename(ko + '.fifo', ko)
        try:
            for _ in range(20):
                r = self.assert_ok(self.busctl('--timeout=10', 'get-property', 'org.modctl1',
                                               MODULE_PATH + 'modctl_5ftest_5fbase', 'org.modctl1.Module',
                                               'Description', user=NOBODY))
                self.assertIn('exported symbol and parameter', r.stdout)
        finally:
            # The real file back first, then let go of a daemon stuck opening the FIFO.
            fifo = os.open(ko, os.O_RDWR | os.O_NONBLOCK)
            os.rename(ko + '.held', ko)
            os.close(fifo)

    # --- finding 7: ignoring remove commands needs the force action ---

    def write_modprobe_conf(self, text):
        with open(os.path.join(self.daemon.config_root, 'etc/modprobe.d', 'pin.conf'), 'w') as f:
            f.write(text)

    def test_unload_ignore_remove_needs_force(self):
        # An admin pins modctl_test_base with a remove command that always fails.
        self.write_modprobe_conf('remove modctl_test_base /bin/false\n')
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assert_error(self.send('Unload', 'string:modctl_test_base', 'uint64:0'),
                          'org.modctl1.Error.CommandFailed')
        self.assertIn('modctl_test_base', self.loaded())

        # Granted unload only: flag 2 (skip remove commands) asks for load-force, and is denied.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.unload')
        r = self.assert_error(self.send('Unload', 'string:modctl_test_base', 'uint64:2', user=NOBODY),
                              'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn('ignoring its remove commands', r.stderr)
        self.assertIn('modctl_test_base', self.loaded())
        r = self.cli('unload', '--ignore-remove', 'modctl_test_base', user=NOBODY)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('modctl_test_base', self.loaded())
        # Without the flag the pin holds as before.
        self.assert_error(self.send('Unload', 'string:modctl_test_base', 'uint64:0', user=NOBODY),
                          'org.modctl1.Error.CommandFailed')
        self.assertIn('modctl_test_base', self.loaded())

        # A rule that grants exactly load-force for this unload with flag 0x2: it goes through.
        self.polkit('AddMethod', 'sssss', 'org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization',
                    '(sa{sv})sa{ss}us', '(bba{ss})',
                    'ret = (args[1] == "org.modctl1.load-force" and args[2].get("operation") == "unload"'
                    ' and args[2].get("flags") == "0x2" and args[2].get("module") == "modctl_test_base",'
                    ' False, {})')
        self.assert_ok(self.send('Unload', 'string:modctl_test_base', 'uint64:2', user=NOBODY))
        self.assertNotIn('modctl_test_base', self.loaded())

    def test_root_ignore_remove_still_works(self):
        self.write_modprobe_conf('remove modctl_test_base /bin/false\n')
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertNotEqual(self.cli('unload', 'modctl_test_base').returncode, 0)
        self.assert_ok(self.cli('unload', '--ignore-remove', 'modctl_test_base'))
        self.assertEqual(self.loaded(), {})


if __name__ == '__main__':
    unittest.main()
