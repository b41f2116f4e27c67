#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Cockpit page on the full Debian system: Debian's cockpit in the guest, reached from the
host through a forwarded port on the host's loopback, driven by Debian's headless chromium
(playwright-core from npm). As alice, a member of the group a polkit rule grants: log in, see
the module list, load dummy from the page and see it appear without a reload, see a load from a
guest shell appear live, enable a module for boot and see it loaded with origin boot after a
reboot, disable a module and see a later `modctl load` refused, and see a policy denial's
sentence on the page. As bob, outside the group: the same actions are refused, with the
daemon's sentence on the page. Screenshots land in BUILD/system/cockpit/.

The same test runs on Debian 13 (SUITE trixie: meson's system-trixie-cockpit) against trixie's
Cockpit, whose shell is PatternFly 6 and whose bridge is the Python one; the page brings its own
PatternFly 5, so the checks are the same. The packages are installed with `apt install ./…deb`
there, and the screenshots are named with the suite (main-trixie.png, in
BUILD/system-trixie/cockpit/).

    test-cockpit.py BUILD_DIR SOURCE_DIR [SUITE]"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

PASSWORD = 'modctl-test-pw'
POLKIT_RULE = '''polkit.addRule(function(action, subject) {
    if (action.id.indexOf("org.modctl1.") == 0 && subject.isInGroup("modadmin"))
        return polkit.Result.YES;
});
'''


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    """tests/browser/cockpit-driver.mjs, one JSON line per step each way."""

    def __init__(self, env, base, shots):
        src = os.path.join(env.source_dir, 'tests', 'browser')
        work = os.path.join(env.work, 'browser')
        os.makedirs(work, exist_ok=True)
        for f in ('package.json', 'package-lock.json', 'cockpit-driver.mjs'):
            shutil.copy(os.path.join(src, f), work)
        if not os.path.isdir(os.path.join(work, 'node_modules', 'playwright-core')):
            sysvm.log('npm ci (playwright-core, from the npm registry)')
            subprocess.run(['npm', 'ci', '--no-audit', '--no-fund'], cwd=work, check=True)
        if not shutil.which('chromium'):
            raise sysvm.Failure('chromium is missing (scripts/install-deps)')
        self.proc = subprocess.Popen(['node', os.path.join(work, 'cockpit-driver.mjs'), base, shots],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=work)

    def __call__(self, step, **args):
        self.proc.stdin.write(json.dumps({'step': step, 'args': args}) + '\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise sysvm.Failure(f'the browser driver exited during {step}')
        reply = json.loads(line)
        sysvm.log(f'browser {step} {json.dumps(args)[:120]} -> {json.dumps(reply)[:400]}')
        return reply

    def ok(self, step, **args):
        reply = self(step, **args)
        if not reply['ok']:
            raise sysvm.Failure(f'browser step {step} failed: {reply["error"]}')
        return reply['result']

    def close(self):
        self('quit')
        self.proc.wait(60)


def cockpit_login(base, user, password):
    """cockpit-ws's own login (/cockpit/login with basic authentication), without a browser:
    it starts the user's session and bridge, so the log says how long that takes on this
    guest and, if the browser's login then fails, whether Cockpit let the user in at all."""
    req = urllib.request.Request(base + '/cockpit/login', headers={
        'Authorization': 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()})
    t = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            sysvm.log(f'cockpit-ws let {user} in ({r.status}) in {time.monotonic() - t:.1f} s')
    except (urllib.error.URLError, OSError) as e:
        sysvm.log(f'cockpit-ws did not let {user} in after {time.monotonic() - t:.1f} s: {e}')


def cockpit_journal(g):
    """Cockpit's side of a failed browser step: its units' journal and the boot's warnings."""
    r = g.run("journalctl -b --no-pager -o short-monotonic -u 'cockpit*' | tail -n 60;"
              " echo '-- warnings:'; journalctl -b --no-pager -o short-monotonic -p warning | tail -n 40",
              check=False, quiet=True)
    sysvm.log('the guest\'s journal (cockpit units, then warnings):\n    ' + r.out.rstrip().replace('\n', '\n    '))


def main():
    env = sysvm.Env.from_argv()
    shots = os.path.join(env.work, 'cockpit')
    os.makedirs(shots, exist_ok=True)
    c = sysvm.Checks()
    port = free_port()
    # bookworm's screenshots keep their names (cockpit/screenshots/main.png); another suite's
    # carry its name, so that both can sit side by side in cockpit/screenshots/.
    suffix = '' if env.suite == 'bookworm' else f'-{env.suite}'

    def shot(name):
        return f'{name}{suffix}.png'
    img = env.image('cockpit', extra_packages=['cockpit'], network=True)
    with sysvm.Guest(env, img, hostfwd=[(port, 9090)]) as g:
        # The page is its own package (Architecture: all), which needs cockpit-bridge and modctl.
        g.run(env.install_command('/root/modctl.deb'))
        c.check('modctl alone has no Cockpit page', g.run('test -e /usr/share/cockpit/modctl',
                                                          check=False).rc != 0)
        g.run(env.install_command('/root/cockpit-modctl.deb'))
        g.run(f'printf "alice:{PASSWORD}\\nbob:{PASSWORD}\\n" | chpasswd')
        g.run(f"cat > /etc/polkit-1/rules.d/50-modctl-modadmin.rules <<'EOF'\n{POLKIT_RULE}EOF")
        g.run('mkdir -p /etc/cockpit && printf "[WebService]\\nAllowUnencrypted=true\\n" > /etc/cockpit/cockpit.conf')
        g.run('systemctl enable --now cockpit.socket && systemctl is-active modctld.service')
        c.check('the page is installed by cockpit-modctl', g.run(
            'test -f /usr/share/cockpit/modctl/manifest.json && dpkg -S /usr/share/cockpit/modctl/manifest.json'
            ' | grep -q "^cockpit-modctl:"', check=False).rc == 0)
        g.run('modctl unload dummy 2>/dev/null; modctl unload veth 2>/dev/null; true')

        base = f'http://127.0.0.1:{port}'
        cockpit_login(base, 'alice', PASSWORD)
        b = Browser(env, base, shots)
        try:
            # 1, 2: an ordinary user in the granted group logs in and sees the loaded modules.
            r = b.ok('login', user='alice', password=PASSWORD)
            c.check('alice sees the page', r['title'] == 'Kernel modules', r)
            loaded = b.ok('loaded')
            kernel = g.out("cut -d' ' -f1 /proc/modules | sort").split()
            c.check('the page lists the loaded modules', sorted(loaded) == kernel and len(kernel) > 5,
                    f'{sorted(loaded)} vs {kernel}')

            # The first view of the catalog is one page of SearchPage's rows, not the whole
            # catalog: 20 rows, and the total of every module as the daemon counts it.
            total = int(g.out('busctl call org.modctl1 /org/modctl1 org.modctl1.Manager SearchPage suu "" 0 0')
                        .split()[1])
            first = b.ok('catalog')
            c.check('the first view shows one page of the catalog and the total',
                    len(first['rows']) == 20 and first['total'] == total and total > 1000
                    and first['range'] == '1 - 20', {**first, 'daemon_total': total})
            second = b.ok('pageNext')
            c.check('the next page shows the next 20 modules',
                    second['offset'] == 20 and len(second['rows']) == 20 and second['range'] == '21 - 40'
                    and not set(second['rows']) & set(first['rows']), second)

            # 3: load dummy from the page; it appears without a reload.
            r = b.ok('search', text='dummy')
            c.check('a search starts at its first page', r['offset'] == 0 and 'dummy' in r['rows'], r)
            # What the list leaves out (license, signer) is in the details, from Info.
            r = b.ok('openDetails', name='dummy')
            c.check('the details show the license the list leaves out',
                    r['fields'].get('license') == g.out('modinfo -F license dummy') and 'filename' in r['fields'], r)
            b.ok('closeDialog')
            v = b.ok('openLoad', name='dummy')
            c.check('the verdict is shown before confirming',
                    any(x['module'] == 'dummy' and x['verdict'] == 'allow' for x in v['verdicts']), v)
            r = b.ok('confirmLoad')
            c.check('the load succeeds', r['error'] is None, r)
            r = b.ok('waitLoaded', name='dummy')
            c.check('dummy appears with origin user', r['origin'] == 'user', r)
            c.check('the guest has dummy loaded', g.run('grep -q "^dummy " /proc/modules', check=False).rc == 0)
            b.ok('screenshot', file=shot('main'))

            # 4: a load from a shell in the guest appears live.
            g.run('modctl load veth')
            r = b.ok('waitLoaded', name='veth')
            c.check('a load from a guest shell appears live', r['origin'] == 'user', r)
            g.run('modprobe -r veth || rmmod veth')
            b.ok('waitGone', name='veth')
            c.check('an unload by another tool disappears live', True)

            # 5: enable dummy for boot, reboot, it is loaded with origin boot.
            b.ok('openSettings', name='dummy')
            r = b.ok('toggle', kind='boot')
            c.check('dummy is enabled for boot from the page', r['checked'] and r['error'] is None, r)
            b.ok('closeDialog')
            b.ok('waitLabel', name='dummy', setting='boot')
            c.check('the boot list file names dummy',
                    g.run('grep -qx dummy /etc/modules-load.d/modctl.conf', check=False).rc == 0)
        except sysvm.Failure:
            cockpit_journal(g)
            raise
        finally:
            b.close()

        g.reboot()
        c.check('dummy is loaded after the reboot, origin boot',
                g.out('busctl get-property org.modctl1 /org/modctl1/module/dummy org.modctl1.Module Origin')
                == 's "boot"')
        b = Browser(env, base, shots)
        try:
            b.ok('login', user='alice', password=PASSWORD)
            r = b.ok('waitLoaded', name='dummy', origin='boot')
            c.check('the page shows dummy with origin boot after the reboot', r['origin'] == 'boot', r)

            # 6: disable vxlan; a later modctl load of it is refused.
            b.ok('search', text='vxlan')
            b.ok('openSettings', name='vxlan', table='catalog')
            r = b.ok('toggle', kind='disable')
            c.check('vxlan is disabled from the page', r['checked'] and r['error'] is None, r)
            b.ok('closeDialog')
            r = g.run('modctl load vxlan', check=False)
            c.check('a later modctl load vxlan is refused', r.rc == 3 and "Policy denies loading 'vxlan'" in r.out,
                    r.out)

            # 7: the policy denial's sentence on the page.
            v = b.ok('openLoad', name='vxlan')
            c.check('the page shows the denial before loading',
                    not v['enabled'] and v['error'] and "Module 'vxlan' is masked by Deny=vxlan." in v['error'], v)
            b.ok('screenshot', file=shot('denial'))
            b.ok('closeDialog')
            b.ok('openSettings', name='vxlan', table='catalog')
            b.ok('toggle', kind='disable')
            b.ok('closeDialog')

            # The page follows the browser's language.
            r = b.ok('login', user='alice', password=PASSWORD, locale='zh-CN')
            c.check('the page is in Chinese for a zh-CN browser', r['title'] == '内核模块', r)
            # The browser runs on the host: without a CJK font there, the screenshot shows boxes.
            fonts = subprocess.run(['fc-list', ':lang=zh', 'family'], stdout=subprocess.PIPE, text=True).stdout
            c.check('the host has a CJK font for the zh_CN screenshot (install-deps: fonts-wqy-zenhei)',
                    fonts.strip() != '', fonts)
            b.ok('screenshot', file=shot('main-zh_CN'))

            # 8: bob is not in the group: refused, with the daemon's sentence.
            r = b.ok('login', user='bob', password=PASSWORD)
            c.check('bob sees the page too (reading is open)', r['title'] == 'Kernel modules', r)
            b.ok('search', text='macvlan')
            b.ok('openLoad', name='macvlan')
            r = b.ok('confirmLoad')
            c.check('bob is refused loading, with the daemon\'s sentence',
                    r['error'] and "module 'macvlan'" in r['error'], r)
            b.ok('screenshot', file=shot('refused'))
            c.check('macvlan is not loaded', g.run('grep -q "^macvlan " /proc/modules', check=False).rc != 0)
            b.ok('closeDialog')
            b.ok('openSettings', name='dummy')
            r = b.ok('toggle', kind='boot')
            c.check('bob is refused changing a setting', r['error'] and "module 'dummy'" in r['error'], r)
            c.check('the boot list still names dummy',
                    g.run('grep -qx dummy /etc/modules-load.d/modctl.conf', check=False).rc == 0)
        except sysvm.Failure:
            cockpit_journal(g)
            raise
        finally:
            b.close()
        g.poweroff()
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
