#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Memory pressure with modctld-fake: the daemon watches a cgroup directory of our own making
(--memory-cgroup, the files cgroup v2 has: memory.current, memory.max, memory.high,
memory.stat). Within an eighth of the lower limit, less page cache, new loads and searches are
refused with org.modctl1.Error.MemoryShort, whose sentence says memory is short and names the
limit; the CLI exits 8 (try again later). Page cache and reclaimable slab count as free. When
memory is free again it serves, and its log says both. The real cgroup and a flood are tests/vm's
test-faults-memory.sh."""

import os
import unittest

from modctl_test import ModctlTest

MIB = 1024 * 1024


class MemoryShortTest(ModctlTest):
    fail_env = {}

    def setUp(self):
        self.tmp_cg = None
        super().setUp()

    def start_daemon(self, extra_env=None, wait_coldplug=True, **kwargs):
        if self.tmp_cg is None:
            self.tmp_cg = os.path.join(self.tmp, 'cgroup')
            os.makedirs(self.tmp_cg)
            self.cg(current=40 * MIB, max='max', high='max', file=0)
        kwargs['extra_args'] = list(kwargs.get('extra_args', ())) + ['--memory-cgroup', self.tmp_cg]
        return super().start_daemon(extra_env, wait_coldplug, **kwargs)

    def cg(self, current=None, max=None, high=None, file=None, slab=0):
        """Rewrites the files in place, as the kernel's stay the same files."""
        for name, v in (('memory.current', current), ('memory.max', max), ('memory.high', high)):
            if v is not None:
                with open(os.path.join(self.tmp_cg, name), 'w') as f:
                    f.write('%s\n' % v)
        if file is not None:
            with open(os.path.join(self.tmp_cg, 'memory.stat'), 'w') as f:
                f.write('anon %d\nfile %d\nkernel 0\nslab_reclaimable %d\n' % (1000, file, slab))

    def search(self):
        return self.send('Search', 'string:modctl')

    def test_refused_near_the_limit_served_when_free(self):
        self.assert_ok(self.search())
        # 40 of 44 MiB: within an eighth of memory.max.
        self.cg(max=44 * MIB)
        r = self.assert_error(self.search(), 'org.modctl1.Error.MemoryShort')
        self.assertIn('Memory is short', r.stderr)
        self.assertIn('memory.max', r.stderr)
        self.assertIn('search the modules', r.stderr)
        r = self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0'),
                              'org.modctl1.Error.MemoryShort')
        self.assertIn("load module 'modctl_test_base'", r.stderr)
        r = self.cli('load', 'modctl_test_base')
        self.assertEqual(r.returncode, 8, r.stderr)
        self.assertIn('Memory is short', r.stderr)
        self.assertEqual(self.loaded(), {})
        self.assertIn('Memory is short', self.daemon.output())

        # Page cache and reclaimable slab are not what kills: 20 MiB of either leaves room.
        self.cg(file=20 * MIB)
        self.assert_ok(self.search())
        self.assertIn('Memory is no longer short', self.daemon.output())
        self.cg(file=0)
        self.assert_error(self.search(), 'org.modctl1.Error.MemoryShort')
        self.cg(file=0, slab=20 * MIB)
        self.assert_ok(self.search())

        # memory.high counts the same, and the sentence names it.
        self.cg(file=0, max='max', high=42 * MIB)
        r = self.assert_error(self.search(), 'org.modctl1.Error.MemoryShort')
        self.assertIn('memory.high', r.stderr)

        # The limit goes: it serves again.
        self.cg(high='max')
        self.assert_ok(self.search())
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertIn('modctl_test_base', self.loaded())

    def test_far_from_the_limit_serves(self):
        # 40 of 64 MiB: well below seven eighths.
        self.cg(max=64 * MIB)
        self.assert_ok(self.search())
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        self.assertNotIn('Memory is short', self.daemon.output())


if __name__ == '__main__':
    unittest.main()
