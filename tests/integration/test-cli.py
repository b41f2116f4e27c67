#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the CLI's conventions (issue 14): systemctl's options, several modules
per verb, the modprobe mode, the read-only verbs without the daemon, and root's private
socket. The same private bus and modctld-fake as the daemon's tests (tests/pylib/modctl_test); no
kernel needed.

Run one test with: test-cli.py CliTest.test_name."""

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from modctl_test import MODCTL, MODPROBE_D, MODULES_DIR, NOBODY, TIMEOUT, Bus, ModctlTest

# FIXTURE_MODULES_DIR is ROOT/lib/modules/KVER: modprobe's -d and -S.
KVER = os.path.basename(MODULES_DIR)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR)))
PROC_MODULES = '''modctl_test_dep 16384 0 - Live 0x0000000000000000 (OE)
modctl_test_base 16384 1 modctl_test_dep, Live 0x0000000000000000 (OE)
snd 126976 0 - Loading 0x0000000000000000
'''


class CliTest(ModctlTest):
    fail_env = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='modctl-cli-')
        os.chmod(self.tmp, 0o755)
        self.bus = Bus(self.tmp)
        self.private = os.path.join(self.tmp, 'private')
        self.daemon = self.start_daemon(extra_args=['--private-socket', self.private])

    def env(self, **extra):
        env = dict(os.environ, MODCTL_BUS_ADDRESS=self.bus.address, LANG='C.UTF-8', LANGUAGE='',
                   MODCTL_MODULES_DIR=MODULES_DIR)
        for k in ('SYSTEMD_COLORS', 'NO_COLOR', 'PAGER', 'SYSTEMD_PAGER', 'MODCTL_PRIVATE_SOCKET', 'LESS',
                  'SYSTEMD_PAGERSECURE', 'SUDO_UID', 'LESSSECURE'):
            env.pop(k, None)
        # A terminal of a known kind unless a test says otherwise (CI may run without TERM).
        env['TERM'] = 'xterm'
        env.update(extra)
        for k, v in extra.items():
            if v is None:
                del env[k]
        return env

    def cli(self, *args, user=None, **extra):
        return subprocess.run((user or []) + [MODCTL] + list(args), env=self.env(**extra), capture_output=True,
                              text=True, timeout=TIMEOUT)

    def cli_tty(self, *args, ids=None, **extra):
        """modctl with stdout on a pseudo-terminal; returns (exit status, what it wrote there).
        ids=(ruid, euid) runs it with those real and effective uids (a set-uid start)."""
        pid, fd = pty.fork()
        if pid == 0:
            if ids:
                os.setresuid(ids[0], ids[1], 0)
            os.execve(MODCTL, [MODCTL] + list(args), self.env(**extra))
        out = b''
        while True:
            try:
                ready, _, _ = select.select([fd], [], [], TIMEOUT)
                if not ready:
                    break
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), out.decode(errors='replace')

    def stop_daemon(self):
        """The bus stays, modctld goes: 'not reachable' from here on."""
        rc = self.daemon.stop()
        self.assertEqual(rc, 0)
        self.daemon = None

    # --- systemctl's conventions ---

    def test_bare_modctl_is_status(self):
        bare = self.assert_ok(self.cli())
        status = self.assert_ok(self.cli('status'))
        self.assertEqual(bare.stdout, status.stdout)
        self.assertIn('Version:', bare.stdout)

    def test_json_modes(self):
        self.assert_ok(self.cli('load', 'modctl_test_dep'))
        short = self.assert_ok(self.cli('list', '--json=short'))
        self.assertEqual(short.stdout.count('\n'), 1, short.stdout)
        self.assertIn('modctl_test_base', [m['name'] for m in json.loads(short.stdout)])
        pretty = self.assert_ok(self.cli('list', '--json=pretty'))
        self.assertGreater(pretty.stdout.count('\n'), 3)
        self.assertEqual(json.loads(pretty.stdout), json.loads(short.stdout))
        self.assertEqual(json.loads(self.assert_ok(self.cli('--json', 'list')).stdout), json.loads(short.stdout))
        off = self.assert_ok(self.cli('list', '--json=off'))
        self.assertTrue(off.stdout.startswith('Module'), off.stdout)
        for verb in (['status'], ['info', 'modctl_test_base'], ['policy', 'show'], ['policy', 'check', 'modctl_test_dep']):
            r = self.assert_ok(self.cli('--json=short', *verb))
            json.loads(r.stdout)
        policy = json.loads(self.cli('policy', 'show', '--json=short').stdout)
        self.assertIn('Policy', policy)
        self.assertIn('Mode', policy['Policy'])
        bad = self.cli('list', '--json=yaml')
        self.assertEqual(bad.returncode, 2)
        self.assertIn("invalid --json mode 'yaml'", bad.stderr)

    def test_load_and_unload_results_as_json(self):
        r = self.assert_ok(self.cli('load', '--json=short', 'modctl_test_dep', 'modctl_test_soft'))
        results = json.loads(r.stdout)
        self.assertEqual(results[0]['name'], 'modctl_test_dep')
        self.assertEqual(results[0]['inserted'], ['modctl_test_base', 'modctl_test_dep'])
        self.assertFalse(results[0]['already_loaded'])
        r = self.assert_ok(self.cli('load', '--json=short', 'modctl_test_dep'))
        self.assertEqual(json.loads(r.stdout), [{'name': 'modctl_test_dep', 'inserted': [], 'already_loaded': True}])
        r = self.assert_ok(self.cli('load', '--json=short', '--dry-run', 'modctl_test_chain'))
        self.assertTrue(json.loads(r.stdout)[0]['plan'])
        r = self.assert_ok(self.cli('unload', '--json=short', '-r', 'modctl_test_dep'))
        self.assertEqual(json.loads(r.stdout)[0]['removed'], ['modctl_test_dep', 'modctl_test_base'])

    def test_option_errors_and_verb_help(self):
        for args, msg in ((['--bogus'], "unrecognized option '--bogus'"), (['-x'], "invalid option '-x'"),
                          (['info', '-F'], "option '-F' needs an argument"),
                          (['--json=pretty', 'frobnicate'], "unknown command 'frobnicate'"),
                          (['list', '--first-time'], "option '--first-time' is not valid for 'list'"),
                          (['unload'], "'unload' needs a module name")):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(msg, r.stderr)
            self.assertIn("Try 'modctl --help'", r.stderr)
            self.assertTrue(r.stderr.isprintable() or '\n' in r.stderr, repr(r.stderr))
            self.assertNotIn('\x02', r.stderr)
        load_help = self.assert_ok(self.cli('load', '--help'))
        self.assertIn('Usage: modctl [OPTIONS...] load NAME...', load_help.stdout)
        self.assertIn('--first-time', load_help.stdout)
        self.assertNotIn('--remove-unused', load_help.stdout)
        self.assertEqual(self.assert_ok(self.cli('help', 'load')).stdout, load_help.stdout)
        self.assertIn('Commands:', self.assert_ok(self.cli('--help')).stdout)

    def test_several_modules_and_parameters(self):
        r = self.assert_ok(self.cli('load', 'modctl_test_base', 'modctl_test_soft'))
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_soft'])
        self.assertTrue({'modctl_test_base', 'modctl_test_soft'} <= set(self.loaded()))
        self.assert_ok(self.cli('unload', 'modctl_test_base', 'modctl_test_soft'))
        self.assertEqual(self.loaded(), {})
        # modprobe's form and the -- form give the same parameters.
        self.assert_ok(self.cli('load', 'modctl_test_base', 'value=3'))
        self.assertEqual(self.module_properties('modctl_test_base')['Parameters']['value'], '3')
        self.assert_ok(self.cli('unload', 'modctl_test_base'))
        self.assert_ok(self.cli('load', 'modctl_test_base', '--', 'value=4'))
        self.assertEqual(self.module_properties('modctl_test_base')['Parameters']['value'], '4')
        r = self.cli('load', 'modctl_test_base', 'modctl_test_soft', 'value=1')
        self.assertEqual(r.returncode, 1)
        self.assertIn('exactly one module name', r.stderr)

    def test_first_time_quiet_and_parameter_warning(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        r = self.cli('load', '--first-time', 'modctl_test_base')
        self.assertEqual(r.returncode, 1)
        self.assertIn("'modctl_test_base' is already loaded", r.stderr)
        r = self.assert_ok(self.cli('load', 'modctl_test_base', 'value=9'))
        self.assertIn("warning: 'modctl_test_base' is already loaded; the parameters 'value=9' were not applied",
                      r.stderr)
        r = self.assert_ok(self.cli('-q', 'load', 'modctl_test_dep'))
        self.assertEqual(r.stdout, '')
        r = self.assert_ok(self.cli('-q', 'load', 'modctl_test_dep'))
        self.assertEqual(r.stdout + r.stderr, '')

    def test_no_legend(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        lines = self.assert_ok(self.cli('list', '--no-legend')).stdout.splitlines()
        self.assertTrue(lines[0].startswith('modctl_test_base'), lines)

    def test_pager(self):
        out = os.path.join(self.tmp, 'paged')
        less = os.path.join(self.tmp, 'less-env')
        pager = 'cat > %s; printf %%s "$LESS" > %s' % (out, less)
        # Root without a login session counts as privileged (see test_pager_secure): say
        # explicitly that this terminal's user is root, so that any pager may run.
        rc, text = self.cli_tty('list', SYSTEMD_PAGER=pager, SYSTEMD_PAGERSECURE='0')
        self.assertEqual(rc, 0, text)
        with open(out) as f:
            self.assertTrue(f.read().startswith('Module'))
        with open(less) as f:
            self.assertEqual(f.read(), 'FRSXMK')
        os.unlink(out)
        rc, text = self.cli_tty('list', PAGER=pager, SYSTEMD_PAGERSECURE='0')
        self.assertTrue(os.path.exists(out), 'PAGER is used when SYSTEMD_PAGER is unset')
        os.unlink(out)
        rc, text = self.cli_tty('--no-pager', 'list', SYSTEMD_PAGER=pager, SYSTEMD_PAGERSECURE='0')
        self.assertEqual(rc, 0)
        self.assertFalse(os.path.exists(out))
        self.assertIn('Module', text)
        # Not a terminal: never a pager.
        self.assert_ok(self.cli('list', SYSTEMD_PAGER=pager))
        self.assertFalse(os.path.exists(out))

    def test_pager_secure(self):
        """sudo modctl list must not hand out a root shell through the pager's '!' command
        (CVE-2023-26604 in systemctl): with privileges the user lacks, only less runs, with
        LESSSECURE=1; SYSTEMD_PAGERSECURE decides when set; no pager on a dumb or unknown TERM."""
        # Writable for the set-uid case: dash drops to the real uid when it differs.
        fakebin = tempfile.mkdtemp(prefix='modctl-it-pager-')
        self.addCleanup(shutil.rmtree, fakebin, True)
        os.chmod(fakebin, 0o777)
        seen = os.path.join(fakebin, 'pager-seen')
        for name in ('less', 'more', 'mypager'):
            path = os.path.join(fakebin, name)
            with open(path, 'w') as f:
                f.write('#!/bin/sh\nprintf "%s LESSSECURE=%%s\\n" "$LESSSECURE" >> %s\ncat >/dev/null\n'
                        % (name, seen))
            os.chmod(path, 0o755)
        path = fakebin + ':' + os.environ.get('PATH', '/usr/bin:/bin')
        mypager = os.path.join(fakebin, 'mypager')

        def pager_run(*args, **extra):
            if os.path.exists(seen):
                os.unlink(seen)
            rc, text = self.cli_tty(*args, PATH=path, **extra)
            self.assertEqual(rc, 0, text)
            if not os.path.exists(seen):
                return None
            with open(seen) as f:
                return f.read().strip()

        # sudo: the default pager is less in secure mode, and $PAGER is not run at all.
        self.assertEqual(pager_run('list', SUDO_UID='1000'), 'less LESSSECURE=1')
        self.assertEqual(pager_run('list', SUDO_UID='1000', PAGER=mypager), 'less LESSSECURE=1')
        self.assertEqual(pager_run('list', SUDO_UID='1000', SYSTEMD_PAGER=mypager), 'less LESSSECURE=1')
        # A set-uid start (real uid nobody, effective root) is privileged too.
        self.assertEqual(pager_run('list', ids=(65534, 0), PAGER=mypager), 'less LESSSECURE=1')
        # Asked for explicitly: any pager, told to be secure.
        self.assertEqual(pager_run('list', SUDO_UID='1000', PAGER=mypager, SYSTEMD_PAGERSECURE='1'),
                         'mypager LESSSECURE=1')
        # Turned off explicitly: the user's own pager, not secure (and an inherited
        # LESSSECURE does not leak into it either way).
        self.assertEqual(pager_run('list', SUDO_UID='1000', PAGER=mypager, SYSTEMD_PAGERSECURE='0'),
                         'mypager LESSSECURE=')
        # No pager on a dumb terminal or without TERM; the output goes to the terminal.
        self.assertIsNone(pager_run('list', SYSTEMD_PAGERSECURE='0', TERM='dumb'))
        self.assertIsNone(pager_run('list', SYSTEMD_PAGERSECURE='0', TERM=None))

    def test_colors(self):
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        rc, text = self.cli_tty('--no-pager', 'list')
        # libsmartcols colors the cell's padding too.
        self.assertRegex(text, '\x1b\\[0;1;32mlive *\x1b\\[0m')
        rc, text = self.cli_tty('--no-pager', 'list', NO_COLOR='1')
        self.assertNotIn('\x1b[', text)
        rc, text = self.cli_tty('--no-pager', 'list', SYSTEMD_COLORS='0')
        self.assertNotIn('\x1b[', text)
        self.assertIn('\x1b[0;1;32mlive', self.cli('list', SYSTEMD_COLORS='1').stdout)
        self.assertNotIn('\x1b[', self.cli('list').stdout)
        r = self.cli('--bogus', SYSTEMD_COLORS='1')
        self.assertIn('\x1b[0;1;31m', r.stderr)

    def test_host_goes_over_ssh(self):
        # sd-bus runs "ssh ... HOST systemd-stdio-bridge"; a stand-in ssh records what it got.
        bindir = os.path.join(self.tmp, 'bin')
        os.makedirs(bindir)
        record = os.path.join(self.tmp, 'ssh-args')
        with open(os.path.join(bindir, 'ssh'), 'w') as f:
            f.write('#!/bin/sh\necho "$@" > %s\nexit 1\n' % record)
        os.chmod(os.path.join(bindir, 'ssh'), 0o755)
        r = self.cli('-H', 'admin@example.org', 'list', PATH=bindir + ':' + os.environ['PATH'])
        self.assertEqual(r.returncode, 5)  # unreachable: modctl(1), EXIT STATUS
        self.assertIn('cannot reach modctld on admin@example.org', r.stderr)
        self.assertNotIn('/proc/modules', r.stderr, 'no local fallback for a remote host')
        with open(record) as f:
            args = f.read()
        self.assertIn('admin@example.org', args)
        self.assertIn('systemd-stdio-bridge', args)

    # --- root's private socket ---

    def test_private_socket(self):
        self.assertEqual(os.stat(self.private).st_mode & 0o777, 0o600)
        # The bus address leads nowhere: only the private socket can answer.
        env = {'MODCTL_BUS_ADDRESS': 'unix:path=' + os.path.join(self.tmp, 'nothing'),
               'MODCTL_PRIVATE_SOCKET': self.private}
        r = self.assert_ok(self.cli('-v', 'load', 'modctl_test_dep', **env))
        self.assertIn('over the private socket', r.stderr)
        self.assertEqual(r.stdout.split(), ['modctl_test_base', 'modctl_test_dep'])
        self.assert_ok(self.cli('status', **env))
        self.assertIn('modctl_test_dep', self.assert_ok(self.cli('list', **env)).stdout)
        self.assert_ok(self.cli('unload', '-r', 'modctl_test_dep', **env))
        self.assertEqual(self.loaded(), {})
        # Without a private socket root falls back to the bus.
        r = self.assert_ok(self.cli('-v', 'list', MODCTL_PRIVATE_SOCKET=os.path.join(self.tmp, 'none')))
        self.assertIn('over the system bus', r.stderr)
        # Nobody else gets in: the socket is root's, and the daemon checks the peer too.
        r = subprocess.run(NOBODY + ['/usr/bin/python3', '-c',
                           'import socket; s = socket.socket(socket.AF_UNIX); s.connect(%r)' % self.private],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Permission denied', r.stderr)
        self.assertIn('modctld', self.daemon.output())

    # --- without the daemon ---

    def test_read_only_verbs_without_the_daemon(self):
        self.stop_daemon()
        proc = os.path.join(self.tmp, 'proc-modules')
        with open(proc, 'w') as f:
            f.write(PROC_MODULES)
        r = self.assert_ok(self.cli('list', MODCTL_PROC_MODULES=proc))
        self.assertIn('modctld is not reachable: listing /proc/modules, without load origins', r.stderr)
        self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
        self.assertRegex(r.stdout, r'modctl_test_base\s+16384\s+live\s+OE\s+1 modctl_test_dep')
        self.assertRegex(r.stdout, r'snd\s+126976\s+coming\s+-\s+0')
        mods = json.loads(self.assert_ok(self.cli('list', '--json=short', MODCTL_PROC_MODULES=proc)).stdout)
        self.assertEqual(mods[1]['holders'], ['modctl_test_dep'])
        r = self.assert_ok(self.cli('info', 'modctl_test_dep'))
        self.assertIn('modctld is not reachable: reading the module index', r.stderr)
        self.assertRegex(r.stdout, r'depends:\s+modctl_test_base')
        r = self.assert_ok(self.cli('load', '--dry-run', '--verdicts', 'modctl_test_dep'))
        self.assertIn("modctld is not reachable: showing libkmod's plan", r.stderr)
        self.assertRegex(r.stdout, r'insmod \S+/modctl_test_base\.ko \ninsmod \S+/modctl_test_dep\.ko \n')
        # What needs the daemon says how to start it.
        for args in (['load', 'modctl_test_dep'], ['unload', 'modctl_test_dep'], ['status'], []):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 5, args)  # unreachable
            self.assertIn('cannot reach modctld', r.stderr)
            self.assertIn('systemctl start modctld.service', r.stderr)

    def test_info_path_field_and_parameters(self):
        ko = os.path.join(MODULES_DIR, 'extra', 'modctl_test_base.ko')
        if not os.path.exists(ko):
            ko = subprocess.run(['find', MODULES_DIR, '-name', 'modctl_test_base.ko'], capture_output=True,
                                text=True).stdout.split()[0]
        self.stop_daemon()
        # A path is read here, like modinfo, without a notice: nothing is missing.
        r = self.assert_ok(self.cli('info', ko))
        self.assertEqual(r.stderr, '')
        self.assertRegex(r.stdout, r'filename:\s+' + ko)
        self.assertRegex(r.stdout, r'parm:\s+value:An integer the tests set and read back \(int\)\n')
        self.assertNotIn('parmtype', r.stdout)
        r = self.assert_ok(self.cli('info', '-F', 'license', ko))
        self.assertEqual(r.stdout, 'GPL\n')
        r = self.assert_ok(self.cli('info', '-F', 'parm', ko))
        self.assertEqual(r.stdout, 'value:An integer the tests set and read back (int)\n')
        fields = json.loads(self.assert_ok(self.cli('info', '--json=short', ko)).stdout)
        self.assertEqual(fields['parmtype'], ['value:int'])

    def test_monitor_json_lines_and_absent_daemon(self):
        mon = subprocess.Popen([MODCTL, 'monitor', '--json=short'], env=self.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (mon.kill(), mon.wait()))
        self.assertIn('Monitoring', mon.stderr.readline())
        self.assert_ok(self.cli('load', 'modctl_test_base'))
        ready, _, _ = select.select([mon.stdout], [], [], TIMEOUT)
        self.assertTrue(ready)
        self.assertEqual(json.loads(mon.stdout.readline()),
                         {'event': 'loaded', 'module': 'modctl_test_base', 'origin': 'user'})
        self.stop_daemon()
        ready, _, _ = select.select([mon.stderr], [], [], TIMEOUT)
        self.assertIn('modctld stopped', mon.stderr.readline())
        # Started while the daemon is away: it says so instead of waiting in silence.
        r = subprocess.Popen([MODCTL, 'monitor'], env=self.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (r.kill(), r.wait()))
        self.assertIn('Monitoring', r.stderr.readline())
        self.assertIn('modctld is not running', r.stderr.readline())

    # --- modprobe mode ---

    def modprobe_pair(self, *args):
        kmod = subprocess.run(['modprobe'] + list(args), capture_output=True, text=True, timeout=TIMEOUT)
        ours = self.cli('modprobe', *args)
        return kmod, ours

    def test_modprobe_queries_match_kmod(self):
        base = ['-d', ROOT, '-S', KVER, '-C', MODPROBE_D]
        for args in (['-D', 'modctl_test_dep'], ['-D', 'modctl_test_chain'], ['-D', 'modctl_test_soft'],
                     ['-D', 'modctl_test_base', 'value=2'], ['-D', '-a', 'modctl_test_dep', 'modctl_test_soft'],
                     ['-D', '-i', 'modctl_test_dep'], ['-R', 'modctl_test_dep'], ['-R', 'no_such_module'],
                     ['-D', 'no_such_module'], ['-q', '-D', 'no_such_module'], ['-n', '-v', 'modctl_test_dep'],
                     ['-c'], ['--show-depends', 'modctl_test_dep'], ['-a'], ['--bogus']):
            kmod, ours = self.modprobe_pair(*(base + args))
            self.assertEqual(ours.returncode, kmod.returncode, (args, kmod.stderr, ours.stderr))
            self.assertEqual(ours.stdout, kmod.stdout, args)
            self.assertEqual(ours.stdout == '', kmod.stdout == '')
            self.assertEqual(ours.stderr == '', kmod.stderr == '', (args, kmod.stderr, ours.stderr))
        kmod, ours = self.modprobe_pair(*(base + ['-c']))
        self.assertIn('options modctl_test_base value=5', ours.stdout)

    def test_modprobe_loads_through_the_daemon(self):
        mon, read_until = self.monitor("type='signal',member='ModuleLoaded'")
        r = self.assert_ok(self.cli('modprobe', 'modctl_test_base', 'value=6'))
        self.assertEqual(r.stdout, '')
        read_until('modctl_test_base')
        self.assertEqual(self.module_properties('modctl_test_base')['Parameters']['value'], '6')
        self.assert_ok(self.cli('modprobe', 'modctl_test_base'))
        r = self.cli('modprobe', '--first-time', 'modctl_test_base')
        self.assertEqual(r.returncode, 1)
        self.assertIn("could not insert 'modctl_test_base': Module already in kernel", r.stderr)
        r = self.cli('modprobe', 'no_such_module')
        self.assertEqual(r.returncode, 1)
        self.assertIn('FATAL: Module no_such_module not found', r.stderr)
        self.assertEqual(self.cli('modprobe', '-q', 'no_such_module').stderr, '')
        self.assert_ok(self.cli('modprobe', '-a', 'modctl_test_dep', 'modctl_test_soft'))
        self.assertTrue({'modctl_test_dep', 'modctl_test_soft'} <= set(self.loaded()))
        r = self.cli('modprobe', '-r', 'modctl_test_base')
        self.assertEqual(r.returncode, 1)
        self.assertIn('FATAL: Module modctl_test_base is in use.', r.stderr)
        self.assert_ok(self.cli('modprobe', '-r', 'modctl_test_dep', 'modctl_test_soft'))
        self.assertEqual(self.loaded(), {})
        # Not loaded: fine for -r, an error with --first-time, as in kmod.
        self.assert_ok(self.cli('modprobe', '-r', 'modctl_test_dep'))
        r = self.cli('modprobe', '-r', '--first-time', 'modctl_test_dep')
        self.assertEqual(r.returncode, 1)
        self.assertIn('is not in kernel', r.stderr)
        self.assertEqual(self.cli('modprobe', '--bogus').returncode, 1)
        # Installed under the name modprobe, it is the same program.
        link = os.path.join(self.tmp, 'modprobe')
        os.symlink(MODCTL, link)
        r = subprocess.run([link, '-R', 'modctl_test_dep'], env=self.env(), capture_output=True, text=True)
        self.assertEqual(r.stdout, 'modctl_test_dep\n', r.stderr)

    def test_modprobe_without_the_daemon_follows_the_config(self):
        self.stop_daemon()
        conf = os.path.join(self.tmp, 'conf-root')
        os.makedirs(os.path.join(conf, 'etc/modctl'))
        record = os.path.join(self.tmp, 'fallback-args')
        fake = os.path.join(self.tmp, 'kmod-modprobe')
        with open(fake, 'w') as f:
            f.write('#!/bin/sh\necho "$0 $*" > %s\n' % record)
        os.chmod(fake, 0o755)
        with open(os.path.join(conf, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\n' % fake)
        self.assert_ok(self.cli('modprobe', '-q', 'dummy', 'numdummies=2', MODCTL_CONFIG_ROOT=conf))
        with open(record) as f:
            self.assertEqual(f.read().split()[1:], ['-q', 'dummy', 'numdummies=2'])
        # A HookModprobe= that is modctl itself would loop: refused.
        with open(os.path.join(conf, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write('[Daemon]\nHookFallback=modprobe\nHookModprobe=%s\n' % MODCTL)
        r = self.cli('modprobe', 'dummy', MODCTL_CONFIG_ROOT=conf)
        self.assertEqual(r.returncode, 1)
        self.assertIn('leads back to modctl', r.stderr)
        with open(os.path.join(conf, 'etc/modctl/modctld.conf'), 'w') as f:
            f.write('[Daemon]\nHookFallback=deny\n')
        r = self.cli('modprobe', 'dummy', MODCTL_CONFIG_ROOT=conf)
        self.assertEqual(r.returncode, 1)
        self.assertIn('HookFallback=deny', r.stderr)
        # The queries never needed the daemon.
        self.assertEqual(self.assert_ok(self.cli('modprobe', '-R', 'modctl_test_dep')).stdout, 'modctl_test_dep\n')


if __name__ == '__main__':
    unittest.main()
