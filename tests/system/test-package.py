# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian package on a full Debian 12 system (systemd, udevd, dbus, polkitd, journald):
install with dpkg -i, reboot with modctld enabled, then boot order, coldplug, early kernel
requests, iptables, the udev handoff, polkit, the journal, reload, restart under load, and
purge. Run by meson (suite system) as: test-package.py BUILD_DIR SOURCE_DIR."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

HELPER = '/usr/libexec/modctl/modctl-request'
MSG = {   # include/modctl-messages.h
    'loaded': '9843b42ecff74db8a24724a9ee51066b',
    'unloaded': 'e50764409cc64822b8cd09022e8e244e',
    'failed': '169ea059b4e04933ab0aa17ff3ca1b3c',
    'denied': '6897438789d14f368912bd4d85a7bf63',
    'kernel': '32eae9a0eb8f41aeaa1d65600ae9dbcc',
}
# modules-load.d of the test: br_netfilter for the sysctl check, and a few without devices.
# Not loop: systemd's modprobe@loop.service loads it early on every Debian boot.
BOOT_LIST = ['br_netfilter', 'sch_netem', 'tun', 'overlay']

# A unit that makes the kernel request a module early in boot, before sysinit.target.
EARLY_UNIT = """[Unit]
Description=modctl test: a kernel request before sysinit.target
DefaultDependencies=no
After=modctld-boot-list.service systemd-sysctl.service
Before=sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link add early0 type dummy

[Install]
WantedBy=sysinit.target
"""

POLKIT_RULES = """polkit.addRule(function(action, subject) {
    if ((action.id == "org.modctl1.load" || action.id == "org.modctl1.unload") &&
        subject.isInGroup("modadmin")) {
        return polkit.Result.YES;
    }
});
"""


def origin(g, module):
    path = '/org/modctl1/module/' + module.replace('_', '_5f')
    r = g.run(f'busctl get-property org.modctl1 {path} org.modctl1.Module Origin', check=False, quiet=True)
    return r.out.strip().removeprefix('s ').strip('"') if r.rc == 0 else f'<{r.out.strip()}>'


def journal(g, match):
    out = g.out(f'journalctl -b --no-pager -o json {match}')
    return [json.loads(line) for line in out.splitlines() if line.startswith('{')]


def loaded(g, module):
    return g.run(f'test -d /sys/module/{module}', check=False, quiet=True).rc == 0


def main():
    env = sysvm.Env.from_argv()
    c = sysvm.Checks()
    # The autopkgtest's check of the installed package (debian/tests/installed), run as-is.
    installed_test = os.path.join(env.source_dir, 'debian', 'tests', 'installed')
    img = env.image('package', files={'/root/autopkgtest-installed': installed_test})
    with sysvm.Guest(env, img) as g:
        # ---- first boot: a stock system; install the package ----
        c.check('stock kernel.modprobe', g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe')
        g.run(env.install_command('/root/modctl.deb'))
        c.check('installed: modctld enabled', g.out('systemctl is-enabled modctld.service') == 'enabled')
        c.check('installed: modctld active', g.out('systemctl is-active modctld.service') == 'active')
        c.check('installed: request socket active',
                g.out('systemctl is-active modctld-request.socket') == 'active')
        c.check('installed: udev override in /run',
                g.out('readlink /run/udev/rules.d/80-drivers.rules') == '/usr/lib/modctl/udev/80-drivers.rules')
        c.check('installed: no rules in /etc', g.out('ls /etc/udev/rules.d') == '')
        c.check('installed: kernel.modprobe is the helper', g.out('cat /proc/sys/kernel/modprobe') == HELPER)
        c.check('installed: man page', 'modctld' in g.out('man -w modctld 2>&1 || ls /usr/share/man/man8'))
        c.check('installed: bus API up', 'Version' in g.out('busctl introspect org.modctl1 /org/modctl1'))
        # What the next boot checks.
        g.run(f'printf "%s\\n" {" ".join(BOOT_LIST)} >/etc/modules-load.d/modctl-test.conf')
        g.run('echo net.bridge.bridge-nf-call-iptables=0 >/etc/sysctl.d/90-modctl-test.conf')
        g.run(f"cat >/etc/systemd/system/modctl-early-request.service <<'EOF'\n{EARLY_UNIT}EOF\n"
              'systemctl enable modctl-early-request.service')
        g.run(f"cat >/etc/polkit-1/rules.d/50-modctl-test.rules <<'EOF'\n{POLKIT_RULES}EOF")
        g.reboot()

        # ---- second boot: modctld enabled from the start ----
        c.check('boot: system running, no failed unit', g.state == 'running',
                g.out('systemctl --failed --no-legend'))
        c.check('boot: systemctl --failed is empty', g.out('systemctl --failed --no-legend --plain') == '')
        r = g.run('AUTOPKGTEST_TMP=$(mktemp -d) sh /root/autopkgtest-installed', check=False)
        c.check('autopkgtest debian/tests/installed passes', r.rc == 0, r.out)
        cycles = g.out('journalctl -b --no-pager | grep -i "ordering cycle" || true')
        c.check('boot: no ordering cycle', cycles == '', cycles)
        after = g.out('systemctl show -p After --value modctld.service')
        c.check('boot: modctld not ordered after dbus', 'dbus' not in after, after)
        for m in BOOT_LIST:
            c.check(f'boot: {m} loaded with origin boot', origin(g, m) == 'boot', origin(g, m))
        c.check('boot: bridge-nf-call-iptables applied by systemd-sysctl',
                g.out('cat /proc/sys/net/bridge/bridge-nf-call-iptables') == '0')
        # READY=1 does not wait for the boot list (issue 21): its end is modctld-boot-list.service,
        # and only what needs the boot modules waits for that.
        ready = int(g.out('systemctl show -p ActiveEnterTimestampMonotonic --value modctld.service'))
        boot_list = int(g.out('systemctl show -p ActiveEnterTimestampMonotonic --value modctld-boot-list.service'))
        sysctl = int(g.out('systemctl show -p ExecMainStartTimestampMonotonic --value systemd-sysctl.service'))
        c.check('boot: modctld-boot-list.service active',
                g.out('systemctl is-active modctld-boot-list.service') == 'active')
        c.check('boot: modctld ready before the boot list is loaded', 0 < ready < boot_list, f'{ready} {boot_list}')
        c.check('boot: boot list loaded before systemd-sysctl started', 0 < boot_list < sysctl,
                f'{boot_list} {sysctl}')
        c.check('boot: systemd-sysctl ordered after the boot list',
                'modctld-boot-list.service' in g.out('systemctl show -p After --value systemd-sysctl.service'))
        trigger_after = g.out('systemctl show -p After --value systemd-udev-trigger.service')
        c.check('boot: udev trigger not ordered after the boot list', 'modctld-boot-list' not in trigger_after,
                trigger_after)
        # The wait for udevd's rules reload is off modctld's start (issue 21): modctld has one
        # ExecStartPre= (the handoff's start, which waits for nothing), and
        # modctl-udev-handoff.service waits for udevd after modctld, before udev's trigger.
        pre = g.out('systemctl show -p ExecStartPre --value modctld.service')
        c.check('boot: modctld runs only the handoff\'s start before it',
                pre.count('path=') == 1 and 'modctl-udev-handoff' in pre and 'start' in pre, pre)
        settled = int(g.out('systemctl show -p ActiveEnterTimestampMonotonic --value modctl-udev-handoff.service'))
        trigger = int(g.out('systemctl show -p ExecMainStartTimestampMonotonic --value systemd-udev-trigger.service'))
        c.check('boot: the handoff settled after modctld was ready and before udev\'s trigger started',
                0 < ready < settled < trigger, f'{ready} {settled} {trigger}')
        trigger_chain = g.out('systemd-analyze critical-chain --no-pager systemd-udev-trigger.service 2>&1 || true')
        c.check('boot: the boot list is not on udev trigger\'s critical chain',
                'modctld-boot-list' not in trigger_chain and 'systemd-udev-trigger' in trigger_chain, trigger_chain)
        # The boot's timeline, for the README: systemd's view and modctld's.
        chain = g.run('modctl analyze critical-chain boot', check=False)
        # The 'boot' window holds the coldplug beside the boot list: its chain may end in a
        # device driver (kvm_amd <- kvm <- irqbypass on the first run), not in a boot module.
        c.check('analyze: modctl analyze critical-chain boot works',
                chain.rc == 0 and "The 'boot' window began @" in chain.out and '└─' in chain.out, chain.out)
        plot = g.run('modctl analyze plot boot', check=False, quiet=True)
        c.check('analyze: modctl analyze plot boot is an SVG', plot.rc == 0 and '<svg' in plot.out, plot.out[:200])
        captured = {
            'system-boot-critical-chain.txt': g.out('systemd-analyze critical-chain --no-pager 2>&1 || true'),
            'system-boot-critical-chain-sysctl.txt':
                g.out('systemd-analyze critical-chain --no-pager systemd-sysctl.service 2>&1 || true'),
            'system-boot-modctl-critical-chain.txt': chain.out,
            'system-boot-modctl-plot.svg': plot.out,
        }
        if env.suite != 'bookworm':   # trixie's run must not overwrite bookworm's files
            captured = {n.replace('system-', f'system-{env.suite}-', 1): t for n, t in captured.items()}
        for name, text in captured.items():
            with open(os.path.join(env.build_dir, name), 'w') as f:
                f.write(text if text.endswith('\n') else text + '\n')
        sysvm.log('boot timeline captured: ' + ', '.join(os.path.join(env.build_dir, n) for n in captured))
        c.check('boot: systemd-modules-load skipped (loaded once)',
                g.out('systemctl show -p ConditionResult --value systemd-modules-load.service') == 'no')
        for m in ('e1000', 'snd_hda_intel', 'virtio_balloon'):
            c.check(f'coldplug: {m} origin device', origin(g, m) == 'device', origin(g, m))
        c.check('early kernel request: unit succeeded',
                g.out('systemctl is-active modctl-early-request.service') == 'active')
        c.check('early kernel request: dummy origin kernel', origin(g, 'dummy') == 'kernel', origin(g, 'dummy'))
        c.check('boot: bus name owned', 'org.modctl1' in g.out('busctl list --no-legend | cut -d" " -f1'))
        c.check('user: modctl list as bob', 'br_netfilter' in g.run('modctl list', user='bob').out)

        # ---- iptables-legacy on a fresh boot goes through the helper ----
        c.check('iptables: iptable_nat not loaded yet', not loaded(g, 'iptable_nat'))
        g.run('iptables-legacy -t nat -L -n')
        c.check('iptables: iptable_nat origin kernel', origin(g, 'iptable_nat') == 'kernel', origin(g, 'iptable_nat'))
        # ip_tables itself is loaded by systemd (PID 1 loads it with autofs4 and ipv6 before any
        # unit starts, when built with +IPTC), so modctld knows it as loaded before it started.
        c.check('iptables: ip_tables loaded before modctld (no origin)', origin(g, 'ip_tables') == '',
                origin(g, 'ip_tables'))

        # ---- udev handoff ----
        g.qmp('device_add', driver='i6300esb', id='wd0')
        g.run('udevadm wait --initialized=no --timeout=120 /sys/module/i6300esb')
        c.check('hotplug: i6300esb origin device', origin(g, 'i6300esb') == 'device', origin(g, 'i6300esb'))
        # The watchdog's PCI address (vendor 8086, device 25ab).
        bdf = g.out('basename $(dirname $(grep -l 0x25ab /sys/bus/pci/devices/*/device))')
        # Stopped daemon: ExecStopPost hands loading back and replays "add" for a driverless device.
        g.run('rmmod i6300esb')
        g.run('systemctl stop modctld-request.socket modctld.service')
        c.check('stop: override removed', g.run('test -e /run/udev/rules.d/80-drivers.rules', check=False).rc != 0)
        c.check('stop: kernel.modprobe restored', g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe')
        g.run('udevadm settle --timeout=120; udevadm wait --initialized=no --timeout=60 /sys/module/i6300esb')
        c.check('stop: driverless device got its driver from udevd', loaded(g, 'i6300esb'))
        g.run(f'echo 1 >/sys/bus/pci/devices/{bdf}/remove; rmmod i6300esb; echo 1 >/sys/bus/pci/rescan; '
              'udevadm settle --timeout=120; udevadm wait --initialized=no --timeout=60 /sys/module/i6300esb')
        c.check('stop: hotplug loads through udevd', loaded(g, 'i6300esb'))
        c.check('stop: modctld still stopped', g.out('systemctl is-active modctld.service || true') == 'inactive')
        g.run('systemctl start modctld.service')
        c.check('start: override back',
                g.out('readlink /run/udev/rules.d/80-drivers.rules') == '/usr/lib/modctl/udev/80-drivers.rules')
        g.run(f'echo 1 >/sys/bus/pci/devices/{bdf}/remove; rmmod i6300esb; echo 1 >/sys/bus/pci/rescan; '
              'udevadm settle --timeout=120; udevadm wait --initialized=no --timeout=60 /sys/module/i6300esb')
        c.check('start: hotplug through modctld again', origin(g, 'i6300esb') == 'device', origin(g, 'i6300esb'))

        # ---- polkit: a group rule, and an outsider refused without a hanging prompt ----
        r = g.run('timeout 120 modctl --no-ask-password load veth', user='alice', check=False)
        c.check('polkit: alice (modadmin) loads veth', r.rc == 0 and loaded(g, 'veth'), r.out)
        c.check('polkit: veth origin user', origin(g, 'veth') == 'user', origin(g, 'veth'))
        r = g.run('timeout 120 modctl --no-ask-password load vxlan', user='bob', check=False)
        # exit codes are modctl(1)'s EXIT STATUS: 3 policy denied, 4 not found, 6 not authorized
        c.check('polkit: bob refused at once', r.rc == 6 and not loaded(g, 'vxlan'), f'rc={r.rc} {r.out}')

        # ---- journal ----
        e = [x for x in journal(g, 'MODULE=veth') if x.get('MESSAGE_ID') == MSG['loaded']]
        c.check('journal: load of veth', len(e) == 1 and e[0].get('ORIGIN') == 'user', e)
        r = g.run('modctl load modctl_no_such_module', check=False)
        e = [x for x in journal(g, 'MODULE=modctl_no_such_module') if x.get('MESSAGE_ID') == MSG['failed']]
        c.check('journal: failure has ERRNO', r.rc == 4 and len(e) == 1 and e[0].get('ERRNO') == '2', e)
        e = [x for x in journal(g, 'MODULE=iptable_nat') if x.get('MESSAGE_ID') == MSG['kernel']]
        c.check('journal: kernel request for iptable_nat', len(e) >= 1, e)

        # ---- journal: who loaded it, a polkit-granted user and the unit she called from ----
        # dummy came in by the early kernel request; free it, and alice loads it again.
        g.run('ip link del early0; modctl unload dummy')
        e = [x for x in journal(g, 'MODULE=dummy') if x.get('MESSAGE_ID') == MSG['unloaded']]
        c.check('journal: unload names root', len(e) == 1 and e[0].get('CALLER_UID') == '0'
                and e[0].get('CALLER_COMM') == 'modctl', e)
        # The unit as sd-bus reports it: the first service or scope of the caller's cgroup.
        r = g.run('timeout 120 modctl --no-ask-password load dummy && id -u && '
                  'grep -o "[^/]*\\.\\(service\\|scope\\)" /proc/self/cgroup | head -1', user='alice', check=False)
        lines = r.out.split()
        uid, unit = (lines[-2], lines[-1]) if r.rc == 0 and len(lines) >= 2 else (None, None)
        e = [x for x in journal(g, 'MODULE=dummy') if x.get('MESSAGE_ID') == MSG['loaded'] and x.get('ORIGIN') == 'user']
        c.check('journal: alice\'s load of dummy has her uid and unit',
                r.rc == 0 and len(e) == 1 and e[0].get('CALLER_UID') == uid and e[0].get('CALLER_UNIT') == unit
                and e[0].get('CALLER_COMM') == 'modctl' and e[0].get('CALLER_PID', '').isdigit(),
                f'rc={r.rc} out={r.out!r} entries={e}')

        # ---- reload applies a policy change; the denial is in the journal ----
        c.check('reload: nbd allowed before', g.run('modctl policy check nbd', check=False).rc == 0)
        g.run('mkdir -p /etc/modctl/modctld.conf.d; printf "[Policy]\\nDeny=nbd\\n" >/etc/modctl/modctld.conf.d/50-test.conf')
        g.run('systemctl reload modctld.service')
        r = g.run('modctl load nbd', check=False)
        c.check('reload: nbd denied after', r.rc == 3 and 'Deny' in r.out and not loaded(g, 'nbd'), r.out)
        e = [x for x in journal(g, 'MODULE=nbd') if x.get('MESSAGE_ID') == MSG['denied']]
        c.check('journal: policy denial', len(e) == 1 and e[0].get('ORIGIN') == 'user', e)
        c.check('journal: catalog explains the denial',
                'modctl policy check' in g.out(f'journalctl -b -x --no-pager MESSAGE_ID={MSG["denied"]}'))

        # ---- restart during a stream of kernel requests: none hangs ----
        stream = ('n=0; bad=0; for i in $(seq 1 150); do '
                  'timeout 60 ip link add s$i type modctlnope$i 2>/dev/null; rc=$?; '
                  '[ $rc -eq 124 ] && bad=$((bad+1)); '
                  'timeout 60 ip link add b$i type bond 2>/dev/null || { [ $? -eq 124 ] && bad=$((bad+1)); }; '
                  'ip link del b$i 2>/dev/null; n=$((n+1)); done; echo "$n $bad"')
        h = g.run_async(stream)
        g.run('sleep 2; systemctl restart modctld.service; sleep 2; systemctl restart modctld.service')
        n, bad = g.wait(h, timeout=900).out.split()
        c.check('restart: every kernel request answered, none hung', n == '150' and bad == '0', f'{n} {bad}')
        c.check('restart: bonding loaded', loaded(g, 'bonding'))
        c.check('restart: modctld active again', g.out('systemctl is-active modctld.service') == 'active')

        # ---- remove (not purge) with the README's modprobe diversion in place ----
        # The settings modctl wrote for kmod stay and still work; Deny= (modctld's own policy,
        # nbd since the reload above) stops applying. The diverted /sbin/modprobe links to the
        # removed modprobe mode: postrm says so and points kernel.modprobe at kmod's binary.
        g.run('modctl blacklist pcspkr')
        # kmod is a multi-call binary that picks its tool by argv[0]'s basename: the diverted
        # link must still be called "modprobe" (a /sbin/modprobe.kmod exits 254, doing nothing).
        # Under merged /usr both aliased names are diverted, to aliased targets (DEP17). Into
        # /usr/lib itself: trixie's kmod ships /usr/sbin/modprobe as the relative link
        # ../bin/kmod, which dangles when renamed into a deeper directory (it did, 2026-12-08).
        g.run('dpkg-divert --local --rename --divert /lib/modprobe --add /sbin/modprobe && '
              'dpkg-divert --local --no-rename --divert /usr/lib/modprobe --add /usr/sbin/modprobe && '
              'ln -s /usr/libexec/modctl/modprobe /sbin/modprobe && /usr/lib/modprobe --version')
        r = g.run('dpkg --remove modctl 2>&1')
        c.check('remove: postrm names the dangling modprobe link',
                '/sbin/modprobe links to the removed /usr/libexec/modctl/modprobe' in r.out, r.out)
        c.check('remove: kernel.modprobe is the diverted kmod binary',
                g.out('cat /proc/sys/kernel/modprobe') == '/lib/modprobe', g.out('cat /proc/sys/kernel/modprobe'))
        g.run('ip link add r0 type ifb')
        c.check('remove: kernel request answered by kmod', loaded(g, 'ifb'))
        c.check('remove: the blacklist stays for kmod',
                'blacklist pcspkr' in g.out('/lib/modprobe -c | grep -x "blacklist pcspkr"'))
        g.run('/lib/modprobe nbd')
        c.check('remove: Deny= no longer applies', loaded(g, 'nbd'))
        g.run('rmmod nbd; ip link del r0; rm /sbin/modprobe && '
              'dpkg-divert --local --no-rename --remove /usr/sbin/modprobe && '
              'dpkg-divert --local --rename --remove /sbin/modprobe && '
              'test -x /sbin/modprobe')
        g.run('echo /sbin/modprobe >/proc/sys/kernel/modprobe')

        # ---- purge gives the stock system back, without a reboot ----
        g.run('dpkg --purge modctl')
        c.check('purge: kernel.modprobe is /sbin/modprobe', g.out('cat /proc/sys/kernel/modprobe') == '/sbin/modprobe')
        c.check('purge: no udev override', g.run('test -e /run/udev/rules.d/80-drivers.rules', check=False).rc != 0)
        c.check('purge: modules-load drop-in gone',
                g.run('test -e /lib/systemd/system/systemd-modules-load.service.d/50-modctl.conf', check=False).rc != 0)
        g.run(f'echo 1 >/sys/bus/pci/devices/{bdf}/remove; rmmod i6300esb; echo 1 >/sys/bus/pci/rescan; '
              'udevadm settle --timeout=120; udevadm wait --initialized=no --timeout=60 /sys/module/i6300esb')
        c.check('purge: hotplug loads through udevd', loaded(g, 'i6300esb'))
        g.run('ip link add p0 type geneve id 1 remote 192.0.2.1')
        c.check('purge: kernel request through modprobe', loaded(g, 'geneve'))
        g.run('systemctl restart systemd-modules-load.service')
        c.check('purge: systemd-modules-load runs again',
                g.out('systemctl show -p ConditionResult --value systemd-modules-load.service') == 'yes')
        c.check('purge: no failed unit', g.out('systemctl --failed --no-legend --plain') == '')
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
