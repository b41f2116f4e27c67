#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctl analyze against modctld-fake on the fake kernel's virtual clock (it starts at 1 s and
moves only when a module is inserted, by 10 to 70 ms per module, the same every run), so that
blame, critical-chain and plot can be compared exactly: a boot list of one chain of three
modules, base <- dep <- chain, inserted one after the other."""

import json
import os
import re
import xml.etree.ElementTree as ET

from modctl_test import ModctlTest


CLOCK = {'MODCTL_FAKE_VIRTUAL_CLOCK': '1'}


class AnalyzeTest(ModctlTest):
    def setUp(self):
        super().setUp()
        self.start_daemon_with_boot_list(['modctl_test_chain'], extra_env=CLOCK)

    def test_blame_orders_modules_by_insert_time(self):
        r = self.assert_ok(self.cli('analyze', 'blame'))
        self.assertEqual(r.stdout, '      40ms modctl_test_chain\n'
                                   '      30ms modctl_test_base\n'
                                   '      20ms modctl_test_dep\n')

    def test_blame_json(self):
        r = self.assert_ok(self.cli('--json=short', 'analyze', 'blame'))
        self.assertEqual(json.loads(r.stdout)['modules'], [
            {'module': 'modctl_test_chain', 'origin': 'boot', 'insert_usec': 40000, 'errno': 0},
            {'module': 'modctl_test_base', 'origin': 'boot', 'insert_usec': 30000, 'errno': 0},
            {'module': 'modctl_test_dep', 'origin': 'boot', 'insert_usec': 20000, 'errno': 0},
        ])

    def test_critical_chain_names_every_wait(self):
        r = self.assert_ok(self.cli('analyze', 'critical-chain'))
        self.assertEqual(r.stdout.splitlines()[0],
                         "The 'boot' window began @1.000s; its last module went live 90ms later.")
        chain, phases = r.stdout.split('\n\n')[1:]
        self.assertEqual(chain,
                         'modctl_test_chain @1.090s +40ms\n'
                         '└─modctl_test_dep @1.050s +20ms\n'
                         '  └─modctl_test_base @1.030s +30ms (queued @1.000s, boot)')
        # modctld's own phases: on the virtual clock the set-up takes no time, then the inserts
        # take 90 ms. The device walk runs on a thread: when the event loop hears of its end
        # (between which inserts) is not fixed, so those two lines are matched, not compared.
        lines = phases.splitlines()
        self.assertEqual(lines[:2], ['modctld\'s own work ("@" when a phase began, "+" how long it took; a phase done in',
                                     'pieces between other work gives their number and the time they took together):'])
        walk = [l for l in lines if l.startswith('  device-')]
        self.assertEqual([l for l in lines[2:] if l not in walk],
                         ['  index          @1.000s +0ms',
                          '  config         @1.000s +0ms',
                          '  services       @1.000s +0ms',
                          '  start          @1.000s +0ms',
                          '  bus            @1.000s +0ms',
                          '  boot-list      @1.000s +0ms',
                          '  plan-boot      @1.000s +0ms',
                          '  inserts        @1.000s +90ms (3 modules)'])
        self.assertEqual(len(walk), 2, phases)
        self.assertRegex(walk[0], r'^  device-walk    @1\.000s \+(0|30|50|90)ms$')
        self.assertRegex(walk[1], r'^  device-lookup  @1\.0[0-9]0s \+0ms$')

    def test_critical_chain_json(self):
        r = self.assert_ok(self.cli('--json=short', 'analyze', 'critical-chain'))
        chain = json.loads(r.stdout)['chain']
        self.assertEqual([(c['module'], c['started_usec'], c['inserted_usec'], c['live_usec'], c['waited_usec'])
                          for c in chain],
                         [('modctl_test_chain', 1050000, 1090000, 1090000, 0),
                          ('modctl_test_dep', 1030000, 1050000, 1050000, 0),
                          ('modctl_test_base', 1000000, 1030000, 1030000, 0)])
        self.assertEqual({c['queued_usec'] for c in chain}, {1000000})

    def test_a_later_load_is_in_all_but_not_in_boot(self):
        self.assert_ok(self.cli('load', 'modctl_test_soft'))
        r = self.assert_ok(self.cli('analyze', 'blame', 'all'))
        self.assertIn(' modctl_test_soft\n', r.stdout)
        r = self.assert_ok(self.cli('analyze', 'blame'))
        self.assertNotIn('modctl_test_soft', r.stdout)

    def test_plot_is_svg_with_a_bar_per_module_and_the_dependencies(self):
        r = self.assert_ok(self.cli('analyze', 'plot'))
        svg = ET.fromstring(r.stdout)
        ns = '{http://www.w3.org/2000/svg}'
        self.assertEqual(svg.tag, ns + 'svg')
        titles = [t.text for t in svg.iter(ns + 'title')]
        # modctld's phases first, one row each, in the order they began; then one per module.
        phases = [t.split(' ')[1].rstrip(':') for t in titles if t.startswith('modctld ')]
        self.assertEqual([p for p in phases if not p.startswith('device-')],
                         ['index', 'config', 'services', 'start', 'bus', 'boot-list', 'plan-boot'])
        self.assertEqual(sorted(p for p in phases if p.startswith('device-')), ['device-lookup', 'device-walk'])
        titles = [t for t in titles if not t.startswith('modctld ')]
        self.assertEqual([t.split(' ')[0] for t in titles], ['modctl_test_base', 'modctl_test_dep', 'modctl_test_chain'])
        self.assertIn('insert 30.0 ms', titles[0])
        dashed = [l for l in svg.iter(ns + 'line') if l.get('stroke-dasharray')]
        # dep after base; chain after dep and base (modules.dep lists both).
        self.assertEqual(len(dashed), 3, r.stdout)

    def test_plot_renders_in_a_browser(self):
        """Debian's headless chromium draws the SVG: a picture of the plot's own size, not a
        blank page (a parse error would render the error text, or nothing)."""
        import shutil
        import struct
        import subprocess
        chromium = shutil.which('chromium')
        self.assertIsNotNone(chromium, 'chromium is missing (scripts/install-deps)')
        r = self.assert_ok(self.cli('analyze', 'plot'))
        svg = os.path.join(self.tmp, 'plot.svg')
        png = os.path.join(self.tmp, 'plot.png')
        with open(svg, 'w') as f:
            f.write(r.stdout)
        root = ET.fromstring(r.stdout)
        width, height = int(float(root.get('width'))), int(root.get('height'))
        subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                        '--disable-background-networking', '--disable-component-update', '--disable-sync',
                        '--user-data-dir=' + os.path.join(self.tmp, 'chromium'),
                        '--window-size=%d,%d' % (width, height), '--screenshot=' + png, 'file://' + svg],
                       check=True, capture_output=True, timeout=120)
        with open(png, 'rb') as f:
            data = f.read()
        self.assertEqual(data[:8], b'\x89PNG\r\n\x1a\n')
        self.assertEqual(struct.unpack('>II', data[16:24]), (width, height))
        # Bars, labels and axis: a blank white page compresses to well under 5 KiB.
        self.assertGreater(len(data), 8 * 1024)
        # The README's figure: MODCTL_ANALYZE_PLOT_PNG=FILE keeps this picture there.
        if os.environ.get('MODCTL_ANALYZE_PLOT_PNG'):
            shutil.copyfile(png, os.environ['MODCTL_ANALYZE_PLOT_PNG'])

    def test_bad_arguments_are_refused(self):
        r = self.cli('analyze', 'guess')
        self.assertEqual(r.returncode, 1)
        self.assertIn("Unknown analysis 'guess'", r.stderr)
        r = self.cli('analyze', 'blame', 'nosuchbatch')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No 'nosuchbatch' batch has run", r.stderr)
        r = self.cli('--json', 'analyze', 'plot')
        self.assertNotEqual(r.returncode, 0)

    def test_get_timeline_is_open_to_everyone(self):
        from modctl_test import NOBODY
        r = self.assert_ok(self.call('GetTimeline', '', user=NOBODY))
        self.assertIn('"modctl_test_chain" "boot"', r.stdout)


if __name__ == '__main__':
    import unittest
    unittest.main()
