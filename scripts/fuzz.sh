#!/usr/bin/env bash
# scripts/fuzz.sh - the main job: build the fuzz preset if needed, fuzz every target (or the
# ones named) from its corpus with libFuzzer on all cores, merge what found new coverage
# back into corpus/<target>/ (set-cover merge), keep each finding once per signature in
# findings/<target>/<signature>/ with its report, and end with a summary per target.
#
# It calls the build and the binaries; it never reimplements them. It must never lose or
# half-write a corpus or findings file: libFuzzer writes only into a staging directory,
# and every file reaches corpus/ or findings/ by a copy to a temporary name in the same
# directory and a rename. Ctrl-C stops the fuzzers, then the staged inputs and crashes are
# merged and filed as usual.
set -eu

usage() {
    cat <<'EOF'
usage: scripts/fuzz.sh [options] [TARGET...]

Fuzzes each target (default: every target with a corpus directory) for --time seconds,
several targets at once. Inputs that find new coverage are merged into the corpus
(set-cover merge; the corpus only grows). Each crash, leak, timeout or out-of-memory
input is replayed for its report and filed by the finding's signature:
findings/TARGET/SIGNATURE/{crash-...,report.txt,signature.txt}; a signature already
filed is not a new finding (a smaller input replaces the filed one).

  --time SECONDS       fuzzing time per target and round (default 60)
  --forever            repeat the rounds until Ctrl-C
  --jobs N             targets fuzzed at once (default: the number of cores)
  --corpus-dir DIR     corpus root, one DIR/TARGET per target (default corpus)
  --findings-dir DIR   findings root (default findings)
  --work-dir DIR       logs and staging (default build/fuzz-runs)
  --plot / --no-plot   draw coverage and exec/s over time into WORK-DIR/fuzz-run.png
                       (default: when gnuplot is installed)
  --no-build           use build/fuzz as it is, without building
  -h, --help           this text

Ctrl-C at any moment keeps the corpus and the findings: the fuzzers stop, what they
staged is merged and filed, then the summary is printed.
Exit status: 0 no new finding, 1 new findings, 2 usage, build or write error.
Reproduce a finding: scripts/reproduce.sh findings/TARGET/SIGNATURE/crash-...
Runtime options for the model go in KFAULT_OPTIONS (KFAULT_OPTIONS=help=1 lists them).
EOF
}

kf_prog=fuzz.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$kf_root"

time_budget=60
forever=0
jobs=$(nproc 2>/dev/null || echo 1)
corpus_root=corpus
findings_root=findings
runs=build/fuzz-runs
plot=auto
build=1
targets=()
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --time)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || kf_die 2 "--time needs a number of seconds"
        time_budget=$2; shift 2 ;;
    --jobs)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || kf_die 2 "--jobs needs a positive number"
        jobs=$2; shift 2 ;;
    --corpus-dir) need_arg "$@"; corpus_root=${2%/}; shift 2 ;;
    --findings-dir) need_arg "$@"; findings_root=${2%/}; shift 2 ;;
    --work-dir) need_arg "$@"; runs=${2%/}; shift 2 ;;
    --forever) forever=1; shift ;;
    --plot) plot=yes; shift ;;
    --no-plot) plot=no; shift ;;
    --no-build) build=0; shift ;;
    -*) kf_die 2 "unknown option '$1' (see --help)" ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ "$plot" = yes ] && ! command -v gnuplot >/dev/null 2>&1; then
    kf_die 2 "--plot needs gnuplot: apt-get install gnuplot-nox"
fi

if [ "$build" = 1 ]; then
    echo "== building the fuzz preset"
    KF_BUILD_JOBS=$jobs kf_build fuzz
fi
bin=build/fuzz/fuzz_targets
[ -d "$bin" ] || kf_die 2 "no fuzz build in build/fuzz (run without --no-build)"
kf_setup_symbolizer

if [ ${#targets[@]} -eq 0 ]; then
    for d in "$corpus_root"/*/; do
        [ -d "$d" ] || continue
        t=$(basename "$d")
        kf_is_target "$t" fuzz && targets+=("$t")
    done
    [ ${#targets[@]} -gt 0 ] || kf_die 2 "no target has a corpus directory in $corpus_root/"
fi
for t in "${targets[@]}"; do
    kf_is_target "$t" fuzz || kf_die 2 "no fuzz target '$t' in $bin"
done

# Every folder written to must take a file now, not after an hour of fuzzing.
for t in "${targets[@]}"; do
    for d in "$corpus_root/$t" "$findings_root/$t" "$findings_root/.incoming/$t" "$runs"; do
        mkdir -p "$d" 2>/dev/null || kf_die 2 "cannot create $d"
        kf_writable "$d" || kf_die 2 "cannot write into $d (read-only or full); nothing was changed"
    done
    kf_drop_tmp "$corpus_root/$t"
    kf_drop_tmp "$findings_root/$t"
done

interrupted=0
fuzz_pids=()
on_interrupt() {
    interrupted=1
    # Background jobs of a script ignore the terminal's SIGINT unless told: tell them.
    [ ${#fuzz_pids[@]} -eq 0 ] || kill -INT "${fuzz_pids[@]}" 2>/dev/null || true
}
trap on_interrupt INT TERM
write_failed=0

start_fuzz() { # start_fuzz TARGET: one libFuzzer process in the background; pid in $!
    local t=$1 base opts dict=() extra=()
    # A planted variant drv_X_Y_fuzz uses the dictionary and options of drv_X_fuzz.
    base=$t
    [ -f "fuzz_targets/$t.options" ] || base=$(echo "$t" | sed -E 's/^(drv_[a-z]+)_[a-z]+_fuzz$/\1_fuzz/')
    [ -f "fuzz_targets/$base.dict" ] && dict=(-dict="fuzz_targets/$base.dict")
    opts=fuzz_targets/$base.options
    if [ -f "$opts" ]; then
        while IFS='=' read -r k v; do
            k=${k// /}; v=${v// /}
            case "$k" in '' | '['* | '#'* | dict) continue ;; esac
            extra+=(-"$k"="$v")
        done <"$opts"
    fi
    mkdir -p "$runs/$t.new"
    "$bin/$t" "${dict[@]}" "${extra[@]}" -max_total_time="$time_budget" -print_final_stats=1 \
        -artifact_prefix="$findings_root/.incoming/$t/" "$runs/$t.new" "$corpus_root/$t" \
        >"$runs/$t.round.log" 2>&1 </dev/null &
}

# Set-cover merge of the staged inputs: the merge writes into a hard-linked copy of the
# corpus, and only files new there are copied into the corpus, atomically.
merge_one() {
    local t=$1 stage f name seeds added=0
    [ -n "$(ls -A "$runs/$t.new" 2>/dev/null)" ] || { echo 0 >"$runs/$t.added"; return 0; }
    stage=$runs/$t.merge
    rm -rf "$stage"
    mkdir -p "$stage"
    cp -al "$corpus_root/$t/." "$stage/" 2>/dev/null || cp -a "$corpus_root/$t/." "$stage/"
    if ! "$bin/$t" -merge=1 "$stage" "$runs/$t.new" >"$runs/$t.merge.log" 2>&1 </dev/null; then
        echo "fuzz.sh: warning: merging $t failed (see $runs/$t.merge.log); its new inputs stay in $runs/$t.new" >&2
        rm -rf "$stage"
        echo 0 >"$runs/$t.added"
        return 0
    fi
    seeds=" $(kf_named_hashes "$corpus_root/$t" | tr '\n' ' ') "
    for f in "$stage"/*; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        [ -e "$corpus_root/$t/$name" ] && continue
        case "$seeds" in *" $name "*) continue ;; esac
        # Merge output is named by content; a file cut short by an interrupt is not.
        [[ "$name" =~ ^[0-9a-f]{40}$ ]] && [ "$(sha1sum "$f" | cut -c1-40)" = "$name" ] || continue
        if kf_put_atomic "$f" "$corpus_root/$t/$name" || kf_put_atomic "$f" "$corpus_root/$t/$name"; then
            added=$((added + 1))
        else
            echo "fuzz.sh: error: cannot write into $corpus_root/$t (full or read-only); the new inputs stay in $runs/$t.new" >&2
            write_failed=1
            rm -rf "$stage"
            echo "$added" >"$runs/$t.added"
            return 0
        fi
    done
    rm -rf "$stage" "$runs/$t.new"
    echo "$added" >"$runs/$t.added"
}

# Files each staged artifact by its signature; the number of new signatures goes to
# $runs/TARGET.found (a file: the caller must see write_failed, so no subshell).
triage_one() {
    local t=$1 a name sig slug dir new=0 report
    report=$runs/$t.report
    for a in "$findings_root/.incoming/$t"/*; do
        [ -f "$a" ] || continue
        name=$(basename "$a")
        case "$name" in
        crash-* | leak-* | timeout-* | oom-*) ;;
        *) continue ;; # slow-unit-* and the like are not findings
        esac
        kf_replay fuzz "$t" "$a" >"$report" || true
        sig=$(kf_signature <"$report")
        slug=$(kf_slug "$sig")
        dir=$findings_root/$t/$slug
        if [ -f "$dir/signature.txt" ] && [ "$(cat "$dir/signature.txt")" != "$sig" ]; then
            slug=$slug-$(printf '%s' "$sig" | cksum | cut -d' ' -f1)
            dir=$findings_root/$t/$slug
        fi
        if [ -f "$dir/signature.txt" ]; then
            local old
            old=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
            if [ -n "$old" ] && [ "$(stat -c %s "$a")" -lt "$(stat -c %s "$old")" ]; then
                kf_put_atomic "$a" "$dir/$name" && kf_put_atomic "$report" "$dir/report.txt" && rm -f "$old" ||
                    { write_failed=1; continue; }
            fi
            echo "   $t: known finding $sig ($name)" >&2
        else
            mkdir -p "$dir" && kf_put_atomic "$a" "$dir/$name" && kf_put_atomic "$report" "$dir/report.txt" &&
                printf '%s\n' "$sig" >"$dir/.sig" && mv -f "$dir/.sig" "$dir/signature.txt" ||
                { write_failed=1; echo "fuzz.sh: error: cannot file $a into $dir; it stays where it is" >&2; continue; }
            echo "   $t: NEW finding $sig -> $dir/$name" >&2
            new=$((new + 1))
        fi
        rm -f "$a"
    done
    echo "$new" >"$runs/$t.found"
}

status() { # status TARGET: the latest libFuzzer status line of the round
    local line
    line=$(grep -aE '^#[0-9]+' "$runs/$1.round.log" 2>/dev/null | tail -1 | tr -s ' \t' ' ' | cut -c1-90)
    if [ -z "$line" ] && grep -aqE '^==[0-9]+== ?ERROR|^==kfault== FINDING|simulated kernel stopped' "$runs/$1.round.log" 2>/dev/null; then
        line="stopped on a finding"
    fi
    echo "${line:-starting}"
}

progress() { # one line per running target
    local t
    for t in "$@"; do
        printf '   [%4ss] %-28s %s\n' "$((SECONDS - round_start))" "$t" "$(status "$t")"
    done
}

declare -A total_execs total_added total_new
for t in "${targets[@]}"; do
    total_execs[$t]=0
    total_added[$t]=0
    rm -f "$runs/$t.log"
    # Leftovers of an interrupted earlier run are merged and filed first.
    merge_one "$t"
    total_added[$t]=$(cat "$runs/$t.added")
    triage_one "$t"
    total_new[$t]=$(cat "$runs/$t.found")
done

round=0
while [ $interrupted = 0 ]; do
    round=$((round + 1))
    echo "== round $round: ${#targets[@]} target(s), ${time_budget}s each, $jobs at a time"
    i=0
    while [ $i -lt ${#targets[@]} ] && [ $interrupted = 0 ]; do
        batch=("${targets[@]:i:jobs}")
        fuzz_pids=()
        round_start=$SECONDS
        for t in "${batch[@]}"; do
            start_fuzz "$t"
            fuzz_pids+=($!)
        done
        next=$((SECONDS + 10))
        for p in "${fuzz_pids[@]}"; do
            while kill -0 "$p" 2>/dev/null; do
                sleep 1 || true
                if [ $SECONDS -ge $next ] && [ $interrupted = 0 ]; then
                    progress "${batch[@]}"
                    next=$((SECONDS + 10))
                fi
            done
            wait "$p" 2>/dev/null || true
        done
        fuzz_pids=()
        for t in "${batch[@]}"; do
            { echo "== round $round"; cat "$runs/$t.round.log"; } >>"$runs/$t.log"
            merge_one "$t"
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$runs/$t.round.log" | tail -1)
            total_execs[$t]=$((${total_execs[$t]} + ${execs:-0}))
            total_added[$t]=$((${total_added[$t]} + $(cat "$runs/$t.added")))
            triage_one "$t"
            total_new[$t]=$((${total_new[$t]} + $(cat "$runs/$t.found")))
            echo "   $t: $(status "$t")"
        done
        i=$((i + jobs))
    done
    [ $forever = 1 ] || break
done
[ $interrupted = 0 ] || echo "== interrupted: the corpus and the findings are intact"
# The corpus grew: its record of trace hashes (ctest's kfault_corpus_hashes) follows.
kf_update_hashes "$corpus_root" || write_failed=1

if [ "$plot" != no ] && command -v gnuplot >/dev/null 2>&1; then
    logs=()
    for t in "${targets[@]}"; do [ -s "$runs/$t.log" ] && logs+=("$runs/$t.log"); done
    if [ ${#logs[@]} -gt 0 ]; then
        if bash scripts/coverage.sh --plot --output "$runs/fuzz-run.png" "${logs[@]}" >"$runs/plot.log" 2>&1; then
            echo "== coverage and exec/s over time: $runs/fuzz-run.png"
        else
            echo "fuzz.sh: warning: plotting failed (see $runs/plot.log)" >&2
        fi
    fi
fi

echo
printf '%-28s %12s %9s %8s %8s %8s %9s\n' target executions exec/s cov corpus added new-finds
new=0
for t in "${targets[@]}"; do
    log="$runs/$t.log"
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -1)
    cov=$(grep -aoE 'cov: [0-9]+' "$log" 2>/dev/null | tail -1 | cut -d' ' -f2)
    size=$(find "$corpus_root/$t" -type f ! -name '.kfault-tmp.*' | wc -l)
    printf '%-28s %12s %9s %8s %8s %8s %9s\n' "$t" "${total_execs[$t]}" "${eps:--}" "${cov:--}" "$size" \
        "${total_added[$t]}" "${total_new[$t]}"
    new=$((new + ${total_new[$t]}))
done
if [ $write_failed = 1 ]; then
    echo "fuzz.sh: some files could not be written (see the errors above); nothing was removed" >&2
    exit 2
fi
if [ $new -gt 0 ]; then
    echo "fuzz.sh: $new new finding(s) in $findings_root/; reproduce with scripts/reproduce.sh FILE"
    exit 1
fi
echo "fuzz.sh: no new findings"
