#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 19, findings 1 and 2: parameters never become options or shell syntax.

uid 65534 with only the named polkit action granted (dbusmock polkitd), modctld-fake with a
modprobe.d install line of the form modprobe.d(5) documents, "X /sbin/modprobe --ignore-install
X $CMDLINE_OPTS". Its stand-in, fakeprobe, behaves as modprobe does with what it gets: it reads
--config=FILE (here: runs it, as modprobe would run FILE's install lines as root) and takes
any other word starting with '-' as an option. After SetOptions, kmod's own modprobe (it
splices $CMDLINE_OPTS into the install line as text before system()) loads the module from the
files modctld wrote. Payloads write files as root; none may appear."""

import os
import subprocess
import unittest

from modctl_test import MODULES_DIR, NOBODY, TIMEOUT, Bus, ModctlTest


FAKEPROBE = '''#!/bin/sh
# modprobe's reading of its arguments, reduced to what the attacks use.
out="$(dirname "$0")"
printf '%s\\n' "$*" >> "$out/fakeprobe.args"
[ "$1" = --ignore-install ] && shift
for a; do
        case "$a" in
        --config=*) . "${a#--config=}" ;;
        -*) touch "$out/option-injected" ;;
        esac
done
exit 0
'''


class SecurityParamsTest(ModctlTest):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix='modctl-it-')
        os.chmod(self.tmp, 0o755)
        confdir = os.path.join(self.tmp, 'root/etc/modprobe.d')
        os.makedirs(confdir)
        self.fakeprobe = os.path.join(self.tmp, 'fakeprobe')
        with open(self.fakeprobe, 'w') as f:
            f.write(FAKEPROBE)
        os.chmod(self.fakeprobe, 0o755)
        # What an attacker's --config= file would make modprobe run as root.
        self.evil = os.path.join(self.tmp, 'evil.conf')
        with open(self.evil, 'w') as f:
            f.write('touch %s/pwned-config\n' % self.tmp)
        os.chmod(self.evil, 0o644)
        self.kmod_out = os.path.join(self.tmp, 'kmod.out')
        with open(os.path.join(confdir, 'hostile.conf'), 'w') as f:
            f.write('install modctl_test_base /bin/sh %s --ignore-install modctl_test_base $CMDLINE_OPTS\n'
                    % self.fakeprobe)
            f.write('install modctl_test_dep /bin/echo $CMDLINE_OPTS >> %s\n' % self.kmod_out)
        self.bus = Bus(self.tmp)
        self.daemon = self.start_daemon(self.fail_env)

    def payloads(self):
        """Files that only a payload writes."""
        return sorted(n for n in os.listdir(self.tmp) if n.startswith('pwned') or n == 'option-injected')

    def fakeprobe_ran(self):
        return os.path.exists(os.path.join(self.tmp, 'fakeprobe.args'))

    def hostile_params(self):
        t = self.tmp
        return [
                ('--config=%s' % self.evil, '--config'),
                ('x=1 --dirname=%s/mods' % t, '--dirname'),
                ('-C%s' % self.evil, '-C'),
                ('a=$(touch %s/pwned-subst)' % t, 'a'),
                ('a=`touch %s/pwned-tick`' % t, 'a'),
                ('a=1;touch %s/pwned-semi' % t, 'a'),
                ('a=1|touch %s/pwned-pipe' % t, 'a'),
                ('a=1>%s/pwned-redirect' % t, 'a'),
                ('id="x --config=%s"' % self.evil, 'id'),
                ('"id=x -v"', 'id'),
                ('x=*', 'x'),
                ('x=%s/*' % t, 'x'),
                ('x=~root', 'x'),
                ('x={a,b}', 'x'),
                ("x='a'", 'x'),
                ('x=a\\b', 'x'),
                ('x=1\ntouch %s/pwned-newline' % t, 'x'),
        ]

    def test_load_parameters_never_become_options(self):
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        for params, name in self.hostile_params():
            for method, flags in (('Load', 0), ('Load', 1), ('CheckPolicy', 0)):
                r = self.assert_error(self.send(method, 'string:modctl_test_base', 'string:' + params,
                                                'uint64:%d' % flags, user=NOBODY),
                                      'org.modctl1.Error.InvalidParameters')
                self.assertIn("Invalid parameters for module 'modctl_test_base': parameter '%s' has"
                              % name.replace('\\', '\\x5c').replace("'", '\\x27'), r.stderr, (method, params))
            self.assertEqual(self.payloads(), [], params)
            self.assertFalse(self.fakeprobe_ran(), params)
        # The CLI says the same before it calls the bus.
        r = self.cli('load', 'modctl_test_base', '--', '--config=' + self.evil, user=NOBODY)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("parameter '--config' has '-' at byte 0", r.stderr)
        r = self.cli('load', 'modctl_test_base', 'a=$(id)', user=NOBODY)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("parameter 'a' has '$' at byte 2", r.stderr)
        self.assertEqual(self.payloads(), [])
        self.assertFalse(self.fakeprobe_ran())
        self.assertEqual(self.loaded(), {})

        # What the grammar allows reaches the command as plain words, none an option.
        self.assert_ok(self.send('Load', 'string:modctl_test_base', 'string:x=-1 id="My Card" f=/a/b,c:d',
                                 'uint64:0', user=NOBODY))
        with open(os.path.join(self.tmp, 'fakeprobe.args')) as f:
            args = f.read()
        self.assertIn('x=-1 id="My Card" f=/a/b,c:d', args)
        self.assertEqual(self.payloads(), [])

    def test_stored_options_outside_the_grammar_never_reach_the_command(self):
        # An options line that an older modctld (or anyone) wrote: the plan refuses to hand it
        # to the install command, and says why.
        self.assertEqual(self.daemon.stop(), 0)
        with open(os.path.join(self.tmp, 'root/etc/modprobe.d/old.conf'), 'w') as f:
            f.write('options modctl_test_base --config=%s\n' % self.evil)
        self.daemon = self.start_daemon(self.fail_env)
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.load')
        r = self.assert_error(self.send('Load', 'string:modctl_test_base', 'string:', 'uint64:0', user=NOBODY),
                              'org.modctl1.Error.InvalidParameters')
        self.assertIn("Module 'modctl_test_base' is not loaded: its modprobe.d install command", r.stderr)
        # It names no option: the line may come from a file only root can read.
        self.assertNotIn('--config', r.stderr)
        self.assertEqual(self.payloads(), [])
        self.assertFalse(self.fakeprobe_ran())

    def kmod_modprobe(self, name):
        """kmod's own modprobe over the files modctld writes, as root (udevd, modules-load,
        HookFallback=modprobe or an admin would run it)."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(MODULES_DIR)))
        return subprocess.run(['/sbin/modprobe', '-C', os.path.join(self.daemon.config_root, 'etc/modprobe.d'),
                               '-d', root, '-S', os.path.basename(MODULES_DIR), name],
                              capture_output=True, text=True, timeout=TIMEOUT)

    def test_set_options_plants_nothing(self):
        self.start_polkit()
        self.polkit('SetAllowed', 'as', 1, 'org.modctl1.configure')
        modctl_conf = os.path.join(self.daemon.config_root, 'etc/modprobe.d/modctl.conf')
        hostile = [(p.replace('modctl_test_base', 'modctl_test_dep'), n) for p, n in self.hostile_params()]
        hostile += [('a=$(id>%s/pwned-id)' % self.tmp, 'a'), ('-x', '-x'), ('a=1 #', '#')]
        for options, name in hostile:
            r = self.assert_error(self.send('SetOptions', 'string:modctl_test_dep', 'string:' + options, 'uint64:0',
                                            user=NOBODY),
                                  'org.modctl1.Error.InvalidParameters')
            self.assertIn("Invalid parameters for module 'modctl_test_dep': parameter '%s' has"
                          % name.replace('\\', '\\x5c').replace("'", '\\x27'), r.stderr, options)
            self.assertFalse(os.path.exists(modctl_conf), options)
            # Nothing planted for kmod's own tools either.
            self.assertEqual(self.kmod_modprobe('modctl_test_dep').returncode, 0)
            self.assertEqual(self.payloads(), [], options)
        r = self.cli('options', 'modctl_test_dep', 'a=$(id)', user=NOBODY)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("parameter 'a' has '$' at byte 2", r.stderr)
        self.assertFalse(os.path.exists(modctl_conf))

        # A permitted value: written, and kmod's modprobe runs only the admin's command with it.
        self.assert_ok(self.send('SetOptions', 'string:modctl_test_dep', 'string:a=1 id="x y" b=-2', 'uint64:0',
                                 user=NOBODY))
        with open(modctl_conf) as f:
            self.assertIn('\noptions modctl_test_dep a=1 id="x y" b=-2\n', f.read())
        os.unlink(self.kmod_out)
        r = self.kmod_modprobe('modctl_test_dep')
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.kmod_out) as f:
            self.assertEqual(f.read(), 'a=1 id=x y b=-2\n')
        self.assertEqual(self.payloads(), [])


if __name__ == '__main__':
    unittest.main()
