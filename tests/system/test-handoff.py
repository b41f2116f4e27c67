# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 19, finding 3, on a full Debian 12: with Deny= on the driver of an emulated device
(i6300esb), `systemctl stop`, `systemctl restart`, kill -9 of modctld followed by the automatic
restart (Restart=on-failure), and `apt install --reinstall` of the package (prerm stops the
service, postinst starts it) each run modctl-udev-handoff stop, which replays "add" for every
driverless device to udevd. Each must leave i6300esb unloaded, while an allowed driver whose
device was left driverless (virtio_balloon) still gets loaded. Run by meson (suite system) as:
test-handoff.py BUILD_DIR SOURCE_DIR."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

DENIED_CONF = '/run/modprobe.d/modctl-denied.conf'
SETTLE = 'udevadm settle --timeout=120'
# ReloadConfig answers once the new policy is in force and the file is written (systemctl
# reload only sends SIGHUP).
RELOAD = 'busctl call org.modctl1 /org/modctl1 org.modctl1.Manager ReloadConfig'


def denied_conf(g):
    return g.run(f'cat {DENIED_CONF}', check=False, quiet=True).out


def loaded(g, module):
    return g.run(f'test -d /sys/module/{module}', check=False, quiet=True).rc == 0


def main():
    env = sysvm.Env.from_argv()
    c = sysvm.Checks()
    img = env.image('handoff')
    with sysvm.Guest(env, img) as g:
        g.run('dpkg -i /root/modctl.deb')
        g.run('mkdir -p /etc/modctl/modctld.conf.d; '
              'printf "[Policy]\\nDeny=i6300esb\\n" >/etc/modctl/modctld.conf.d/50-test.conf; ' + RELOAD)
        c.check('policy: i6300esb denied', g.run('modctl policy check i6300esb', check=False).rc == 1)
        c.check('file: i6300esb kept out for udevd', 'blacklist i6300esb' in denied_conf(g).splitlines(),
                denied_conf(g))
        c.check('file: an allowed driver is not', 'blacklist virtio_balloon' not in denied_conf(g).splitlines())
        g.qmp('device_add', driver='i6300esb', id='wd0')
        g.run(SETTLE)
        c.check('hotplug: modctld denies i6300esb', not loaded(g, 'i6300esb'))

        def handoff(what, action):
            # The allowed device loses its driver, so that the handoff has it to replay too;
            # each step starts with the watchdog driverless (only an earlier failure loaded it).
            g.run('rmmod virtio_balloon; if [ -d /sys/module/i6300esb ]; then rmmod i6300esb; fi')
            restarts = int(g.out('systemctl show -p NRestarts --value modctld.service'))
            g.run(action)
            g.run(f'{SETTLE}; udevadm wait --initialized=no --timeout=120 /sys/module/virtio_balloon', check=False)
            c.check(f'{what}: denied i6300esb stays unloaded', not loaded(g, 'i6300esb'),
                    g.out('journalctl -b --no-pager -u systemd-udevd | tail -5'))
            c.check(f'{what}: allowed virtio_balloon loaded again', loaded(g, 'virtio_balloon'))
            return restarts

        def handed_over(what):
            # ExecStartPre= linked the override again, and modctl-udev-handoff.service (bound to
            # modctld) waited for udevd's reload after this start of modctld, not before it.
            ready = int(g.out('systemctl show -p ActiveEnterTimestampMonotonic --value modctld.service'))
            settled = int(g.out('systemctl show -p ActiveEnterTimestampMonotonic --value '
                                'modctl-udev-handoff.service'))
            c.check(f'{what}: the rules override is in place',
                    g.run('test -L /run/udev/rules.d/80-drivers.rules', check=False).rc == 0)
            c.check(f'{what}: modctl-udev-handoff.service settled after modctld started',
                    g.out('systemctl is-active modctl-udev-handoff.service || true') == 'active' and
                    0 < ready <= settled, f'{ready} {settled}')

        handed_over('install')
        handoff('stop', 'systemctl stop modctld-request.socket modctld.service')
        c.check('stop: modctl-udev-handoff.service stopped with modctld',
                g.out('systemctl is-active modctl-udev-handoff.service || true') == 'inactive')
        c.check('stop: modctld stopped', g.out('systemctl is-active modctld.service || true') == 'inactive')
        c.check('stop: udevd loads modules again (override gone)',
                g.run('test -e /run/udev/rules.d/80-drivers.rules', check=False).rc != 0)
        g.run('systemctl start modctld.service')

        handoff('restart', 'systemctl restart modctld.service')
        c.check('restart: modctld active', g.out('systemctl is-active modctld.service') == 'active')
        handed_over('restart')

        # A crash: SIGKILL gives modctld no chance to write anything; ExecStopPost= still runs
        # the handoff, then Restart=on-failure starts it again.
        # tail --pid returns once PID 1 has reaped it, so the unit has left "active" by then and
        # systemctl start waits for the automatic restart.
        before = handoff('kill -9', 'pid=$(systemctl show -p MainPID --value modctld.service); kill -9 "$pid"; '
                                    'tail --pid="$pid" -f /dev/null; systemctl start modctld.service')
        after = int(g.out('systemctl show -p NRestarts --value modctld.service'))
        c.check('kill -9: restarted automatically', after == before + 1, f'{before} -> {after}')
        c.check('kill -9: modctld active', g.out('systemctl is-active modctld.service') == 'active')
        handed_over('kill -9')

        handoff('reinstall', 'DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall /root/modctl.deb')
        c.check('reinstall: modctld active', g.out('systemctl is-active modctld.service') == 'active')

        # The policy judges, not the file: once allowed, i6300esb loads through modctld.
        g.run('printf "[Policy]\\n" >/etc/modctl/modctld.conf.d/50-test.conf; ' + RELOAD)
        c.check('allowed again: no longer kept out', 'blacklist i6300esb' not in denied_conf(g).splitlines())
        g.run('modctl load i6300esb')
        c.check('allowed again: i6300esb loads', loaded(g, 'i6300esb'))

        g.run('dpkg --purge modctl')
        c.check('purge: the file is gone', g.run(f'test -e {DENIED_CONF}', check=False).rc != 0)
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
