# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot benchmark on the full Debian system (tests/system): the same image booted alternately
with modctl enabled (modctld loads the boot list and coldplugs) and stock (systemd-modules-load
and udevd), with the same 30-module list in /etc/modules-load.d. Measured per boot: seconds
from kernel start (/proc/uptime) until every module of the boot list and the emulated devices'
drivers is loaded, taken by a unit that starts early and waits for them with `udevadm wait`
(the same waiter in both configurations). Prints the medians and the ratio stock / modctl.

    [BENCH_RUNS=N] bench-system-boot.py BUILD_DIR SOURCE_DIR      (default 5 rounds)

BENCH_WORKERS=N in the environment sets modctld's Workers= (modctld.conf.d) for the study of
how parallel inserts fare under TCG. After the last boot of each kind it prints why that boot
took as long as it did: systemd-analyze's critical chain of the waiting unit and of modctld,
and modctl's own analyze critical-chain and blame.
"""

import os
import statistics
import subprocess
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


def host_state():
    """The host's load average and how many qemu guests run beside this benchmark's own."""
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    r = subprocess.run(['pgrep', '-c', '^qemu-system'], capture_output=True, text=True)
    guests = int(r.stdout.strip() or 0)
    return load, max(guests - 1, 0)


def main():
    env = sysvm.Env.from_argv()
    rounds = int(os.environ.get('BENCH_RUNS') or 5)
    img = env.image('bench-boot')
    times = {'modctl': [], 'stock': []}
    with sysvm.Guest(env, img) as g:
        g.run('dpkg -i /root/modctl.deb >/dev/null')
        g.run('printf "%s\\n" ' + ' '.join(BOOT_LIST) + ' >/etc/modules-load.d/bench.conf')
        g.run(f"cat >/etc/systemd/system/bench-loaded.service <<'EOF'\n{WAIT_UNIT}EOF\n"
              'systemctl enable bench-loaded.service')
        workers = os.environ.get('BENCH_WORKERS', '')
        if workers:
            g.run(f'mkdir -p /etc/modctl/modctld.conf.d && printf "[Daemon]\\nWorkers={int(workers)}\\n" '
                  '>/etc/modctl/modctld.conf.d/50-bench.conf')
        print(f'BENCH knobs: workers={workers or "default"}')
        # A warm-up boot of each kind first (page cache, journal files), then alternate.
        order = ['stock', 'modctl'] + ['stock', 'modctl'] * rounds
        load, others = host_state()
        print(f'BENCH host before: load {load}, {os.cpu_count()} CPUs, other qemu guests running: {others}')
        marked = 0
        for i, config in enumerate(order):
            g.run(STOCK if config == 'stock' else MODCTL, quiet=True)
            g.reboot()
            t = measure(g, config)
            load, others = host_state()
            # A boot beside another guest is noise (2 cores, TCG): shown, marked, not counted.
            mark = f' CONTENDED ({others} other qemu), not counted' if others else ''
            print(f'boot {i} ({"warm-up" if i < 2 else "round " + str((i - 2) // 2 + 1)}): {config} '
                  f'{t:.2f} s, host load {load}{mark}')
            if i >= 2 and not others:
                times[config].append(t)
            marked += bool(others)
            if i >= len(order) - 2:
                # Why the last boot of each kind took as long as it did.
                print(f'--- {config}: systemd-analyze critical-chain bench-loaded.service')
                print(g.run('systemd-analyze critical-chain bench-loaded.service 2>&1 | tail -n +2', check=False, quiet=True).out)
                if config == 'modctl':
                    for what in ('systemd-analyze critical-chain modctld.service modctld-boot-list.service',
                                 'modctl analyze critical-chain', 'modctl analyze blame | head -n 15',
                                 'systemd-analyze blame | head -n 15'):
                        print(f'--- modctl: {what}')
                        print(g.run(f'{what} 2>&1', check=False, quiet=True).out)
                else:
                    print('--- stock: systemd-analyze blame | head -n 15')
                    print(g.run('systemd-analyze blame 2>&1 | head -n 15', check=False, quiet=True).out)
        load, others = host_state()
        print(f'BENCH host after: load {load}, other qemu guests running: {others}; {marked} boots marked')
        if not times['modctl'] or not times['stock']:
            raise sysvm.Failure('no uncontended round of both kinds')
    m, s = statistics.median(times['modctl']), statistics.median(times['stock'])
    print(f'modctl: {" ".join(f"{t:.2f}" for t in times["modctl"])} s, median {m:.2f} s')
    print(f'stock:  {" ".join(f"{t:.2f}" for t in times["stock"])} s, median {s:.2f} s')
    print(f'ratio stock/modctl: {s / m:.2f} (goal 1.3)')
    print(f'BENCH system-boot modctl_median_s={m:.2f} stock_median_s={s:.2f} ratio={s / m:.2f} '
          f'rounds={len(times["modctl"])}/{len(times["stock"])}')


if __name__ == '__main__':
    sysvm.run_main(main)
