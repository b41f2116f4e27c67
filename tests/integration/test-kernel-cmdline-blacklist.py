#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The kernel command line's blacklists with modctld-fake (issue 24), the fake kernel playing a
kernel booted with them (MODCTL_FAKE_KERNEL_CMDLINE; it refuses module_blacklist= names with
EPERM as the kernel does):
- module_blacklist= (the kernel's): modctld refuses the module itself, as a target and as a
  dependency, under every Mode=, with PolicyDenied naming the parameter, before the kernel is
  asked; `modctl info` says why (refused:). Entries are compared as written, like the kernel.
- modprobe.blacklist= (kmod's): a modprobe.d "blacklist" line: the module's aliases no longer
  load it, its own name still does, and the module settings say it is blacklisted by the
  kernel command line.

Run one test with: test-kernel-cmdline-blacklist.py KernelBlacklistTest.test_name."""

import json
import unittest

from modctl_test import ModctlTest


class CmdlineTest(ModctlTest):
    fail_env = {}
    cmdline = ''

    def start_daemon(self, extra_env=None, **kwargs):
        env = dict(self.fail_env if extra_env is None else extra_env, MODCTL_FAKE_KERNEL_CMDLINE=self.cmdline)
        # The same line for what modctld reads through libkmod and the settings (its override).
        kwargs['extra_args'] = tuple(kwargs.get('extra_args', ())) + ('--kernel-cmdline', self.cmdline)
        return super().start_daemon(extra_env=env, **kwargs)


class KernelBlacklistTest(CmdlineTest):
    # snd-like dashes: the kernel compares module_blacklist= entries byte for byte.
    cmdline = 'quiet module_blacklist=modctl_test_base,modctl-test-proprietary'

    def test_target_refused_before_the_kernel(self):
        r = self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('org.modctl1.Error.PolicyDenied', r.stderr)
        self.assertIn("Module 'modctl_test_base' is blacklisted by module_blacklist= on the kernel command line",
                      r.stderr)
        self.assertEqual(self.loaded(), {})

        r = self.cli('load', 'modctl_test_base')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('module_blacklist=', r.stderr)

    def test_dependency_refused(self):
        r = self.send('Load', 'string:modctl_test_dep', 'string:', 'uint64:0')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('org.modctl1.Error.PolicyDenied', r.stderr)
        self.assertIn("'modctl_test_base' is blacklisted by module_blacklist=", r.stderr)
        self.assertEqual(self.loaded(), {})

    def test_every_mode(self):
        for mode in ('warn', 'off'):
            self.write_config('[Policy]\nMode=%s\n' % mode)
            self.assert_ok(self.cli('reload'))
            r = self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0')
            self.assertIn('org.modctl1.Error.PolicyDenied', r.stderr, mode)
            self.assertEqual(self.loaded(), {})

    def test_info_says_why(self):
        r = self.assert_ok(self.cli('info', '--json', 'modctl_test_base'))
        refused = json.loads(r.stdout)['refused']
        self.assertEqual(refused, ["Module 'modctl_test_base' is blacklisted by module_blacklist= on the kernel "
                                   "command line; the kernel refuses to load it."])
        r = self.assert_ok(self.cli('info', 'modctl_test_base'))
        self.assertRegex(r.stdout, r'(?m)^refused: +Module .modctl_test_base. is blacklisted by module_blacklist=')
        r = self.assert_ok(self.cli('info', '--json', 'modctl_test_dep'))
        self.assertNotIn('refused', json.loads(r.stdout))

    def test_entries_compared_as_written(self):
        # "modctl-test-proprietary" is not the kernel's name modctl_test_proprietary: the
        # kernel loads it.
        self.assert_ok(self.cli('load', 'modctl_test_proprietary'))
        self.assertIn('modctl_test_proprietary', self.loaded())


class ModprobeBlacklistTest(CmdlineTest):
    cmdline = 'quiet modprobe.blacklist=modctl-test-dep'

    def test_alias_hidden_name_loads(self):
        # Only blacklisted matches: like modprobe, nothing is loaded and that is a success.
        r = self.assert_ok(self.call('Load', 'sst', 'modctl-test-alias', '', '0'))
        self.assertEqual(r.stdout.strip(), 'as 0')
        self.assertEqual(self.loaded(), {})
        r = self.assert_ok(self.cli('load', '-n', 'modctl-test-alias'))
        self.assertIn('blacklisted modctl_test_dep', r.stdout)

        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        self.assertIn('modctl_test_dep', self.loaded())

    def test_settings_say_blacklisted_by_the_command_line(self):
        r = self.assert_ok(self.call('GetModuleSettings', 's', 'modctl_test_dep'))
        self.assertRegex(r.stdout, r'^bbbsa\(sssb\) false true false ')
        self.assertIn('"kernel command line"', r.stdout)


if __name__ == '__main__':
    unittest.main()
