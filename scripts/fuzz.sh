#!/usr/bin/env bash
# scripts/fuzz.sh - the main job: build the fuzz preset if needed, fuzz every target (or the
# ones named) from its corpus with libFuzzer on all cores, merge what found new coverage back
# into corpus/<target>/ (set-cover merge), keep crashes in findings/<target>/, and end with a
# summary per target.
#
# It calls the build and the binaries; it never reimplements them. It must never lose or
# half-write a corpus file: libFuzzer only adds files to corpus/, and a file it was writing
# when interrupted (its name no longer the SHA-1 of its content) is removed.
set -eu

usage() {
    cat <<'EOF'
usage: scripts/fuzz.sh [--time SECONDS] [--forever] [--jobs N] [TARGET...]

Fuzzes each target (default: every target with a corpus/<target>/ directory) for
--time seconds (default 60), several targets at once on --jobs cores (default: all).
New coverage is merged into corpus/<target>/; crashes go to findings/<target>/.
--forever repeats the rounds until Ctrl-C. Ctrl-C at any moment keeps the corpus
and the findings: the round in progress is merged, then the summary is printed.

Reproduce a finding with: build/fuzz/fuzz_targets/TARGET findings/TARGET/crash-...
Runtime options for the model go in KFAULT_OPTIONS (KFAULT_OPTIONS=help=1 lists them).
EOF
}

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
time_budget=60
forever=0
jobs=$(nproc 2>/dev/null || echo 1)
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --time)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { echo "fuzz.sh: --time needs a number of seconds" >&2; exit 2; }
        time_budget=$2; shift 2 ;;
    --jobs)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { echo "fuzz.sh: --jobs needs a positive number" >&2; exit 2; }
        jobs=$2; shift 2 ;;
    --forever) forever=1; shift ;;
    -*) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done

command -v clang >/dev/null || { echo "fuzz.sh: clang is missing; run scripts/test.sh as root once, or apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
echo "== building the fuzz preset"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs" >/dev/null
bin=build/fuzz/fuzz_targets

if [ ${#targets[@]} -eq 0 ]; then
    for d in corpus/*/; do
        t=$(basename "$d")
        [ -x "$bin/$t" ] && targets+=("$t")
    done
fi
for t in "${targets[@]}"; do
    [ -x "$bin/$t" ] || { echo "fuzz.sh: no fuzz target '$t' in $bin" >&2; exit 2; }
done

runs=build/fuzz-runs
mkdir -p "$runs" findings
interrupted=0
trap 'interrupted=1' INT TERM

# Removes files libFuzzer was writing when stopped: its corpus names are content hashes.
drop_partial() {
    local f name
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        [[ "$name" =~ ^[0-9a-f]{40}$ ]] || continue
        [ "$(sha1sum "$f" | cut -c1-40)" = "$name" ] || rm -f "$f"
    done
}

fuzz_one() { # target -> runs in the background, log in $runs/$t.log
    local t=$1 dict=() extra=()
    [ -f "fuzz_targets/$t.dict" ] && dict=(-dict="fuzz_targets/$t.dict")
    if [ -f "fuzz_targets/$t.options" ]; then
        while IFS='=' read -r k v; do
            k=${k// /}; v=${v// /}
            case "$k" in ''|'['*|'#'*|dict) continue ;; esac
            extra+=(-"$k"="$v")
        done <"fuzz_targets/$t.options"
    fi
    rm -rf "$runs/$t.new"
    mkdir -p "$runs/$t.new" "findings/$t" "corpus/$t"
    "$bin/$t" "${dict[@]}" "${extra[@]}" -max_total_time="$time_budget" -print_final_stats=1 \
        -artifact_prefix="findings/$t/" "$runs/$t.new" "corpus/$t" >"$runs/$t.log" 2>&1 || true
}

merge_one() { # set-cover merge of the round's new inputs into the corpus
    local t=$1 before after
    before=$(find "corpus/$t" -maxdepth 1 -type f | wc -l)
    "$bin/$t" -merge=1 "corpus/$t" "$runs/$t.new" >"$runs/$t.merge.log" 2>&1 || true
    drop_partial "corpus/$t"
    after=$(find "corpus/$t" -maxdepth 1 -type f | wc -l)
    echo $((after - before)) >"$runs/$t.added"
}

declare -A total_execs total_added findings_before
for t in "${targets[@]}"; do
    mkdir -p "findings/$t" "corpus/$t"
    total_execs[$t]=0
    total_added[$t]=0
    findings_before[$t]=$(find "findings/$t" -maxdepth 1 -type f | wc -l)
done

round=0
while :; do
    round=$((round + 1))
    echo "== round $round: ${#targets[@]} target(s), ${time_budget}s each, $jobs at a time"
    i=0
    while [ $i -lt ${#targets[@]} ] && [ $interrupted = 0 ]; do
        batch=("${targets[@]:i:jobs}")
        pids=()
        for t in "${batch[@]}"; do
            fuzz_one "$t" &
            pids+=($!)
        done
        for p in "${pids[@]}"; do
            while kill -0 "$p" 2>/dev/null; do wait "$p" 2>/dev/null || true; done
        done
        for t in "${batch[@]}"; do
            merge_one "$t"
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$runs/$t.log" | tail -1)
            total_execs[$t]=$(( ${total_execs[$t]} + ${execs:-0} ))
            total_added[$t]=$(( ${total_added[$t]} + $(cat "$runs/$t.added") ))
            echo "   $t: $(grep -E '^#[0-9]+' "$runs/$t.log" | tail -1 | cut -c1-100)"
        done
        i=$((i + jobs))
    done
    [ $forever = 1 ] && [ $interrupted = 0 ] || break
done

echo
printf '%-28s %12s %9s %8s %8s %8s %9s\n' target executions exec/s cov corpus added findings
for t in "${targets[@]}"; do
    log="$runs/$t.log"
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" 2>/dev/null | tail -1 | cut -d' ' -f2)
    size=$(find "corpus/$t" -maxdepth 1 -type f | wc -l)
    now=$(find "findings/$t" -maxdepth 1 -type f | wc -l)
    printf '%-28s %12s %9s %8s %8s %8s %9s\n' "$t" "${total_execs[$t]}" "${eps:--}" "${cov:--}" "$size" \
        "${total_added[$t]}" $((now - ${findings_before[$t]}))
done
new=0
for t in "${targets[@]}"; do
    n=$(( $(find "findings/$t" -maxdepth 1 -type f | wc -l) - ${findings_before[$t]} ))
    new=$((new + n))
done
if [ $new -gt 0 ]; then
    echo "fuzz.sh: $new new finding(s) in findings/; reproduce with build/fuzz/fuzz_targets/TARGET FILE"
    exit 1
fi
echo "fuzz.sh: no new findings"
