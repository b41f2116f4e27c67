# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 25, the polkit-pending flood against the real polkitd on a full Debian 12: bob, whom a
rule sends to authentication (auth_admin), starts 24 Loads of vxlan at once on a terminal,
each caller with its own pkttyagent that prompts and is never answered. modctld holds 16 of them
waiting for polkit and refuses the other 8 at once with org.modctl1.Error.Busy; while those 16
still wait, alice's authorized load (a group rule) is answered promptly, and root's too. Once
bob's callers are gone, his slots are free again: his next call is refused by polkit at once,
not Busy. (tests/integration/test-daemon.py has the same flood against python-dbusmock.)
Run by meson (suite system) as: test-polkit-flood.py BUILD_DIR SOURCE_DIR."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

FLOOD = 24
PENDING_MAX = 16        # daemon/bus: authorizations waiting for polkit per uid
# A bound on the answer to alice while bob's flood waits. Quiet, under TCG on two shared
# cores, her load takes one to three seconds; the bound is the point, with a wide margin.
PROMPT_S = 60

POLKIT_RULES = """polkit.addRule(function(action, subject) {
    if (action.id == "org.modctl1.load" && subject.isInGroup("modadmin"))
        return polkit.Result.YES;
    if (action.id == "org.modctl1.load" && subject.user == "bob")
        return polkit.Result.AUTH_ADMIN;
});
"""

# Bob's terminal (script's pty, whose input never comes): FLOOD Loads at once, each from its own
# process with its own pkttyagent registered for it (--process: polkitd sends that caller's
# authentication there, and the agent prompts on the pty). The process waits for its agent's
# registration (the notify fd closes), then becomes the caller (exec keeps the pid polkitd
# knows). After the first FLOOD - PENDING_MAX callers have exited (the refused ones; bash's
# wait -n, an event, not a poll) it says so on a fifo, and the rest go on waiting.
FLOOD_SH = f"""for i in $(seq {FLOOD}); do
        (
                mkfifo /tmp/flood/n$i
                pkttyagent --process $BASHPID --notify-fd 3 3>/tmp/flood/n$i </dev/tty >/dev/tty 2>&1 &
                cat /tmp/flood/n$i >/dev/null
                exec busctl --timeout=900 --allow-interactive-authorization=yes call org.modctl1 \\
                        /org/modctl1 org.modctl1.Manager Load sst vxlan "" 0
        ) </dev/null >/tmp/flood/$i.out 2>&1 &
        echo $! >>/tmp/flood/pids
done
for k in $(seq {FLOOD - PENDING_MAX}); do
        wait -n
done
echo refused >/tmp/flood/fifo
wait
"""


def loaded(g, module):
    return g.run(f'test -d /sys/module/{module}', check=False, quiet=True).rc == 0


def main():
    env = sysvm.Env.from_argv()
    c = sysvm.Checks()
    img = env.image('polkit-flood')
    with sysvm.Guest(env, img) as g:
        g.run('dpkg -i /root/modctl.deb')
        g.run(f"cat >/etc/polkit-1/rules.d/50-modctl-flood.rules <<'EOF'\n{POLKIT_RULES}EOF\n"
              'systemctl restart polkit.service')
        c.check('polkitd is the real one, running', g.out('systemctl is-active polkit.service') == 'active')
        g.run('rmmod vxlan veth dummy 2>/dev/null || :')

        # ---- bob's flood, on a pty that nobody types into (script's stdin never ends) ----
        g.run(f"mkdir -p /tmp/flood && mkfifo /tmp/flood/fifo && cat >/tmp/flood/flood.sh <<'EOF'\n{FLOOD_SH}EOF",
              user='bob')
        r = g.run('setsid bash -c "sleep infinity </dev/null 2>/dev/null | '
                  'script -qfec \'bash /tmp/flood/flood.sh\' /tmp/flood/tty" </dev/null >/dev/null 2>&1 &\n'
                  'read -t 600 line </tmp/flood/fifo; echo "$line"', user='bob', timeout=700)
        c.check(f'bob: {FLOOD - PENDING_MAX} of his {FLOOD} loads came back first', r.out.strip() == 'refused', r.out)
        busy = g.out('grep -l "Too many authorization checks are pending" /tmp/flood/*.out | wc -l')
        c.check(f'bob: {FLOOD - PENDING_MAX} refused at once with Busy', busy == str(FLOOD - PENDING_MAX),
                g.out('head -n 3 /tmp/flood/*.out'))
        waiting = g.out('for p in $(cat /tmp/flood/pids); do [ -d /proc/$p ] && echo $p; done | wc -l')
        c.check(f'bob: {PENDING_MAX} still wait for polkit', waiting == str(PENDING_MAX), waiting)

        # ---- meanwhile: alice's authorized load, and root's, answer promptly ----
        r = g.run('s=$(date +%s%N); timeout 300 modctl --no-ask-password load veth; rc=$?; '
                  'echo "rc=$rc ms=$((($(date +%s%N) - s) / 1000000))"', user='alice', check=False)
        fields = dict(w.split('=', 1) for w in r.out.split() if '=' in w and w.split('=', 1)[0] in ('rc', 'ms'))
        ms = int(fields.get('ms', '999999'))
        c.check('alice: her load succeeds while bob\'s flood waits', fields.get('rc') == '0' and loaded(g, 'veth'),
                r.out)
        c.check(f'alice: answered within {PROMPT_S} s ({ms} ms)', ms < PROMPT_S * 1000, r.out)
        r = g.run('s=$(date +%s%N); timeout 300 modctl load dummy; rc=$?; '
                  'echo "rc=$rc ms=$((($(date +%s%N) - s) / 1000000))"', check=False)
        c.check('root: his load succeeds meanwhile', 'rc=0' in r.out and loaded(g, 'dummy'), r.out)
        c.check('bob: still waiting, vxlan not loaded', not loaded(g, 'vxlan') and
                g.out('for p in $(cat /tmp/flood/pids); do [ -d /proc/$p ] && echo $p; done | wc -l') ==
                str(PENDING_MAX))

        prompts = g.out('grep -c "AUTHENTICATING FOR org.modctl1.load" /tmp/flood/tty || true')
        c.check('bob: polkitd asked his agents, nobody answers them', int(prompts or 0) >= 1,
                g.out('tail -c 600 /tmp/flood/tty'))

        # ---- bob's callers go: his slots are free again ----
        g.run('kill $(cat /tmp/flood/pids) 2>/dev/null; '
              'for p in $(cat /tmp/flood/pids); do tail --pid=$p -f /dev/null; done', timeout=300)
        r = g.run('timeout 120 modctl --no-ask-password load vxlan', user='bob', check=False)
        # modctl(1)'s EXIT STATUS: 6 not authorized, 8 busy.
        c.check('bob: afterwards refused by polkit at once (not Busy)', r.rc == 6 and not loaded(g, 'vxlan'),
                f'rc={r.rc} {r.out}')
        c.check('modctld stayed up', g.out('systemctl is-active modctld.service') == 'active')
        c.check('polkitd stayed up', g.out('systemctl is-active polkit.service') == 'active')
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
