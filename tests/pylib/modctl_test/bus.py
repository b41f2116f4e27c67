# SPDX-License-Identifier: LGPL-2.1-or-later
"""The private bus, and a dbus-monitor on it that tests wait on instead of sleeping."""

import os
import re
import select
import subprocess
import time

from .paths import BUS_CONF_IN, POLICY, TIMEOUT


class Bus:
    """A private bus; readiness is the address dbus-daemon prints once it listens."""

    def __init__(self, tmp):
        sock = os.path.join(tmp, 'bus.sock')
        conf = os.path.join(tmp, 'bus.conf')
        with open(BUS_CONF_IN) as f:
            text = f.read().replace('@SOCKET@', sock).replace('@POLICY@', POLICY)
        with open(conf, 'w') as f:
            f.write(text)
        self.proc = subprocess.Popen(['dbus-daemon', '--config-file', conf, '--nofork', '--print-address=1'],
                                     stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        if not ready:
            raise RuntimeError('dbus-daemon did not start')
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError('dbus-daemon printed no address')

    def stop(self):
        self.proc.terminate()
        self.proc.wait(TIMEOUT)


class BusMonitor:
    """dbus-monitor on the bus with the given match rules. The constructor returns once it is a
    monitor (the bus told it that it lost its own unique name), so nothing sent after that is
    missed. read_until(regex) waits for what it printed to match and returns all of it; it
    fails the test (AssertionError) after TIMEOUT or if dbus-monitor exits. Use it as a context
    manager or call close()."""

    def __init__(self, bus, *rules):
        self.proc = subprocess.Popen(['dbus-monitor', '--address', bus.address, '--monitor'] + list(rules),
                                     stdout=subprocess.PIPE)
        self.seen = ''
        try:
            self.read_until('member=NameLost')
        except BaseException:
            self.close()
            raise

    def read_until(self, regex):
        # Unbuffered reads: select() must see exactly what dbus-monitor has written.
        deadline = time.monotonic() + TIMEOUT
        while not re.search(regex, self.seen, re.S):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('dbus-monitor never showed %r; it showed:\n%s' % (regex, self.seen))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536).decode()
                if not chunk:
                    raise AssertionError('dbus-monitor exited; it showed:\n' + self.seen)
                self.seen += chunk
        return self.seen

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
