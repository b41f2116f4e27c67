#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 25: a module init that never returns, and modctld killed in the middle of a plan, on
the fake kernel (MODCTL_FAKE_HOLD holds a module's inserts, as an init that does not return;
the fake writes the module's name to a fifo when such an insert starts to wait, the event the
tests wait on). The VM test tests/vm/test-faults-plan.sh does the same on Debian's kernel.

- While the init is stuck, kernel requests and other loads go on, and `modctl status` shows
  the init running, who asked and for how long; SIGTERM does not wait for it, and the log
  names the load left behind.
- Each load's plan is recorded under /run/modctl/plans while it runs and forgotten when it
  ends; after a kill -9 mid-plan, the next start reports the load as cut short."""

import json
import os
import signal
import subprocess
import unittest

from modctl_test import MODCTL, TIMEOUT, ModctlTest


class StuckInitTest(ModctlTest):
    def restart_holding(self, module):
        self.daemon.stop()
        self.fifo = os.path.join(self.tmp, 'held.fifo')
        os.mkfifo(self.fifo)
        env = dict(self.fail_env, MODCTL_FAKE_HOLD=module, MODCTL_FAKE_HOLD_NOTIFY=self.fifo)
        # A stop that abandons a worker stuck in an init keeps, on purpose, the kernel port the
        # worker returns into, and with it the event loop and the bus the port's sources hold:
        # under the sanitizers LeakSanitizer would count that as leaked and fail the exit.
        # Memory errors are still caught.
        asan = os.environ.get('ASAN_OPTIONS', '')
        env['ASAN_OPTIONS'] = ':'.join([o for o in asan.split(':') if o and not o.startswith('detect_leaks=')] +
                                       ['detect_leaks=0'])
        self.daemon = self.start_daemon(env)

    def load_until_held(self, name, module):
        """Starts `modctl load name` and returns once the insert of module waits."""
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='')
        loader = subprocess.Popen([MODCTL, 'load', name], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        with open(self.fifo) as f:
            self.assertEqual(f.readline().strip(), module, self.daemon.output())
        return loader

    def plans_dir(self):
        return os.path.join(self.daemon.config_root, 'run/modctl/plans')

    def test_a_stuck_init_is_shown_others_go_on_and_stop_does_not_hang(self):
        self.restart_holding('modctl_test_hang')
        loader = self.load_until_held('modctl_test_hang', 'modctl_test_hang')

        # A kernel request and another load go on.
        r = self.helper('modctl_test_base')
        self.assertEqual(r.returncode, 0, r.stderr + self.daemon.output())
        self.assert_ok(self.cli('load', 'modctl_test_soft'))

        r = self.cli('status')
        self.assert_ok(r)
        self.assertRegex(r.stdout, r'modctl_test_hang: +init running for \d+ s \(origin user\)')
        r = self.cli('status', '--json')
        self.assert_ok(r)
        inserting = json.loads(r.stdout)['inserting']
        self.assertEqual([(i['name'], i['origin'], i['timed_out']) for i in inserting],
                         [('modctl_test_hang', 'user', False)])
        self.assertGreater(inserting[0]['running_usec'], 0)
        # While it runs, its plan is on record.
        self.assertEqual(len(os.listdir(self.plans_dir())), 1)

        # SIGTERM: modctld exits without the init, and says which load it left.
        self.daemon.proc.send_signal(signal.SIGTERM)
        rc = self.daemon.proc.wait(TIMEOUT)
        out = self.daemon.output()
        self.assertEqual(rc, 0, out)
        self.assertIn("Stopping while module 'modctl_test_hang' is still in its init", out)
        self.assertIn("the load of 'modctl_test_hang'", out)
        self.assertNotEqual(loader.wait(TIMEOUT), 0)
        loader.communicate()
        self.daemon.notify.close()
        self.daemon.log.close()
        self.daemon = None

    def test_a_kill_mid_plan_is_reported_after_the_restart(self):
        # A load that ends leaves no record behind.
        self.assert_ok(self.cli('load', 'modctl_test_soft'))
        self.assertEqual(os.listdir(self.plans_dir()), [], self.daemon.output())

        # modctl_test_chain's plan: base, then dep (held), then chain.
        self.restart_holding('modctl_test_dep')
        loader = self.load_until_held('modctl_test_chain', 'modctl_test_dep')
        self.daemon.proc.send_signal(signal.SIGKILL)
        self.daemon.proc.wait(TIMEOUT)
        self.assertNotEqual(loader.wait(TIMEOUT), 0)
        loader.communicate()
        self.daemon.notify.close()
        self.daemon.log.close()

        self.daemon = self.start_daemon()
        out = self.daemon.output()
        self.assertIn("The load of 'modctl_test_chain' (origin user) was cut short: an earlier modctld stopped "
                      "in the middle of its plan.", out)
        # The fake kernel does not outlive its process: nothing of the plan is loaded now.
        self.assertIn('not loaded: modctl_test_base, modctl_test_dep, modctl_test_chain.', out)
        # Reported once: the record is gone.
        self.assertEqual(os.listdir(self.plans_dir()), [])


if __name__ == '__main__':
    unittest.main()
