# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 25, the polkit-pending flood against the real polkitd on a full Debian 12: bob, whom a
rule sends to authentication (auth_admin), starts 24 Loads of vxlan at once, each caller on a pty
of its own with its own pkttyagent, which polkitd asks to authenticate and which prompts for a
password that nobody types. modctld holds 16 of them waiting for polkit and refuses the other 8
at once with org.modctl1.Error.Busy; while those 16 still wait (each agent prompting), alice's
authorized load (a group rule) is answered promptly, and root's too. Once bob's callers are gone,
modctld drops their calls and his slots are free again: his next call is refused by polkit at
once, not Busy. (tests/integration/test-daemon.py has the same flood against python-dbusmock.)
Run by meson (suite system) as: test-polkit-flood.py BUILD_DIR SOURCE_DIR."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sysvm  # noqa: E402

FLOOD = 24
PENDING_MAX = 16        # daemon/bus/bus-auth.c: authorizations waiting for polkit per uid
# modctld gives an interactive polkit check 5 minutes (POLKIT_INTERACTIVE_TIMEOUT_USEC in
# daemon/bus/bus-auth.c) and then answers the caller with an error: everything from bob's flood to
# his callers' kill must happen inside that window, which the checks below (16 still alive) show.
POLKIT_WINDOW_S = 300
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

# One of bob's callers, run by script(1) as the session leader of its own pty: its pkttyagent is
# registered for this very process (--process $$: polkitd sends this caller's authentication
# there) and prompts on that pty (its controlling terminal). The caller waits for the agent's
# registration (the notify fd closes), says it is ready, waits for the flood's start (a line on
# the fifo go), then becomes the caller (exec keeps the pid polkitd knows).
CALLER_SH = r"""i=$1
echo $$ >/tmp/flood/pid$i
pkttyagent --process $$ --notify-fd 3 3>/tmp/flood/n$i &
cat /tmp/flood/n$i >/dev/null
echo $i >/tmp/flood/ready
read -r go </tmp/flood/go
exec busctl --timeout=900 --allow-interactive-authorization=yes call org.modctl1 \
        /org/modctl1 org.modctl1.Manager Load sst vxlan "" 0 >/tmp/flood/$i.out 2>&1
"""

# Bob's flood: FLOOD callers, each on a pty of its own (script(1) holds the master; its stdin is
# a fifo whose only writer, this script's fd 7, never writes, so nobody ever types). Setting up a
# caller and its agent is the slow part (under TCG on a loaded host, 24 of them took 158 s), and
# modctld's window for an interactive check (POLKIT_WINDOW_S) runs from the call, so no call is
# made until every agent is registered: each caller says so on the fifo ready (read here by
# line), and then all are let go at once, one line each on the fifo go (held open here, so a
# caller that opens it late still finds its line). After the first FLOOD - PENDING_MAX callers
# have ended (the refused ones; bash's wait -n, an event, not a poll) it says so on a fifo, and
# the rest go on waiting.
FLOOD_SH = f"""cd /tmp/flood
exec 7<>hold 8<>ready 9<>go
for i in $(seq {FLOOD}); do
        mkfifo n$i
        script -qfec "bash /tmp/flood/caller.sh $i" tty$i <hold >/dev/null 2>&1 7>&- 8>&- 9>&- &
done
for i in $(seq {FLOOD}); do
        read -r -u 8 line
done
date +%s >released
for i in $(seq {FLOOD}); do
        echo go >&9
done
for k in $(seq {FLOOD - PENDING_MAX}); do
        wait -n
done
echo refused >fifo
wait
"""

# The callers still running (each wrote its pid before it called).
ALIVE = f'for i in $(seq {FLOOD}); do p=$(cat /tmp/flood/pid$i 2>/dev/null); [ -n "$p" ] && [ -d /proc/$p ] && echo $i; done'

# polkitd's side: every waiting caller's agent has been asked by polkitd to authenticate and
# prompts for the password on its pty (tail -f follows the pty's log by inotify and ends with
# the caller). The prompt "Password: " ends no line (the agent waits on that line for the
# password), so it is matched as it arrives, up to each ':' (bash's read takes a pipe byte by
# byte), not by a line tool: grep holds a line back until its newline, which comes only when the
# caller ends, so it matched only at the end of its input and this wait always ran to its bound.
# At the end of the input (the caller gone, or the bound) the loop ends without a match.
PROMPTS = f"""for i in $({ALIVE}); do
        (
                exec < <(exec timeout 240 tail --pid=$(cat /tmp/flood/pid$i) -n +1 -f /tmp/flood/tty$i)
                t=$!
                while IFS= read -r -d : chunk; do
                        case $chunk in *Password) echo "$i prompts"; break;; esac
                done
                kill $t
        ) &
done
wait
"""

# Bob's callers go. Each waiting call ends in modctld's log line once polkitd has answered for it
# (its agent went with the pty): awaited on the journal, after the last entry before the kill.
KILL = f"""cur=$(journalctl -u modctld.service -n 1 --show-cursor -q -o cat | sed -n 's/^-- cursor: //p')
for i in $({ALIVE}); do kill $(cat /tmp/flood/pid$i); done
exec < <(exec timeout 400 journalctl -u modctld.service -f -o cat --after-cursor="$cur")
t=$!
grep -c -m{PENDING_MAX} 'went away while polkit decided'
kill $t
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
        # The harness leaves root without a password (for the console). pam_unix's nullok would
        # then grant polkitd's auth_admin (root is the admin identity: the sudo group is empty)
        # without asking anything, and bob's loads would go through at once. With a password
        # nobody knows, each agent asks for it and waits.
        g.run('echo "root:$(head -c 24 /dev/urandom | base64)" | chpasswd')

        # ---- bob's flood, each caller on its own pty that nobody types into ----
        g.run('mkdir -p /tmp/flood && mkfifo /tmp/flood/fifo /tmp/flood/hold /tmp/flood/ready /tmp/flood/go && '
              f"cat >/tmp/flood/caller.sh <<'EOF'\n{CALLER_SH}EOF\n"
              f"cat >/tmp/flood/flood.sh <<'EOF'\n{FLOOD_SH}EOF", user='bob')
        r = g.run('setsid bash /tmp/flood/flood.sh </dev/null >/tmp/flood/driver.log 2>&1 &\n'
                  'read -t 600 line </tmp/flood/fifo; echo "$line"', user='bob', timeout=700)
        c.check(f'bob: {FLOOD - PENDING_MAX} of his {FLOOD} loads came back first', r.out.strip() == 'refused',
                r.out + g.out('cat /tmp/flood/driver.log; head -n 3 /tmp/flood/*.out'))
        busy = g.out(f'grep -l "Too many authorization checks are pending ({PENDING_MAX} for uid $(id -u bob),"'
                     ' /tmp/flood/*.out | wc -l')
        c.check(f'bob: {FLOOD - PENDING_MAX} refused at once with Busy, modctld counting {PENDING_MAX} of his',
                busy == str(FLOOD - PENDING_MAX), g.out('head -n 3 /tmp/flood/*.out'))
        r = g.run(PROMPTS, timeout=400, check=False)
        c.check(f'bob: {PENDING_MAX} callers still wait, each agent asked by polkitd for a password',
                r.out.count('prompts') == PENDING_MAX and g.out(f'{ALIVE} | wc -l') == str(PENDING_MAX),
                r.out + g.out('tail -c 300 /tmp/flood/tty*; grep -L "Too many" /tmp/flood/*.out | xargs -r head -n 3'))

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
        since = g.out('echo $(($(date +%s) - $(cat /tmp/flood/released)))')
        c.check(f'bob: still waiting {since} s after his calls were made (of modctld\'s {POLKIT_WINDOW_S} s), '
                'vxlan not loaded',
                not loaded(g, 'vxlan') and g.out(f'{ALIVE} | wc -l') == str(PENDING_MAX))

        # ---- bob's callers go: his slots are free again ----
        r = g.run(KILL, timeout=500, check=False)
        c.check(f'modctld dropped the {PENDING_MAX} calls of bob\'s that went away',
                r.out.strip() == str(PENDING_MAX),
                r.out + g.out('journalctl -u modctld.service -n 30 -o cat; journalctl -u polkit.service -n 20 -o cat'))
        r = g.run('timeout 120 modctl --no-ask-password load vxlan', user='bob', check=False)
        # modctl(1)'s EXIT STATUS: 6 not authorized, 8 busy.
        c.check('bob: afterwards refused by polkit at once (not Busy)', r.rc == 6 and not loaded(g, 'vxlan'),
                f'rc={r.rc} {r.out}')
        c.check('modctld stayed up', g.out('systemctl is-active modctld.service') == 'active')
        c.check('polkitd stayed up', g.out('systemctl is-active polkit.service') == 'active')
    c.finish()


if __name__ == '__main__':
    sysvm.run_main(main)
