#!/usr/bin/env bash
# scripts/coverage.sh (installed: `kfault coverage`) - source-based coverage reached by the
# corpus, and a picture of fuzzing runs.
#
# Default mode in kfault's tree: builds the coverage preset (clang -fprofile-instr-generate
# -fcoverage-mapping; fuzz targets linked with the replay main), replays every corpus
# folder and every regression folder (or the folders given) with its target, merges the
# profiles with llvm-profdata, writes an HTML report with llvm-cov show and prints llvm-cov
# report's summary (lines, functions, regions, branches), in all and for model/ and
# harness/ apart. With a named build (--build-dir, or installed: a user's build configured
# with -DKFAULT_FUZZER_COVERAGE=ON) the targets' replay binaries replay their seeds and
# working corpus, and the report covers the project's own sources. A folder whose replay
# crashes is replayed again one file a process, so the inputs after the crashing one count
# too; the replay main writes the counters of a crashing process before it dies (a planted
# bug's reproducer is meant to crash).
# --tests adds the build's ctest run (unit tests, CLI and script tests).
# --plot mode: draws coverage and exec/s over time from libFuzzer logs with gnuplot.
# It calls the build, the binaries and the LLVM tools; it never computes coverage itself.
set -eu

kf_prog=coverage.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    local me
    me=$(kf_verb coverage)
    cat <<EOF
usage: $me [options] [DIR...]
       $me --plot [--output PNG] LOG...

Coverage: replays each DIR (default: corpus/TARGET and corpus/regressions/TARGET for
every target with such a folder in kfault's tree; with a named build, every target's seeds
and working corpus; the target is the nearest directory of the path named after one) with
the coverage build, then writes OUT/html/index.html, OUT/summary.txt and OUT/uncovered.txt
(every line never run, file:line: source) and prints the summary, with the totals of
model/ and harness/ apart (kfault's tree) or of the project's sources.
  --output-dir OUT  where the report goes (default build/coverage-report, or
                    BUILD/kfault-coverage)
  --corpus-dir DIR  corpus root for the default folders (default corpus, or the working
                    corpus BUILD/kfault-corpus)
  --build-dir DIR   a build whose replay binaries carry coverage (configured with
                    -DKFAULT_FUZZER_COVERAGE=ON and clang)
  --tests           also run the build's tests (ctest) into the same profile:
                    the figure of the corpus and the unit tests together
  --no-build        use the build as it is, without building

--plot: reads libFuzzer logs (the "#N ... cov: C ... exec/s: E" status lines; several
rounds of fuzz in one log follow each other) and draws coverage and exec/s
against time, one line per log, into PNG (default build/fuzz-run.png). Time is
N / exec/s in whole seconds (libFuzzer's exec/s is the runs so far over the whole
seconds elapsed).
Needs gnuplot (Debian: apt-get install gnuplot-nox).

A crash is expected from the reproducers of a planted bug (a folder holding a .verdict
file, as under corpus/regressions/); any other crash is reported.
Exit status: 0 done, 1 an input crashed unexpectedly or a test failed (the report still
covers everything that ran), 2 error (bad usage, missing tool or file, build failure).
EOF
}

plot_logs() { # plot_logs PNG LOG...
    local png=$1 log i=0 plots_cov="" plots_eps="" title
    shift
    command -v gnuplot >/dev/null 2>&1 || kf_die 2 "gnuplot is not installed: apt-get install gnuplot-nox"
    [ $# -gt 0 ] || kf_die 2 "--plot needs at least one libFuzzer log"
    for log in "$@"; do
        [ -f "$log" ] && [ -r "$log" ] || kf_die 2 "cannot read log $log"
    done
    [ -d "$(dirname "$png")" ] || kf_die 2 "no folder for $png"
    data=$(mktemp "${TMPDIR:-/tmp}/kfault-plot.XXXXXX")
    script=$data.gp
    trap '[ -z "$data" ] || rm -f "$data" "$script"' EXIT
    for log in "$@"; do
        # One block per log: seconds, coverage, exec/s. A new round starts after the last.
        awk '
            /^== round / { offset = last; next }
            /^#[0-9]+[ \t]/ && / cov: / && / exec\/s: / {
                n = substr($1, 2) + 0
                for (k = 1; k < NF; k++) {
                    if ($k == "cov:") cov = $(k + 1)
                    if ($k == "exec/s:") eps = $(k + 1) + 0
                }
                # exec/s is runs / whole seconds elapsed: the quotient is that second.
                t = offset + (eps > 0 ? int(n / eps + 0.5) : 0)
                last = t
                printf "%.2f %s %s\n", t, cov, eps
                lines++
            }
            END { if (!lines) print "0 0 0" }' "$log" >>"$data"
        printf '\n\n' >>"$data"
        title=$(basename "$log" .log)
        plots_cov+="${plots_cov:+, }'$data' index $i using 1:2 with lines title '$title'"
        plots_eps+="${plots_eps:+, }'$data' index $i using 1:3 with lines title '$title'"
        i=$((i + 1))
    done
    local tmp_png
    tmp_png=$(mktemp "$(dirname "$png")/.kfault-tmp.XXXXXX")
    cat >"$script" <<EOF
set terminal png size 1000,800 noenhanced
set output '$tmp_png'
set multiplot layout 2,1 title 'kfault fuzzing run'
set grid
set key outside right
set xlabel 'seconds'
set ylabel 'coverage (libFuzzer cov:)'
plot $plots_cov
set ylabel 'exec/s'
plot $plots_eps
unset multiplot
EOF
    if ! gnuplot "$script" 2>"$data.err"; then
        cat "$data.err" >&2
        rm -f "$tmp_png" "$data.err"
        kf_die 2 "gnuplot failed"
    fi
    rm -f "$data.err"
    chmod 644 "$tmp_png"
    mv -f "$tmp_png" "$png"
    echo "coverage.sh: wrote $png ($# log(s))"
}

mode=report
data=""
script=""
out=""
png=$kf_root/build/fuzz-run.png
[ "$kf_installed" = 0 ] || png=fuzz-run.png
corpus_root=""
build=1
build_arg=""
tests=0
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --plot) mode=plot; shift ;;
    --output) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--output needs a file"; png=$2; shift 2 ;;
    --output-dir) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--output-dir needs a folder"; out=${2%/}; shift 2 ;;
    --corpus-dir) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--corpus-dir needs a folder"; corpus_root=${2%/}; shift 2 ;;
    --build-dir) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--build-dir needs a folder"; build_arg=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --tests) tests=1; shift ;;
    -*) kf_die 2 "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
    esac
done

if [ "$mode" = plot ]; then
    plot_logs "$png" "${args[@]}"
    exit 0
fi

profdata=$(kf_llvm_tool llvm-profdata) || kf_die 2 "llvm-profdata not found: apt-get install llvm"
llvmcov=$(kf_llvm_tool llvm-cov) || kf_die 2 "llvm-cov not found: apt-get install llvm"
for d in "${args[@]}"; do
    [ -d "$d" ] || kf_die 2 "not a folder: $d"
done
[ -z "$build_arg" ] || kf_use_build "$build_arg"
kf_find_build "${args[@]+"${args[@]}"}"
if [ -n "$kf_build_dir" ]; then
    : "${out:=$kf_build_dir/kfault-coverage}" "${corpus_root:=$kf_build_dir/kfault-corpus}"
else
    : "${out:=$kf_root/build/coverage-report}" "${corpus_root:=$kf_root/corpus}"
fi
[ "$build" = 0 ] || kf_build coverage
if [ -z "$kf_build_dir" ]; then
    [ -d "$kf_root/build/coverage/fuzz_targets" ] || kf_die 2 "no coverage build in build/coverage (run without --no-build)"
fi

dirs=()
dir_targets=()
if [ ${#args[@]} -eq 0 ] && [ -n "$kf_build_dir" ]; then
    for t in $(kf_manifest_targets); do
        kf_is_target "$t" coverage || continue
        for d in "$(kf_target_file "$t" seeds)" "$corpus_root/$t"; do
            [ -n "$d" ] && [ -d "$d" ] || continue
            dirs+=("$d")
            dir_targets+=("$t")
        done
    done
    [ ${#dirs[@]} -gt 0 ] || kf_die 2 "no target of $kf_build_dir has seeds or a working corpus"
elif [ ${#args[@]} -eq 0 ]; then
    for d in "$corpus_root"/*/ "$corpus_root"/regressions/*/; do
        [ -d "$d" ] || continue
        t=$(basename "$d")
        kf_is_target "$t" coverage || continue
        dirs+=("${d%/}")
        dir_targets+=("$t")
    done
    [ ${#dirs[@]} -gt 0 ] || kf_die 2 "no target has a corpus in $corpus_root"
else
    for d in "${args[@]}"; do
        t=$(kf_target_from_path "$d/." coverage) || kf_die 2 "cannot tell the target of $d from its path"
        dirs+=("$d")
        dir_targets+=("$t")
    done
fi

mkdir -p "$out" || kf_die 2 "cannot create $out"
out=$(cd "$out" && pwd) # the tests run in their own folders
rm -rf "$out/profraw"
mkdir -p "$out/profraw"
# replay_into PROFILE LOG TARGET PATH: one replay; the shell's "Aborted" notice of a crash
# is left out (the log has the crash).
replay_into() {
    LLVM_PROFILE_FILE="$1-%p.profraw" "$(kf_target_bin "$3" coverage)" "$4" >"$2" 2>&1
} 2>/dev/null
# A binary without coverage counters would replay and leave no profile: say why instead.
for t in "${dir_targets[@]}"; do
    grep -qa __llvm_prf_cnts "$(kf_target_bin "$t" coverage)" ||
        kf_die 2 "$(kf_target_bin "$t" coverage) has no coverage instrumentation (configure the build with clang and -DKFAULT_FUZZER_COVERAGE=ON)"
done

status=0
objects=()
for k in "${!dirs[@]}"; do
    t=${dir_targets[$k]}
    d=${dirs[$k]}
    prof=$out/profraw/$k-$t
    echo "== replaying $d with $t"
    b=$(kf_target_bin "$t" coverage)
    case " ${objects[*]-} " in *" $b "*) ;; *) objects+=("$b") ;; esac
    replay_into "$prof" "$prof.log" "$t" "$d" && continue
    # The replay stopped at a crash: replay the folder again, one file a process, from
    # scratch (so no file counts twice), and keep every file's profile.
    rm -f "$prof"-*.profraw
    expected=0
    ls "$d"/*.verdict >/dev/null 2>&1 && expected=1
    crashed=0
    while IFS= read -r -d '' f; do
        case "$f" in *.verdict) continue ;; esac
        if ! replay_into "$prof" "$prof.log" "$t" "$f"; then
            crashed=$((crashed + 1))
            if [ "$expected" = 0 ]; then
                tail -20 "$prof.log" >&2
                echo "coverage.sh: warning: $f crashed $t (log above)" >&2
                status=1
            fi
        fi
    done < <(find "$d" -type f -print0 | LC_ALL=C sort -z)
    [ "$expected" = 0 ] || echo "   $crashed reproducer(s) of a planted bug crashed, as expected; their profiles are kept"
done
covbuild=$kf_root/build/coverage
[ -z "$kf_build_dir" ] || covbuild=$kf_build_dir
if [ "$tests" = 1 ]; then
    echo "== running the tests of $covbuild (ctest)"
    if ! LLVM_PROFILE_FILE="$out/profraw/test-%p.profraw" ctest --test-dir "$covbuild" \
        -j "${KF_BUILD_JOBS:-2}" -E '^scripts_' >"$out/profraw/ctest.log" 2>&1; then
        tail -20 "$out/profraw/ctest.log" >&2
        echo "coverage.sh: warning: a test failed (log above); the report covers what ran" >&2
        status=1
    fi
    # Every executable of the build that carries coverage mapping (tests, the kfault tool).
    while IFS= read -r -d '' o; do
        case " ${objects[*]-} " in *" $o "*) ;; *) objects+=("$o") ;; esac
    done < <(find "$covbuild" -path "$covbuild/CMakeFiles" -prune -o \
        -type f -perm -u+x ! -name '*.so' ! -name '*.sh' -print0 | LC_ALL=C sort -z)
fi
shopt -s nullglob
raws=("$out"/profraw/*.profraw)
[ ${#raws[@]} -gt 0 ] || kf_die 2 "no profile was written"
"$profdata" merge -sparse "${raws[@]}" -o "$out/kfault.profdata" || kf_die 2 "llvm-profdata merge failed"

objargs=("${objects[0]}")
for o in "${objects[@]:1}"; do objargs+=(-object "$o"); done
sources=("$kf_root/model" "$kf_root/harness")
areas=(model harness)
[ -z "$kf_build_dir" ] || { sources=("$kf_root"); areas=(); }
rm -rf "$out/html"
"$llvmcov" show -format=html -output-dir="$out/html" -show-branches=count -instr-profile="$out/kfault.profdata" \
    "${objargs[@]}" "${sources[@]}" >/dev/null || kf_die 2 "llvm-cov show failed"
"$llvmcov" report -show-branch-summary -instr-profile="$out/kfault.profdata" "${objargs[@]}" "${sources[@]}" \
    >"$out/summary.txt.tmp" || kf_die 2 "llvm-cov report failed"
mv -f "$out/summary.txt.tmp" "$out/summary.txt"
# The lines llvm-cov shows with a count of 0, as "file:line: source".
"$llvmcov" show -format=text -instr-profile="$out/kfault.profdata" "${objargs[@]}" "${sources[@]}" |
    awk -v root="$kf_root/" '
        /^\/.*:$/ { f = $0; sub(/:$/, "", f); if (index(f, root) == 1) f = substr(f, length(root) + 1) }
        /^ *[0-9]+\| *0\|/ && !/\| *#define / { n = $0; sub(/\|.*/, "", n); gsub(/ /, "", n)
                             src = $0; sub(/^[^|]*\|[^|]*\|/, "", src); print f ":" n ":" src }' |
    LC_ALL=C sort -t: -k1,1 -k2,2n >"$out/uncovered.txt" || kf_die 2 "llvm-cov show failed"
sed "s|$kf_root/||" "$out/summary.txt"
echo
for area in "${areas[@]+"${areas[@]}"}"; do
    "$llvmcov" report -show-branch-summary -instr-profile="$out/kfault.profdata" "${objargs[@]}" "$kf_root/$area" \
        >"$out/summary-$area.txt" || kf_die 2 "llvm-cov report failed"
    awk -v a="$area/" '$1 == "TOTAL" { printf "coverage.sh: %-8s lines %s (%d of %d), branches %s (%d of %d)\n",
        a, $10, $8 - $9, $8, $13, $11 - $12, $11 }' "$out/summary-$area.txt"
done
what="model/ and harness/"
[ -z "$kf_build_dir" ] || what="$kf_root"
awk -v w="$what" '$1 == "TOTAL" { printf "coverage.sh: %s: lines %s, branches %s\n", w, $10, $13 }' "$out/summary.txt"
echo "coverage.sh: HTML report in $out/html/index.html; lines never run in $out/uncovered.txt"
exit $status
