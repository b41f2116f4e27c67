#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctl search (issue 23): every match by default, fetched from SearchPage a page at a time;
--offset and --limit pick a window; --json carries the list view's fields. Against
modctld-fake on a private bus.

Run one test with: test-search-cli.py SearchCliTest.test_name."""

import json
import os
import subprocess
import unittest

from modctl_test import MODCTL, TIMEOUT, ModctlTest


class SearchCliTest(ModctlTest):
    def search_names(self, text):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1',
                                       'org.modctl1.Manager', 'Search', 's', text))
        return [e[0] for e in json.loads(r.stdout)['data'][0]]

    def cli_json(self, *args, page_size=None):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='')
        if page_size:
            env['MODCTL_SEARCH_PAGE_SIZE'] = str(page_size)
        r = subprocess.run([MODCTL, '--json=short', 'search'] + list(args), env=env, capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_all_matches_by_default_in_pages(self):
        every = self.search_names('')
        self.assertGreater(len(every), 5)
        self.assertEqual([e['name'] for e in self.cli_json()], every)
        # Pages of 2 (and of 1) join up to the same list: nothing lost at a page's edge.
        self.assertEqual([e['name'] for e in self.cli_json(page_size=2)], every)
        self.assertEqual([e['name'] for e in self.cli_json('modctl', page_size=1)], self.search_names('modctl'))

    def test_offset_and_limit_pick_a_window(self):
        every = self.search_names('')
        self.assertEqual([e['name'] for e in self.cli_json('--offset=2', '--limit=3')], every[2:5])
        self.assertEqual([e['name'] for e in self.cli_json('--offset', '1', '--limit', '4', page_size=2)],
                         every[1:5])
        self.assertEqual([e['name'] for e in self.cli_json('--offset=3')], every[3:])
        self.assertEqual(self.cli_json('--limit=0'), [])
        # Past the end: an empty list, not "no module matches".
        r = self.assert_ok(self.cli('search', '--offset=100000'))
        self.assertEqual(r.stdout, '')
        r = self.assert_ok(self.cli('search', '--limit=1', 'dependency'))
        self.assertEqual(len(r.stdout.strip().splitlines()), 2, r.stdout)  # the header and one row

    def test_rows_are_the_list_view(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        rows = self.cli_json('modctl-test-base')
        self.assertEqual(rows, [{'name': 'modctl_test_base', 'description': rows[0]['description'],
                                 'loaded': True, 'boot': False, 'blacklisted': False, 'disabled': False}])
        r = self.assert_ok(self.cli('search', 'modctl_test_base'))
        self.assertRegex(r.stdout, r'modctl_test_base\s+loaded\s')

    def test_bad_counts_and_other_verbs(self):
        for bad in ('--limit=x', '--offset=-1', '--limit=4294967295', '--offset='):
            r = self.cli('search', bad)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
            self.assertIn('invalid count', r.stderr)
        r = self.cli('list', '--limit=3')
        self.assertEqual(r.returncode, 2)
        self.assertIn("option '--limit' is not valid for 'list'", r.stderr)
        r = self.cli('search', 'nothing-matches-this')
        self.assertEqual(r.returncode, 1)
        self.assertIn("No module matches 'nothing-matches-this'", r.stderr)


if __name__ == '__main__':
    unittest.main()
