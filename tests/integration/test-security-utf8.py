#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 19, findings 10 and 11: untrusted strings on the bus and on root's terminal.

A module whose description holds a Latin-1 byte (as out-of-tree modules often do) is answered
by Info and Search, with U+FFFD in the place of the byte, instead of a call that times out. A
requester whose comm holds a terminal escape sequence and an invalid byte still has its
KernelRequest and ExternalLoad signals on the bus (an invalid byte no longer makes sd-bus drop
its audit record), and `modctl monitor` and the daemon's log print the comm escaped."""

import ctypes
import json
import os
import select
import shutil
import socket
import subprocess
import time
import unittest

from modctl_test import MODCTL, MODULES_DIR, NOBODY, TIMEOUT, ModctlTest


# Shorter than any caller's timeout: a reply that is not built must not be waited for.
REPLY_TIMEOUT_MS = 10000
DESCRIPTION = b'modctl test module: exported symbol and parameter'
LATIN1 = b'modctl test module: exported symbol and param\xe9ter'
# And one with a terminal escape (clear the screen) where "hard" was.
DEP_DESCRIPTION = b'modctl test module: hard dependency'
DEP_ESCAPE = b'modctl test module: \x1b[2J dependency'
# At most 15 bytes: ESC [ 3 1 m (a color), "pwn", an invalid byte, BEL, a C1 CSI byte.
HOSTILE_COMM = b'\x1b[31mpwn\xff\x07\x9b'

# What a requester runs as uid 65534: names itself, sends one report, and stays alive (the
# fake kernel reads its comm from /proc, as the BPF program reads the task's) until told.
REQUESTER = r'''
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(bytes.fromhex(sys.argv[2])), 0, 0, 0)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[3].encode('latin-1'), sys.argv[1])
print('sent', flush=True)
sys.stdin.read()
'''


class Utf8SecurityTest(ModctlTest):
    def send_timed(self, method, *args, user=None):
        return subprocess.run((user or []) + ['dbus-send', '--bus=' + self.bus.address, '--print-reply',
                                              '--reply-timeout=%d' % REPLY_TIMEOUT_MS, '--dest=org.modctl1',
                                              '/org/modctl1', 'org.modctl1.Manager.' + method] + list(args),
                              capture_output=True, timeout=TIMEOUT)

    def restart_on_latin1_tree(self):
        """The fixture tree, copied, with one byte of modctl_test_base's description made Latin-1
        (same length, so the ELF stays as it was)."""
        self.assertEqual(self.daemon.stop(), 0)
        kver = os.path.basename(MODULES_DIR)
        root = os.path.join(self.tmp, 'mods')
        shutil.copytree(os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR))), root, symlinks=True)
        moddir = os.path.join(root, 'lib/modules', kver)
        for module, old, new in (('modctl_test_base', DESCRIPTION, LATIN1), ('modctl_test_dep', DEP_DESCRIPTION, DEP_ESCAPE)):
            ko = os.path.join(moddir, 'extra', module + '.ko')
            with open(ko, 'rb') as f:
                data = f.read()
            self.assertEqual(data.count(old), 1)
            self.assertEqual(len(old), len(new))
            with open(ko, 'wb') as f:
                f.write(data.replace(old, new))
        subprocess.run(['depmod', '-b', root, kver], check=True)
        self.daemon = self.start_daemon(self.fail_env, modules_dir=moddir)

    def test_latin1_description_is_answered(self):
        self.restart_on_latin1_tree()
        expected = 'modctl test module: exported symbol and param\ufffdter'

        # Info: an answer (not a timeout), for anyone, with U+FFFD for the byte.
        r = self.send_timed('Info', 'string:modctl_test_base', user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(expected, r.stdout.decode())
        r = self.assert_ok(self.cli('info', 'modctl_test_base', user=NOBODY))
        self.assertIn(expected, r.stdout)

        # Search: the whole catalog still answers, the module with it.
        r = self.assert_ok(self.busctl('--json=short', '--timeout=%d' % (REPLY_TIMEOUT_MS // 1000), 'call',
                                       'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', 'Search', 's', '',
                                       user=NOBODY))
        entries = {e[0]: e for e in json.loads(r.stdout)['data'][0]}
        self.assertEqual(entries['modctl_test_base'][1], expected)
        self.assertIn('modctl_test_dep', entries)
        r = self.send_timed('Search', 'string:param', user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)

        # On the terminal, the escape in the other description is printed escaped.
        for args in (('info', 'modctl_test_dep'), ('search', 'dependency')):
            r = self.assert_ok(self.cli(*args, user=NOBODY))
            self.assertNotIn('\x1b', r.stdout)
            self.assertIn('modctl test module: \\x1b[2J dependency', r.stdout)

        # The loaded module's object and the dry run answer as well.
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertEqual(self.module_properties('modctl_test_base', user=NOBODY)['Description'], expected)
        r = self.send_timed('CheckPolicy', 'string:modctl_test_dep', 'string:', 'uint64:0', user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)

    # --- requesters' comm ---

    def start_with_reports(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.reports = os.path.join(self.tmp, 'ownership-reports.sock')
        self.daemon = self.start_daemon(dict(self.fail_env, MODCTL_FAKE_OWNERSHIP_REPORTS=self.reports))
        os.chmod(self.reports, 0o777)

    def request_as_nobody(self, text):
        """A report from a process of uid 65534 named HOSTILE_COMM; it lives until cleanup."""
        p = subprocess.Popen(NOBODY + ['/usr/bin/python3', '-c', REQUESTER, self.reports, HOSTILE_COMM.hex(), text],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(lambda: (p.stdin.close(), p.wait(TIMEOUT), p.stdout.close()))
        self.assertEqual(p.stdout.readline(), b'sent\n')
        return p

    def start_cli_monitor(self):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='')
        mon = subprocess.Popen([MODCTL, 'monitor'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (mon.kill(), mon.wait(), mon.stdout.close(), mon.stderr.close()))
        self.assertIn(b'Monitoring', mon.stderr.readline())
        return mon

    def read_line(self, proc, what):
        ready, _, _ = select.select([proc.stdout], [], [], REPLY_TIMEOUT_MS / 1000)
        self.assertTrue(ready, 'modctl monitor printed nothing for ' + what)
        return proc.stdout.readline()

    def assert_escaped(self, line):
        # Nothing that a terminal acts on: no ESC, BEL or C1 byte, and valid UTF-8.
        for b in (b'\x1b', b'\x07', b'\x9b', b'\xff'):
            self.assertNotIn(b, line)
        text = line.decode('utf-8')
        self.assertIn('\\x1b[31mpwn\ufffd\\a\ufffd', text)
        return text

    def test_hostile_comm_is_signalled_and_printed_escaped(self):
        self.start_with_reports()
        _, read_until = self.monitor("type='signal',interface='org.modctl1.Manager'")
        mon = self.start_cli_monitor()

        # A refused request_module() of a process that named itself with an escape sequence.
        self.request_as_nobody('request modctl_test_base refused')
        seen = read_until(r'member=KernelRequest.*?string "modctl_test_base".*?uint32 65534.*?boolean true')
        self.assertIn('member=KernelRequest', seen)
        line = self.read_line(mon, 'the refused kernel request')
        text = self.assert_escaped(line)
        self.assertRegex(text, r'^refused\s+kernel request modctl_test_base by pid \d+ .*, uid 65534')

        # An insert behind modctld's back by the same process: its ExternalLoad arrives too.
        self.request_as_nobody('finit_module /tmp/evil.ko')
        read_until(r'member=ExternalLoad.*?string "finit_module".*?uint32 65534')
        line = self.read_line(mon, 'the external load')
        text = self.assert_escaped(line)
        self.assertRegex(text, r'^external\s+finit_module of /tmp/evil\.ko by pid \d+ ')

        # An allowed request, then the load it causes through the hook: the monitor names the
        # requester, escaped.
        self.request_as_nobody('request modctl_test_base')
        read_until(r'member=KernelRequest.*?string "modctl_test_base".*?uint32 65534.*?boolean false')
        r = self.helper('modctl_test_base')
        self.assertEqual(r.returncode, 0, r.stderr)
        line = self.read_line(mon, 'the load by the kernel')
        text = self.assert_escaped(line)
        self.assertIn('loaded    modctl_test_base (origin kernel (requested by pid', text)

        # The daemon's log (a terminal, when run by hand) has the comm escaped as well.
        out = self.daemon.output()
        self.assertNotIn('\x1b', out)
        self.assertIn('\\x1b[31mpwn', out)


if __name__ == '__main__':
    unittest.main()
