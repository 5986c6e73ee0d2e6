#!/usr/bin/env bash
# fuzz_samples.sh - fuzzes real minifilters, unchanged, through their registered callbacks with
# the generic minifilter fuzzer (docs/MINIFILTER_FUZZING.md): for each sample folder given, its
# kernel-mode .c files are compiled against kfault's headers and linked with
# libkfault_minifilter.a; the binary writes its seeds from the driver's registration (with the
# sample's INF, when it has one, installed before every load); libFuzzer runs for the time
# given with -print_coverage=1. Prints a Markdown table (docs/REAL_DRIVERS.md quotes it): seeds,
# executions, exec/s, the sample's functions reached, findings (each crash file's first lines
# are kept in the work folder for the analysis).
# Reads the samples only: never writes into them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() {
    cat <<EOF
usage: scripts/fuzz_samples.sh SAMPLE_DIR... [--time SECONDS] [--build DIR] [--work DIR]
                               [--checked NAME]... [--no-inf] [--fixed-registry] [--trusted-client]

SAMPLE_DIR  one minifilter sample's folder (e.g. SAMPLES/filesys/miniFilter/scanner); its .c
            files outside a user/ folder are the driver; ., inc/ and filter/ are searched for
            headers
--time      seconds of fuzzing per sample (default 300)
--build     the kfault fuzz build whose libraries are linked (default: build/fuzz)
--work      folder for objects, binaries, seeds, corpora and logs (default: a temporary folder,
            deleted afterwards)
--checked   compile the sample NAME (its folder's name) as a checked build (DBG=1: its ASSERTs
            active); the default is DBG=0
--no-inf    do not install the registry values of the sample's INF
--fixed-registry  keep the INF's values as installed (-kfault_registry=fixed): fuzzing goes
            past a finding in the driver's handling of malformed parameters
--trusted-client  the driver's service always replies (-kfault_client=trusted): fuzzing goes
            past a driver that waits for its service forever

Exit status: 0 the table was printed (findings are rows, not failures), 2 usage or setup error.
EOF
}

dirs=() seconds=300 build="$root/build/fuzz" work="" checked=" " use_inf=1 fixed=0 flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        --help | -h) usage; exit 0 ;;
        --time) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { echo "fuzz_samples.sh: --time needs a number of seconds" >&2; exit 2; }; seconds=$2; shift ;;
        --build) [ $# -ge 2 ] || { echo "fuzz_samples.sh: --build needs a folder" >&2; exit 2; }; build=$2; shift ;;
        --work) [ $# -ge 2 ] || { echo "fuzz_samples.sh: --work needs a folder" >&2; exit 2; }; work=$2; shift ;;
        --checked) [ $# -ge 2 ] || { echo "fuzz_samples.sh: --checked needs a sample name" >&2; exit 2; }; checked="$checked$2 "; shift ;;
        --no-inf) use_inf=0 ;;
        --fixed-registry) fixed=1 ;;
        --trusted-client) flags+=(-kfault_client=trusted) ;;
        -*) echo "fuzz_samples.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) [ -d "$1" ] || { echo "fuzz_samples.sh: no folder '$1'" >&2; exit 2; }; dirs+=("${1%/}") ;;
    esac
    shift
done
[ ${#dirs[@]} -gt 0 ] || { usage >&2; exit 2; }
libs=("$build/harness/libkfault_minifilter.a" "$build/fuzz_targets/libkfault_driver_env.a"
      "$build/harness/libkfault_harness.a" "$build/model/libkfault.a")
for l in "${libs[@]}"; do
    [ -f "$l" ] || { echo "fuzz_samples.sh: $l is missing: build kfault first (cmake --preset fuzz && cmake --build build/fuzz)" >&2; exit 2; }
done
grep -q "KFAULT_FUZZ:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null ||
    { echo "fuzz_samples.sh: $build is not a fuzz build (the fuzz preset)" >&2; exit 2; }
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz_samples.sh: compiler '$cc' not found" >&2; exit 2; }
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

printf '| sample | seeds | time | executions | exec/s | its functions reached | findings |\n'
printf '|---|---:|---:|---:|---:|---:|---|\n'
for dir in "${dirs[@]}"; do
    name=$(basename "$dir")
    out="$work/$name"
    rm -rf "$out"
    mkdir -p "$out/obj" "$out/seeds" "$out/corpus" "$out/crashes"
    mapfile -t files < <(find "$dir" -name '*.c' -not -path '*/user/*' | sort)
    incs=(-I"$dir")
    for sub in inc filter; do [ -d "$dir/$sub" ] && incs+=(-I"$dir/$sub"); done
    dbg=-DDBG=0
    [[ $checked == *" $name "* ]] && dbg=-DDBG=1
    objs=() failed=""
    for f in "${files[@]}"; do
        o="$out/obj/$(basename "${f%.c}").o"
        if ! "$cc" -c -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fshort-wchar -fcommon -w "$dbg" \
            -I"$root/model/include" "${incs[@]}" "$f" -o "$o" >>"$out/build.log" 2>&1; then
            failed="$failed $(basename "$f")"
        fi
        objs+=("$o")
    done
    if [ -n "$failed" ]; then
        printf '| %s | - | - | - | - | - | does not compile:%s (%s) |\n' "$name" "$failed" "$out/build.log"
        continue
    fi
    if ! "$cc" -fsanitize=fuzzer,address,undefined -fshort-wchar -Wl,--undefined=LLVMFuzzerTestOneInput \
        "${objs[@]}" "${libs[@]}" -o "$out/fuzz" >>"$out/build.log" 2>&1; then
        printf '| %s | - | - | - | - | - | does not link (%s) |\n' "$name" "$out/build.log"
        continue
    fi
    inf=()
    infs=$(find "$dir" -maxdepth 2 -iname '*.inf' -not -path '*/user/*' | sort | head -1)
    [ "$use_inf" = 1 ] && [ -n "$infs" ] && inf=("-kfault_inf=$infs")
    [ "$use_inf" = 1 ] && [ -n "$infs" ] && [ "$fixed" = 1 ] && inf+=(-kfault_registry=fixed)
    inf+=("${flags[@]}")
    nseeds=$("$out/fuzz" "${inf[@]}" -kfault_seeds="$out/seeds" 2>&1 | sed -n 's/^kfault: \([0-9]*\) seed(s) written.*/\1/p')
    echo "== $name: ${nseeds:-0} seed(s)${inf:+, registry from $(basename "$infs")}, fuzzing ${seconds} s" >&2
    t0=$(date +%s)
    (cd "$out/crashes" && "$out/fuzz" "${inf[@]}" -max_total_time="$seconds" -print_final_stats=1 -print_coverage=1 \
        -timeout=20 -rss_limit_mb=4096 -artifact_prefix="$out/crashes/" "$out/corpus" "$out/seeds" \
        >"$out/fuzz.log" 2>&1) || true
    took=$(( $(date +%s) - t0 ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -1)
    # The sample's own functions: libFuzzer's coverage lines that name a file of the sample.
    covered=$(grep -E '^COVERED_FUNC' "$out/fuzz.log" | grep -cF "$dir/" || true)
    uncovered=$(grep -E '^UNCOVERED_FUNC' "$out/fuzz.log" | grep -cF "$dir/" || true)
    grep -E '^UNCOVERED_FUNC' "$out/fuzz.log" | grep -F "$dir/" | sed 's/.*FUNC: //' >"$out/unreached.txt" || true
    crash=$(find "$out/crashes" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' | head -1)
    finding="none"
    if [ -n "$crash" ]; then
        finding="$(grep -m1 -E '^  signature: |ERROR: (Address|Leak)Sanitizer: [a-z-]+|runtime error|ALARM' "$out/fuzz.log" |
            sed -E 's/^  signature: //; s/.*ERROR: (Address|Leak)Sanitizer: ([a-z-]+).*/\2/' | cut -c1-100) ($(basename "$crash"))"
    elif [ -z "$execs" ]; then
        finding="the run did not finish: $(tail -1 "$out/fuzz.log" | cut -c1-100)"
    fi
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz.log" | tail -1)
    if [ -z "$execs" ]; then
        # A finding ends the run before libFuzzer's final statistics: its last status line.
        execs=$(grep -oE '^#[0-9]+' "$out/fuzz.log" | tail -1 | tr -d '#')
        rate=$(( ${execs:-0} / (took > 0 ? took : 1) ))
    fi
    printf '| %s%s | %s | %s s | %s | %s | %s of %s | %s |\n' "$name" "$([ "$dbg" = -DDBG=1 ] && echo ' (DBG=1)')" \
        "${nseeds:-0}" "$took" "${execs:--}" "${rate:--}" "$covered" "$((covered + uncovered))" "$finding"
done
