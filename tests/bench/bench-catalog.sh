#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module catalog, in one VM boot, over a module tree of Debian's size: the guest has only
# the ~100 modules the tests need, so the tree is BENCH_CATALOG_SIZE (default 4000) entries made
# of hard-linked copies of them (real module files: each is read and parsed like any other),
# with its own modules.dep and the guest's binary indexes for the resolver.
#   build:  modctld's first Search after a start without a cache file (it reads every module
#           file's .modinfo and signature) vs `modinfo` over the same files (one process,
#           xargs): what a panel without the catalog would have to run
#   cached: the first Search after a restart with the cache file (stat()s only) vs modinfo
#   search: a warm Search of the whole catalog ("" matches every module) vs modinfo again
#   word:   a warm Search for a word ("network") vs modinfo piped to grep
# Each prints BENCH <what> modctl_median_us=N modinfo_median_us=N ratio=R, plus the daemon's
# own time for the warm search (without busctl's process start), from its debug log.
. /vm/lib.sh

RUNS=${BENCH_RUNS:-15}
ROUNDS=${BENCH_ROUNDS:-5}
rel=$(uname -r)
real=/lib/modules/$rel
# On the root file system, next to the real tree: /tmp is a separate tmpfs in the guest, and
# hard links cannot cross file systems.
dir=/var/tmp/catalog-tree
cache="/var/cache/modctl/catalog-*"
want=${BENCH_CATALOG_SIZE:-4000}
have=$(wc -l < "$real/modules.dep")
copies=$(( (want + have - 1) / have ))
mkdir -p "$dir"
cp "$real"/modules.*.bin "$real"/modules.builtin* "$real"/modules.order "$dir"/ 2>/dev/null
: > "$dir/modules.dep"
for c in $(seq "$copies"); do
        mkdir -p "$dir/c$c"
        for d in "$real"/*/; do cp -al "${d%/}" "$dir/c$c/" || fail "hard-link $d into $dir/c$c"; done
        sed -n "s|^\([^:]*\):.*|c$c/\1:|p" "$real/modules.dep" >> "$dir/modules.dep"
done
n=$(wc -l < "$dir/modules.dep")
echo "# $n catalog entries: $copies hard-linked copies of the guest's $have modules"
missing=$(sed -n 's|^\([^:]*\):.*|\1|p' "$dir/modules.dep" | while read -r f; do [ -f "$dir/$f" ] || echo "$f"; done | wc -l)
[ "$missing" = 0 ]
check "every catalog entry is a module file ($missing missing)"

start_system_bus
check "dbus-daemon --system is up"

search() {
        busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Search s "$1"
}

# One figure per daemon start: the first search is the one that builds.
build=
cached=
for i in $(seq "$ROUNDS"); do
        rm -f $cache
        start_modctld --log-level debug --modules-dir "$dir" || { fail "modctld starts"; break; }
        build="$build $(timeit -n 1 -w 0 -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Search s '' | sed -n 's/.*median_us=\([0-9]*\).*/\1/p')"
        stop_modctld
        start_modctld --log-level debug --modules-dir "$dir" || { fail "modctld restarts"; break; }
        cached="$cached $(timeit -n 1 -w 0 -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Search s '' | sed -n 's/.*median_us=\([0-9]*\).*/\1/p')"
        [ "$i" = "$ROUNDS" ] || stop_modctld
done
mid() { printf '%s\n' $1 | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
assert_contains "$(cat "$MODCTLD_LOG")" "0 read, $n from the cache" "a restart with the cache file reads no module file"

files() { sed -n 's|^\([^:]*\):.*|'"$dir"'/\1|p' "$dir/modules.dep"; }
theirs=$(timeit -n "$ROUNDS" -- sh -c "$(cat <<EOS
sed -n 's|^\([^:]*\):.*|$dir/\1|p' $dir/modules.dep | xargs modinfo > /dev/null
EOS
)")
bench_report build modinfo "median_us=$(mid "$build")" "$theirs"
bench_report cached modinfo "median_us=$(mid "$cached")" "$theirs"

ours=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Search s '')
bench_report search modinfo "$ours" "$theirs"
ours=$(timeit -n "$RUNS" -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager Search s network)
theirs_word=$(timeit -n "$ROUNDS" -- sh -c "sed -n 's|^\([^:]*\):.*|$dir/\1|p' $dir/modules.dep | xargs modinfo -F description | grep -i network > /dev/null")
bench_report word modinfo "$ours" "$theirs_word"

# The daemon's own time (its debug log: from the call's arrival to the reply's send), for the
# issue-23 goals: a warm Search of the whole catalog <= 50 ms, a word <= 10 ms, and the first
# page the Cockpit page asks for. The three calls take turns: a warm-up round, then
# BENCH_INSIDE_ROUNDS (default 10) rounds of BENCH_INSIDE_PER (3) calls each; a figure is the
# median of the round medians.
IROUNDS=${BENCH_INSIDE_ROUNDS:-10}
IPER=${BENCH_INSIDE_PER:-3}
: > /tmp/in.all; : > /tmp/in.word; : > /tmp/in.page
ok=1
for round in $(seq 0 "$IROUNDS"); do
        for what in all word page; do
                from=$(wc -l < "$MODCTLD_LOG")
                case $what in
                all) pat="Search '': "
                     timeit -n "$IPER" -w 0 -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager \
                             Search s '' > /dev/null || ok=0 ;;
                word) pat="Search 'network': "
                      timeit -n "$IPER" -w 0 -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager \
                              Search s network > /dev/null || ok=0 ;;
                page) pat="SearchPage '': "
                      timeit -n "$IPER" -w 0 -- busctl --system call org.modctl1 /org/modctl1 org.modctl1.Manager \
                              SearchPage suu '' 0 50 > /dev/null || ok=0 ;;
                esac
                [ "$round" -eq 0 ] && continue
                tail -n +"$((from + 1))" "$MODCTLD_LOG" | grep -F "$pat" | sed -n 's/.* in \([0-9]*\) us\./\1/p' |
                        sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }' >> /tmp/in.$what
        done
done
[ "$ok" -eq 1 ]
check "$IROUNDS alternating rounds of $IPER calls of Search '', Search network and SearchPage '' 0 50"
median_of() {
        sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
for what in all word page; do
        case $what in all) name=search-in-daemon goal=50000 ;; word) name=word-in-daemon goal=10000 ;;
                      page) name=page-in-daemon goal=10000 ;; esac
        m=$(median_of /tmp/in.$what)
        if [ -n "$m" ] && [ "$(wc -l < /tmp/in.$what)" -eq "$IROUNDS" ]; then
                echo "BENCH $name modctld_median_us=$m goal_us=$goal ratio_to_goal=$(awk -v a="$m" -v b="$goal" 'BEGIN { printf "%.2f", a / b }')" \
                     "modules=$n rounds=$IROUNDS round_medians=$(sort -n /tmp/in.$what | tr '\n' ' ')"
                pass "the daemon logged its $what search times"
        else
                fail "the daemon logged its $what search times ($(wc -l < /tmp/in.$what) of $IROUNDS rounds)"
        fi
done
stop_modctld
vm_finish
