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

set -l verbs status list info load unload policy reload monitor enable disable blacklist unblacklist options settings search analyze wait modprobe help
# modctl's own options, anywhere but after "modprobe" (which has kmod's command line)
set -l own "not __fish_seen_subcommand_from modprobe"
set -l mp "__fish_seen_subcommand_from modprobe"
complete -c modctl -f
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a status -d 'Show the daemon status'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a list -d 'List loaded modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a info -d 'Show module fields'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a load -d 'Load modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a unload -d 'Unload modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a policy -d 'Check or show the policy'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a reload -d 'Reload the configuration'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a monitor -d 'Follow module events'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a enable -d 'Load a module at boot'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a disable -d 'Never load a module'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a blacklist -d 'Do not load a module for its aliases'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a unblacklist -d 'Undo blacklist'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a options -d "Show or set a module's options"
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a settings -d "Show a module's settings"
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a search -d 'Search the available modules'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a analyze -d "Where the boot's module time went"
complete -c modctl -n "__fish_seen_subcommand_from analyze; and not __fish_seen_subcommand_from blame critical-chain plot" -a 'blame critical-chain plot'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a wait -d "Wait until the boot list is loaded"
complete -c modctl -n "__fish_seen_subcommand_from wait; and not __fish_seen_subcommand_from boot" -a boot
complete -c modctl -n "__fish_seen_subcommand_from blame critical-chain plot" -a 'boot coldplug all'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a modprobe -d 'Act like modprobe'
complete -c modctl -n "not __fish_seen_subcommand_from $verbs" -a help -d 'Show help'

complete -c modctl -n "__fish_seen_subcommand_from load info enable disable blacklist unblacklist options settings" -a '(__modctl_available)'
complete -c modctl -n "$mp; and not __fish_seen_argument -s r -l remove" -a '(__modctl_available)'
# Module files for a path-shaped word: load and info take /, ./, ../ or any '/'; the modprobe
# mode (argument kmod) only / and ./, kmod 31's rule.
function __modctl_module_files
    set -l tok (commandline -ct)
    if test "$argv[1]" = kmod
        string match -qr '^(/|\./|\.$)' -- $tok; or return
    else
        string match -qr '^\.|/' -- $tok; or return
    end
    __fish_complete_path $tok | string replace -r '\t.*' '' | string match -er '(/|\.ko(\.xz|\.zst|\.gz)?)$'
end
complete -c modctl -n "__fish_seen_subcommand_from load info" -a '(__modctl_module_files)'
complete -c modctl -n "$mp; and not __fish_seen_argument -s r -l remove" -a '(__modctl_module_files kmod)'
complete -c modctl -n "$mp; and __fish_seen_argument -s r -l remove" -a '(__modctl_loaded)'
complete -c modctl -n "__fish_seen_subcommand_from unload" -a '(__modctl_loaded)'
complete -c modctl -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from check show" -a 'check show'
complete -c modctl -n "__fish_seen_subcommand_from help" -a "$verbs"

complete -c modctl -n $own -s h -l help -d 'Show help'
complete -c modctl -n $own -l version -d 'Show the version'
complete -c modctl -n $own -l json -f -a 'pretty short off' -d 'Print JSON'
complete -c modctl -n $own -s q -l quiet -d 'Print only errors and data'
complete -c modctl -n $own -s v -l verbose -d 'Say more'
complete -c modctl -n $own -l no-pager -d 'Do not use a pager'
complete -c modctl -n $own -l no-legend -d 'Do not print column headers'
complete -c modctl -n $own -s H -l host -x -a '(__fish_print_hostnames)' -d 'Operate on a remote host'
complete -c modctl -n $own -l no-ask-password -d 'Do not ask for a password'
complete -c modctl -n "__fish_seen_subcommand_from load" -s n -l dry-run -d 'Print the plan only'
complete -c modctl -n "__fish_seen_subcommand_from load" -l verdicts -d 'With --dry-run, judge the plan and predict taints'
complete -c modctl -n "__fish_seen_subcommand_from load" -s S -l set-version -x -a '(command ls /lib/modules 2>/dev/null)' -d 'With --dry-run, plan for another kernel version'
complete -c modctl -n "__fish_seen_subcommand_from load" -s i -l ignore-install -d 'Skip install commands'
complete -c modctl -n "__fish_seen_subcommand_from load" -s f -l force -d 'Ignore version magic'
complete -c modctl -n "__fish_seen_subcommand_from load unload" -l first-time -d 'Fail if already (not) loaded'
complete -c modctl -n "__fish_seen_subcommand_from unload" -s r -l remove-unused -d 'Remove unused dependencies'
complete -c modctl -n "__fish_seen_subcommand_from unload" -l ignore-remove -d 'Skip remove commands'
complete -c modctl -n "__fish_seen_subcommand_from info" -s F -l field -x -d 'Print one field'
complete -c modctl -n "__fish_seen_subcommand_from search" -l offset -x -d 'Skip the first N matches'
complete -c modctl -n "__fish_seen_subcommand_from search" -l limit -x -d 'Show at most N matches'
complete -c modctl -n "__fish_seen_subcommand_from enable disable blacklist unblacklist options" -l runtime -d 'Change the files under /run only'
complete -c modctl -n "__fish_seen_subcommand_from enable disable" -l now -d 'Also load or unload it now'
complete -c modctl -n "__fish_seen_subcommand_from enable disable" -l boot -d 'Change the boot list only'
complete -c modctl -n "__fish_seen_subcommand_from options" -l clear -d 'Remove the options modctl set'
complete -c modctl -n "__fish_seen_subcommand_from list" -s o -l output -x -a 'module size state taint used-by' -d 'Print these columns'
complete -c modctl -n "__fish_seen_subcommand_from policy" -s o -l output -x -a 'module verdict taint rule reason' -d 'Print these columns'
complete -c modctl -n "__fish_seen_subcommand_from settings options" -s o -l output -x -a 'setting value managed-by file' -d 'Print these columns'
complete -c modctl -n "__fish_seen_subcommand_from search" -s o -l output -x -a 'name state description' -d 'Print these columns'
complete -c modctl -n "__fish_seen_subcommand_from list policy settings options search" -l raw -d 'Print the table unaligned'

# modctl modprobe: kmod's options
complete -c modctl -n $mp -s a -l all -d 'Every argument is a module'
complete -c modctl -n $mp -s r -l remove -d 'Remove modules'
complete -c modctl -n $mp -s R -l resolve-alias -d 'Print what an alias resolves to'
complete -c modctl -n $mp -l first-time -d 'Fail if already inserted or removed'
complete -c modctl -n $mp -s i -l ignore-install -d 'Ignore install commands'
complete -c modctl -n $mp -l ignore-remove -d 'Ignore remove commands'
complete -c modctl -n $mp -s b -l use-blacklist -d 'Apply blacklist to resolved alias'
complete -c modctl -n $mp -s f -l force -d 'Ignore version and version magic'
complete -c modctl -n $mp -l force-modversion -d "Ignore module's version"
complete -c modctl -n $mp -l force-vermagic -d "Ignore module's version magic"
complete -c modctl -n $mp -s D -l show-depends -d 'Print dependencies and exit'
complete -c modctl -n $mp -s c -l showconfig -l show-config -d 'Print configuration and exit'
complete -c modctl -n $mp -s n -l dry-run -l show -d 'Do nothing, just print'
complete -c modctl -n $mp -s C -l config -r -F -d 'Use FILE for configuration'
complete -c modctl -n $mp -s d -l dirname -x -a '(__fish_complete_directories)' -d 'Root of /lib/modules'
complete -c modctl -n $mp -s S -l set-version -x -a '(command ls /lib/modules 2>/dev/null)' -d 'Kernel version'
complete -c modctl -n $mp -s s -l syslog -d 'Print to syslog, not stderr'
complete -c modctl -n $mp -s q -l quiet -d 'Disable messages'
complete -c modctl -n $mp -s v -l verbose -d 'More messages'
complete -c modctl -n $mp -s V -l version -d 'Show version'
complete -c modctl -n $mp -s h -l help -d 'Show help'
complete -c modctl -n $mp -l remove-dependencies -d 'Same as --remove-holders'
complete -c modctl -n $mp -l remove-holders -d 'Also remove the modules holding it (with -r)'
complete -c modctl -n $mp -s w -l wait -x -d 'With -r, wait up to MSEC for the module to be unused'
complete -c modctl -n $mp -l show-modversions -d 'Print the symbol versions a module file needs'
complete -c modctl -n $mp -l dump-modversions -d 'Same as --show-modversions'
complete -c modctl -n $mp -l show-exports -d 'Print the symbols a module file exports'
