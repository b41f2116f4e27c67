# SPDX-License-Identifier: LGPL-2.1-or-later
# fish completion for modctl.

function __modctl_available
    set -l dir $MODCTL_MODULES_DIR
    test -n "$dir"; or set dir /lib/modules/(uname -r)
    cat $dir/modules.dep $dir/modules.builtin 2>/dev/null | string replace -r ':.*' '' | string replace -r '.*/' '' | string replace -r '\.ko.*' ''
end

function __modctl_loaded
    set -l f $MODCTL_PROC_MODULES
    test -n "$f"; or set f /proc/modules
    test -r $f; and string split -f1 ' ' <$f
end

set -l verbs status list info load unload policy reload monitor modprobe help
complete -c modctl -f
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a status -d 'Show the daemon status'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a list -d 'List loaded modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a info -d 'Show module fields'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a load -d 'Load modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a unload -d 'Unload modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a policy -d 'Check or show the policy'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a reload -d 'Reload the configuration'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a monitor -d 'Follow module events'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a modprobe -d 'Act like modprobe'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a help -d 'Show help'

complete -c modctl -n "__fish_seen_subcommand_from load info modprobe" -a '(__modctl_available)'
complete -c modctl -n "__fish_seen_subcommand_from unload" -a '(__modctl_loaded)'
complete -c modctl -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from check show" -a 'check show'

complete -c modctl -s h -l help -d 'Show help'
complete -c modctl -l version -d 'Show the version'
complete -c modctl -l json -x -a 'pretty short off' -d 'Print JSON'
complete -c modctl -s q -l quiet -d 'Print only errors and data'
complete -c modctl -s v -l verbose -d 'Say more'
complete -c modctl -l no-pager -d 'Do not use a pager'
complete -c modctl -l no-legend -d 'Do not print column headers'
complete -c modctl -s H -l host -x -a '(__fish_print_hostnames)' -d 'Operate on a remote host'
complete -c modctl -l no-ask-password -d 'Do not ask for a password'
complete -c modctl -n "__fish_seen_subcommand_from load" -s n -l dry-run -d 'Print the plan only'
complete -c modctl -n "__fish_seen_subcommand_from load" -s i -l ignore-install -d 'Skip install commands'
complete -c modctl -n "__fish_seen_subcommand_from load" -s f -l force -d 'Ignore version magic'
complete -c modctl -n "__fish_seen_subcommand_from load unload" -l first-time -d 'Fail if already (not) loaded'
complete -c modctl -n "__fish_seen_subcommand_from unload" -s r -l remove-unused -d 'Remove unused dependencies'
complete -c modctl -n "__fish_seen_subcommand_from unload" -l ignore-remove -d 'Skip remove commands'
complete -c modctl -n "__fish_seen_subcommand_from info" -s F -l field -x -d 'Print one field'
