#!/usr/bin/env bash
# afl_smoke.sh - the AFL++ smoke test: scripts/afl.sh builds the afl preset (afl-clang-fast)
# and fuzzes one target for a few seconds; the test checks that afl-fuzz ran the target and
# executed inputs (fuzzer_stats: execs_done > 0, a queue) and saved no crash from the correct
# model. Then afl-fuzz runs on a planted-bug variant until its first crash, which must replay
# to the verdict recorded for that variant: kfault's findings reach afl-fuzz as crashes.
#
# usage: afl_smoke.sh SOURCE_DIR SCRATCH_DIR [TARGET [SECONDS]]
# Exits 77 (ctest's SKIP_RETURN_CODE) when AFL++ is not installed.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 4 ] || [ ! -x "$1/scripts/afl.sh" ]; then
    echo "usage: afl_smoke.sh SOURCE_DIR SCRATCH_DIR [TARGET [SECONDS]] (SOURCE_DIR holds scripts/afl.sh)" >&2
    exit 2
fi
repo=$(cd "$1" && pwd)
scratch=$2
target=${3:-expand_fuzz}
seconds=${4:-4}

for tool in afl-clang-fast afl-fuzz; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found: AFL++ is not installed (Debian package afl++: apt-get install afl++)"
        exit 77
    fi
done

rm -rf "$scratch"
mkdir -p "$scratch"
out=$scratch/out

# Bounded and unattended: no UI, no CPU pinning (other jobs share the cores), no demands on
# the machine's core_pattern or CPU governor.
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
status=0
"$repo/scripts/afl.sh" --time "$seconds" --jobs 2 --out "$out" "$target" >"$scratch/afl.log" 2>&1 || status=$?
tail -n 3 "$scratch/afl.log"
stats=$out/default/fuzzer_stats
if [ "$status" != 0 ] || [ ! -f "$stats" ]; then
    cat "$scratch/afl.log" >&2
    echo "FAIL: scripts/afl.sh exited with status $status$([ -f "$stats" ] || echo ', no fuzzer_stats')" >&2
    exit 1
fi
value() { sed -n "s/^$1[[:space:]]*: //p" "$stats"; }
execs=$(value execs_done)
queued=$(value corpus_count)
if ! [[ "$execs" =~ ^[0-9]+$ ]] || [ "$execs" -eq 0 ]; then
    echo "FAIL: afl-fuzz executed no input (execs_done '${execs}')" >&2
    exit 1
fi
if ! [[ "$queued" =~ ^[0-9]+$ ]] || [ "$queued" -eq 0 ]; then
    echo "FAIL: afl-fuzz queued no input (corpus_count '${queued}')" >&2
    exit 1
fi
echo "afl-fuzz $target: $execs execs, corpus $queued"

# The oracle under afl-fuzz: a planted variant fuzzed from the seeds of its correct driver
# that it survives must give afl-fuzz a crash (AFL_BENCH_UNTIL_CRASH stops at the first), and
# that crash must replay to the verdict written beside the variant's committed reproducer.
manifest=$repo/build/afl/kfault-fuzz-targets.tsv
planted=$(awk -F '\t' '$1 == "planted" { print $2; exit }' "$manifest")
[ -n "$planted" ] || { echo "FAIL: $manifest names no planted variant" >&2; exit 1; }
verdict_file=""
for f in "$repo/corpus/regressions/$planted"/*.verdict; do
    [ -f "$f" ] && verdict_file=$f && break
done
[ -n "$verdict_file" ] || { echo "FAIL: no verdict under corpus/regressions/$planted/" >&2; exit 1; }
verdict=$(head -n 1 "$verdict_file")
# The variant's reproducer is a copy of a seed of its correct driver: find that driver's seeds.
reproducer=${verdict_file%.verdict}.bin
driver_seeds=""
for d in "$repo"/corpus/*/; do
    if [ -f "$d/$(basename "$reproducer")" ] && cmp -s "$reproducer" "$d/$(basename "$reproducer")"; then
        driver_seeds=$d
    fi
done
[ -n "$driver_seeds" ] || { echo "FAIL: no seed folder holds a copy of $reproducer" >&2; exit 1; }
cd "$repo"
cmake --build --preset afl -j 2 --target "$planted" >"$scratch/planted-build.log" 2>&1 || {
    cat "$scratch/planted-build.log" >&2
    echo "FAIL: building $planted in the afl preset failed" >&2
    exit 1
}
bin=$repo/build/afl/fuzz_targets/$planted
mkdir -p "$scratch/planted-seeds"
for f in "$driver_seeds"*; do
    [ -f "$f" ] || continue
    # (in a subshell of its own, which reports an abort into the redirected output)
    if ("$bin" "$f"; exit $?) >/dev/null 2>&1; then cp "$f" "$scratch/planted-seeds/"; fi
done
[ -n "$(ls -A "$scratch/planted-seeds")" ] || { echo "FAIL: $planted dies on every seed of $driver_seeds" >&2; exit 1; }
status=0
AFL_BENCH_UNTIL_CRASH=1 "$repo/scripts/afl.sh" --no-build --time 60 --seeds "$scratch/planted-seeds" \
    --out "$scratch/planted-out" "$planted" >"$scratch/planted-afl.log" 2>&1 || status=$?
crash=$(ls "$scratch/planted-out/default/crashes"/id:* 2>/dev/null | head -n 1 || true)
if [ "$status" != 1 ] || [ -z "$crash" ]; then
    cat "$scratch/planted-afl.log" >&2
    echo "FAIL: afl-fuzz on $planted: scripts/afl.sh status $status (1 expected: crashes saved), crash '${crash}'" >&2
    exit 1
fi
status=0
("$bin" "$crash"; exit $?) >"$scratch/planted.log" 2>&1 || status=$?
if [ "$status" = 0 ] || ! grep -qF -- "$verdict" "$scratch/planted.log"; then
    cat "$scratch/planted.log" >&2
    echo "FAIL: the crash afl-fuzz saved for $planted replays with status $status, not to '$verdict'" >&2
    exit 1
fi
grep "afl-fuzz $planted" "$scratch/planted-afl.log" || true
echo "afl-fuzz found $planted's bug: $(basename "$crash") replays to $verdict (exit status $status)"
