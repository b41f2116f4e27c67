# SPDX-License-Identifier: LGPL-2.1-or-later
"""ModctlTest: the TestCase every daemon test subclasses. setUp starts a private bus and
modctld-fake in a fresh temporary directory; tearDown stops both and fails the test if
modctld did not exit cleanly or a sanitizer spoke. The rest are helpers; there are no test_*
methods here, so a subclass runs only its own."""

import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from .bus import Bus, BusMonitor
from .daemon import Daemon
from .paths import CONTRACT, MODCTL, MODCTL_REQUEST, MODULE_PATH, POLKIT, TIMEOUT


class ModctlTest(unittest.TestCase):
    fail_env = {'MODCTL_FAKE_KERNEL_FAIL': 'modctl_test_fail:19,modctl_test_chain:22'}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='modctl-it-')
        os.chmod(self.tmp, 0o755)
        self.bus = Bus(self.tmp)
        self.daemon = self.start_daemon()

    def tearDown(self):
        """A test that stopped the daemon for good sets self.daemon to None."""
        if self.daemon is None:
            self.bus.stop()
            return
        rc = self.daemon.stop()
        out = self.daemon.output()
        self.bus.stop()
        self.assertEqual(rc, 0, 'modctld did not exit cleanly:\n' + out)
        self.assertNotIn('Sanitizer', out, out)

    def start_daemon(self, extra_env=None, wait_coldplug=True, **kwargs):
        """A Daemon on this test's bus and directory (extra_env defaults to fail_env; kwargs
        go to Daemon). It returns once the daemon has settled: READY=1, and then its
        AutoloadFinished("coldplug") on the bus, and the boot list's end (WaitBootList). Coldplug does not hold back READY=1, so without
        the second wait a test that watches signals (modctl monitor, dbus-monitor) or counts
        operations could see that batch end in its middle. wait_coldplug=False (or a daemon
        with --no-autoload, or expect_ready=False) waits for READY=1 at most."""
        env = self.fail_env if extra_env is None else extra_env
        if (not wait_coldplug or not kwargs.get('expect_ready', True)
                or '--no-autoload' in kwargs.get('extra_args', ())):
            return Daemon(self.tmp, self.bus, env, **kwargs)
        with BusMonitor(self.bus, "type='signal',interface='org.modctl1.Manager',member='AutoloadFinished'") as mon:
            daemon = Daemon(self.tmp, self.bus, env, **kwargs)
            try:
                mon.read_until(r'member=AutoloadFinished\n\s+string "coldplug"')
            except AssertionError as e:
                daemon.stop()
                raise AssertionError('%s\nmodctld said:\n%s' % (e, daemon.output())) from None
        # READY=1 and coldplug's end no longer wait for the boot list: its end is WaitBootList.
        r = self.busctl('call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', 'WaitBootList')
        if r.returncode != 0:
            daemon.stop()
            raise AssertionError('WaitBootList failed: %s\nmodctld said:\n%s' % (r.stderr, daemon.output()))
        return daemon

    def start_daemon_with_boot_list(self, names, extra_env=None):
        """Stops this test's daemon and starts one whose /etc/modules-load.d lists names."""
        self.assertEqual(self.daemon.stop(), 0)
        d = os.path.join(self.daemon.config_root, 'etc/modules-load.d')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'test.conf'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
        self.daemon = self.start_daemon(extra_env=extra_env)

    # --- callers ---

    def cli(self, *args, user=None):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='')
        return subprocess.run((user or []) + [MODCTL] + list(args), env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)

    def busctl(self, *args, user=None):
        return subprocess.run((user or []) + ['busctl', '--address=' + self.bus.address] + list(args),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def call(self, method, signature, *args, user=None):
        """A raw method call with busctl; its output is busctl's reply format."""
        return self.busctl('call', 'org.modctl1', '/org/modctl1', 'org.modctl1.Manager', method, signature,
                           *[str(a) for a in args], user=user)

    def send(self, method, *args, user=None):
        """A raw method call with dbus-send, which prints the D-Bus error name on failure.
        args are dbus-send typed values such as 'string:snd' or 'uint64:0'."""
        return subprocess.run((user or []) + ['dbus-send', '--bus=' + self.bus.address, '--print-reply',
                                              '--dest=org.modctl1', '/org/modctl1',
                                              'org.modctl1.Manager.' + method] + list(args),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def helper(self, name, user=None, socket_path=None, argv=None):
        """The kernel hook's helper (its test build), as the kernel runs it: -q -- NAME."""
        env = dict(os.environ, MODCTL_REQUEST_SOCKET=socket_path or self.daemon.hook_socket,
                   MODCTL_REQUEST_CONFIG_ROOT=self.daemon.config_root)
        return subprocess.run((user or []) + [MODCTL_REQUEST] + (argv if argv is not None else ['-q', '--', name]),
                              env=env, capture_output=True, text=True, timeout=TIMEOUT)

    def monitor(self, *rules):
        """dbus-monitor on the bus, stopped at cleanup; returns (process, read_until(regex) ->
        text seen so far)."""
        mon = BusMonitor(self.bus, *rules)
        self.addCleanup(mon.close)
        return mon.proc, mon.read_until

    # --- polkit (python-dbusmock) ---

    def start_polkit(self):
        """python-dbusmock's polkitd on our bus; it denies everything until told otherwise."""
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        log = open(os.path.join(self.tmp, 'polkitd.log'), 'w')
        proc = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template', 'polkitd'],
                                env=env, stdout=log, stderr=log)

        def stop():
            proc.terminate()
            proc.wait(TIMEOUT)
            log.close()
        self.addCleanup(stop)
        # gdbus wait watches NameOwnerChanged: no polling.
        subprocess.run(['gdbus', 'wait', '--address', self.bus.address, '--timeout', str(TIMEOUT), POLKIT[0]],
                       check=True, timeout=TIMEOUT + 5)

    def polkit(self, method, signature='', *args):
        return self.assert_ok(self.busctl('call', *POLKIT, 'org.freedesktop.DBus.Mock', method, signature,
                                          *[str(a) for a in args]))

    # --- what the daemon shows ---

    def module_properties(self, name, user=None):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', MODULE_PATH + name.replace('_', '_5f'),
                                       'org.freedesktop.DBus.Properties', 'GetAll', 's', 'org.modctl1.Module',
                                       user=user))
        return {k: v['data'] for k, v in json.loads(r.stdout)['data'][0].items()}

    def managed_modules(self):
        r = self.assert_ok(self.busctl('--json=short', 'call', 'org.modctl1', '/org/modctl1',
                                       'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects'))
        return json.loads(r.stdout)['data'][0]

    def statistics(self):
        r = self.assert_ok(self.cli('status', '--json'))
        return json.loads(r.stdout)['statistics']

    def loaded(self):
        r = self.cli('list', '--json')
        self.assertEqual(r.returncode, 0, r.stderr)
        return {m['name']: m for m in json.loads(r.stdout)}

    def check_contract(self, interface, path):
        """The live daemon's introspection of interface at path equals dbus/org.modctl1.xml's."""
        r = self.assert_ok(self.busctl('introspect', '--xml-interface', 'org.modctl1', path))

        def members(root):
            out = set()
            for iface in root.iter('interface'):
                if iface.get('name') != interface:
                    continue
                for m in iface:
                    if m.tag == 'annotation':
                        continue
                    args = tuple((a.get('type'), a.get('direction', 'out' if m.tag == 'method' else None))
                                 for a in m.iter('arg'))
                    out.add((m.tag, m.get('name'), m.get('type'), m.get('access'), args))
            return out

        live = members(ET.fromstring(r.stdout))
        contract = members(ET.parse(CONTRACT).getroot())
        self.assertTrue(contract, interface)
        self.assertEqual(live, contract, interface)

    # --- assertions ---

    def assert_ok(self, r):
        self.assertEqual(r.returncode, 0, 'stdout: %s\nstderr: %s' % (r.stdout, r.stderr))
        return r

    def assert_error(self, r, name):
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(name, r.stderr)
        return r

    # --- configuration and restarts ---

    # --- files under the daemon's configuration root (etc/, run/ as it sees them) ---

    def path(self, rel):
        return os.path.join(self.daemon.config_root, rel)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def write(self, rel, text):
        os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
        with open(self.path(rel), 'w') as f:
            f.write(text)

    def write_config(self, text):
        with open(os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write(text)

    def restart_with_autoload(self, conf=None, aliases=()):
        """Restarts the daemon, with conf as a modules-load.d file and a fake sysfs device per
        alias; returns once its coldplug batch has finished (start_daemon)."""
        self.assertEqual(self.daemon.stop(), 0)
        if conf is not None:
            d = os.path.join(self.daemon.config_root, 'etc/modules-load.d')
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, 'test.conf'), 'w') as f:
                f.write(conf)
        for i, alias in enumerate(aliases):
            dev = os.path.join(self.tmp, 'sys/devices/pci0000:00/0000:00:%02x.0' % (i + 3))
            os.makedirs(dev, exist_ok=True)
            with open(os.path.join(dev, 'modalias'), 'w') as f:
                f.write(alias + '\n')
        self.daemon = self.start_daemon()
