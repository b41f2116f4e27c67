#!/bin/zsh -f
# SPDX-License-Identifier: LGPL-2.1-or-later
# Prints what zsh's own completion system offers for a command line, one candidate a line:
# an interactive zsh on a pseudo-terminal (zpty) loads the completion from COMPDIR, gets the
# line and a Tab, and compadd reports the candidates instead of inserting them (the technique
# of zsh-capture-completion).
# usage: zsh-complete.zsh COMPDIR 'modctl load --'
# With $ZCOMPDUMP set, compinit's dump is made there once and reused (-C), which saves most of
# the two seconds compinit takes to scan $fpath.
zmodload zsh/zpty || exit 2
compdir=$1 line=$2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf $tmp' EXIT
if [[ -n $ZCOMPDUMP ]]; then init_args="-C -d ${(q)ZCOMPDUMP}"; else init_args=-D; fi
cat > $tmp/init.zsh <<INIT
PROMPT=
fpath=(${(q)compdir} \$fpath)
autoload -U compinit
compinit -u $init_args
bindkey '^I' complete-word
__null_line() { echo -E - \$'\\0' }
compprefuncs=( __null_line )
comppostfuncs=( __null_line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
        # the internal uses (-O, -A, -D: collect into arrays) keep their meaning
        if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
                builtin compadd "\$@"
                return \$?
        fi
        local -a __hits
        builtin compadd -A __hits "\$@"
        local -A apre hpre
        zparseopts -E P:=apre p:=hpre 2>/dev/null
        local h
        for h in \$__hits; do
                echo -E - "CAND:\${apre[-P]-}\${hpre[-p]-}\$h"
        done
}
echo ok-init
INIT
zpty z zsh -f -i
zpty -w z "source ${(q)tmp}/init.zsh"
local out
repeat 20; do
        zpty -r z out
        [[ $out == *ok-init* ]] && break
done
zpty -w -n z "$line"$'\t'
integer n=0
while zpty -r z out; do
        [[ $out == *$'\0'* ]] && (( ++n >= 2 )) && break
        [[ $out == *CAND:* ]] && print -r -- ${${out#*CAND:}%%$'\r'*}
done
zpty -d z
