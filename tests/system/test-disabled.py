# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 22, "a host that stays whole", on a full Debian 12: with modctl installed but modctld
disabled (and, on another boot, masked), the host behaves as stock after a reboot: a kernel
request is answered by /sbin/modprobe, a hot-added device gets its driver from udevd, the boot
list is loaded by systemd-modules-load, modprobe@.service loads through kmod, and a `modctl
list` by an unprivileged user does not start the daemon (no bus activation). Enabled again,
the handoff is back (kernel.modprobe, the udev override, bus activation). With
Ownership=exclusive, `systemctl start modprobe@loop.service` loads loop through modctld while
insmod stays refused. Run by meson (suite system) as: test-disabled.py BUILD_DIR SOURCE_DIR."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

HELPER = '/usr/libexec/modctl/modctl-request'
OVERRIDE = '/run/udev/rules.d/80-drivers.rules'
# Modules without devices, loaded by nothing else at boot (not loop: modprobe@loop.service).
BOOT_LIST = ['sch_netem', 'tun', 'overlay']
MSG_KERNEL = '32eae9a0eb8f41aeaa1d65600ae9dbcc'
MSG_LOADED = '9843b42ecff74db8a24724a9ee51066b'
SETTLE = 'udevadm settle --timeout=120'


def loaded(g, module):
    return g.run(f'test -d /sys/module/{module}', check=False, quiet=True).rc == 0


def origin(g, module):
    path = '/org/modctl1/module/' + module.replace('_', '_5f')
    r = g.run(f'busctl get-property org.modctl1 {path} org.modctl1.Module Origin', check=False, quiet=True)
    return r.out.strip().removeprefix('s ').strip('"') if r.rc == 0 else f'<{r.out.strip()}>'


def journal(g, match):
    out = g.out(f'journalctl -b --no-pager -o json {match}')
    return [json.loads(line) for line in out.splitlines() if line.startswith('{')]


def stock_host(g, c, how, dummy_kind, device_id):
    """The checks of a boot with modctld `how` (disabled or masked)."""
    state = g.out('systemctl is-enabled modctld.service || true')
    c.check(f'{how}: modctld is {how}', state == how, state)
    c.check(f'{how}: modctld not running', g.out('systemctl is-active modctld.service || true') == 'inactive')
    c.check(f'{how}: no failed unit', g.out('systemctl --failed --no-legend --plain') == '',
            g.out('systemctl --failed --no-legend --plain'))
    c.check(f'{how}: kernel.modprobe is /sbin/modprobe', g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe',
            g.out('cat /proc/sys/kernel/modprobe'))
    c.check(f'{how}: no udev override', g.run(f'test -e {OVERRIDE}', check=False).rc != 0)
    # The boot list: systemd-modules-load ran (its drop-in's marker is missing) and loaded it.
    c.check(f'{how}: systemd-modules-load ran',
            g.out('systemctl show -p ConditionResult --value systemd-modules-load.service') == 'yes' and
            g.out('systemctl show -p Result --value systemd-modules-load.service') == 'success')
    for m in BOOT_LIST:
        c.check(f'{how}: boot list {m} loaded', loaded(g, m))
    # A kernel request: the kernel runs /sbin/modprobe (nothing of modctl's hook runs).
    c.check(f'{how}: {dummy_kind} not loaded yet', not loaded(g, dummy_kind))
    g.run(f'ip link add k0 type {dummy_kind}; ip link del k0')
    c.check(f'{how}: kernel request for {dummy_kind} answered', loaded(g, dummy_kind))
    c.check(f'{how}: not through the hook', journal(g, f'MESSAGE_ID={MSG_KERNEL}') == [])
    # A hot-added device: udevd's own 80-drivers.rules loads its driver.
    g.qmp('device_add', driver='i6300esb', id=device_id)
    g.run(f'{SETTLE}; udevadm wait --initialized=no --timeout=120 /sys/module/i6300esb', check=False)
    c.check(f'{how}: hot-added i6300esb got its driver from udevd', loaded(g, 'i6300esb'),
            g.out('journalctl -b --no-pager -u systemd-udevd | tail -5'))
    # systemd's own loader units: kmod's modprobe (the drop-in's stock path).
    g.run('rmmod loop 2>/dev/null || :; systemctl start modprobe@loop.service')
    c.check(f'{how}: modprobe@loop.service loads loop', loaded(g, 'loop'))
    # An unprivileged user's modctl list: no bus activation of a disabled or masked daemon.
    # (It lists /proc/modules itself then, and says so.)
    r = g.run('modctl list', user='bob', check=False)
    c.check(f'{how}: modctl list as bob: modctld not reachable', r.rc == 0 and 'not reachable' in r.out and
            'tun' in r.out, r.out)
    c.check(f'{how}: ... and did not start modctld', g.out('systemctl is-active modctld.service || true') == 'inactive')
    r = g.run('busctl call org.modctl1 /org/modctl1 org.freedesktop.DBus.Peer Ping', user='bob', check=False)
    c.check(f'{how}: a bus call does not activate it either: systemd refuses the alias',
            r.rc != 0 and 'dbus-org.modctl1.service' in r.out, r.out)
    c.check(f'{how}: modctld never started this boot',
            g.out('systemctl show -p ExecMainStartTimestampMonotonic --value modctld.service') == '0')


def main():
    env = sysvm.Env.from_argv()
    c = sysvm.Checks()
    img = env.image('disabled')
    with sysvm.Guest(env, img) as g:
        g.run(env.install_command('/root/modctl.deb'))
        c.check('installed: kernel.modprobe is the helper', g.out('cat /proc/sys/kernel/modprobe') == HELPER)
        c.check('installed: no sysctl.d file', g.run('ls /usr/lib/sysctl.d/*modctl* /lib/sysctl.d/*modctl*',
                                                     check=False).rc != 0)
        c.check('installed: alias dbus-org.modctl1.service',
                g.out('readlink /etc/systemd/system/dbus-org.modctl1.service').endswith('/modctld.service'))
        g.run(f'printf "%s\\n" {" ".join(BOOT_LIST)} >/etc/modules-load.d/modctl-test.conf')

        # ---- disabled ----
        g.run('systemctl disable --now modctld.service')
        c.check('disable: stopped, kernel.modprobe restored',
                g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe')
        c.check('disable: alias gone', g.run('test -e /etc/systemd/system/dbus-org.modctl1.service',
                                             check=False).rc != 0)
        g.reboot()
        stock_host(g, c, 'disabled', 'dummy', 'wd0')

        # ---- masked: from an enabled install. The socket too: systemd refuses to start a
        # socket whose service is masked, and lists it as failed (README). ----
        g.run('systemctl enable modctld.service && systemctl mask modctld.service modctld-request.socket')
        g.reboot()
        stock_host(g, c, 'masked', 'veth', 'wd1')

        # ---- enabled again: the handoff is back, without a reboot ----
        g.run('systemctl unmask modctld.service modctld-request.socket && systemctl enable --now modctld.service')
        c.check('enabled: modctld active', g.out('systemctl is-active modctld.service') == 'active')
        c.check('enabled: kernel.modprobe is the helper', g.out('cat /proc/sys/kernel/modprobe') == HELPER)
        c.check('enabled: udev override back', g.out(f'readlink {OVERRIDE}') == '/usr/lib/modctl/udev/80-drivers.rules')
        g.run('ip link add k1 type vxlan id 1 dstport 4789; ip link del k1')
        c.check('enabled: kernel request through the hook', origin(g, 'vxlan') == 'kernel', origin(g, 'vxlan'))
        # Bus activation works again for a user (after a stop, the alias is there).
        g.run('systemctl stop modctld.service')
        c.check('enabled+stopped: kernel.modprobe restored', g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe')
        r = g.run('modctl list', user='bob', check=False)
        c.check('enabled: modctl list as bob activates modctld', r.rc == 0 and 'tun' in r.out, r.out)
        c.check('enabled: activated daemon active', g.out('systemctl is-active modctld.service') == 'active')

        # SIGKILL: the daemon cannot restore kernel.modprobe; ExecStopPost= does, then the
        # automatic restart sets it again.
        # The stop job waits for ExecStopPost= to finish; the daemon is dead before it is queued.
        g.run('pid=$(systemctl show -p MainPID --value modctld.service); kill -9 "$pid"; '
              'tail --pid="$pid" -f /dev/null; systemctl stop modctld.service')
        c.check('kill -9: kernel.modprobe restored by ExecStopPost',
                g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe', g.out('cat /proc/sys/kernel/modprobe'))
        g.run('systemctl reset-failed modctld.service; systemctl start modctld.service')

        # ---- Ownership=exclusive: modprobe@ through modctld, insmod refused ----
        g.run('mkdir -p /etc/modctl/modctld.conf.d; printf "[Daemon]\\nOwnership=exclusive\\n" '
              '>/etc/modctl/modctld.conf.d/50-test.conf; systemctl restart modctld.service')
        enforcement = g.out('busctl get-property org.modctl1 /org/modctl1 org.modctl1.Manager OwnershipEnforcement')
        c.check('exclusive: enforced', 'active' in enforcement, enforcement)
        ko = g.out('modinfo -n nlmon')
        r = g.run(f'insmod {ko}', check=False)
        c.check('exclusive: insmod refused', r.rc != 0 and 'not permitted' in r.out and not loaded(g, 'nlmon'), r.out)
        g.run('rmmod loop 2>/dev/null || :')
        c.check('exclusive: loop unloaded first', not loaded(g, 'loop'))
        g.run('systemctl start modprobe@loop.service')
        c.check('exclusive: modprobe@loop.service loads loop', loaded(g, 'loop'),
                g.out('journalctl -b --no-pager -u modprobe@loop.service | tail -5'))
        c.check('exclusive: loop loaded by modctld (origin user)', origin(g, 'loop') == 'user', origin(g, 'loop'))
        e = [x for x in journal(g, 'MODULE=loop') if x.get('MESSAGE_ID') == MSG_LOADED]
        c.check('exclusive: the journal has the load of loop by modctld, origin user',
                any(x.get('ORIGIN') == 'user' for x in e), e)
        refused = g.out('journalctl -b --no-pager -u modprobe@loop.service | grep -ci "not permitted" || true')
        c.check('exclusive: no refusal of modprobe@loop', refused == '0', refused)
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
