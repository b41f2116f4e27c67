#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shell completions: bash registers _modctl for modctl (complete -p) and completes verbs,
# options, module names from the index for load/info and loaded modules for unload, and kmod's
# options in the modprobe mode; fish completes the same through complete -C, and zsh through
# its engine on a pseudo-terminal (tests/docs/zsh-complete.zsh). Module names come from the
# fixture tree through MODCTL_MODULES_DIR, loaded ones from a stand-in /proc/modules.
# usage: test-completion.sh SRCDIR FIXTURE_MODULES_DIR
set -euo pipefail
src=$1
export MODCTL_MODULES_DIR=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'modctl_test_soft 16384 0 - Live 0x0 (OE)\nsnd 126976 0 - Live 0x0\n' > "$tmp/modules"
export MODCTL_PROC_MODULES=$tmp/modules
fail=0

check() { # check WHAT EXPECTED-WORD OUTPUT
        if grep -qx -- "$2" <<<"$3"; then
                echo "ok: $1 offers $2"
        else
                echo "FAIL: $1 does not offer $2; it offered:"; printf '%s\n' "$3"; fail=1
        fi
}

# bash: through bash-completion's loader, as an interactive shell would.
bash_complete() { # bash_complete LINE...: the words; completes the last one
        bash --norc --noprofile -c '
                source /usr/share/bash-completion/bash_completion
                source "$1/shell-completion/bash/modctl"
                shift
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                _modctl modctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf "%s\n" "${COMPREPLY[@]}"' bash "$src" "$@"
}

reg=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion
                                  source "$1/shell-completion/bash/modctl"; complete -p modctl' bash "$src")
if [[ $reg == "complete -F _modctl modctl" ]]; then echo "ok: $reg"; else echo "FAIL: complete -p says: $reg"; fail=1; fi

check 'bash: modctl lo' load "$(bash_complete modctl lo)"
check 'bash: modctl load modctl_test_d' modctl_test_dep "$(bash_complete modctl load modctl_test_d)"
check 'bash: modctl -q info modctl_test_b' modctl_test_base "$(bash_complete modctl -q info modctl_test_b)"
check 'bash: modctl unload modctl' modctl_test_soft "$(bash_complete modctl unload modctl)"
out=$(bash_complete modctl unload modctl)
if grep -qx modctl_test_dep <<<"$out"; then echo "FAIL: unload offers a module that is not loaded"; fail=1; fi
check 'bash: modctl load --fi' --first-time "$(bash_complete modctl load --fi)"
check 'bash: modctl --json=' short "$(bash_complete modctl --json=)"
check 'bash: modctl modprobe -r s' snd "$(bash_complete modctl modprobe -r s)"
# modprobe mode: kmod's options, not modctl's (this branch could never run before).
out=$(bash_complete modctl modprobe --re)
check 'bash: modctl modprobe --re' --remove "$out"
check 'bash: modctl modprobe --re' --resolve-alias "$out"
if grep -qx -- --remove-unused <<<"$out"; then echo "FAIL: modprobe mode offers modctl's --remove-unused"; fail=1; fi
check 'bash: modctl modprobe -' -D "$(bash_complete modctl modprobe -)"
check 'bash: modctl modprobe modctl_test_d' modctl_test_dep "$(bash_complete modctl modprobe modctl_test_d)"
check 'bash: modctl modprobe -S' "$(ls /lib/modules | head -n1)" "$(bash_complete modctl modprobe -S '')"
# the settings commands
for v in enable disable blacklist unblacklist options settings search; do
        check "bash: modctl ${v:0:3}" "$v" "$(bash_complete modctl "${v:0:3}")"
done
check 'bash: modctl enable --n' --now "$(bash_complete modctl enable --n)"
check 'bash: modctl options --cl' --clear "$(bash_complete modctl options --cl)"
check 'bash: modctl blacklist modctl_test_d' modctl_test_dep "$(bash_complete modctl blacklist modctl_test_d)"
out=$(bash_complete modctl load --n)
if grep -qx -- --now <<<"$out"; then echo "FAIL: load offers enable's --now"; fail=1; fi
# compgen is what the function calls; it must see the index's spelling.
check 'compgen over the index' modctl_test_chain "$(bash -c 'source "$1/shell-completion/bash/modctl"
        compgen -W "$(__modctl_available)" -- modctl_test_c' bash "$src")"

# fish: its own completion engine.
fish_out=$(fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C 'modctl load modctl_test_d'" | cut -f1)
check 'fish: modctl load modctl_test_d' modctl_test_dep "$fish_out"
fish_out=$(fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C 'modctl unload '" | cut -f1)
check 'fish: modctl unload' modctl_test_soft "$fish_out"
fish_out=$(fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C 'modctl modprobe --re'" | cut -f1)
check 'fish: modctl modprobe --re' --remove "$fish_out"
if grep -qx -- --remove-unused <<<"$fish_out"; then echo "FAIL: fish: modprobe mode offers modctl's --remove-unused"; fail=1; fi
fish_out=$(fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C 'modctl modprobe -r '" | cut -f1)
check 'fish: modctl modprobe -r' modctl_test_soft "$fish_out"
fish_out=$(fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C 'modctl disable modctl_test_d'" | cut -f1)
check 'fish: modctl disable modctl_test_d' modctl_test_dep "$fish_out"

# Module files (issue 24): a path-shaped word completes module files, in load (/, ./, ../) and
# in the modprobe mode (kmod 31's / and ./), in all three shells.
mkdir -p "$tmp/work/sub"
touch "$tmp/work/mymod.ko" "$tmp/work/other.ko.xz" "$tmp/work/notes.txt"
out=$(cd "$tmp/work" && bash_complete modctl load ./)
check 'bash: modctl load ./' ./mymod.ko "$out"
check 'bash: modctl load ./' ./other.ko.xz "$out"
if grep -qx ./notes.txt <<<"$out"; then echo "FAIL: bash: load ./ offers a file that is no module"; fail=1; fi
check 'bash: modctl load ../' ../mymod.ko "$(cd "$tmp/work/sub" && bash_complete modctl load ../)"
check 'bash: modctl modprobe ./' ./mymod.ko "$(cd "$tmp/work" && bash_complete modctl modprobe ./)"
check 'bash: modctl modprobe -v ./' ./mymod.ko "$(cd "$tmp/work" && bash_complete modctl modprobe -v ./)"
for line in 'modctl load ./' 'modctl modprobe ./'; do
        fish_out=$(cd "$tmp/work" && fish --no-config -c "source $src/shell-completion/fish/modctl.fish; complete -C '$line'" | cut -f1)
        check "fish: $line" ./mymod.ko "$fish_out"
        if grep -qx ./notes.txt <<<"$fish_out"; then echo "FAIL: fish: $line offers a file that is no module"; fail=1; fi
done

# zsh: the file parses and defines the function.
if zsh -n "$src/shell-completion/zsh/_modctl" && zsh -fc "autoload -U compinit; compinit -u; source $src/shell-completion/zsh/_modctl 2>/dev/null; (( \$+functions[_modctl_available] ))"; then
        echo "ok: zsh file parses"
else
        echo "FAIL: zsh completion does not parse"; fail=1
fi

# zsh: its completion engine on a pseudo-terminal.
zsh_complete() { zsh -f "$src/tests/docs/zsh-complete.zsh" "$src/shell-completion/zsh" "$1"; }
check 'zsh: modctl load modctl_test_d' modctl_test_dep "$(zsh_complete 'modctl load modctl_test_d')"
check 'zsh: modctl unload modctl' modctl_test_soft "$(zsh_complete 'modctl unload modctl')"
check 'zsh: modctl modprobe --re' --remove "$(zsh_complete 'modctl modprobe --re')"
check 'zsh: modctl modprobe -r modctl' modctl_test_soft "$(zsh_complete 'modctl modprobe -r modctl')"
check 'zsh: modctl sea' search "$(zsh_complete 'modctl sea')"
check 'zsh: modctl options --cl' --clear "$(zsh_complete 'modctl options --cl')"
check 'zsh: modctl load ./' ./mymod.ko "$(cd "$tmp/work" && zsh_complete 'modctl load ./')"
check 'zsh: modctl modprobe ./' ./mymod.ko "$(cd "$tmp/work" && zsh_complete 'modctl modprobe ./')"
check 'zsh: modctl load modctl_test_d' modctl_test_dep "$(cd "$tmp/work" && zsh_complete 'modctl load modctl_test_d')"

exit $fail
