# SPDX-License-Identifier: LGPL-2.1-or-later
"""The full-system VM harness: a complete Debian 12 (systemd, udevd, dbus, polkitd, journald)
booted under qemu with Debian's kernel, driven from the host. The same for Debian 13 (trixie)
when the suite is 'trixie' (a fourth argument from meson, or MODCTL_SYSTEM_SUITE): trixie's
root from mmdebstrap, trixie's kernel and modules (tests/vm/fetch-trixie.sh), and the package
built in a trixie chroot (build-deb-trixie.sh).

Usage from a test script (run it with /usr/bin/python3; see tests/system/README.md):

    import sysvm
    env = sysvm.Env.from_argv()            # build dir, source dir from the meson test args
    img = env.image('pkg', extra_packages=['cockpit'])   # base tar cached by package list,
                                           # the modctl .deb copied to /root/modctl.deb
    with sysvm.Guest(env, img, hostfwd=[(9090, 9090)]) as g:
        g.run('dpkg -i /root/modctl.deb')  # guest step as root; raises on non-zero exit
        r = g.run('modctl list', user='alice', check=False)   # as an ordinary user
        g.reboot()                         # systemctl reboot, wait for the agent again
        g.qmp('device_add', driver='i6300esb', id='wd0')       # host side, any time
        g.run_async(...) / g.wait(handle)  # a guest step that runs while the host acts

How it works: the guest runs a small agent (tests/system/agent) on its second serial port
(ttyS1), which qemu connects to a unix socket the host listens on. After every boot the agent
says `HELLO <boot id> <systemctl is-system-running>`; the host sends `RUN <id> <user> <base64
script>` and gets `DONE <id> <exit status> <base64 output>`. Steps run concurrently in the guest
when started with run_async(). The console (ttyS0) goes to console.log in the work directory.
qemu's QMP monitor is on qmp.sock (Guest.qmp()). Nothing is skipped: a missing qemu, kernel,
image tool or package fails the test.
"""

import base64
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ('bookworm', 'trixie')
USERS = {'alice': ['modadmin'], 'bob': []}   # test users and their extra groups


class Failure(Exception):
    pass


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


def kernel_release():
    rels = sorted(os.path.basename(p)[len('vmlinuz-'):] for p in glob.glob('/boot/vmlinuz-*'))
    rels = [r for r in rels if os.path.isdir(f'/lib/modules/{r}')]
    if not rels:
        raise Failure('no /boot/vmlinuz-* with /lib/modules: install linux-image-amd64 (scripts/install-deps)')
    return rels[-1]


class Env:
    """Where things are: the meson build dir (work files), the source dir (the .deb), and the
    Debian release of the guest (suite): its kernel, its root and its build of the package."""

    def __init__(self, build_dir, source_dir, suite=None):
        self.build_dir = os.path.abspath(build_dir)
        self.source_dir = os.path.abspath(source_dir)
        self.suite = suite or os.environ.get('MODCTL_SYSTEM_SUITE') or 'bookworm'
        if self.suite not in SUITES:
            raise Failure(f'unknown suite {self.suite!r} (one of {", ".join(SUITES)})')
        # bookworm keeps the directory it always had, so its caches stay valid.
        self.work = os.path.join(self.build_dir, 'system' if self.suite == 'bookworm' else f'system-{self.suite}')
        os.makedirs(self.work, exist_ok=True)
        for tool in ('qemu-system-x86_64', 'mke2fs', 'mmdebstrap', 'dpkg-buildpackage', 'debugfs'):
            if not shutil.which(tool):
                raise Failure(f'{tool} is missing (scripts/install-deps)')
        if self.suite == 'bookworm':
            # The host is Debian 12: its installed kernel is bookworm's.
            self.kver = kernel_release()
            self.vmlinuz = f'/boot/vmlinuz-{self.kver}'
            self.moddir = f'/lib/modules/{self.kver}'
            self.modprobe = ['modprobe', '-S', self.kver]
        else:
            # trixie's linux-image-amd64 and kmod, unpacked into a cache and checked by apt
            # against the signed Release files; the host installs nothing of trixie.
            r = subprocess.run([os.path.join(HERE, '..', 'vm', 'fetch-trixie.sh')],
                               stdout=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise Failure("fetching trixie's kernel failed (see above)")
            tree = r.stdout.strip()
            self.kver = open(os.path.join(tree, 'kver')).read().strip()
            self.vmlinuz = os.path.join(tree, 'root', 'boot', f'vmlinuz-{self.kver}')
            self.moddir = os.path.join(tree, 'root', 'usr', 'lib', 'modules', self.kver)
            # kmod 34 with trixie's loader, on that tree (the host's kmod 30 reads it too, but
            # the guest's own tool is the one to trust for its index).
            self.modprobe = [os.path.join(tree, 'run'), 'modprobe', '-d', os.path.join(tree, 'root'), '-S', self.kver]
        log(f'suite {self.suite}, kernel {self.kver}')

    @classmethod
    def from_argv(cls):
        if len(sys.argv) < 3:
            raise SystemExit(f'usage: {sys.argv[0]} BUILD_DIR SOURCE_DIR [SUITE]')
        return cls(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)

    def install_command(self, deb):
        """The shell command that installs a local .deb the way a user of the suite would.
        trixie: `apt install ./…deb` (the issue's recipe; apt resolves the package's
        dependencies, all in the base image, so no network is needed). bookworm: dpkg -i, as
        the bookworm tests always did (the dependencies are in the image too).
        Not `--no-download`: trixie's apt 3.0 then refuses any local .deb ("Internal Error,
        Pathname to install is not absolute 'modctl_0.1_amd64.deb'"). apt fetches a local .deb
        by copying it, so without the option it still needs no network (checked in a chroot of
        the trixie root with no network namespace)."""
        if self.suite == 'bookworm':
            return f'dpkg -i {deb}'
        return (f'cd {os.path.dirname(deb)} && DEBIAN_FRONTEND=noninteractive '
                f'apt install -y ./{os.path.basename(deb)}')

    def base_tar(self, extra_packages=()):
        """The cached mmdebstrap tar of the suite for the base list plus extra_packages."""
        r = subprocess.run([os.path.join(HERE, 'build-base.sh'), *extra_packages],
                           stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, MODCTL_SYSTEM_SUITE=self.suite))
        if r.returncode != 0:
            raise Failure('building the base image failed (see above)')
        return r.stdout.strip()

    def deb(self):
        """modctl_*.deb built with dpkg-buildpackage from the source tree, once per change: on
        the host for bookworm, in a trixie chroot for trixie."""
        out = os.path.join(self.work, 'deb')
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, '.lock'), 'w') as lock:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
            built = out if self.suite == 'bookworm' else os.path.join(out, self.suite, 'out')
            script = 'build-deb.sh' if self.suite == 'bookworm' else f'build-deb-{self.suite}.sh'
            debs = glob.glob(os.path.join(built, 'modctl_*.deb'))
            if debs and not self._source_newer_than(debs[0]):
                return debs[0]
            log(f'building the Debian package for {self.suite} (dpkg-buildpackage -b -us -uc, {script})')
            t = time.time()
            r = subprocess.run([os.path.join(HERE, script), self.source_dir, out],
                               stdout=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise Failure('dpkg-buildpackage failed')
            log(f'built {os.path.basename(r.stdout.strip())} in {time.time() - t:.0f} s')
            return r.stdout.strip()

    def cockpit_deb(self):
        """cockpit-modctl_*_all.deb, the Cockpit page's package, built next to modctl's."""
        debs = glob.glob(os.path.join(os.path.dirname(self.deb()), 'cockpit-modctl_*_all.deb'))
        if len(debs) != 1:
            raise Failure(f'expected one cockpit-modctl .deb next to modctl\'s, found {debs}')
        return debs[0]

    def _source_newer_than(self, path):
        mtime = os.path.getmtime(path)
        for top in os.listdir(self.source_dir):
            # The tests are not in the package.
            if top.startswith(('build', '.git', 'obj-', 'tests')):
                continue
            p = os.path.join(self.source_dir, top)
            for root, dirs, files in os.walk(p) if os.path.isdir(p) else [(self.source_dir, [], [top])]:
                for f in files:
                    if os.path.getmtime(os.path.join(root, f)) > mtime:
                        return True
        return False

    def image(self, name, extra_packages=(), with_deb=True, network=False, files=None, size='2G'):
        """A fresh ext4 disk image NAME.img: a copy of the prepared system image (cached in the
        build dir by everything that goes into it) with /root/modctl.deb and
        /root/cockpit-modctl.deb added (not installed: tests install them with dpkg -i). files maps guest paths to host files to add as well
        (their directories must exist in the image). The prepared image holds the cached base
        tar's system, the kernel's modules, the test agent, users alice (group modadmin) and
        bob, and root without a password on the console."""
        base = self.prepared_image(extra_packages, network, size)
        deb = self.deb() if with_deb else None
        img = os.path.join(self.work, name + '.img')
        t = time.time()
        subprocess.run(['cp', '--sparse=always', base, img], check=True)
        add = dict(files or {})
        if deb:
            add['/root/modctl.deb'] = deb
            add['/root/cockpit-modctl.deb'] = self.cockpit_deb()
        if add:
            cmds = ''.join(f'cd {os.path.dirname(g) or "/"}\nwrite {h} {os.path.basename(g)}\n'
                           for g, h in add.items())
            r = subprocess.run(['debugfs', '-w', '-f', '-', img], input=cmds, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0 or 'rror' in r.stdout:
                raise Failure(f'adding files to {img} failed: {r.stdout}')
        log(f'image {os.path.basename(img)} ready in {time.time() - t:.0f} s')
        return img

    def prepared_image(self, extra_packages=(), network=False, size='2G'):
        tar = self.base_tar(extra_packages)
        h = hashlib.sha256()
        for part in (tar, self.suite, self.kver, str(network), size, repr(sorted(USERS.items()))):
            h.update(part.encode() + b'\0')
        h.update(open(os.path.join(HERE, 'agent'), 'rb').read())
        h.update(open(os.path.abspath(__file__), 'rb').read())
        img = os.path.join(self.work, f'prepared-{h.hexdigest()[:16]}.img')
        import fcntl
        with open(img + '.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if os.path.exists(img):
                return img
            t = time.time()
            root = img + '.root'
            subprocess.run(['rm', '-rf', root], check=True)
            os.makedirs(root)
            subprocess.run(['tar', '-C', root, '--numeric-owner', '-xf', tar], check=True)
            moddir = os.path.join(root, 'lib/modules')
            os.makedirs(moddir, exist_ok=True)
            subprocess.run(['cp', '-a', self.moddir, moddir], check=True)
            # The guest's own depmod (kmod 34 on trixie writes modules.weakdep too).
            subprocess.run(['chroot', root, 'depmod', self.kver], check=True)
            self._install_agent(root)
            self._prepare_accounts(root)
            with open(os.path.join(root, 'etc/hostname'), 'w') as f:
                f.write('modctl-system\n')
            with open(os.path.join(root, 'etc/fstab'), 'w') as f:
                f.write('/dev/vda / ext4 rw,relatime 0 1\n')
            if network:
                self._network(root)
            subprocess.run(['mke2fs', '-q', '-t', 'ext4', '-d', root, '-L', 'root', img + '.tmp', size],
                           check=True, stdout=subprocess.DEVNULL)
            os.rename(img + '.tmp', img)
            subprocess.run(['rm', '-rf', root], check=True)
            log(f'prepared {os.path.basename(img)} in {time.time() - t:.0f} s')
            return img

    def initramfs(self):
        """A small initramfs instead of Debian's 31 MB one, whose unpacking and udev run take
        minutes under TCG: busybox, the modules for a virtio disk with ext4, and an init that
        mounts /dev/vda and hands over to systemd."""
        path = os.path.join(self.work, f'initramfs-{self.kver}.cpio')
        if os.path.exists(path):
            return path
        busybox = shutil.which('busybox') or '/bin/busybox'
        out = ''.join(subprocess.run(self.modprobe + ['--show-depends', m], stdout=subprocess.PIPE,
                                     text=True, check=True).stdout
                      for m in ('crc32c_generic', 'virtio_blk', 'virtio_pci', 'ext4'))
        mods = []
        for line in out.splitlines():
            f = line.split()
            if f and f[0] == 'insmod' and f[1] not in mods:
                mods.append(f[1])
        d = path + '.d'
        shutil.rmtree(d, ignore_errors=True)
        for sub in ('bin', 'dev', 'proc', 'root', 'mod'):
            os.makedirs(os.path.join(d, sub))
        shutil.copy(busybox, os.path.join(d, 'bin/busybox'))
        for i, m in enumerate(mods):
            dest = os.path.join(d, 'mod', f'{i:02d}.ko')
            # trixie's modules are .ko.xz: busybox's insmod gets them decompressed.
            if m.endswith('.xz'):
                with open(dest, 'wb') as f:
                    subprocess.run(['xz', '-dc', m], stdout=f, check=True)
            else:
                shutil.copy(m, dest)
        with open(os.path.join(d, 'init'), 'w') as f:
            f.write('#!/bin/busybox sh\n'
                    'B=/bin/busybox\n'
                    '$B mount -t proc proc /proc\n'
                    '$B mount -t devtmpfs dev /dev\n'
                    'for m in /mod/*.ko; do $B insmod $m; done\n'
                    # The disk appears while virtio_pci binds; this only covers a late probe.
                    'i=0; while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do $B sleep 0.1; i=$((i+1)); done\n'
                    '$B mount -t ext4 -o rw /dev/vda /root || { echo "initramfs: cannot mount /dev/vda"; $B sh; }\n'
                    '$B umount /proc; $B umount /dev\n'
                    'exec $B switch_root /root /sbin/init\n')
        os.chmod(os.path.join(d, 'init'), 0o755)
        subprocess.run(f'cd {d} && find . | cpio -o -H newc --quiet >{path}.tmp', shell=True, check=True)
        os.rename(path + '.tmp', path)
        shutil.rmtree(d)
        return path

    def _install_agent(self, root):
        shutil.copy(os.path.join(HERE, 'agent'), os.path.join(root, 'usr/local/sbin/modctl-test-agent'))
        os.chmod(os.path.join(root, 'usr/local/sbin/modctl-test-agent'), 0o755)
        unit = os.path.join(root, 'etc/systemd/system/modctl-test-agent.service')
        with open(unit, 'w') as f:
            f.write('[Unit]\nDescription=modctl system test agent (ttyS1)\nAfter=multi-user.target\n\n'
                    '[Service]\nExecStart=/usr/local/sbin/modctl-test-agent /dev/ttyS1\n'
                    'StandardOutput=journal+console\nStandardError=journal+console\n'
                    'Restart=always\n\n[Install]\nWantedBy=multi-user.target\n')
        wants = os.path.join(root, 'etc/systemd/system/multi-user.target.wants')
        os.makedirs(wants, exist_ok=True)
        os.symlink('/etc/systemd/system/modctl-test-agent.service',
                   os.path.join(wants, 'modctl-test-agent.service'))

    def _prepare_accounts(self, root):
        # root logs in on the console without a password (for debugging a failed boot).
        shadow = os.path.join(root, 'etc/shadow')
        lines = open(shadow).read().splitlines()
        lines = [('root::' + l.split(':', 2)[2]) if l.startswith('root:') else l for l in lines]
        open(shadow, 'w').write('\n'.join(lines) + '\n')
        subprocess.run(['chroot', root, 'groupadd', '--system', 'modadmin'], check=True)
        for user, groups in USERS.items():
            cmd = ['chroot', root, 'useradd', '--create-home', '--shell', '/bin/bash']
            if groups:
                cmd += ['--groups', ','.join(groups)]
            subprocess.run(cmd + [user], check=True)

    def _network(self, root):
        """Static address for qemu's user network (10.0.2.15), so hostfwd reaches the guest."""
        d = os.path.join(root, 'etc/systemd/network')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, '10-slirp.network'), 'w') as f:
            f.write('[Match]\nName=en* eth*\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n'
                    'DNS=10.0.2.3\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n')
        for target, unit in (('multi-user.target.wants', 'systemd-networkd.service'),
                             ('sockets.target.wants', 'systemd-networkd.socket')):
            w = os.path.join(root, 'etc/systemd/system', target)
            os.makedirs(w, exist_ok=True)
            link = os.path.join(w, unit)
            if not os.path.lexists(link):
                os.symlink(f'/lib/systemd/system/{unit}', link)


class Result:
    def __init__(self, rc, out):
        self.rc = rc
        self.out = out

    def __repr__(self):
        return f'Result(rc={self.rc}, out={self.out!r})'


class Guest:
    """One qemu process running an image. Context manager: kills qemu on exit."""

    def __init__(self, env, image, name=None, memory='1G', smp=2, hostfwd=(), append='',
                 qemu_args=(), devices=True, boot_timeout=900):
        self.env = env
        self.image = image
        self.name = name or os.path.splitext(os.path.basename(image))[0]
        self.dir = os.path.join(env.work, self.name + '.run')
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.memory, self.smp, self.hostfwd = memory, smp, list(hostfwd)
        self.append, self.qemu_args, self.devices = append, list(qemu_args), devices
        self.boot_timeout = boot_timeout
        self.proc = None
        self.conn = None
        self.boot_id = None
        self.state = None
        self._buf = b''
        self._lock = threading.Lock()
        self._results = {}
        self._hellos = []
        self._cond = threading.Condition()
        self._next = 0
        self._reader = None
        self._qmp = None

    # ---- lifetime ----

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()

    def console(self):
        try:
            with open(os.path.join(self.dir, 'console.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def start(self):
        agent_path = os.path.join(self.dir, 'agent.sock')
        for stale in (agent_path, os.path.join(self.dir, 'qmp.sock')):
            if os.path.exists(stale):
                os.unlink(stale)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(agent_path)
        self.listener.listen(1)
        netdev = 'user,id=n0'
        for host, guest in self.hostfwd:
            netdev += f',hostfwd=tcp:127.0.0.1:{host}-:{guest}'
        cmd = ['qemu-system-x86_64', '-machine', 'pc', '-cpu', 'max', '-smp', str(self.smp), '-m', self.memory,
               '-nographic', '-nodefaults', '-display', 'none',
               '-kernel', self.env.vmlinuz, '-initrd', self.env.initramfs(),
               '-append', f'root=/dev/vda rw console=ttyS0 quiet loglevel=4 no_timer_check {self.append}'.strip(),
               '-drive', f'file={self.image},format=raw,if=virtio,cache=unsafe',
               '-chardev', f'file,id=con0,append=on,path={os.path.join(self.dir, "console.log")}',
               '-serial', 'chardev:con0',
               '-chardev', f'socket,id=agent0,path={agent_path}',
               '-serial', 'chardev:agent0',
               '-qmp', f'unix:{os.path.join(self.dir, "qmp.sock")},server=on,wait=off',
               '-netdev', netdev, '-device', 'e1000,netdev=n0,romfile=']
        if self.devices:
            # Real PCI devices whose drivers are modules: coldplug has work to do.
            cmd += ['-audiodev', 'none,id=snd0', '-device', 'intel-hda', '-device', 'hda-duplex,audiodev=snd0',
                    '-device', 'virtio-rng-pci', '-device', 'virtio-balloon-pci']
        cmd += self.qemu_args
        log(f'booting {self.name}: {" ".join(cmd)}')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(os.path.join(self.dir, 'qemu.log'), 'a'),
                                     stderr=subprocess.STDOUT)
        self.listener.settimeout(60)
        try:
            self.conn, _ = self.listener.accept()
        except socket.timeout:
            raise Failure(f'qemu did not connect the agent port: {open(os.path.join(self.dir, "qemu.log")).read()}')
        self.conn.settimeout(None)
        self._buf = b''
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.wait_boot()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.conn:
            self.conn.close()

    def _read_loop(self):
        while True:
            try:
                data = self.conn.recv(65536)
            except OSError:
                data = b''
            if not data:
                with self._cond:
                    self._cond.notify_all()
                return
            self._buf += data
            while b'\n' in self._buf:
                line, self._buf = self._buf.split(b'\n', 1)
                self._line(line.decode(errors='replace').strip('\r\x00 '))

    def _line(self, line):
        parts = line.split(' ')
        with self._cond:
            if parts[0] == 'HELLO' and len(parts) >= 3:
                self._hellos.append((parts[1], parts[2]))
            elif parts[0] == 'DONE' and len(parts) >= 3:
                out = base64.b64decode(parts[3]).decode(errors='replace') if len(parts) > 3 and parts[3] else ''
                self._results[parts[1]] = Result(int(parts[2]), out)
            self._cond.notify_all()

    def _wait_for(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                v = pred()
                if v:
                    return v
                if self.proc.poll() is not None:
                    raise Failure(f'qemu exited ({self.proc.returncode}) while waiting for {what}; '
                                  f'console:\n{self.console()[-3000:]}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f'timed out after {timeout} s waiting for {what}; console:\n{self.console()[-3000:]}')
                self._cond.wait(min(left, 5))

    def wait_boot(self, old_boot_id=None):
        """Wait until the agent greets from a boot other than old_boot_id."""
        t = time.monotonic()

        def hello():
            for bid, state in self._hellos:
                if bid != old_boot_id:
                    return bid, state
            return None
        self.boot_id, self.state = self._wait_for(hello, self.boot_timeout, 'the guest to boot')
        self._hellos.clear()
        log(f'{self.name}: booted in {time.monotonic() - t:.0f} s, system {self.state}')

    # ---- guest steps ----

    def run_async(self, script, user=None):
        with self._lock:
            self._next += 1
            rid = str(self._next)
        payload = base64.b64encode(script.encode()).decode()
        self.conn.sendall(f'RUN {rid} {user or "root"} {payload}\n'.encode())
        return rid

    def wait(self, rid, timeout=600):
        res = self._wait_for(lambda: self._results.get(rid), timeout, f'guest step {rid}')
        with self._cond:
            del self._results[rid]
        return res

    def run(self, script, user=None, check=True, timeout=600, quiet=False):
        """Run a bash script in the guest (as root, or as user), return Result(rc, out).
        check: raise Failure on a non-zero exit status."""
        if not quiet:
            log(f'{self.name}{" (" + user + ")" if user else ""}$ {script.strip()[:300]}')
        res = self.wait(self.run_async(script, user), timeout)
        if not quiet and res.out.strip():
            print('    ' + res.out.rstrip().replace('\n', '\n    ')[:6000], flush=True)
        if check and res.rc != 0:
            raise Failure(f'guest step failed with {res.rc}: {script.strip()[:300]}\n{res.out}')
        return res

    def out(self, script, user=None):
        return self.run(script, user=user, quiet=True).out.strip()

    def reboot(self):
        """A clean shutdown (systemctl poweroff) and a new boot of the same disk in a new qemu
        process. Not `systemctl reboot`: after qemu's warm reset under TCG, systemd's first
        steps as PID 1 take 10 to 40 s instead of one (measured here), which would swamp every
        boot-time figure. Devices added with device_add are gone after this, as after a
        power cycle."""
        old = self.boot_id
        log(f'{self.name}: rebooting (poweroff, then a new qemu)')
        self.poweroff()
        self.conn.close()
        self.listener.close()
        self._qmp = None
        self.start()
        if self.boot_id == old:
            raise Failure('the guest came back with the same boot id')

    def poweroff(self, timeout=300):
        self.run_async('systemctl poweroff')
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure('the guest did not power off')

    # ---- host side ----

    def qmp(self, command, **arguments):
        """Run a QMP command on qemu's monitor; returns its 'return' value."""
        if not self._qmp:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(self.dir, 'qmp.sock'))
            self._qmp = s.makefile('rw')
            json.loads(self._qmp.readline())            # greeting
            self._qmp_call('qmp_capabilities', {})
        return self._qmp_call(command, arguments)

    def _qmp_call(self, command, arguments):
        self._qmp.write(json.dumps({'execute': command, 'arguments': arguments}) + '\n')
        self._qmp.flush()
        while True:
            reply = json.loads(self._qmp.readline())
            if 'event' in reply:
                continue
            if 'error' in reply:
                raise Failure(f'QMP {command}: {reply["error"]}')
            return reply.get('return')


class Checks:
    """Named checks for a test script: each prints ok/FAIL; finish() exits non-zero if any failed."""

    def __init__(self):
        self.failed = []
        self.passed = 0

    def check(self, name, cond, detail=''):
        if cond:
            self.passed += 1
            log(f'ok   {name}')
        else:
            self.failed.append(name)
            log(f'FAIL {name} {detail}')
        return cond

    def finish(self):
        log(f'{self.passed} checks passed, {len(self.failed)} failed' +
            (': ' + ', '.join(self.failed) if self.failed else ''))
        sys.exit(1 if self.failed else 0)


def run_main(main):
    """Runs a test script's main(): a Failure is logged and exits 1 (Checks.finish() exits for
    the rest)."""
    try:
        main()
    except Failure as e:
        log(f'FAIL: {e}')
        sys.exit(1)
