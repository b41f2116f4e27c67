# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot benchmark on the full Debian system (tests/system): the same image booted alternately
with modctl enabled (modctld loads the boot list and coldplugs) and stock (systemd-modules-load
and udevd), with the same 30-module list in /etc/modules-load.d. Measured per boot: seconds
from kernel start (/proc/uptime) until every module of the boot list and the emulated devices'
drivers is loaded, taken by a unit that starts early and waits for them with `udevadm wait`
(the same waiter in both configurations). Prints the medians and the ratio stock / modctl.

    bench-system-boot.py BUILD_DIR SOURCE_DIR [ROUNDS]      (default 3 rounds)
"""

import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'system'))
import sysvm  # noqa: E402

BOOT_LIST = ('veth bridge 8021q bonding tun macvlan ipvlan vxlan geneve wireguard nf_tables nft_ct '
             'nft_chain_nat nf_conntrack nf_nat ip_tables overlay fuse squashfs isofs udf vfat nbd zram '
             'cryptd tcp_bbr sch_netem uinput snd_aloop ifb').split()
DEVICE_DRIVERS = ['e1000', 'snd_hda_intel', 'virtio_rng']

WAIT_UNIT = """[Unit]
Description=modctl benchmark: time until the boot list and coldplug drivers are loaded
DefaultDependencies=no
After=systemd-udevd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'udevadm wait --initialized=no --timeout=900 %s && cut -d" " -f1 /proc/uptime >/run/bench-loaded'

[Install]
WantedBy=sysinit.target
""" % ' '.join(f'/sys/module/{m}' for m in BOOT_LIST + DEVICE_DRIVERS)

STOCK = ('systemctl disable modctld.service modctld-request.socket && '
         'ln -sf /dev/null /etc/sysctl.d/50-modctl.conf')
MODCTL = 'rm -f /etc/sysctl.d/50-modctl.conf && systemctl enable modctld.service modctld-request.socket'


def measure(g, config):
    g.run('systemctl is-system-running --wait >/dev/null || true', quiet=True)
    t = float(g.out('cat /run/bench-loaded'))
    extra = {}
    for unit in ('modctld.service', 'systemd-modules-load.service', 'systemd-udev-trigger.service'):
        extra[unit] = g.out(f'systemctl show -p ActiveEnterTimestampMonotonic --value {unit}')
    if config == 'modctl':
        ok = g.out('systemctl is-active modctld.service') == 'active'
        origins = g.out('modctl list --json | head -c 0; journalctl -b -o cat -u modctld.service | '
                        'grep -c "origin boot" || true')
        sysvm.log(f'modctl: {t:.2f} s (modctld ready at {int(extra["modctld.service"]) / 1e6:.2f} s, '
                  f'{origins} boot loads logged)')
        if not ok:
            raise sysvm.Failure('modctld is not active in the modctl configuration')
    else:
        ok = g.out('systemctl is-active modctld.service || true') == 'inactive'
        sysvm.log(f'stock: {t:.2f} s (systemd-modules-load done at '
                  f'{int(extra["systemd-modules-load.service"] or 0) / 1e6:.2f} s)')
        if not ok:
            raise sysvm.Failure('modctld runs in the stock configuration')
    return t


def main():
    env = sysvm.Env.from_argv()
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    img = env.image('bench-boot')
    times = {'modctl': [], 'stock': []}
    with sysvm.Guest(env, img) as g:
        g.run('dpkg -i /root/modctl.deb >/dev/null')
        g.run('printf "%s\\n" ' + ' '.join(BOOT_LIST) + ' >/etc/modules-load.d/bench.conf')
        g.run(f"cat >/etc/systemd/system/bench-loaded.service <<'EOF'\n{WAIT_UNIT}EOF\n"
              'systemctl enable bench-loaded.service')
        # A warm-up boot of each kind first (page cache, journal files), then alternate.
        order = ['stock', 'modctl'] + ['stock', 'modctl'] * rounds
        for i, config in enumerate(order):
            g.run(STOCK if config == 'stock' else MODCTL, quiet=True)
            g.reboot()
            t = measure(g, config)
            if i >= 2:
                times[config].append(t)
    m, s = statistics.median(times['modctl']), statistics.median(times['stock'])
    print(f'modctl: {" ".join(f"{t:.2f}" for t in times["modctl"])} s, median {m:.2f} s')
    print(f'stock:  {" ".join(f"{t:.2f}" for t in times["stock"])} s, median {s:.2f} s')
    print(f'ratio stock/modctl: {s / m:.2f} (goal 1.3)')


if __name__ == '__main__':
    sysvm.run_main(main)
