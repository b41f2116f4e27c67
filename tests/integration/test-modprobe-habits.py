#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of kmod's modprobe habits in modctl's modprobe mode (issue 24): -V in
kmod's format, --show-modversions and --show-exports read the file as kmod does, -r -n -v
prints kmod's rmmod lines, --remove-holders (and the Unload flag behind it), and -s sends the
messages to syslog. Compared with kmod's own modprobe on this host where both can run.

Run one test with: test-modprobe-habits.py ModprobeHabitsTest.test_name."""

import glob
import os
import re
import socket
import subprocess
import sys
import unittest

from modctl_test import MODCTL, MODPROBE_D, MODULES_DIR, TIMEOUT, ModctlTest

KVER = os.path.basename(MODULES_DIR)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR)))
OFFLINE = ['-d', ROOT, '-S', KVER, '-C', MODPROBE_D]


def module_file(name):
    found = glob.glob(os.path.join(MODULES_DIR, '**', name + '.ko*'), recursive=True)
    assert found, name
    return found[0]


class ModprobeHabitsTest(ModctlTest):
    def env(self):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        env.pop('MODCTL_PRIVATE_SOCKET', None)
        return env

    def modprobe(self, *args, prefix=()):
        return subprocess.run(list(prefix) + [MODCTL, 'modprobe'] + list(args), env=self.env(),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def kmod(self, *args):
        return subprocess.run(['modprobe'] + list(args), capture_output=True, text=True, timeout=TIMEOUT)

    def assert_same(self, args, expect_output=None):
        kmod, ours = self.kmod(*args), self.modprobe(*args)
        self.assertEqual(ours.returncode, kmod.returncode, (args, kmod.stderr, ours.stderr))
        self.assertEqual(ours.stdout, kmod.stdout, args)
        self.assertEqual(ours.stderr == '', kmod.stderr == '', (args, kmod.stderr, ours.stderr))
        if expect_output is not None:
            self.assertIn(expect_output, ours.stdout, args)
        return ours

    def test_version_is_kmods_format(self):
        kmod, ours = self.kmod('-V'), self.modprobe('-V')
        self.assertEqual(ours.returncode, 0, ours.stderr)
        k, o = kmod.stdout.splitlines(), ours.stdout.splitlines()
        self.assertRegex(o[0], r'^kmod version \d+$')
        self.assertRegex(o[1], r'^([+-][A-Z]+ )*[+-][A-Z]+$')
        # The same words in the same order as kmod's features line, whatever their signs.
        self.assertEqual([w[1:] for w in o[1].split()], [w[1:] for w in k[1].split()])
        self.assertRegex(o[2], r'^modctl \S+ \(modprobe mode')
        self.assertEqual(self.modprobe('--version').stdout, ours.stdout)

    def test_show_modversions_and_exports_match_kmod(self):
        base, dep = module_file('modctl_test_base'), module_file('modctl_test_dep')
        self.assert_same(['--show-exports', base], '\tmodctl_test_base_value\n')
        self.assert_same(['--show-exports', dep], '\tmodctl_test_dep_value\n')
        self.assert_same(['--show-modversions', dep], '\tmodctl_test_base_value\n')
        self.assert_same(['--dump-modversions', base], '\tmodule_layout\n')
        self.assert_same(OFFLINE + ['--show-modversions', base])
        for args in (['--show-modversions', '/nonexistent/x.ko'], ['--show-exports', '/nonexistent/x.ko'],
                     ['--show-modversions'], ['-q', '--show-exports', '/nonexistent/x.ko']):
            self.assert_same(args)

    def test_remove_dry_run_prints_kmods_lines(self):
        # Nothing is loaded in this host's kernel: kmod and modctl read the same state.
        for args in (['-r', '-n', '-v', 'modctl_test_base'], ['-r', '-n', '-v', '--first-time', 'modctl_test_dep'],
                     ['-r', '-n', 'no_such_module'], ['-r', '-n', '-v', '--remove-holders', 'modctl_test_base']):
            self.assert_same(OFFLINE + args)

    def test_remove_holders(self):
        self.assert_ok(self.modprobe('modctl_test_dep'))
        self.assertIn('modctl_test_base', self.loaded())
        r = self.modprobe('-r', 'modctl_test_base')
        self.assertEqual(r.returncode, 1)
        self.assertIn('FATAL: Module modctl_test_base is in use.', r.stderr)
        r = self.assert_ok(self.modprobe('-r', '-v', '--remove-holders', 'modctl_test_base'))
        self.assertEqual(r.stdout, 'rmmod modctl_test_dep\nrmmod modctl_test_base\n')
        self.assertEqual(self.loaded(), {})
        # The older spelling, and the bus flag behind both.
        self.assert_ok(self.modprobe('modctl_test_dep'))
        self.assert_ok(self.modprobe('-r', '--remove-dependencies', 'modctl_test_base'))
        self.assertEqual(self.loaded(), {})
        self.assert_ok(self.modprobe('modctl_test_dep'))
        r = self.call('Unload', 'st', 'modctl_test_base', '4')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"modctl_test_dep" "modctl_test_base"', r.stdout)
        self.assertEqual(self.loaded(), {})

    def test_syslog(self):
        """-s: the messages reach syslog (/dev/log, here a socket of the test's own in a mount
        namespace) as kmod sends them, and nothing reaches stderr."""
        sock_path = os.path.join(self.tmp, 'log')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(sock_path)
        sock.settimeout(TIMEOUT)
        olddev = os.path.join(self.tmp, 'olddev')
        os.mkdir(olddev)
        setup = ('mount --bind /dev {o} && mount -t tmpfs tmpfs /dev && ln -s {o}/null /dev/null && '
                 'ln -s {s} /dev/log && exec "$@"').format(o=olddev, s=sock_path)
        prefix = ['unshare', '-m', 'sh', '-c', setup, 'sh']
        r = self.modprobe('-s', '--show-modversions', '/nonexistent/x.ko', prefix=prefix)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, '')
        msg = sock.recv(4096).decode()
        # facility daemon (3), priority crit (2): <26>
        self.assertRegex(msg, r'^<26>.*modprobe(\[\d+\])?: FATAL: Module /nonexistent/x.ko not found.')
        # Without -s, stderr as before.
        r = self.modprobe('--show-modversions', '/nonexistent/x.ko', prefix=prefix)
        self.assertEqual(r.stderr, 'modprobe: FATAL: Module /nonexistent/x.ko not found.\n')


if __name__ == '__main__':
    unittest.main()
