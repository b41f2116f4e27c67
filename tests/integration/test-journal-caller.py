#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The journal answers "who": each load, unload, failure and setting change that came over the
bus carries the caller's CALLER_UID=, CALLER_PID= and CALLER_COMM= (CALLER_UNIT= too where the
caller runs in a systemd unit, which this build host's processes do not; the full-system test
checks that one), and a kernel request the helper the hook saw.

modctld-fake runs in a mount namespace of its own whose /run/systemd/journal is a directory of
this test: its native journal protocol datagrams land on the test's socket there, and the test
reads the fields as journald would get them."""

import os
import socket
import struct
import subprocess
import unittest

from modctl_test import MODCTL, NOBODY, TIMEOUT, ModctlTest

MSG = {
    'loaded': '9843b42ecff74db8a24724a9ee51066b',
    'unloaded': 'e50764409cc64822b8cd09022e8e244e',
    'failed': '169ea059b4e04933ab0aa17ff3ca1b3c',
    'kernel': '32eae9a0eb8f41aeaa1d65600ae9dbcc',
    'setting': '48b061aaee9b4aa2985f77da6ca0ca5a',
}

# Private mounts, then an empty /run with our directory as /run/systemd/journal.
NAMESPACE = ('mount --make-rprivate / && mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && '
             'mount --bind "$JOURNAL_DIR" /run/systemd/journal && exec "$@"')


def parse_native(data):
    """One datagram of journald's native protocol: FIELD=value lines, or FIELD\\n, a 64-bit
    little-endian length and the binary value."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b'\n', i)
        line = data[i:nl]
        if b'=' in line:
            k, v = line.split(b'=', 1)
            fields[k.decode()] = v.decode(errors='replace')
            i = nl + 1
        else:
            (n,) = struct.unpack('<Q', data[nl + 1:nl + 9])
            fields[line.decode()] = data[nl + 9:nl + 9 + n].decode(errors='replace')
            i = nl + 9 + n + 1
    return fields


class JournalCallerTest(ModctlTest):
    def setUp(self):
        super().setUp()
        # The harness's daemon logs to stderr; ours logs to the journal socket below.
        self.daemon.stop()
        self.journal_dir = os.path.join(self.tmp, 'journal')
        os.makedirs(self.journal_dir)
        self.journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.journal.bind(os.path.join(self.journal_dir, 'socket'))
        self.journal.settimeout(TIMEOUT)
        self.addCleanup(self.journal.close)
        self.entries = []
        env = dict(self.fail_env, JOURNAL_STREAM='0:0', JOURNAL_DIR=self.journal_dir)
        self.private = os.path.join(self.tmp, 'private')
        self.daemon = self.start_daemon(env, user=['unshare', '--mount', '--', 'sh', '-c', NAMESPACE, 'sh'],
                                        extra_args=['--private-socket', self.private])

    def wait_entry(self, message_id, module):
        """The first entry with MESSAGE_ID and MODULE, waiting for the daemon to send it."""
        while True:
            for e in self.entries:
                if e.get('MESSAGE_ID') == message_id and e.get('MODULE') == module:
                    return e
            self.entries.append(parse_native(self.journal.recv(65536)))

    def run_cli(self, *args, user=None, **extra):
        """modctl, returning (its pid, its result)."""
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='')
        env.update(extra)
        p = subprocess.Popen((user or []) + [MODCTL] + list(args), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=TIMEOUT)
        return p.pid, p.returncode, out + err

    def assert_caller(self, entry, uid, pid, comm):
        self.assertEqual(entry.get('CALLER_UID'), str(uid), entry)
        self.assertEqual(entry.get('CALLER_PID'), str(pid), entry)
        self.assertEqual(entry.get('CALLER_COMM'), comm, entry)

    def test_load_by_a_polkit_granted_user_names_the_user(self):
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        pid, rc, out = self.run_cli('load', 'modctl_test_base', user=NOBODY)
        self.assertEqual(rc, 0, out)
        e = self.wait_entry(MSG['loaded'], 'modctl_test_base')
        self.assertEqual(e.get('ORIGIN'), 'user', e)
        self.assert_caller(e, 65534, pid, 'modctl')

    def test_unload_failure_and_setting_name_the_caller(self):
        pid, rc, out = self.run_cli('load', 'modctl_test_base')
        self.assertEqual(rc, 0, out)
        self.assert_caller(self.wait_entry(MSG['loaded'], 'modctl_test_base'), 0, pid, 'modctl')

        pid, rc, out = self.run_cli('unload', 'modctl_test_base')
        self.assertEqual(rc, 0, out)
        self.assert_caller(self.wait_entry(MSG['unloaded'], 'modctl_test_base'), 0, pid, 'modctl')

        pid, rc, out = self.run_cli('load', 'modctl_no_such_module')
        self.assertNotEqual(rc, 0, out)
        e = self.wait_entry(MSG['failed'], 'modctl_no_such_module')
        self.assertEqual(e.get('ERRNO'), '2', e)
        self.assert_caller(e, 0, pid, 'modctl')

        p = subprocess.Popen(['busctl', '--address=' + self.bus.address, 'call', 'org.modctl1', '/org/modctl1',
                              'org.modctl1.Manager', 'SetBlacklisted', 'sbt', 'modctl_test_dep', 'true', '0'],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = p.communicate(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, out)
        e = self.wait_entry(MSG['setting'], 'modctl_test_dep')
        self.assertEqual((e.get('SETTING'), e.get('VALUE')), ('blacklist', 'yes'), e)
        self.assert_caller(e, 0, p.pid, 'busctl')

    def test_root_over_the_private_socket_is_named_too(self):
        # The peer-to-peer connection tells only pid and uid; comm comes from /proc.
        pid, rc, out = self.run_cli('-v', 'load', 'modctl_test_base', MODCTL_PRIVATE_SOCKET=self.private,
                                    MODCTL_BUS_ADDRESS='unix:path=' + os.path.join(self.tmp, 'nothing'))
        self.assertEqual(rc, 0, out)
        self.assertIn('over the private socket', out)
        self.assert_caller(self.wait_entry(MSG['loaded'], 'modctl_test_base'), 0, pid, 'modctl')

    def test_kernel_request_names_the_helper(self):
        r = self.helper('modctl_test_dep')
        self.assertEqual(r.returncode, 0, r.stderr)
        e = self.wait_entry(MSG['loaded'], 'modctl_test_dep')
        self.assertEqual(e.get('ORIGIN'), 'kernel', e)
        self.assertEqual(e.get('CALLER_UID'), '0', e)
        self.assertIn('CALLER_PID', e)
        k = self.wait_entry(MSG['kernel'], 'modctl_test_dep')
        self.assertEqual(k.get('CALLER_PID'), e['CALLER_PID'], (k, e))


if __name__ == '__main__':
    unittest.main()
