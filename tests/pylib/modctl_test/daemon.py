# SPDX-License-Identifier: LGPL-2.1-or-later
"""modctld-fake on the private bus, in a temporary root of its own."""

import os
import socket
import subprocess
import time

from . import paths
from .paths import MODPROBE_D, MODULES_DIR, TIMEOUT


class Daemon:
    """modctld-fake; readiness is READY=1 on a notify socket, sent once it owns the name."""

    def __init__(self, tmp, bus, extra_env=None, user=None, expect_ready=True, modules_dir=None, modprobe_d=None,
                 extra_args=()):
        self.notify_path = os.path.join(tmp, 'notify-%d.sock' % time.monotonic_ns())
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        os.chmod(self.notify_path, 0o777)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, **(extra_env or {}))
        self.log_path = os.path.join(tmp, 'modctld-%d.log' % time.monotonic_ns())
        self.log = open(self.log_path, 'w')
        self.config_root = os.path.join(tmp, 'root')
        os.makedirs(os.path.join(self.config_root, 'etc/modctl/modctld.conf.d'), exist_ok=True)
        # modprobe.d below the root (where the settings API writes) comes before the fixture's.
        modprobe_dirs = [os.path.join(self.config_root, d) for d in ('etc/modprobe.d', 'run/modprobe.d')]
        for d in modprobe_dirs:
            os.makedirs(d, exist_ok=True)
        # The kernel hook's socket, in a directory any test user may create it in.
        self.hook_dir = os.path.join(tmp, 'run-modctl')
        os.makedirs(self.hook_dir, exist_ok=True)
        os.chmod(self.hook_dir, 0o777)
        self.hook_socket = os.path.join(self.hook_dir, 'request.sock')
        # Coldplug reads this tree instead of the build host's /sys (and so watches no uevents).
        self.sysfs = os.path.join(tmp, 'sys')
        os.makedirs(os.path.join(self.sysfs, 'devices'), exist_ok=True)
        # paths.MODCTLD, read now: a test may point it elsewhere.
        cmd = (user or []) + [paths.MODCTLD, '--bus-address', bus.address,
                              '--modules-dir', modules_dir or MODULES_DIR,
                              '--config-root', self.config_root, '--hook-socket', self.hook_socket,
                              '--sysfs', self.sysfs,
                              '--modprobe-config', modprobe_dirs[0], '--modprobe-config', modprobe_dirs[1],
                              '--modprobe-config', modprobe_d or MODPROBE_D,
                              '--kernel-cmdline', 'quiet modctl_test_base.value=7 modctl-test-chain.count=3',
                              '--log-level', 'debug'] + list(extra_args)
        self.proc = subprocess.Popen(cmd, env=env, stderr=self.log, stdout=self.log)
        if expect_ready:
            self.wait_ready()

    def wait_ready(self):
        self.notify.settimeout(TIMEOUT)
        while True:
            data = self.notify.recv(4096).decode()
            if 'READY=1' in data.split('\n'):
                return

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(TIMEOUT)
        self.notify.close()
        self.log.close()
        return rc

    def output(self):
        with open(self.log_path) as f:
            return f.read()
