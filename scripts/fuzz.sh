#!/usr/bin/env bash
# scripts/fuzz.sh (installed: `kfault fuzz`) - the main job: build if needed, fuzz every target
# (or the ones named) with libFuzzer on all cores from its working corpus and its committed
# seeds, merge what found new coverage into the working corpus (set-cover merge), keep each
# finding once per signature in findings/<target>/<signature>/ with its report, and end with a
# summary per target.
#
# The working corpus lives in the build tree (build/fuzz-corpus/<target>/ in kfault's tree,
# <build>/kfault-corpus/<target>/ for a user's build) or in a folder the user names; the
# committed seeds (corpus/<target>/, or the SEEDS folder a target was declared with) are read,
# never written, unless --merge-into-corpus asks for the working corpus to be merged into them.
# It calls the build and the binaries; it never reimplements them. It must never lose or
# half-write a corpus or findings file: libFuzzer writes only into a staging directory,
# and every file reaches a corpus or findings/ by a copy to a temporary name in the same
# directory and a rename. Ctrl-C stops the fuzzers, then the staged inputs and crashes are
# merged and filed as usual.
set -eu

kf_prog=fuzz.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    local me where
    me=$(kf_verb fuzz)
    if [ "$kf_installed" = 1 ]; then
        where="a target's name or binary, of the build named with --build-dir, else of the
build holding the binary, else of ./ or ./build (the one with a kfault-fuzz-targets.tsv)"
    else
        where="a target of the fuzz preset's build/fuzz, or of the build named with --build-dir"
    fi
    cat <<EOF
usage: $me [options] [TARGET...]

Fuzzes each TARGET ($where)
for --time seconds, several at once; with no TARGET, every target with seeds or a working
corpus. Inputs that find new coverage are merged into the working corpus (set-cover merge; it
only grows), which starts from the target's committed seeds; the seeds are read, never
written, unless --merge-into-corpus. Each crash, leak, timeout or out-of-memory input is
replayed for its report and filed by the finding's signature:
findings/TARGET/SIGNATURE/{crash-...,report.txt,signature.txt}; a signature already
filed is not a new finding (a smaller input replaces the filed one).

  --time SECONDS       fuzzing time per target and round (default 60)
  --forever            repeat the rounds until Ctrl-C
  --jobs N             targets fuzzed at once (default: the number of cores)
  --corpus-dir DIR     working corpus root, one DIR/TARGET per target (default
                       build/fuzz-corpus in kfault's tree, BUILD/kfault-corpus otherwise)
  --seeds-dir DIR      committed seeds root, DIR/TARGET (default corpus/TARGET in kfault's
                       tree, the SEEDS folder of kfault_add_driver_fuzzer otherwise)
  --merge-into-corpus  at the end, merge what the working corpus adds to the seeds into the
                       seeds folder (set-cover merge; seeds are never removed)
  --findings-dir DIR   findings root (default findings)
  --work-dir DIR       logs and staging (default build/fuzz-runs, BUILD/kfault-runs)
  --build-dir DIR      the build whose targets are fuzzed (its kfault-fuzz-targets.tsv)
  --plot / --no-plot   draw coverage and exec/s over time into WORK-DIR/fuzz-run.png
                       (default: when gnuplot is installed)
  --no-build           use the build as it is, without building
  -h, --help           this text

Ctrl-C at any moment keeps the corpus and the findings: the fuzzers stop, what they
staged is merged and filed, then the summary is printed.
Exit status: 0 no new finding, 1 new findings, 2 usage, build or write error.
Reproduce a finding: $(kf_verb reproduce) findings/TARGET/SIGNATURE/crash-...
Runtime options for the model go in KFAULT_OPTIONS (KFAULT_OPTIONS=help=1 lists them).
EOF
}

time_budget=60
forever=0
jobs=$(nproc 2>/dev/null || echo 1)
corpus_root=""
seeds_root=""
findings_root=findings
runs=""
plot=auto
build=1
merge_back=0
build_arg=""
args=()
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
    --seeds-dir) need_arg "$@"; seeds_root=${2%/}; shift 2 ;;
    --findings-dir) need_arg "$@"; findings_root=${2%/}; shift 2 ;;
    --work-dir) need_arg "$@"; runs=${2%/}; shift 2 ;;
    --build-dir) need_arg "$@"; build_arg=$2; shift 2 ;;
    --merge-into-corpus) merge_back=1; shift ;;
    --forever) forever=1; shift ;;
    --plot) plot=yes; shift ;;
    --no-plot) plot=no; shift ;;
    --no-build) build=0; shift ;;
    -*) kf_die 2 "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
    esac
done
if [ "$plot" = yes ] && ! command -v gnuplot >/dev/null 2>&1; then
    kf_die 2 "--plot needs gnuplot: apt-get install gnuplot-nox"
fi

# Folders given on the command line are taken from where the user stands.
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -z "$corpus_root" ] || corpus_root=$(abs "$corpus_root")
[ -z "$seeds_root" ] || seeds_root=$(abs "$seeds_root")
[ -z "$runs" ] || runs=$(abs "$runs")
if [ "$kf_installed" = 0 ] && [ "$findings_root" = findings ]; then
    findings_root=$kf_root/findings # kfault's tree: findings/ at its top, as always
fi
findings_root=$(abs "$findings_root")
[ -z "$build_arg" ] || kf_use_build "$build_arg"
kf_find_build "${args[@]+"${args[@]}"}"
if [ -z "$kf_build_dir" ]; then
    cd "$kf_root"
    : "${corpus_root:=$kf_root/build/fuzz-corpus}" "${runs:=$kf_root/build/fuzz-runs}"
else
    : "${corpus_root:=$kf_build_dir/kfault-corpus}" "${runs:=$kf_build_dir/kfault-runs}"
fi

if [ "$build" = 1 ]; then
    echo "== building $(kf_build_name fuzz)"
    KF_BUILD_JOBS=$jobs kf_build fuzz
fi
if [ -z "$kf_build_dir" ]; then
    [ -d "$kf_root/build/fuzz/fuzz_targets" ] || kf_die 2 "no fuzz build in build/fuzz (run without --no-build)"
fi
kf_setup_symbolizer

targets=()
for a in "${args[@]+"${args[@]}"}"; do
    t=$(kf_target_name "$a" fuzz) || kf_die 2 "$a is not a binary of the build $kf_build_dir (see its kfault-fuzz-targets.tsv)"
    targets+=("$t")
done
# seeds_of TARGET: the target's committed seed folder (it may not exist), or nothing.
seeds_of() {
    if [ -n "$seeds_root" ]; then echo "$seeds_root/$1"; else kf_target_file "$1" seeds; fi
}
if [ ${#targets[@]} -eq 0 ]; then
    if [ -z "$kf_build_dir" ]; then
        candidates=$(for d in "$kf_root"/corpus/*/ "${seeds_root:-$kf_root/corpus}"/*/ "$corpus_root"/*/; do
            [ -d "$d" ] && basename "$d"; done | LC_ALL=C sort -u)
    else
        candidates=$(kf_manifest_targets)
    fi
    for t in $candidates; do
        kf_is_target "$t" fuzz || continue
        s=$(seeds_of "$t")
        if { [ -n "$s" ] && [ -d "$s" ]; } || [ -d "$corpus_root/$t" ]; then targets+=("$t"); fi
    done
    [ ${#targets[@]} -gt 0 ] || kf_die 2 "no target has seeds or a working corpus (name targets on the command line)"
fi
for t in "${targets[@]}"; do
    kf_is_target "$t" fuzz || kf_die 2 "no fuzz target '$t' in $(kf_build_name fuzz) (a libFuzzer binary: built with clang)"
done

# Every folder written to must take a file now, not after an hour of fuzzing.
declare -A seeds
for t in "${targets[@]}"; do
    seeds[$t]=$(seeds_of "$t")
    if [ "$merge_back" = 1 ]; then
        [ -n "${seeds[$t]}" ] || kf_die 2 "--merge-into-corpus: target $t has no seed folder (name a seeds root with --seeds-dir)"
        mkdir -p "${seeds[$t]}" 2>/dev/null || kf_die 2 "cannot create ${seeds[$t]}"
        kf_writable "${seeds[$t]}" || kf_die 2 "cannot write into ${seeds[$t]} (read-only or full); nothing was changed"
    fi
    for d in "$corpus_root/$t" "$findings_root/$t" "$findings_root/.incoming/$t" "$runs"; do
        mkdir -p "$d" 2>/dev/null || kf_die 2 "cannot create $d"
        kf_writable "$d" || kf_die 2 "cannot write into $d (read-only or full); nothing was changed"
    done
    kf_drop_tmp "$corpus_root/$t"
    kf_drop_tmp "$findings_root/$t"
done
kf_note_build "$findings_root" || true

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
    local t=$1 opts d dict=() extra=() dirs=()
    d=$(kf_target_file "$t" dict)
    [ -z "$d" ] || dict=(-dict="$d")
    opts=$(kf_target_file "$t" options)
    if [ -n "$opts" ] && [ -f "$opts" ]; then
        while IFS='=' read -r k v; do
            k=${k// /}; v=${v// /}
            case "$k" in '' | '['* | '#'* | dict) continue ;; esac
            extra+=(-"$k"="$v")
        done <"$opts"
    fi
    mkdir -p "$runs/$t.new"
    dirs=("$runs/$t.new" "$corpus_root/$t")
    [ -z "${seeds[$t]}" ] || [ ! -d "${seeds[$t]}" ] || dirs+=("${seeds[$t]}")
    "$(kf_target_bin "$t" fuzz)" "${dict[@]+"${dict[@]}"}" "${extra[@]+"${extra[@]}"}" -max_total_time="$time_budget" \
        -print_final_stats=1 -artifact_prefix="$findings_root/.incoming/$t/" "${dirs[@]}" \
        >"$runs/$t.round.log" 2>&1 </dev/null &
}

# merge_into TARGET SRC DEST KEEP_SRC [KNOWN...]: set-cover merge of the inputs in SRC into
# DEST. The merge writes into a hard-linked copy of DEST, with the KNOWN folders inside it
# (their coverage counts as had), and only files new there are copied into DEST, atomically;
# a file with the content of a seed of DEST or of a file of KNOWN is not new. SRC is removed
# afterwards unless KEEP_SRC is 1. The number of files added goes to $runs/TARGET.added.
merge_into() {
    local t=$1 src=$2 dest=$3 keep=$4 stage f d name known added=0 k=0
    shift 4
    [ -n "$(ls -A "$src" 2>/dev/null)" ] || { echo 0 >"$runs/$t.added"; return 0; }
    stage=$runs/$t.merge
    rm -rf "$stage"
    mkdir -p "$stage"
    cp -al "$dest/." "$stage/" 2>/dev/null || cp -a "$dest/." "$stage/"
    for d in "$@"; do
        [ -n "$d" ] && [ -d "$d" ] && [ "$(realpath "$d")" != "$(realpath "$dest")" ] || continue
        k=$((k + 1))
        mkdir -p "$stage/known-$k"
        cp -al "$d/." "$stage/known-$k/" 2>/dev/null || cp -a "$d/." "$stage/known-$k/"
    done
    if ! "$(kf_target_bin "$t" fuzz)" -merge=1 "$stage" "$src" >"$runs/$t.merge.log" 2>&1 </dev/null; then
        echo "fuzz.sh: warning: merging $t failed (see $runs/$t.merge.log); its new inputs stay in $src" >&2
        rm -rf "$stage"
        echo 0 >"$runs/$t.added"
        return 0
    fi
    known=" $({ kf_named_hashes "$dest"
        for d in "$@"; do
            [ -n "$d" ] && [ -d "$d" ] || continue
            find "$d" -maxdepth 1 -type f ! -name '.*' -exec sha1sum {} + 2>/dev/null | cut -c1-40
        done; } | tr '\n' ' ') "
    for f in "$stage"/*; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        [ -e "$dest/$name" ] && continue
        case "$known" in *" $name "*) continue ;; esac
        # Merge output is named by content; a file cut short by an interrupt is not.
        [[ "$name" =~ ^[0-9a-f]{40}$ ]] && [ "$(sha1sum "$f" | cut -c1-40)" = "$name" ] || continue
        if kf_put_atomic "$f" "$dest/$name" || kf_put_atomic "$f" "$dest/$name"; then
            added=$((added + 1))
        else
            echo "fuzz.sh: error: cannot write into $dest (full or read-only); the new inputs stay in $src" >&2
            write_failed=1
            rm -rf "$stage"
            echo "$added" >"$runs/$t.added"
            return 0
        fi
    done
    rm -rf "$stage"
    [ "$keep" = 1 ] || rm -rf "$src"
    echo "$added" >"$runs/$t.added"
}

# The staged inputs of a round go into the working corpus; the seeds count as had.
merge_one() { merge_into "$1" "$runs/$1.new" "$corpus_root/$1" 0 "${seeds[$1]}"; }

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
# The corpus grew: its record of trace hashes (ctest's kfault_corpus_hashes), when it has one,
# follows.
kf_update_hashes "$corpus_root" || write_failed=1
if [ "$merge_back" = 1 ]; then
    echo "== merging the working corpus into the seeds (--merge-into-corpus)"
    roots=()
    for t in "${targets[@]}"; do
        merge_into "$t" "$corpus_root/$t" "${seeds[$t]}" 1
        echo "   $t: $(cat "$runs/$t.added") input(s) added to ${seeds[$t]}"
        r=$(dirname "${seeds[$t]}")
        case " ${roots[*]-} " in *" $r "*) ;; *) roots+=("$r") ;; esac
    done
    for r in "${roots[@]}"; do kf_update_hashes "$r" || write_failed=1; done
fi

if [ "$plot" != no ] && command -v gnuplot >/dev/null 2>&1; then
    logs=()
    for t in "${targets[@]}"; do [ -s "$runs/$t.log" ] && logs+=("$runs/$t.log"); done
    if [ ${#logs[@]} -gt 0 ]; then
        if bash "$kf_lib/../coverage.sh" --plot --output "$runs/fuzz-run.png" "${logs[@]}" >"$runs/plot.log" 2>&1; then
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
    echo "fuzz.sh: $new new finding(s) in $findings_root/; reproduce with $(kf_verb reproduce) FILE"
    exit 1
fi
echo "fuzz.sh: no new findings"
