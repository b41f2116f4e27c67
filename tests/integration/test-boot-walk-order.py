#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The coldplug's device walk off the boot's critical path (issue 21): modctld begins walking
/sys when its own start is done, while it waits for its bus name, instead of after the boot
list was read and planned; the coldplug batch takes the walk's result when autoload starts.
On the real monotonic clock (the phases' order is what is checked, not their lengths)."""

import json

from modctl_test import ModctlTest


class BootWalkOrderTest(ModctlTest):
    def phases(self):
        r = self.assert_ok(self.cli('--json=short', 'analyze', 'critical-chain'))
        return {p['phase']: p for p in json.loads(r.stdout)['phases']}

    def test_the_walk_begins_during_bus_and_its_devices_are_still_loaded(self):
        self.restart_with_autoload(conf='modctl_test_base\n', aliases=['modctl-test-alias'])
        p = self.phases()
        walk, bus = p['device-walk'], p['bus']
        # Under the old order the walk began after bus, boot-list and plan-boot had ended.
        self.assertGreaterEqual(walk['began_usec'], bus['began_usec'], p)
        self.assertLess(walk['began_usec'], bus['ended_usec'], p)
        self.assertLess(walk['began_usec'], p['boot-list']['began_usec'], p)
        self.assertLess(walk['began_usec'], p['plan-boot']['began_usec'], p)
        # Its result was kept for the coldplug batch: the alias's module is loaded.
        self.assertIn('modctl_test_dep', self.loaded(), 'coldplug loads what the early walk found')
        self.assertIn('modctl_test_base', self.loaded())


if __name__ == '__main__':
    import unittest
    unittest.main()
