# SPDX-License-Identifier: LGPL-2.1-or-later
"""The full-system timeline figures (issue 21): one boot of the full-system image with modctl
and one stock boot of the same image (modctld disabled, as bench-system-boot.py's STOCK), with
bench-system-boot.py's boot list. Saves into OUT_DIR:

    modctl-boot.svg              modctl analyze plot boot          (the modctl boot)
    modctl-critical-chain.txt    modctl analyze critical-chain     (the modctl boot)
    modctl-systemd-boot.svg      systemd-analyze plot              (the modctl boot)
    modctl-systemd-critical-chain.txt  systemd-analyze critical-chain (the modctl boot)
    stock-boot.svg               systemd-analyze plot              (the stock boot)
    stock-critical-chain.txt     systemd-analyze critical-chain    (the stock boot)

and a PNG of each SVG, drawn by the host's headless chromium (as test-analyze.py does). A boot
on a loaded host is fine for the pictures; only the timed benchmark needs a quiet one.

    figures.py BUILD_DIR SOURCE_DIR OUT_DIR
"""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'bench'))
import sysvm  # noqa: E402

# bench-system-boot.py's list and configurations, so the pictures show the benchmark's boot.
_bench = {'__file__': os.path.join(HERE, '..', 'bench', 'bench-system-boot.py'), '__name__': 'bench_system_boot'}
with open(os.path.join(HERE, '..', 'bench', 'bench-system-boot.py')) as f:
    exec(compile(f.read(), 'bench-system-boot.py', 'exec'), _bench)
BOOT_LIST, STOCK, MODCTL = _bench['BOOT_LIST'], _bench['STOCK'], _bench['MODCTL']


def render(svg, png):
    """The SVG at its own size, drawn by Debian's headless chromium."""
    chromium = shutil.which('chromium')
    if not chromium:
        raise sysvm.Failure('chromium is missing (scripts/install-deps)')
    root = ET.parse(svg).getroot()
    width = int(float(root.get('width').rstrip('px')))
    height = int(float(root.get('height').rstrip('px')))
    profile = png + '.chromium'
    subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                    '--disable-background-networking', '--disable-component-update', '--disable-sync',
                    '--user-data-dir=' + profile, '--hide-scrollbars',
                    '--window-size=%d,%d' % (width, height), '--screenshot=' + png, 'file://' + svg],
                   check=True, capture_output=True, timeout=300)
    shutil.rmtree(profile, ignore_errors=True)


def save(out, name, text):
    path = os.path.join(out, name)
    with open(path, 'w') as f:
        f.write(text if text.endswith('\n') else text + '\n')
    sysvm.log(f'saved {path}')
    return path


def main():
    env = sysvm.Env(sys.argv[1], sys.argv[2])
    out = os.path.abspath(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    img = env.image('figures')
    svgs = []
    with sysvm.Guest(env, img) as g:
        g.run('dpkg -i /root/modctl.deb >/dev/null')
        g.run('printf "%s\\n" ' + ' '.join(BOOT_LIST) + ' >/etc/modules-load.d/bench.conf')
        for config in ('modctl', 'stock'):
            g.run(STOCK if config == 'stock' else MODCTL, quiet=True)
            g.reboot()
            g.run('systemctl is-system-running --wait >/dev/null || true', quiet=True)
            load = g.out('cat /proc/loadavg')
            sysvm.log(f'{config} boot: guest load {load}, host load {open("/proc/loadavg").read().strip()}')
            prefix = 'modctl-systemd' if config == 'modctl' else 'stock'
            svgs.append(save(out, f'{prefix}-boot.svg' if config == 'modctl' else 'stock-boot.svg',
                             g.out('systemd-analyze plot')))
            save(out, f'{prefix}-critical-chain.txt', g.out('systemd-analyze critical-chain'))
            if config == 'modctl':
                svgs.append(save(out, 'modctl-boot.svg', g.out('modctl analyze plot boot')))
                save(out, 'modctl-critical-chain.txt', g.out('modctl analyze critical-chain'))
                save(out, 'modctl-blame.txt', g.out('modctl analyze blame | head -n 30'))
    for svg in svgs:
        ET.parse(svg)  # parses as XML, or fails here
        render(svg, svg[:-len('.svg')] + '.png')
        sysvm.log(f'rendered {svg[:-len(".svg")]}.png')


if __name__ == '__main__':
    sysvm.run_main(main)
