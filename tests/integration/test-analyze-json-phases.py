#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctld's own phases in `modctl --json analyze blame` and `critical-chain`, on the fake
kernel's virtual clock (see test-analyze.py): the same boot list, base <- dep <- chain, whose
set-up takes no virtual time and whose three inserts take 90 ms from @1.000s."""

import json

from modctl_test import ModctlTest


CLOCK = {'MODCTL_FAKE_VIRTUAL_CLOCK': '1'}

# Every phase but the device walk's two, which run on a thread: when the event loop hears of
# the walk's end (between which inserts) is not fixed, so those are checked by range.
SETUP = [
    {'phase': name, 'began_usec': 1000000, 'ended_usec': 1000000, 'busy_usec': 0, 'pieces': 1}
    for name in ('index', 'config', 'services', 'start', 'bus', 'boot-list', 'plan-boot')
]
INSERTS = {'began_usec': 1000000, 'ended_usec': 1090000, 'modules': 3}


class AnalyzeJsonPhasesTest(ModctlTest):
    def setUp(self):
        super().setUp()
        self.start_daemon_with_boot_list(['modctl_test_chain'], extra_env=CLOCK)

    def phases_of(self, *args):
        r = self.assert_ok(self.cli('--json=short', 'analyze', *args))
        out = json.loads(r.stdout)
        return out, [p for p in out['phases'] if not p['phase'].startswith('device-')], \
            [p for p in out['phases'] if p['phase'].startswith('device-')]

    def assert_walk(self, walk):
        self.assertEqual([p['phase'] for p in walk], ['device-walk', 'device-lookup'], walk)
        for p in walk:
            self.assertGreaterEqual(p['began_usec'], 1000000, p)
            self.assertLessEqual(p['began_usec'], p['ended_usec'], p)
            self.assertLessEqual(p['ended_usec'], 1090000, p)
            self.assertLessEqual(p['busy_usec'], p['ended_usec'] - p['began_usec'], p)

    def test_critical_chain_json_has_the_phases_and_the_inserts(self):
        out, setup, walk = self.phases_of('critical-chain')
        self.assertEqual(sorted(out), ['chain', 'inserts', 'phases'])
        self.assertEqual([c['module'] for c in out['chain']],
                         ['modctl_test_chain', 'modctl_test_dep', 'modctl_test_base'])
        self.assertEqual(setup, SETUP)
        self.assert_walk(walk)
        self.assertEqual(out['inserts'], INSERTS)

    def test_blame_json_has_the_same_phases(self):
        out, setup, walk = self.phases_of('blame')
        self.assertEqual(sorted(out), ['inserts', 'modules', 'phases'])
        self.assertEqual([m['module'] for m in out['modules']],
                         ['modctl_test_chain', 'modctl_test_base', 'modctl_test_dep'])
        self.assertEqual(setup, SETUP)
        self.assert_walk(walk)
        self.assertEqual(out['inserts'], INSERTS)
        # The same phases as critical-chain's, read from the same timeline.
        chain, _, _ = self.phases_of('critical-chain')
        self.assertEqual(out['phases'], chain['phases'])

    def test_the_all_window_has_no_phases_as_in_the_text(self):
        out, _, _ = self.phases_of('critical-chain', 'all')
        self.assertEqual(out['phases'], [])
        self.assertEqual(out['inserts'], INSERTS)


if __name__ == '__main__':
    import unittest
    unittest.main()
