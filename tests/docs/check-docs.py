#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The docs and the completions against the code.

What exists is read from the code, not from a list kept here: the commands and their options
from client/modctl.c (verbs[], option_help[] and getopt's options[]), the modprobe mode's
options from client/modprobe.c, the daemon's configuration keys from common/daemon-config.c
(the keys each [Section]'s handler compares), and the environment variables from the
getenv() calls in client/. Then each must have:

- its man page entry: a command in modctl(1)'s COMMANDS, an option in its OPTIONS, a variable
  in its ENVIRONMENT; a modprobe option in modctl-modprobe(8)'s OPTIONS; a key in its section
  of modctld.conf(5);
- its completion in bash, zsh and fish, asked of each shell's own completion engine: every
  command after "modctl ", every option a command takes after "modctl COMMAND -", the common
  options after "modctl -", and kmod's options after "modctl modprobe -".

usage: check-docs.py SRCDIR [--only man|bash|zsh|fish]...
"""
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
ONLY = set(sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == '--only' and i + 1 < len(sys.argv))
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def read(path):
    with open(os.path.join(SRC, path), encoding='utf-8') as f:
        return f.read()


def block(text, start):
    """The text of the C initializer or function body that starts at the first '{' after
    start, up to its matching '}'."""
    i = text.index('{', text.index(start))
    depth = 0
    for j in range(i, len(text)):
        if text[j] == '{':
            depth += 1
        elif text[j] == '}':
            depth -= 1
            if depth == 0:
                return text[i:j + 1]
    raise ValueError('no end for ' + start)


def getopt_table(text, function):
    """(long options, short options) of the struct option table and the optstring in
    function; the short letters are those of the optstring."""
    body = block(text, function)
    table = block(body, 'struct option')
    longs = re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument', table)
    m = re.search(r'getopt_long\([^,]+,[^,]+,\s*"([^"]*)"', body)
    shorts = ['-' + c for c in re.sub(r'[^A-Za-z]', '', m.group(1))] if m else []
    pairs = dict((l, "-" + s) for l, s in
                 re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*\w+,\s*NULL,\s*\'(\w)\'', table))
    return ['--' + l for l in longs], shorts, pairs


def parse_modctl():
    text = read('client/modctl.c')
    bits = {name: int(n) for name, n in re.findall(r'\b(OPT_\w+)\s*=\s*1\s*<<\s*(\d+)', text)}
    helps = re.findall(r'\{\s*"([^"]+)",\s*N_\(', block(text, 'option_help[] ='))
    by_bit = []
    for h in helps:
        by_bit.append([w.split('=')[0] for w in h.split()])
    verbs = {}
    for name, flags in re.findall(r'\{\s*"([a-z][a-z-]*)",\s*\w+,\s*\w+,\s*([^,]+),', block(text, 'verbs[] =')):
        opts = []
        for f in re.findall(r'OPT_\w+', flags):
            opts += by_bit[bits[f]]
        verbs[name] = opts
    longs, shorts, pairs = getopt_table(text, 'static int parse_argv(')
    specific = set(w for ws in by_bit for w in ws)
    common = [o for o in longs if o not in specific]
    common += [s for l, s in pairs.items() if '--' + l in common]
    if not verbs or not longs:
        fail('client/modctl.c: found no commands or no options; has the table changed shape?')
    return verbs, longs, shorts, common


def parse_modprobe():
    text = read('client/modprobe.c')
    longs, shorts, _ = getopt_table(text, 'static int parse_modprobe_argv(')
    if not longs:
        fail('client/modprobe.c: found no options')
    return longs + shorts


def parse_config():
    text = read('common/daemon-config.c')
    handler = block(text, 'static int handler(')
    keys = {}
    for section, func in re.findall(r'strcmp\(section,\s*"(\w+)"\)\s*==\s*0\)\s*r\s*=\s*(\w+)\(', handler):
        body = block(text, 'static int %s(' % func)
        keys[section] = re.findall(r'strcmp\(key,\s*"(\w+)"\)', body)
    if not keys:
        fail('common/daemon-config.c: found no sections')
    return keys


def parse_env():
    """{variable: source file} for the getenv() calls in the installed clients' code."""
    found = {}
    for f in sorted(os.listdir(os.path.join(SRC, 'client'))):
        # modctl-request's getenv()s exist only in its test build (MODCTL_REQUEST_TEST_PATHS).
        if not f.endswith('.c') or f == 'modctl-request.c':
            continue
        text = read('client/' + f)
        defines = dict(re.findall(r'#define\s+(\w+)\s+"(\w+)"', text))
        for arg in re.findall(r'getenv\(\s*("?\w+"?)\s*\)', text):
            name = arg.strip('"') if arg.startswith('"') else defines.get(arg)
            if name:
                found[name] = f
    return found


def man_sections(path):
    if not os.path.exists(os.path.join(SRC, path)):
        fail('%s does not exist' % path)
        return {}
    text = read(path)
    sections = {}
    for m in re.finditer(r'^# ([^\n]+)\n(.*?)(?=^# |\Z)', text, re.M | re.S):
        sections[m.group(1).strip()] = m.group(2)
    return sections


def check_man(verbs, longs, shorts, modprobe_opts, config, env):
    page = 'man/modctl.1.scd'
    sec = man_sections(page)
    for v in verbs:
        if not re.search(r'^\*%s[* ]' % re.escape(v), sec.get('COMMANDS', ''), re.M):
            fail('%s: command "%s" has no entry in COMMANDS' % (page, v))
    for o in longs + shorts:
        if not re.search(r'\*%s\*' % re.escape(o), sec.get('OPTIONS', '')):
            fail('%s: option "%s" has no entry in OPTIONS' % (page, o))
    mp = man_sections('man/modctl-modprobe.8.scd')
    for o in modprobe_opts:
        if not re.search(r'\*%s\*' % re.escape(o), mp.get('OPTIONS', '')):
            fail('man/modctl-modprobe.8.scd: modprobe option "%s" has no entry in OPTIONS' % o)
    for var, f in env.items():
        where = [sec.get('ENVIRONMENT', '')]
        if f == 'modprobe.c':
            where.append(mp.get('ENVIRONMENT', ''))
        if not all(re.search(r'\*\$%s\*' % var, w) for w in where):
            fail('%s: environment variable $%s (read in client/%s) has no entry in ENVIRONMENT'
                 % (page if f != 'modprobe.c' else page + ' and man/modctl-modprobe.8.scd', var, f))
    conf = man_sections('man/modctld.conf.5.scd')
    for section, keys in config.items():
        body = conf.get('[%s] SECTION' % section)
        if body is None:
            fail('man/modctld.conf.5.scd: no "# [%s] SECTION"' % section)
            continue
        for k in keys:
            if not re.search(r'^\*%s=\*' % re.escape(k), body, re.M):
                fail('man/modctld.conf.5.scd: key %s= has no entry in [%s]' % (k, section))


# One completion request: the words before the cursor, and the partial word at it.
def bash_complete(words, cur):
    script = r'''
        source /usr/share/bash-completion/bash_completion
        source "$1/shell-completion/bash/modctl"
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _modctl modctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"'''
    out = subprocess.run(['bash', '--norc', '--noprofile', '-c', script, 'bash', SRC] + words + [cur],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def fish_complete(words, cur):
    line = ' '.join(words + [cur])
    out = subprocess.run(['fish', '--no-config', '-c',
                          'source $argv[1]; complete -C $argv[2]',
                          os.path.join(SRC, 'shell-completion/fish/modctl.fish'), line],
                         capture_output=True, text=True, timeout=60)
    return [l.split('\t')[0] for l in out.stdout.splitlines()]


ZCOMPDUMP = os.path.join(tempfile.mkdtemp(prefix='modctl-docs-'), 'zcompdump')


def zsh_complete(words, cur):
    line = ' '.join(words + [cur])
    out = subprocess.run(['zsh', '-f', os.path.join(SRC, 'tests/docs/zsh-complete.zsh'),
                          os.path.join(SRC, 'shell-completion/zsh'), line],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, ZCOMPDUMP=ZCOMPDUMP))
    return out.stdout.split()


def check_shell(shell, complete, verbs, common, modprobe_opts):
    norm = lambda xs: set(x.rstrip('=') for x in xs)
    requests = [(['modctl'], '', list(verbs), 'commands'),
                (['modctl'], '-', common, 'options before a command')]
    for v, opts in verbs.items():
        if v == 'modprobe':
            requests.append((['modctl', 'modprobe'], '-', modprobe_opts, "kmod's options"))
        else:
            requests.append((['modctl', v], '-', common + opts, 'options of "%s"' % v))
    if shell == 'zsh':
        complete(['modctl'], '')  # makes the dump the others reuse
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: complete(r[0], r[1]), requests))
    for (words, cur, expected, what), got in zip(requests, results):
        missing = sorted(set(expected) - norm(got))
        line = ' '.join(words + [cur])
        if missing:
            fail('%s: "%s<TAB>" (%s) does not offer: %s' % (shell, line, what, ' '.join(missing)))
        else:
            print('ok: %s: "%s<TAB>" offers the %d %s' % (shell, line, len(expected), what))


def main():
    verbs, longs, shorts, common = parse_modctl()
    modprobe_opts = parse_modprobe()
    config = parse_config()
    env = parse_env()
    print('from the code: %d commands, %d options (%d common), %d modprobe options, %s config keys, '
          '%d environment variables' % (len(verbs), len(longs) + len(shorts), len(common), len(modprobe_opts),
                                        sum(len(k) for k in config.values()), len(env)))
    if not ONLY or 'man' in ONLY:
        n = len(failures)
        check_man(verbs, longs, shorts, modprobe_opts, config, env)
        if len(failures) == n:
            print('ok: man pages document every command, option, key and variable')
    shells = {'bash': bash_complete, 'fish': fish_complete, 'zsh': zsh_complete}
    for name, fn in shells.items():
        if not ONLY or name in ONLY:
            check_shell(name, fn, verbs, common, modprobe_opts)
    print('%d problem(s)' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
