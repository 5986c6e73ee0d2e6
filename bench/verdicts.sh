#!/usr/bin/env bash
# bench/verdicts.sh - what a build concludes about every corpus and regression file, in a form
# two builds can be compared by: for a change that must keep every verdict and every trace
# text (a migration of the trace hash, a speed change), run it with the build before and the
# build after, then diff the two files.
#
#   bash bench/verdicts.sh BUILD_DIR OUT_FILE
#
# For every file under corpus/ that `kfault hashes` takes (src/ directories, *.verdict,
# HASHES, TRACE_HASHES, *.md and dot files are skipped): the whole output and exit status
# of `kfault run FILE` (the trace text, the verdict, the findings) without its "trace hash:"
# line; each line of corpus/scenarios/HASHES with its options likewise; and, when the build
# has the fuzz target the file belongs to (corpus/T/... or corpus/regressions/T/...), the
# target run on that file: its exit status and its report (the finding, the trace's last
# events, the sanitizer's summary), with process ids, addresses, stack frames and libFuzzer's
# statistics left out. The real stack a callout used (the "used" figure of a " ;; real stack"
# note) is masked too: it is the host's stack, which differs between builds by design (it is
# never hashed), while the mark stays exact. It never writes into corpus/.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: bench/verdicts.sh BUILD_DIR OUT_FILE" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") || exit 2
kfault=$build/harness/kfault
[ -x "$kfault" ] || { echo "verdicts.sh: no $kfault" >&2; exit 2; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    cd "$root/corpus"
    find . -mindepth 1 \( -name '.*' -o -name src -type d \) -prune -o -type f \
        ! -name '*.verdict' ! -name HASHES ! -name TRACE_HASHES ! -name '*.md' -print | sed 's|^\./||' |
        LC_ALL=C sort |
        while read -r f; do
            "$kfault" run "$f" >"$tmp" 2>&1
            echo "=== kfault run $f: exit $?"
            grep -v '^trace hash: ' "$tmp" | sed -E 's/(;; real stack granted 0x[0-9a-f]+ used) 0x[0-9a-f]+/\1 (masked)/'
            case $f in
            regressions/*) t=${f#regressions/}; t=${t%%/*} ;;
            *) t=${f%%/*} ;;
            esac
            bin=$build/fuzz_targets/$t
            [ -x "$bin" ] || continue
            "$bin" -runs=0 "$f" >"$tmp" 2>&1
            echo "=== $t $f: exit $?"
            sed -E -e 's/==[0-9]+==/==PID==/g' -e 's/(;; real stack granted 0x[0-9a-f]+ used) 0x[0-9a-f]+/\1 (masked)/' \
                -e 's/ \([^ ]*\+0x[0-9a-f]+\) \(BuildId: [0-9a-f]+\)//' -e 's/0x[0-9a-f]{8,}/ADDR/g' "$tmp" |
                grep -Ev '^ *#[0-9]+ |^#[0-9]+|^INFO:|^Running:|^Executed |: Running [0-9]+ inputs|^MS: |^artifact_prefix|^Test unit written|^Base64:|^stat::|^ *0x|^Shadow|^  [A-Z][a-z]+ .*: [0-9a-f ]+$|^=+ *$|^(=>|  )ADDR:'
        done
    while read -r file hash opts; do
        case $file in '#'* | '') continue ;; esac
        "$kfault" run --options "$opts" "scenarios/$file" >"$tmp" 2>&1
        echo "=== kfault run --options '$opts' scenarios/$file: exit $?"
        grep -v '^trace hash: ' "$tmp" | sed -E 's/(;; real stack granted 0x[0-9a-f]+ used) 0x[0-9a-f]+/\1 (masked)/'
    done <"$root/corpus/scenarios/HASHES"
} >"$out"
echo "verdicts.sh: $(grep -c '^=== ' "$out") runs recorded in $out"
