#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctl wait boot (WaitBootList), what modctld-boot-list.service runs: READY=1 no longer waits
for the boot list, so this is the boot list's end. On the fake kernel's virtual clock (it moves
only when a module is inserted) the answer is the boot batch's end exactly: a boot list of one
chain of three modules, base <- dep <- chain, that goes live at 1.090 s."""


from modctl_test import ModctlTest


CLOCK = {'MODCTL_FAKE_VIRTUAL_CLOCK': '1'}


class WaitBootTest(ModctlTest):
    def setUp(self):
        super().setUp()
        self.start_daemon_with_boot_list(['modctl_test_chain'], extra_env=CLOCK)

    def test_wait_boot_answers_with_the_boot_batch_end(self):
        r = self.assert_ok(self.cli('wait', 'boot'))
        self.assertEqual(r.stdout, 'Boot list loaded @1.090000s.\n')
        # The same point as the timeline's boot batch (GetTimeline), not "now": a later load
        # moves the virtual clock, the answer stays.
        self.assert_ok(self.cli('load', 'modctl_test_soft'))
        r = self.assert_ok(self.cli('--quiet', 'wait', 'boot'))
        self.assertEqual(r.stdout, '')
        r = self.busctl('call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', 'WaitBootList')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 't 1090000')

    def test_only_the_boot_list_can_be_waited_for(self):
        r = self.cli('wait', 'coldplug')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Cannot wait for 'coldplug'", r.stderr)


if __name__ == '__main__':
    import unittest
    unittest.main()
