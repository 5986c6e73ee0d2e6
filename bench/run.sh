#!/usr/bin/env bash
# bench/run.sh - kfault's benchmarks in one command: fuzz-target throughput against an empty
# libFuzzer target, the cost of a stack expansion by path, time to find each planted bug,
# the cost of systematic fault enumeration by consulted site, line and branch coverage of
# model/ and harness/, and the fuzzer's memory over a long run. Prints a table per section
# and writes them all to one results file (BENCHMARKS.md records the figures).
#
# It builds with the presets and runs the built binaries; it never reimplements them.
# Targets are discovered from the build (fuzz targets in build/fuzz/fuzz_targets, planted
# variants from their ctest "_finds" tests), so new targets are measured without edits.
# It never writes into corpus/: fuzzing runs use scratch directories, removed at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    cat <<EOF
usage: bench/run.sh [--quick] [--only LIST] [--out FILE] [--build-dir DIR] [--no-build]
                    [--self-test] [--help]

Runs the benchmarks and prints a table per section (about 25 minutes; --quick: under 3).

  --quick          short version: fewer seconds per target, fewer seeds, shorter runs
  --only LIST      comma-separated sections to run (default all):
                   throughput, stack, ttb, enum, coverage, memory
  --out FILE       the results file (default build/bench/results.txt); written whole,
                   through a temporary file, or not at all
  --build-dir DIR  the fuzz build to measure (default build/fuzz, built with the fuzz preset)
  --no-build       do not run cmake; use the binaries already in the build directories
  --self-test      check the bench programs of --build-dir briefly (no build, no timing
                   claims): each runs once and its output must parse. Used by ctest.
  --help           print this text

Settings (environment, defaults for the full run / --quick):
  BENCH_TPUT_SECONDS   seconds of fuzzing per target for throughput   (15 / 3)
  BENCH_TTB_SEEDS      seeds per planted bug                          (5 / 3)
  BENCH_TTB_CAP        seconds before a time-to-bug run gives up      (120 / 20)
  BENCH_COV_SECONDS    total seconds of fuzzing before the 2nd coverage figure (300 / 30)
  BENCH_MEM_SECONDS    length of the memory run                       (600 / 30)
  BENCH_MEM_TARGET     target of the memory run                       (drv_packet_fuzz)

Builds: build/fuzz (fuzz preset), build/coverage (coverage preset, fuzz targets only) and
build/bench-plain (clang without sanitizers, for the stack and enumeration programs only).
Exit status: 0 when every section ran, 1 when one failed, 2 on usage errors.
EOF
}

die_usage() {
    echo "run.sh: $*" >&2
    echo "try: bench/run.sh --help" >&2
    exit 2
}
die() {
    echo "run.sh: $*" >&2
    exit 1
}

quick=0
self_test=0
build=1
only="throughput,stack,ttb,enum,coverage,memory"
out=""
bdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --help | -h) usage; exit 0 ;;
        --quick) quick=1 ;;
        --self-test) self_test=1 ;;
        --no-build) build=0 ;;
        --only)
            [ $# -ge 2 ] || die_usage "--only needs a list of sections"
            only=$2; shift ;;
        --out)
            [ $# -ge 2 ] || die_usage "--out needs a file name"
            out=$2; shift ;;
        --build-dir)
            [ $# -ge 2 ] || die_usage "--build-dir needs a directory"
            bdir=$2; shift ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
    shift
done
for s in ${only//,/ }; do
    case "$s" in
        throughput | stack | ttb | enum | coverage | memory) ;;
        *) die_usage "unknown section '$s' (throughput, stack, ttb, enum, coverage, memory)" ;;
    esac
done
want() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

posint() { # posint NAME VALUE: VALUE must be a positive integer
    case "$2" in
        '' | *[!0-9]* | 0) die_usage "$1 must be a positive integer, not '$2'" ;;
    esac
}
if [ "$quick" = 1 ]; then
    tput_s=${BENCH_TPUT_SECONDS:-3}; ttb_seeds=${BENCH_TTB_SEEDS:-3}; ttb_cap=${BENCH_TTB_CAP:-20}
    cov_s=${BENCH_COV_SECONDS:-30}; mem_s=${BENCH_MEM_SECONDS:-30}; stack_ms=100; enum_ms=30
else
    tput_s=${BENCH_TPUT_SECONDS:-15}; ttb_seeds=${BENCH_TTB_SEEDS:-5}; ttb_cap=${BENCH_TTB_CAP:-120}
    cov_s=${BENCH_COV_SECONDS:-300}; mem_s=${BENCH_MEM_SECONDS:-600}; stack_ms=500; enum_ms=300
fi
mem_target=${BENCH_MEM_TARGET:-drv_packet_fuzz}
posint BENCH_TPUT_SECONDS "$tput_s"; posint BENCH_TTB_SEEDS "$ttb_seeds"; posint BENCH_TTB_CAP "$ttb_cap"
posint BENCH_COV_SECONDS "$cov_s"; posint BENCH_MEM_SECONDS "$mem_s"

bdir=${bdir:-$root/build/fuzz}
case "$bdir" in /*) ;; *) bdir=$(pwd)/$bdir ;; esac
out=${out:-$root/build/bench/results.txt}
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac

for tool in jq awk; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool (apt-get install $tool)"
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kfault-bench.XXXXXX")
bg_pid=""
cleanup() {
    if [ -n "$bg_pid" ]; then kill "$bg_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

report="$scratch/report.txt"
: >"$report"
say() { printf '%s\n' "$*" | tee -a "$report"; }

# The same libFuzzer flags for every run (the per-target .options dictionaries are left out
# so that every target, the empty one included, runs the same command line).
# rss_limit_mb / malloc_limit_mb: a run that needs more is a bug worth stopping for; the
# model's largest single allocation is far below 64 MiB (stacks are mmap'ed, not malloc'ed).
lf_flags=(-print_final_stats=1 -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=64 -max_len=1024)

stat_of() { # stat_of LOG NAME: a libFuzzer final statistic, or empty
    sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -n 1
}
now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# ---- Discovery ----------------------------------------------------------------------
# planted.tsv: variant, seed directory, expected verdict (from the "_finds" tests).
discover() {
    local bin=$bdir/fuzz_targets
    [ -d "$bin" ] || die "no fuzz targets in $bin (build the fuzz preset, or drop --no-build)"
    ctest --test-dir "$bdir" --show-only=json-v1 2>/dev/null |
        jq -r '.tests[] | select(.name | endswith("_finds"))
               | [(.name | sub("_finds$"; "")), .command[6],
                  ([.properties[]? | select(.name == "PASS_REGULAR_EXPRESSION") | .value]
                   | flatten | .[0] // "")] | @tsv' >"$scratch/planted.tsv" ||
        die "could not list the tests of $bdir"
    : >"$scratch/model.txt"
    local f t
    for f in "$bin"/*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        t=$(basename "$f")
        if ! cut -f1 "$scratch/planted.tsv" | grep -qx "$t"; then
            echo "$t" >>"$scratch/model.txt"
        fi
    done
    [ -s "$scratch/model.txt" ] || die "no model fuzz targets found in $bin"
}

seeds_of() { # seeds_of TARGET: its seed corpus, or an empty directory
    if [ -d "$root/corpus/$1" ]; then echo "$root/corpus/$1"; else mkdir -p "$scratch/none"; echo "$scratch/none"; fi
}

# ---- 1. Throughput -----------------------------------------------------------------
# tput_one BINARY SEEDS SECONDS -> "units seconds exec_per_s status"
tput_one() {
    local bin=$1 seeds=$2 secs=$3 name
    name=$(basename "$bin")
    local dir=$scratch/tput/$name log=$scratch/tput/$name.log
    rm -rf "$dir"
    mkdir -p "$dir"
    local t0 t1 rc=0
    t0=$(now)
    "$bin" "${lf_flags[@]}" -seed=1 -max_total_time="$secs" -artifact_prefix="$dir/" "$dir" "$seeds" \
        >"$log" 2>&1 || rc=$?
    t1=$(now)
    local units wall
    units=$(stat_of "$log" number_of_executed_units)
    wall=$(fsub "$t1" "$t0")
    local status=ok
    [ "$rc" = 0 ] || status="exit-$rc"
    grep -q '==kfault==' "$log" && status=FINDING
    [ -n "$units" ] || { units=0; status="no-stats"; }
    echo "$units $wall $(awk -v u="$units" -v w="$wall" 'BEGIN { printf "%.0f", u / w }') $status"
}

section_throughput() {
    say ""
    say "== throughput: exec/s of each fuzz target vs an empty libFuzzer target (same flags, same run)"
    say "   flags: ${lf_flags[*]} -seed=1 -max_total_time=$tput_s, from the seed corpus in a scratch copy"
    local empty=$bdir/bench/empty_fuzz
    [ -x "$empty" ] || die "no $empty (build the fuzz preset)"
    local r
    r=$(tput_one "$empty" "$(seeds_of none)" "$tput_s")
    local empty_rate
    empty_rate=$(echo "$r" | cut -d' ' -f3)
    say "$(printf '%-28s %12s %8s %10s %8s %s' target executions seconds exec/s ratio status)"
    local eu ew er es
    read -r eu ew er es <<<"$r"
    say "$(printf '%-28s %12s %8s %10s %8s %s' empty_fuzz "$eu" "$ew" "$er" 1.000 "$es")"
    [ "$es" = ok ] && [ "$empty_rate" -gt 0 ] || { say "   the empty target did not run"; return 1; }
    local t units wall rate status ratio fails=0
    while read -r t; do
        read -r units wall rate status < <(tput_one "$bdir/fuzz_targets/$t" "$(seeds_of "$t")" "$tput_s")
        ratio=$(awk -v a="$rate" -v b="$empty_rate" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
        say "$(printf '%-28s %12s %8s %10s %8s %s' "$t" "$units" "$wall" "$rate" "$ratio" "$status")"
        [ "$status" = ok ] || fails=1
    done <"$scratch/model.txt"
    say "   goal: ratio >= 0.25 for every model target"
    return $fails
}

# ---- 2. Stack switching --------------------------------------------------------------
section_stack() {
    say ""
    say "== stack: ns per KeExpandKernelStackAndCalloutEx call by path, vs a plain call (stack_bench --ms $stack_ms)"
    local b dirs=("$bdir")
    [ -x "$root/build/bench-plain/bench/stack_bench" ] && dirs+=("$root/build/bench-plain")
    say "$(printf '%-8s %-12s %-9s %12s %9s' build case path ns/call ratio)"
    for b in "${dirs[@]}"; do
        "$b/bench/stack_bench" --ms "$stack_ms" >"$scratch/stack.log" || die "stack_bench failed in $b"
        local kind
        kind=$(sed -n 's/^stack_bench build=//p' "$scratch/stack.log")
        awk -v k="$kind" '/case=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                         printf "%-8s %-12s %-9s %12s %9s\n", k, v["case"], v["path"], v["ns_per_call"], v["ratio"] }' \
            "$scratch/stack.log" | tee -a "$report"
    done
}

# ---- 3. Time to bug ------------------------------------------------------------------
# ttb_one VARIANT SEEDS EXPECT SEED -> "seconds executions result"
ttb_one() {
    local v=$1 seeds=$2 expect=$3 seed=$4
    local dir=$scratch/ttb/$v.$seed log=$scratch/ttb/$v.$seed.log
    rm -rf "$dir"
    mkdir -p "$dir"
    local t0 t1 rc=0
    t0=$(now)
    "$bdir/fuzz_targets/$v" "${lf_flags[@]}" -seed="$seed" -max_total_time="$ttb_cap" -artifact_prefix="$dir/" \
        "$dir" "$seeds" >"$log" 2>&1 || rc=$?
    t1=$(now)
    local units result
    units=$(stat_of "$log" number_of_executed_units)
    if [ "$rc" = 0 ]; then
        result=none
    elif grep -q -- "$expect" "$log"; then
        result=found
    else
        result=other
    fi
    echo "$(fsub "$t1" "$t0") ${units:-0} $result"
}

median() { # median of the numbers on stdin (a value over the cap counts as the cap: censored)
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

section_ttb() {
    say ""
    say "== time to bug: each planted variant from the correct driver's seed corpus, $ttb_seeds seeds (1..$ttb_seeds), one at a time, cap ${ttb_cap}s"
    say "$(printf '%-28s %10s %12s %6s  %s' variant median_s median_execs found 'per seed: seconds/executions')"
    local v seeds expect s fails=0
    [ -s "$scratch/planted.tsv" ] || { say "   (no planted variants found)"; return 0; }
    while IFS=$'\t' read -r v seeds expect; do
        local secs=() execs=() found=0 per=""
        for s in $(seq 1 "$ttb_seeds"); do
            local w u res
            read -r w u res < <(ttb_one "$v" "$seeds" "$expect" "$s")
            per="$per $w/$u"
            if [ "$res" = found ]; then
                found=$((found + 1))
                secs+=("$w"); execs+=("$u")
            else
                [ "$res" = other ] && { per="$per(wrong finding)"; fails=1; }
                secs+=("$ttb_cap"); execs+=("$u")
            fi
        done
        local ms me
        ms=$(printf '%s\n' "${secs[@]}" | median)
        me=$(printf '%s\n' "${execs[@]}" | median)
        say "$(printf '%-28s %10s %12s %4s/%s %s' "$v" "$ms" "$me" "$found" "$ttb_seeds" "$per")"
    done <"$scratch/planted.tsv"
    say "   goal: median under 30 s for every variant (a seed that found nothing counts as the cap)"
    return $fails
}

# ---- 4. Systematic enumeration -------------------------------------------------------
section_enum() {
    say ""
    say "== systematic enumeration: kfh_enumerate on scenarios consulting n sites (enum_bench --ms $enum_ms)"
    say "   expected: n+1 runs of about n sites each: time per run linear in n, total about n^2"
    local b dirs=("$bdir")
    [ -x "$root/build/bench-plain/bench/enum_bench" ] && dirs+=("$root/build/bench-plain")
    for b in "${dirs[@]}"; do
        "$b/bench/enum_bench" --ms "$enum_ms" >"$scratch/enum.log" || die "enum_bench failed in $b"
        say "   build: $b"
        say "$(printf '%-7s %4s %5s %12s %10s %12s' kind n runs us/enum us/run ns/site)"
        awk '/^enum_bench kind=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                 printf "%-7s %4s %5s %12s %10s %12s\n", v["kind"], v["n"], v["runs"], v["us_per_enum"], v["us_per_run"], v["ns_per_site"] }
             /^enum_bench fit/ { sub(/^enum_bench fit /, "   fit: "); print }' "$scratch/enum.log" | tee -a "$report"
    done
}

# ---- 5. Coverage ---------------------------------------------------------------------
# scripts/coverage.sh replays and reports; this section only fuzzes a scratch copy of the
# corpus between two of its runs and keeps the figures.
cov_run() { # cov_run LABEL CORPUS_ROOT OUTDIR: coverage.sh on a corpus root, model/ and harness/ apart
    local label=$1 croot=$2 odir=$3 rc=0
    bash "$root/scripts/coverage.sh" --no-build --corpus-dir "$croot" --output-dir "$odir" >"$odir.log" 2>&1 || rc=$?
    if [ "$rc" -gt 1 ]; then
        say "   $label: coverage.sh failed (exit $rc): $(tail -n 2 "$odir.log")"
        return 1
    fi
    [ "$rc" = 0 ] || say "   note: an input crashed its target during the $label replay (see coverage.sh's output)"
    awk -v l="$label" '/^coverage.sh: (model|harness)\/ / { sub(/^coverage.sh: /, ""); printf "%-22s %s\n", l, $0 }' \
        "$odir.log" | tee -a "$report"
}

section_coverage() {
    say ""
    say "== coverage of model/ and harness/ (scripts/coverage.sh: every corpus and regression folder)"
    if [ "$build" = 1 ]; then
        (cd "$root" && cmake --preset coverage >/dev/null && cmake --build --preset coverage -j2 >/dev/null) ||
            die "the coverage build failed"
    fi
    mkdir -p "$scratch/covcorpus"
    cp -R "$root/corpus/." "$scratch/covcorpus/"
    cov_run "seed corpus" "$scratch/covcorpus" "$scratch/cov0" || return 1
    local n per t
    n=$(wc -l <"$scratch/model.txt")
    per=$(( (cov_s + n - 1) / n ))
    mkdir -p "$scratch/fuzzed"
    while read -r t; do
        mkdir -p "$scratch/covcorpus/$t"
        "$bdir/fuzz_targets/$t" "${lf_flags[@]}" -seed=1 -max_total_time="$per" \
            -artifact_prefix="$scratch/fuzzed/" "$scratch/covcorpus/$t" >"$scratch/fuzzed/$t.log" 2>&1 || true
    done <"$scratch/model.txt"
    cov_run "after ${cov_s}s fuzzing" "$scratch/covcorpus" "$scratch/cov1" || return 1
    say "   (${per}s per target, $n targets, one at a time, into a scratch copy of the corpus)"
    grep '^model/' "$scratch/cov1/uncovered.txt" | sed 's/^/   uncovered /' >"$scratch/uncovered.txt" || true
    say "   model lines not executed after fuzzing: $(wc -l <"$scratch/uncovered.txt")"
    tee -a "$report" <"$scratch/uncovered.txt"
}

# ---- 6. Memory -----------------------------------------------------------------------
# mem_run BINARY SEEDS SECONDS INTERVAL: samples VmRSS (kB) of the fuzzer while it runs.
mem_run() {
    local bin=$1 seeds=$2 secs=$3 every=$4
    local dir=$scratch/mem log=$scratch/mem.log samples=$scratch/mem.samples
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$samples"
    local t0
    t0=$(now)
    "$bin" "${lf_flags[@]}" -seed=1 -max_total_time="$secs" -artifact_prefix="$dir/" "$dir" "$seeds" >"$log" 2>&1 &
    bg_pid=$!
    while kill -0 "$bg_pid" 2>/dev/null; do
        local rss
        rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$bg_pid/status" 2>/dev/null || true)
        [ -n "$rss" ] && echo "$(fsub "$(now)" "$t0") $rss" >>"$samples"
        sleep "$every"
    done
    local rc=0
    wait "$bg_pid" || rc=$?
    bg_pid=""
    local units
    units=$(stat_of "$log" number_of_executed_units)
    [ -n "$units" ] && [ -s "$samples" ] || { echo "run failed (exit $rc): $(tail -n 3 "$log")"; return 1; }
    # Executions at a sample's time are taken proportional to time (libFuzzer reports the
    # count only at the end); growth per 1000 executions compares the quarters' averages.
    awk -v units="$units" -v T="$(fsub "$(now)" "$t0")" -v peak="$(stat_of "$log" peak_rss_mb)" \
        -v corp="$(find "$dir" -type f | wc -l)" -v rc="$rc" '
        { t[NR] = $1; r[NR] = $2 }
        END {
            q = int(NR / 4); if (q < 1) q = 1
            for (i = 1; i <= q; i++) { a += r[i]; ta += t[i] }
            for (i = NR - q + 1; i <= NR; i++) { b += r[i]; tb += t[i] }
            a /= q; b /= q; ta /= q; tb /= q
            max = 0; for (i = 1; i <= NR; i++) if (r[i] > max) max = r[i]
            dexec = units * (tb - ta) / T
            printf "executions %d in %.0fs (exit %d), %d samples, corpus +%d files\n", units, T, rc, NR, corp
            printf "VmRSS first quarter %.1f MiB, last quarter %.1f MiB, max sampled %.1f MiB, libFuzzer peak_rss_mb %s\n",
                   a / 1024, b / 1024, max / 1024, peak
            printf "growth %.3f KiB per 1000 executions\n", (dexec > 0 ? (b - a) / (dexec / 1000) : 0)
        }' "$samples"
}

section_memory() {
    say ""
    say "== memory: VmRSS of $mem_target over ${mem_s}s, sampled every second"
    [ -x "$bdir/fuzz_targets/$mem_target" ] || die "no fuzz target $mem_target in $bdir/fuzz_targets (BENCH_MEM_TARGET)"
    local r
    r=$(mem_run "$bdir/fuzz_targets/$mem_target" "$(seeds_of "$mem_target")" "$mem_s" 1) || { say "   $r"; return 1; }
    printf '%s\n' "$r" | sed 's/^/   /' | tee -a "$report"
    if grep -q '==kfault==\|ERROR: libFuzzer' "$scratch/mem.log"; then
        say "   the run ended early with a finding: $(grep -m1 '==kfault== FINDING\|ERROR: libFuzzer' "$scratch/mem.log")"
        return 1
    fi
}

# ---- Self-test (ctest): every program once, briefly; the parsers on their output -----
if [ "$self_test" = 1 ]; then
    discover
    fail() { echo "bench self-test: FAILED: $*" >&2; exit 1; }
    grep -qx expand_fuzz "$scratch/model.txt" || fail "discovery did not list expand_fuzz"
    [ -s "$scratch/planted.tsv" ] || fail "discovery found no planted variants"
    r=$(tput_one "$bdir/bench/empty_fuzz" "$(seeds_of none)" 1)
    read -r u w rate st <<<"$r"
    [ "$st" = ok ] && [ "$u" -gt 0 ] && [ "$rate" -gt 0 ] || fail "empty_fuzz throughput parse: '$r'"
    r=$(tput_one "$bdir/fuzz_targets/expand_fuzz" "$(seeds_of expand_fuzz)" 1)
    read -r u w rate st <<<"$r"
    [ "$st" = ok ] && [ "$u" -gt 0 ] || fail "expand_fuzz throughput parse: '$r'"
    IFS=$'\t' read -r v seeds expect <"$scratch/planted.tsv"
    ttb_cap=30
    r=$(ttb_one "$v" "$seeds" "$expect" 1)
    [ "$(echo "$r" | cut -d' ' -f3)" = found ] || fail "time to bug of $v: '$r'"
    "$bdir/bench/stack_bench" --ms 5 >"$scratch/stack.log" || fail "stack_bench"
    [ "$(grep -c 'ns_per_call=[0-9]' "$scratch/stack.log")" -ge 5 ] || fail "stack_bench output"
    "$bdir/bench/enum_bench" --ms 1 --max-n 8 >"$scratch/enum.log" || fail "enum_bench"
    [ "$(grep -c '^enum_bench fit kind=.* r2=[0-9]' "$scratch/enum.log")" = 2 ] || fail "enum_bench output"
    r=$(mem_run "$bdir/bench/empty_fuzz" "$(seeds_of none)" 2 0.2) || fail "memory run: $r"
    echo "$r" | grep -q "growth .* KiB per 1000 executions" || fail "memory output: $r"
    ! "$root/bench/run.sh" --only bogus >/dev/null 2>&1 || fail "a bad section name was accepted"
    echo "bench self-test: ok (discovery, throughput, time to bug, stack_bench, enum_bench, memory sampling)"
    exit 0
fi

# ---- The run ---------------------------------------------------------------------------
cd "$root"
if [ "$build" = 1 ]; then
    echo "== building: the fuzz preset, and the bench programs without sanitizers"
    cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j2 >/dev/null || die "the fuzz build failed"
    if want stack || want enum; then
        cmake -S "$root" -B "$root/build/bench-plain" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
            -DKFAULT_BUILD_TESTS=OFF >/dev/null &&
            cmake --build "$root/build/bench-plain" -j2 --target stack_bench enum_bench >/dev/null ||
            die "the build without sanitizers failed"
    fi
fi
discover

say "kfault benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && echo ' (with local changes)')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "build: $bdir; model targets: $(tr '\n' ' ' <"$scratch/model.txt"); planted: $(cut -f1 "$scratch/planted.tsv" | tr '\n' ' ')"
[ "$quick" = 1 ] && say "mode: --quick"

failed=0
for s in throughput stack ttb enum coverage memory; do
    want "$s" || continue
    "section_$s" || { failed=1; say "   (section $s: FAILED)"; }
done
say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$(dirname "$out")"
cp "$report" "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
echo "run.sh: results written to $out"
exit $failed
