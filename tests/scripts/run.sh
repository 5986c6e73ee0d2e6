#!/usr/bin/env bash
# run.sh - tests of the user's scripts (scripts/fuzz.sh, reproduce.sh, minimize.sh,
# coverage.sh), one STEP per ctest test. Every step works in a fresh scratch folder made
# with mktemp and removed at the end, on copies of corpus folders: it never writes into the
# real corpus/ or findings/. The scripts run with --no-build on the build ctest runs in.
#
# usage: run.sh STEP
#   grow       a short fuzz.sh run: the corpus only grows, no partial file, a summary
#   seeds      the committed seeds are read, never written: the working corpus grows (by
#              default in the build tree, never in corpus/); --merge-into-corpus merges it
#              into the seeds, keeping every seed
#   interrupt  SIGINT in the middle of a run: nothing lost, no partial file
#   planted    a planted bug: the finding filed once per signature with its report,
#              reproduce.sh gives the same signature (exit 1), clean (0), missing (2),
#              minimize.sh shrinks it and keeps the signature
#   prune      minimize.sh --corpus: seeds kept, nothing outside the corpus changed
#   errors     bad usage and unwritable folders: exit 2, nothing changed
#   plot       coverage.sh --plot draws a PNG (skipped without gnuplot)
#   replay     reproduce.sh with the replay build (gcc): same signatures and exit status
#   coverage   coverage.sh with the coverage build: summary and HTML report
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
step=${1:-}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kfault-scripts.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0
planted_sig="KF-INV-024/KeExpandKernelStackAndCalloutEx/-"

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
ok() { echo "ok: $*"; }

expect_status() { # expect_status WANT GOT WHAT
    if [ "$2" = "$1" ]; then ok "$3: exit $2"; else fail "$3: exit $2, expected $1"; fi
}

# snapshot DIR: "name sha1" of every file, sorted; the record of what must never be lost.
snapshot() { (cd "$1" && find . -type f -exec sha1sum {} + | awk '{ print $2, $1 }' | LC_ALL=C sort); }

# intact BEFORE DIR: every file recorded in BEFORE is in DIR with the same content, and
# DIR holds no temporary file and no merge output cut short (name not its SHA-1).
intact() {
    local before=$1 dir=$2 now lost bad
    now=$(snapshot "$dir")
    lost=$(comm -23 <(printf '%s\n' "$before") <(printf '%s\n' "$now"))
    [ -z "$lost" ] || { fail "files lost or changed in $dir: $(echo "$lost" | head -3)"; return; }
    bad=$(printf '%s\n' "$now" | awk '{ n = $1; sub(/^\.\//, "", n) }
        n ~ /(^|\/)\.kfault-tmp\./ { print n; next }
        n ~ /^[0-9a-f]{40}$/ && n != $2 { print n }')
    [ -z "$bad" ] || { fail "partial or temporary files in $dir: $bad"; return; }
    ok "$dir: every earlier file kept, no partial file"
}

fuzz() { # fuzz ARGS...: scripts/fuzz.sh on the scratch folders
    bash "$root/scripts/fuzz.sh" --no-build --no-plot --jobs 1 --corpus-dir "$scratch/corpus" \
        --findings-dir "$scratch/findings" --work-dir "$scratch/work" "$@"
}

count_files() { find "$1" -type f | wc -l; }

step_grow() {
    mkdir -p "$scratch/corpus"
    cp -r "$root/corpus/expand_fuzz" "$scratch/corpus/"
    cp "$root/corpus/TRACE_HASHES" "$scratch/corpus/"
    local before n0 n1 rc=0
    before=$(snapshot "$scratch/corpus/expand_fuzz")
    n0=$(count_files "$scratch/corpus/expand_fuzz")
    fuzz --time 10 expand_fuzz >"$scratch/out" 2>&1 || rc=$?
    cat "$scratch/out"
    expect_status 0 $rc "fuzz.sh on a correct target"
    intact "$before" "$scratch/corpus/expand_fuzz"
    n1=$(count_files "$scratch/corpus/expand_fuzz")
    [ "$n1" -gt "$n0" ] && ok "corpus grew from $n0 to $n1 files" || fail "corpus did not grow ($n0 -> $n1)"
    # The record of trace hashes follows the corpus: every new file recorded (ctest's check).
    "$root/build/fuzz/harness/kfault" hashes --check "$scratch/corpus/TRACE_HASHES" "$scratch/corpus" >/dev/null &&
        ok "TRACE_HASHES records the grown corpus" || fail "TRACE_HASHES not in step with the grown corpus"
    grep -qE '^expand_fuzz +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +0$' "$scratch/out" &&
        ok "summary row for expand_fuzz" || fail "no summary row for expand_fuzz"
    grep -q '^target .*executions.*exec/s.*cov.*corpus.*new-finds' "$scratch/out" &&
        ok "summary header" || fail "no summary header"
    [ -z "$(ls -A "$scratch/findings/expand_fuzz")" ] && ok "no finding in a correct target" ||
        fail "findings in a correct target: $(ls "$scratch/findings/expand_fuzz")"
}

step_seeds() {
    # Seeds: half of corpus/expand_fuzz; the other half stands for what fuzzing finds later.
    local f i=0
    mkdir -p "$scratch/seeds/expand_fuzz" "$scratch/found"
    for f in "$root"/corpus/expand_fuzz/*.bin; do
        if [ $((i % 2)) = 0 ]; then cp "$f" "$scratch/seeds/expand_fuzz/"; else cp "$f" "$scratch/found/"; fi
        i=$((i + 1))
    done
    cp "$root/corpus/TRACE_HASHES" "$scratch/seeds/"
    local before before_t n0 n1 rc=0 tree_before
    before=$(snapshot "$scratch/seeds")
    before_t=$(snapshot "$scratch/seeds/expand_fuzz")
    n0=$(count_files "$scratch/seeds/expand_fuzz")
    bash "$root/scripts/fuzz.sh" --no-build --no-plot --jobs 1 --seeds-dir "$scratch/seeds" \
        --corpus-dir "$scratch/work-corpus" --findings-dir "$scratch/findings" --work-dir "$scratch/work" \
        --time 2 expand_fuzz >"$scratch/out" 2>&1 || rc=$?
    cat "$scratch/out"
    expect_status 0 $rc "fuzz.sh with a seeds folder and a working corpus"
    [ "$(snapshot "$scratch/seeds")" = "$before" ] && ok "the seeds are unchanged" || fail "fuzz.sh wrote into the seeds"
    # (How much the working corpus grows depends on the machine's load; step grow checks growth.)
    [ -d "$scratch/work-corpus/expand_fuzz" ] && ok "the working corpus is $scratch/work-corpus/expand_fuzz" ||
        fail "no working corpus folder"
    intact "" "$scratch/work-corpus/expand_fuzz"
    # No input of the working corpus is a copy of a seed.
    local dup
    dup=$(comm -12 <(find "$scratch/seeds/expand_fuzz" -maxdepth 1 -type f -exec sha1sum {} + | cut -c1-40 | sort -u) \
        <(find "$scratch/work-corpus/expand_fuzz" -maxdepth 1 -type f -exec sha1sum {} + | cut -c1-40 | sort -u))
    [ -z "$dup" ] && ok "no seed copied into the working corpus" || fail "seeds copied into the working corpus: $dup"

    # What fuzzing "found": the other seeds, in the working corpus under their SHA-1 names.
    for f in "$scratch"/found/*; do
        cp "$f" "$scratch/work-corpus/expand_fuzz/$(sha1sum "$f" | cut -c1-40)"
    done
    rc=0
    bash "$root/scripts/fuzz.sh" --no-build --no-plot --jobs 1 --seeds-dir "$scratch/seeds" \
        --corpus-dir "$scratch/work-corpus" --findings-dir "$scratch/findings" --work-dir "$scratch/work" \
        --merge-into-corpus --time 1 expand_fuzz >"$scratch/out2" 2>&1 || rc=$?
    cat "$scratch/out2"
    expect_status 0 $rc "fuzz.sh --merge-into-corpus"
    intact "$before_t" "$scratch/seeds/expand_fuzz"
    n1=$(count_files "$scratch/seeds/expand_fuzz")
    [ "$n1" -gt "$n0" ] && ok "merged into the seeds: $n0 -> $n1 files" || fail "nothing merged into the seeds ($n0 -> $n1)"
    "$root/build/fuzz/harness/kfault" hashes --check "$scratch/seeds/TRACE_HASHES" "$scratch/seeds" >/dev/null &&
        ok "the seeds' TRACE_HASHES records the merged inputs" || fail "TRACE_HASHES not in step with the merged seeds"

    # Without folders named: the committed corpus/ is read only; the working corpus is in build/.
    tree_before=$(snapshot "$root/corpus/smoke_fuzz")
    rc=0
    bash "$root/scripts/fuzz.sh" --no-build --no-plot --jobs 1 --findings-dir "$scratch/findings" \
        --work-dir "$scratch/work" --time 1 smoke_fuzz >"$scratch/out3" 2>&1 || rc=$?
    expect_status 0 $rc "fuzz.sh with the default folders"
    [ "$(snapshot "$root/corpus/smoke_fuzz")" = "$tree_before" ] && ok "corpus/smoke_fuzz is unchanged" ||
        fail "fuzz.sh wrote into corpus/smoke_fuzz"
    [ -d "$root/build/fuzz-corpus/smoke_fuzz" ] && ok "the working corpus is build/fuzz-corpus/smoke_fuzz" ||
        fail "no build/fuzz-corpus/smoke_fuzz"
}

step_interrupt() {
    mkdir -p "$scratch/corpus"
    cp -r "$root/corpus/expand_fuzz" "$scratch/corpus/"
    local before pid rc=0 waited=0
    before=$(snapshot "$scratch/corpus/expand_fuzz")
    # A background job of a script starts with SIGINT ignored; give it back its default.
    env --default-signal=INT bash "$root/scripts/fuzz.sh" --no-build --no-plot --jobs 1 \
        --corpus-dir "$scratch/corpus" --findings-dir "$scratch/findings" --work-dir "$scratch/work" \
        --time 60 expand_fuzz >"$scratch/out" 2>&1 &
    pid=$!
    while ! grep -aqE '^#[0-9]+' "$scratch/work/expand_fuzz.round.log" 2>/dev/null; do
        sleep 0.5
        waited=$((waited + 1))
        [ $waited -lt 120 ] || break # a loaded machine can take long to load the corpus
    done
    sleep 2
    kill -INT $pid
    waited=0
    while kill -0 $pid 2>/dev/null && [ $waited -lt 120 ]; do
        sleep 0.5
        waited=$((waited + 1))
    done
    if kill -0 $pid 2>/dev/null; then
        fail "fuzz.sh still running 60 s after SIGINT"
        kill -KILL $pid 2>/dev/null
    fi
    wait $pid || rc=$?
    cat "$scratch/out"
    expect_status 0 $rc "fuzz.sh interrupted"
    grep -q 'interrupted: the corpus and the findings are intact' "$scratch/out" &&
        ok "the interrupt was reported" || fail "no interrupt message"
    grep -qE '^expand_fuzz ' "$scratch/out" && ok "summary after the interrupt" || fail "no summary after the interrupt"
    intact "$before" "$scratch/corpus/expand_fuzz"
}

step_planted() {
    local t=drv_packet_wait_fuzz rc=0 dirs dir crash sig out min
    mkdir -p "$scratch/corpus"
    cp -r "$root/corpus/drv_packet_fuzz" "$scratch/corpus/$t"
    fuzz --time 2 $t >"$scratch/out" 2>&1 || rc=$?
    cat "$scratch/out"
    expect_status 1 $rc "fuzz.sh finds the planted bug"
    dirs=$(find "$scratch/findings/$t" -mindepth 1 -maxdepth 1 -type d)
    [ "$(printf '%s\n' "$dirs" | grep -c .)" = 1 ] && ok "one finding folder" || fail "finding folders: $dirs"
    dir=$(printf '%s\n' "$dirs" | head -1)
    [ "$(cat "$dir/signature.txt" 2>/dev/null)" = "$planted_sig" ] && ok "signature $planted_sig" ||
        fail "signature.txt: $(cat "$dir/signature.txt" 2>/dev/null)"
    grep -qF "signature: $planted_sig" "$dir/report.txt" 2>/dev/null && ok "report beside the artifact" ||
        fail "no report with the signature in $dir"
    crash=$(find "$dir" -maxdepth 1 -name 'crash-*' | head -1)
    [ -n "$crash" ] && ok "artifact $(basename "$crash")" || { fail "no crash artifact in $dir"; return; }

    rc=0
    fuzz --time 2 $t >"$scratch/out2" 2>&1 || rc=$?
    cat "$scratch/out2"
    expect_status 0 $rc "second run: the known finding is not new"
    grep -qF "known finding $planted_sig" "$scratch/out2" && ok "reported as known" || fail "not reported as known"
    [ "$(find "$scratch/findings/$t" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ] &&
        ok "still one finding folder" || fail "a second folder for the same signature"

    rc=0
    out=$(bash "$root/scripts/reproduce.sh" --no-build "$crash" 2>&1) || rc=$?
    printf '%s\n' "$out"
    expect_status 1 $rc "reproduce.sh on the artifact"
    printf '%s\n' "$out" | grep -qxF "== signature: $planted_sig" && ok "reproduce.sh: same signature" ||
        fail "reproduce.sh gave another signature"
    printf '%s\n' "$out" | grep -q '^    raise_irql 2' && ok "reproduce.sh: scenario as text" || fail "no scenario text"
    printf '%s\n' "$out" | grep -qE '#[0-9]+ 0x[0-9a-f]+ in kfh_driver_fuzz_one .*harness/driver_env\.c:[0-9]+' &&
        ok "reproduce.sh: symbolized stack" || fail "no symbolized frame in the stack"
    rc=0
    bash "$root/scripts/reproduce.sh" --no-build "$root/corpus/drv_packet_fuzz/passive.bin" >"$scratch/out3" 2>&1 || rc=$?
    expect_status 0 $rc "reproduce.sh on a clean corpus file"
    grep -qx '== verdict:   clean' "$scratch/out3" && ok "verdict clean" || fail "no clean verdict"
    rc=0
    bash "$root/scripts/reproduce.sh" --no-build "$scratch/no-such-file" >/dev/null 2>&1 || rc=$?
    expect_status 2 $rc "reproduce.sh on a missing file"

    # A larger input with the same bug: the artifact followed by another seed's bytes.
    mkdir -p "$scratch/min/$t"
    cat "$crash" "$root/corpus/drv_packet_fuzz/segment.bin" >"$scratch/min/$t/crash-big"
    cp "$scratch/min/$t/crash-big" "$scratch/orig"
    sig=$(bash "$root/scripts/reproduce.sh" --no-build -q "$scratch/min/$t/crash-big" 2>/dev/null | awk '{ print $3 }')
    [ "$sig" = "$planted_sig" ] && ok "the padded input has the same finding" || fail "padded input: '$sig'"
    rc=0
    bash "$root/scripts/minimize.sh" --no-build --time 2 --rounds 3 "$scratch/min/$t/crash-big" || rc=$?
    expect_status 0 $rc "minimize.sh"
    cmp -s "$scratch/orig" "$scratch/min/$t/crash-big" && ok "the input is unchanged" || fail "minimize.sh changed its input"
    min=$scratch/min/$t/min-crash-big
    if [ -f "$min" ] && [ "$(stat -c %s "$min")" -lt "$(stat -c %s "$scratch/orig")" ]; then
        ok "minimized: $(stat -c %s "$scratch/orig") -> $(stat -c %s "$min") bytes"
    else
        fail "no smaller file at $min"
    fi
    sig=$(bash "$root/scripts/reproduce.sh" --no-build -q "$min" 2>/dev/null | awk '{ print $3 }')
    [ "$sig" = "$planted_sig" ] && ok "the minimized input keeps the signature" || fail "minimized signature: $sig"
}

step_prune() {
    mkdir -p "$scratch/corpus"
    cp -r "$root/corpus/expand_fuzz" "$scratch/corpus/"
    # Inputs a fuzzing run would add: every seed again under its SHA-1 name (adds nothing).
    local f seeds n0 n1 rc=0
    for f in "$root"/corpus/expand_fuzz/*.bin; do
        cp "$f" "$scratch/corpus/expand_fuzz/$(sha1sum "$f" | cut -c1-40)"
    done
    seeds=$(cd "$root/corpus/expand_fuzz" && find . -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' -exec sha1sum {} + | awk '{ print $2, $1 }' | LC_ALL=C sort)
    n0=$(count_files "$scratch/corpus/expand_fuzz")
    bash "$root/scripts/minimize.sh" --no-build --corpus --corpus-dir "$scratch/corpus" expand_fuzz || rc=$?
    expect_status 0 $rc "minimize.sh --corpus"
    intact "$seeds" "$scratch/corpus/expand_fuzz"
    n1=$(count_files "$scratch/corpus/expand_fuzz")
    [ "$n1" -lt "$n0" ] && ok "pruned $n0 -> $n1 files" || fail "nothing pruned ($n0 -> $n1)"
    [ -z "$(find "$scratch/corpus" -maxdepth 1 -name '.prune-*')" ] && ok "no staging folder left" ||
        fail "staging folder left behind"
}

step_errors() {
    local rc
    for cmd in "fuzz.sh --time x" "fuzz.sh --bogus" "reproduce.sh" "reproduce.sh --build nope x" \
        "minimize.sh --no-build" "minimize.sh --rounds 0 x" "coverage.sh --bogus" "coverage.sh --plot --output $scratch/p.png $scratch/none.log"; do
        rc=0
        # shellcheck disable=SC2086
        bash "$root/scripts/"$cmd >"$scratch/err" 2>&1 || rc=$?
        expect_status 2 $rc "$cmd"
        [ -s "$scratch/err" ] && ok "$cmd: says why ($(head -1 "$scratch/err"))" || fail "$cmd: no message"
    done
    for s in fuzz reproduce minimize coverage; do
        rc=0
        bash "$root/scripts/$s.sh" --help >"$scratch/help" 2>&1 || rc=$?
        expect_status 0 $rc "$s.sh --help"
        grep -q '^usage: scripts/'$s'.sh' "$scratch/help" && ok "$s.sh --help prints the usage" || fail "$s.sh --help"
    done
    # A corpus folder that cannot take files: a plain file where the folder should be.
    mkdir -p "$scratch/corpus"
    printf 'keep' >"$scratch/corpus/expand_fuzz"
    rc=0
    fuzz --time 2 expand_fuzz >"$scratch/err" 2>&1 || rc=$?
    expect_status 2 $rc "fuzz.sh with an unwritable corpus folder"
    grep -q 'cannot' "$scratch/err" && ok "says: $(grep cannot "$scratch/err" | head -1)" || fail "no clear error"
    [ "$(cat "$scratch/corpus/expand_fuzz")" = keep ] && ok "nothing changed" || fail "the blocking file changed"
    if [ "$(id -u)" != 0 ]; then
        rm -f "$scratch/corpus/expand_fuzz"
        cp -r "$root/corpus/expand_fuzz" "$scratch/corpus/"
        chmod a-w "$scratch/corpus/expand_fuzz"
        rc=0
        fuzz --time 2 expand_fuzz >"$scratch/err" 2>&1 || rc=$?
        chmod u+w "$scratch/corpus/expand_fuzz"
        expect_status 2 $rc "fuzz.sh with a read-only corpus folder"
    else
        echo "note: running as root, so a read-only folder (chmod) cannot be checked; the blocked folder stands for it"
    fi
}

step_plot() {
    if ! command -v gnuplot >/dev/null 2>&1; then
        echo "SKIP: gnuplot is not installed (apt-get install gnuplot-nox); the plot is not checked"
        exit 77
    fi
    mkdir -p "$scratch/corpus"
    cp -r "$root/corpus/expand_fuzz" "$scratch/corpus/"
    local rc=0
    # fuzz.sh --plot draws the run itself; coverage.sh --plot then redraws from its log.
    fuzz --time 3 --plot expand_fuzz >"$scratch/out" 2>&1 || rc=$?
    expect_status 0 $rc "fuzz.sh --plot"
    [ -s "$scratch/work/fuzz-run.png" ] && ok "fuzz.sh --plot wrote fuzz-run.png" || fail "fuzz.sh --plot drew nothing"
    rc=0
    bash "$root/scripts/coverage.sh" --plot --output "$scratch/run.png" "$scratch/work/expand_fuzz.log" || rc=$?
    expect_status 0 $rc "coverage.sh --plot"
    [ "$(head -c 8 "$scratch/run.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        ok "a PNG was drawn ($(stat -c %s "$scratch/run.png") bytes)" || fail "no PNG at $scratch/run.png"
}

step_replay() {
    local rc=0 out
    out=$(bash "$root/scripts/reproduce.sh" --build replay --no-build \
        "$root/corpus/regressions/drv_packet_wait_fuzz/dispatch.bin" 2>&1) || rc=$?
    printf '%s\n' "$out"
    expect_status 1 $rc "reproduce.sh --build replay on a reproducer"
    printf '%s\n' "$out" | grep -qxF "== signature: $planted_sig" && ok "same signature with the replay build" ||
        fail "the replay build gave another signature"
    printf '%s\n' "$out" | grep -qE '#[0-9]+ 0x[0-9a-f]+ in kfh_driver_fuzz_one .*driver_env\.c:[0-9]+' &&
        ok "symbolized stack with the replay build" || fail "no symbolized frame with the replay build"
    rc=0
    bash "$root/scripts/reproduce.sh" --build replay --no-build -q "$root/corpus/drv_packet_fuzz" || rc=$?
    expect_status 0 $rc "reproduce.sh --build replay on a clean corpus"
}

step_coverage() {
    local rc=0
    bash "$root/scripts/coverage.sh" --no-build --output-dir "$scratch/cov" "$root/corpus/drv_packet_fuzz" \
        >"$scratch/out" 2>&1 || rc=$?
    cat "$scratch/out"
    expect_status 0 $rc "coverage.sh"
    grep -qE '^coverage.sh: model/ and harness/: lines [0-9.]+%, branches [0-9.]+%' "$scratch/out" &&
        ok "line and branch summary" || fail "no summary line"
    grep -q '^TOTAL' "$scratch/cov/summary.txt" 2>/dev/null && ok "summary.txt" || fail "no summary.txt"
    [ -f "$scratch/cov/html/index.html" ] && ok "HTML report" || fail "no HTML report"
    grep -q 'harness/driver_env.c' "$scratch/cov/summary.txt" 2>/dev/null && ok "harness/ in the report" ||
        fail "harness/driver_env.c missing from the report"
}

case "$step" in
grow | seeds | interrupt | planted | prune | errors | plot | replay | coverage) "step_$step" ;;
*) echo "usage: run.sh grow|seeds|interrupt|planted|prune|errors|plot|replay|coverage" >&2; exit 2 ;;
esac
if [ $failures -gt 0 ]; then
    echo "$step: $failures check(s) failed" >&2
    exit 1
fi
echo "$step: all checks passed"
