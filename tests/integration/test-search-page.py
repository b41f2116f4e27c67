#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""SearchPage (issue 23): one page of Search's matches, in Search's order, each row only what a
list view needs, with the total; the edges (offset past the end, limit 0, a limit larger than
the catalog) are pages, not errors. Against modctld-fake on a private bus.

Run one test with: test-search-page.py SearchPageTest.test_name."""

import json
import unittest

from modctl_test import NOBODY, ModctlTest

UINT32_MAX = 2**32 - 1


class SearchPageTest(ModctlTest):
    def json_call(self, method, signature, *args, user=None):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1',
                                       'org.modctl1.Manager', method, signature, *[str(a) for a in args],
                                       user=user))
        return json.loads(r.stdout)['data']

    def search_names(self, text):
        return [e[0] for e in self.json_call('Search', 's', text)[0]]

    def page(self, text, offset, limit, user=None):
        total, rows = self.json_call('SearchPage', 'suu', text, offset, limit, user=user)
        return [total, rows]

    def test_pages_join_up_to_search(self):
        every = self.search_names('')
        self.assertGreater(len(every), 5)
        names = []
        for offset in range(0, len(every), 3):
            total, rows = self.page('', offset, 3)
            self.assertEqual(total, len(every))
            self.assertLessEqual(len(rows), 3)
            names += [r[0] for r in rows]
        self.assertEqual(names, every)

    def test_rows_carry_what_a_list_shows(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        total, rows = self.page('hard dep', 0, 10)
        self.assertEqual(total, 1)
        self.assertEqual(rows, [['modctl_test_dep', 'modctl test module: hard dependency on modctl_test_base',
                                 False, False, False, False]])
        total, rows = self.page('modctl-test-base', 0, 10)
        self.assertEqual([r[0] for r in rows], ['modctl_test_base'])
        self.assertTrue(rows[0][2])  # loaded

    def test_edges(self):
        every = self.search_names('modctl_test')
        n = len(every)
        # Past the end, and at it: empty, with the total.
        self.assertEqual(self.page('modctl_test', n, 10), [n, []])
        self.assertEqual(self.page('modctl_test', UINT32_MAX, UINT32_MAX), [n, []])
        # A limit of 0 counts only.
        self.assertEqual(self.page('modctl_test', 0, 0), [n, []])
        # A limit larger than the catalog: the rest from offset.
        total, rows = self.page('modctl_test', 1, UINT32_MAX)
        self.assertEqual(total, n)
        self.assertEqual([r[0] for r in rows], every[1:])
        # Nothing matches.
        self.assertEqual(self.page('no such module at all', 0, 10), [0, []])

    def test_open_to_everyone(self):
        every = self.search_names('modctl_test_base')
        total, rows = self.page('modctl_test_base', 0, 1, user=NOBODY)
        self.assertEqual(total, len(every))
        self.assertEqual([r[0] for r in rows], every[:1])

    def test_text_too_long(self):
        r = self.busctl('call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', 'SearchPage', 'suu',
                        'x' * 257, '0', '10')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Search text too long', r.stderr)


if __name__ == '__main__':
    unittest.main()
