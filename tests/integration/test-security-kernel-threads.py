#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 19, finding 4, against modctld-fake: KernelRequests=privileged judges a kernel
thread's request by the task that caused it. The fake ownership backend runs the BPF program's rule (daemon/kernel/bpf/ownership-cause.h) on
requests made through MODCTL_FAKE_OWNERSHIP_REQUESTS, with the connecting process as the
kernel's current task: uid 65534 makes the requests that an AF_ALG bind to "pcrypt(aes)" makes
in its own context, then the test (root, as the cryptomgr_probe kernel thread with init's
credentials) makes the kernel thread's. The real program is tested in tests/vm/test-ownership.sh.
(Finding 12, Signature=kernel keyrings, is tested in tests/unit/test-trusted-keys.c.)

Run one test with: test-security-kernel-threads.py KernelThreadTest.test_name."""

import os
import re
import select
import socket
import subprocess
import unittest

from modctl_test import MODCTL, NOBODY, TIMEOUT, ModctlTest


# What an unprivileged process does: ask the "kernel" for each name in its own context.
ASK = r'''
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for name in sys.argv[2:]:
    s.send(b"name=" + name.encode())
    print(name, s.recv(64).decode())
'''


class KernelThreadTest(ModctlTest):
    def setUp(self):
        super().setUp()
        self.daemon.stop()
        with open(os.path.join(self.daemon.config_root, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write('[Policy]\nKernelRequests=privileged\n')
        self.requests = os.path.join(self.daemon.hook_dir, 'kernel-requests.sock')
        self.daemon = self.start_daemon(dict(self.fail_env, MODCTL_FAKE_OWNERSHIP_REQUESTS=self.requests))
        # The attacker of the review: a desktop user with org.modctl1.load granted, nothing else.
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')

    def ask(self, *names, user=None):
        """Requests made in the caller's own context (user: as that user)."""
        r = subprocess.run((user or []) + ['/usr/bin/python3', '-c', ASK, self.requests] + list(names),
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return dict(line.split(' ', 1) for line in r.stdout.splitlines())

    def wait_for_log(self, regex):
        """The first line of the daemon's log that matches regex, followed as it is written (tail
        -f, by inotify). The report of a request that passes is logged at the event loop's next
        wakeup (as the BPF ring buffer's would be), after the verdict has been sent."""
        tail = subprocess.Popen(['timeout', str(TIMEOUT), 'tail', '-n', '+1', '-f', self.daemon.log_path],
                                stdout=subprocess.PIPE, text=True)
        try:
            for line in tail.stdout:
                if re.search(regex, line):
                    return line
        finally:
            tail.terminate()    # timeout passes it on to tail
            tail.wait()
            tail.stdout.close()
        self.fail(f'no line matching {regex!r} in the daemon\'s log within {TIMEOUT} s:\n{self.daemon.output()}')

    def kthread(self, name, pid=4242):
        """A request by the cryptomgr_probe kernel thread: init's credentials, all capabilities."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(self.requests)
            s.send(('kthread=1 pid=%d uid=0 cap=1 comm=cryptomgr_probe name=%s' % (pid, name)).encode())
            return s.recv(64).decode()

    def start_cli_monitor(self):
        """modctl monitor, as root's terminal shows it; returns next_line()."""
        mon = subprocess.Popen([MODCTL, 'monitor'], env=dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address,
                                                                LANG='C.UTF-8', LANGUAGE=''),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (mon.kill(), mon.wait(), mon.stdout.close(), mon.stderr.close()))
        self.assertIn(b'Monitoring', mon.stderr.readline())
        pending = b''

        def next_line():
            # Unbuffered reads: select() must see exactly what modctl monitor has written.
            nonlocal pending
            while b'\n' not in pending:
                ready, _, _ = select.select([mon.stdout], [], [], TIMEOUT)
                self.assertTrue(ready, 'modctl monitor printed nothing more after %r' % pending)
                chunk = os.read(mon.stdout.fileno(), 65536)
                self.assertTrue(chunk, 'modctl monitor exited')
                pending += chunk
            line, pending = pending.split(b'\n', 1)
            return line.decode()
        return next_line

    def test_af_alg_template_through_cryptomgr_is_judged_by_its_cause(self):
        _, read_until = self.monitor("type='signal',member='KernelRequest'")
        monitor_line = self.start_cli_monitor()
        # uid 65534 binds an AF_ALG socket to "pcrypt(aes)": crypto_larval_lookup() asks in its
        # context, which KernelRequests=privileged refuses...
        self.assertEqual(self.ask('crypto-pcrypt(aes)', 'crypto-pcrypt(aes)-all', user=NOBODY),
                         {'crypto-pcrypt(aes)': 'refused', 'crypto-pcrypt(aes)-all': 'refused'})
        self.assertIn("crypto-pcrypt(aes)", monitor_line())
        self.assertIn("crypto-pcrypt(aes)-all", monitor_line())
        # ...then cryptomgr_probe asks for the template with init's credentials: refused too,
        # because uid 65534 caused it.
        self.assertEqual(self.kthread('crypto-pcrypt'), 'refused')
        seen = read_until(r'string "crypto-pcrypt"\s+uint32 \d+\s+uint32 65534\s+string "python3"\s+'
                          r'boolean true\s+uint32 4242\s+string "cryptomgr_probe"')
        # The inner algorithm's lookup in the kernel thread has the same cause.
        self.assertEqual(self.kthread('crypto-aes'), 'refused')
        self.assertEqual(self.kthread('crypto-aes-all'), 'refused')
        # modctl monitor and the log name the real cause, and the kernel thread.
        line = monitor_line()
        self.assertRegex(line, r'^refused   kernel request crypto-pcrypt by pid \d+ python3, uid 65534, '
                               r'through kernel thread 4242 cryptomgr_probe \(KernelRequests=\)$')
        self.assertRegex(self.daemon.output(), r"Refused kernel request for 'crypto-pcrypt' caused by pid \d+ "
                                               r"\(python3\), uid 65534, cgroup [^;]+; made for it by kernel thread "
                                               r"pid 4242 \(cryptomgr_probe\)")
        self.assertGreaterEqual(self.statistics()['kernel-requests-refused'], 5)

    def test_kernel_thread_crypto_request_without_cause_fails_closed(self):
        _, read_until = self.monitor("type='signal',member='KernelRequest'")
        self.assertEqual(self.kthread('crypto-serpent', pid=4343), 'refused')
        read_until(r'string "crypto-serpent"\s+uint32 0\s+uint32 4294967295\s+string ""\s+boolean true\s+'
                   r'uint32 4343\s+string "cryptomgr_probe"')
        self.assertIn("Refused kernel request for 'crypto-serpent' by kernel thread pid 4343 (cryptomgr_probe), "
                      "cause unknown", self.daemon.output())
        # A kernel thread's requests for anything but crypto are its own, as before.
        self.assertEqual(self.kthread('net-pf-10'), 'allowed')

    def test_root_first_use_of_a_template_still_loads(self):
        # cryptsetup as root with xts(aes): root's own requests are the cause, so the kernel
        # thread's pass.
        self.assertEqual(self.ask('crypto-xts(aes)', 'crypto-xts(aes)-all'),
                         {'crypto-xts(aes)': 'allowed', 'crypto-xts(aes)-all': 'allowed'})
        self.assertEqual(self.kthread('crypto-xts'), 'allowed')
        self.assertEqual(self.kthread('crypto-aes'), 'allowed')
        self.wait_for_log(r"Allowed kernel request for 'crypto-xts' caused by pid \d+ \(python3\), uid 0,")
        # A privileged request right after an unprivileged one for the same template does not
        # launder it: the least privileged recent cause is the one that counts.
        self.ask('crypto-pcrypt(sha256)', user=NOBODY)
        self.ask('crypto-pcrypt(sha256)')
        self.assertEqual(self.kthread('crypto-pcrypt'), 'refused')


if __name__ == '__main__':
    unittest.main(verbosity=2)
