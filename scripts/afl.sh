#!/usr/bin/env bash
# scripts/afl.sh - fuzz one kfault target with AFL++ instead of libFuzzer: builds the afl preset
# (afl-clang-fast from Debian's afl++ package, ASan+UBSan, the target linked with AFL++'s
# libFuzzer driver) into build/afl, then runs afl-fuzz on the target from its seeds in
# corpus/<target>/ with its dictionary, for a bounded time, and prints what the run did.
#
# It calls the build and afl-fuzz; it never reimplements them. It never writes into corpus/:
# afl-fuzz's queue, crashes and hangs stay in the output directory (findings/afl/<target> by
# default), which a later run with the same output directory resumes.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/afl.sh [--time SECONDS] [--out DIR] [--seeds DIR] [--instances N] [--jobs N]
                      [--no-build] TARGET

Builds the afl preset (build/afl, compiler afl-clang-fast) and fuzzes TARGET with
afl-fuzz for --time seconds (default 60), starting from the seed files of
corpus/TARGET/ and with fuzz_targets/TARGET.dict when there is one. TARGET may also
be a planted-bug variant (drv_loader_twice_fuzz, ...), to watch AFL++ find its bug.

  --time SECONDS  how long afl-fuzz runs (afl-fuzz -V)
  --out DIR       afl-fuzz's output directory (default findings/afl/TARGET); an existing
                  one is resumed (AFL_AUTORESUME)
  --seeds DIR     start from the files in DIR instead of corpus/TARGET/
  --instances N   run N afl-fuzz processes on the target together (one main, N-1
                  secondaries, afl-fuzz -M/-S; default 1); give each its own core
  --jobs N        parallel build jobs (default: every core)
  --no-build      use build/afl as it is
  --help          print this text

Crashes land in DIR/default/crashes/ (DIR/main/, DIR/s1/, ... with --instances); reproduce
one with the libFuzzer or replay build: build/fuzz/fuzz_targets/TARGET DIR/default/crashes/id:...
Settings for afl-fuzz (AFL_NO_UI, AFL_NO_AFFINITY, AFL_SKIP_CPUFREQ, ...) pass through the
environment. ASAN_OPTIONS and UBSAN_OPTIONS get what afl-fuzz requires added to them
(abort_on_error=1, symbolize=0). Needs: apt-get install afl++ (as root).
Exit status: 0 when the run saved no crash, 1 when it saved crashes, 2 on errors.
EOF
}

die() {
    echo "afl.sh: $*" >&2
    exit 2
}

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
time_budget=60
out=""
seed_dir=""
instances=1
jobs=$(nproc 2>/dev/null || echo 2)
build=1
target=""
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --time)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "--time needs a positive number of seconds"
        time_budget=$2; shift 2 ;;
    --out)
        [ $# -ge 2 ] && [ -n "$2" ] || die "--out needs a directory"
        out=$2; shift 2 ;;
    --seeds)
        [ $# -ge 2 ] && [ -d "$2" ] || die "--seeds needs an existing directory"
        seed_dir=$2; shift 2 ;;
    --instances)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "--instances needs a positive number"
        instances=$2; shift 2 ;;
    --jobs)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "--jobs needs a positive number"
        jobs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
        [ -z "$target" ] || die "one target at a time ('$target' and '$1' given)"
        target=$1; shift ;;
    esac
done
[ -n "$target" ] || die "no target named (see --help)"
# Folders given relative to where the script was started, which it leaves for the repository.
case "$out" in "" | /*) ;; *) out=$PWD/$out ;; esac
[ -z "$seed_dir" ] || seed_dir=$(cd "$seed_dir" && pwd)
[[ "$target" =~ ^[A-Za-z0-9_]+$ ]] || die "'$target' is not a target name"

for tool in afl-clang-fast afl-fuzz; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing; install Debian's afl++ package (apt-get install afl++)"
done

cd "$top"
bindir=build/afl
manifest=$bindir/kfault-fuzz-targets.tsv
if [ "$build" = 1 ]; then
    echo "== building the afl preset (build/afl)"
    cmake --preset afl >/dev/null || die "configuring the afl preset failed (its errors are above)"
fi
[ -f "$manifest" ] || die "no build in $bindir; run without --no-build"

# The manifest (written by the build) names every target and its files.
row=$(awk -F '\t' -v t="$target" '$2 == t' "$manifest")
if [ -z "$row" ]; then
    echo "afl.sh: '$target' is not a fuzz target; the targets are:" >&2
    awk -F '\t' '$1 == "ship" { print "  " $2 }' "$manifest" >&2
    echo "and the planted-bug variants: $(awk -F '\t' '$1 == "planted" { printf "%s ", $2 }' "$manifest")" >&2
    exit 2
fi
IFS=$'\t' read -r _ _ binary dict options corpus <<<"$row"
if [ "$build" = 1 ]; then
    cmake --build --preset afl -j "$jobs" --target "$target" || die "building $target failed"
fi
[ -x "$binary" ] || die "$binary is not built; run without --no-build"

[ -n "$out" ] || out=$top/findings/afl/$target
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ "$seed_dir" != "$out/seeds" ] || die "--seeds names the folder afl.sh rebuilds from them ($out/seeds); copy it elsewhere first"

# afl-fuzz reads every file under -i, subfolders too: give it the seed files alone (not the
# text sources under corpus/<target>/src/), copied beside its output.
[ -z "$seed_dir" ] || corpus=$seed_dir
seeds=$out/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
if [ "$corpus" != - ]; then
    for f in "$corpus"/*; do
        [ -f "$f" ] && cp "$f" "$seeds/"
    done
fi
# An empty input is a valid seed for every target: missing bytes read as zero.
[ -n "$(ls -A "$seeds")" ] || printf '' >"$seeds/empty"

args=(-V "$time_budget" -i "$seeds" -o "$out")
[ "$dict" = - ] || args+=(-x "$dict")
# The input bound of the target's .options (libFuzzer's max_len), when it sets one.
if [ "$options" != - ]; then
    max_len=$(sed -n 's/^[[:space:]]*max_len[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$options" | head -n 1)
    [ -z "$max_len" ] || args+=(-G "$max_len")
fi

export AFL_AUTORESUME=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:symbolize=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1:symbolize=0"
# One afl-fuzz, or with --instances N a main instance and N-1 secondaries sharing the output
# folder (afl-fuzz -M/-S), each in its own subfolder. Background jobs of a script ignore
# Ctrl-C, so it is passed on to them; afl-fuzz then stops cleanly and writes its stats.
if [ "$instances" = 1 ]; then
    names=(default)
    echo "== afl-fuzz ${args[*]} -- $binary"
    status=0
    afl-fuzz "${args[@]}" -- "$binary" || status=$?
    [ "$status" = 0 ] || [ -f "$out/default/fuzzer_stats" ] || die "afl-fuzz failed with status $status"
else
    names=(main)
    for ((i = 1; i < instances; i++)); do names+=("s$i"); done
    echo "== ${#names[@]} x afl-fuzz ${args[*]} -M/-S ... -- $binary (logs: $out/<instance>.log)"
    pids=()
    for n in "${names[@]}"; do
        role=-S
        [ "$n" = main ] && role=-M
        AFL_NO_UI=1 afl-fuzz "$role" "$n" "${args[@]}" -- "$binary" >"$out/$n.log" 2>&1 &
        pids+=($!)
    done
    trap 'kill -INT "${pids[@]}" 2>/dev/null || true' INT TERM
    status=0
    for pid in "${pids[@]}"; do
        # wait returns early when a signal arrives: wait again until the job is gone.
        while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done
    done
    trap - INT TERM
fi

stat() { sed -n "s/^$2[[:space:]]*: //p" "$out/$1/fuzzer_stats"; }
total_execs=0
total_crashes=0
echo
for n in "${names[@]}"; do
    [ -f "$out/$n/fuzzer_stats" ] || die "afl-fuzz instance $n ended without writing $out/$n/fuzzer_stats (see its output above or $out/$n.log)"
    crashes=$(stat "$n" saved_crashes)
    [ -n "$crashes" ] || crashes=$(stat "$n" unique_crashes)
    hangs=$(stat "$n" saved_hangs)
    [ -n "$hangs" ] || hangs=$(stat "$n" unique_hangs)
    execs=$(stat "$n" execs_done)
    label=$target
    [ "$instances" = 1 ] || label="$target [$n]"
    echo "== afl-fuzz $label: $execs execs, $(stat "$n" execs_per_sec) exec/s, corpus $(stat "$n" corpus_count), crashes ${crashes:-?}, hangs ${hangs:-?}"
    total_execs=$((total_execs + ${execs:-0}))
    total_crashes=$((total_crashes + ${crashes:-0}))
done
where=$out/default
[ "$instances" = 1 ] || where="$out/{$(IFS=,; echo "${names[*]}")}"
echo "   output: $where (queue/, crashes/, hangs/, fuzzer_stats); $total_execs execs in all"
if [ "$total_crashes" != 0 ]; then
    echo "   reproduce: build/fuzz/fuzz_targets/$target $out/*/crashes/id:*"
    exit 1
fi
exit 0
