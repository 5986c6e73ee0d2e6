#!/usr/bin/env bash
# scripts/minimize.sh (installed: `kfault minimize`) - makes a crash input smaller while it keeps
# its dedup signature, or prunes corpora to the inputs that add coverage. Both call libFuzzer
# (-minimize_crash=1, -merge=1) in the fuzz build and never reimplement it.
# Promises: the crash input is never written to; the minimized file is written atomically
# and only when its signature equals the original's. A pruned corpus replaces the old one
# by renames in its own folder; the committed seeds (any file not named by the SHA-1 of its
# content) and subfolders are always kept; an interrupt at any moment leaves either the old
# corpus or the new one, and the next run repairs a swap cut in half.
set -eu

kf_prog=minimize.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    local me
    me=$(kf_verb minimize)
    cat <<EOF
usage: $me [options] CRASH
       $me --corpus [options] [TARGET...]

CRASH: runs libFuzzer's crash minimization (-minimize_crash=1) for several rounds and
keeps the smallest input whose finding signature (see $(kf_verb reproduce)) equals the
original's. Writes DIR/min-NAME beside the input (or --output FILE); the input is never
changed.
  --target T       the fuzz target, a name or its binary (default: from the path, as
                   reproduce does)
  --output FILE    where the minimized input goes (must not be CRASH)
  --rounds N       minimization rounds (default 6; stops early after two without gain)
  --time S         seconds per round (default 10)

--corpus: prunes the working corpus of each TARGET (every target with one by default) by a
set-cover merge into a fresh folder, then swaps it in. Inputs named by their SHA-1 (what
fuzzing added) are kept only when they add coverage; seeds and subfolders are always kept.
  --corpus-dir DIR corpus root (default: the working corpus of fuzz, build/fuzz-corpus in
                   kfault's tree, BUILD/kfault-corpus otherwise; corpus/ prunes the
                   committed seeds' folders of kfault's tree)

Both:
  --build-dir DIR  the build whose targets run (its kfault-fuzz-targets.tsv)
  --no-build       use the build as it is, without building
  -h, --help       this text

Exit status: 0 done, 1 the crash did not shrink with its signature kept (nothing
written), 2 error (bad usage, missing file, the input does not crash, build failure).
EOF
}

mode=crash
target=""
output=""
rounds=6
per_round=10
corpus_root=""
build=1
build_arg=""
args=()
num() { [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || kf_die 2 "$1 needs a positive number"; }
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --corpus) mode=corpus; shift ;;
    --target) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--target needs a name"; target=$2; shift 2 ;;
    --output) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--output needs a file"; output=$2; shift 2 ;;
    --rounds) num "$@"; rounds=$2; shift 2 ;;
    --time) num "$@"; per_round=$2; shift 2 ;;
    --corpus-dir) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--corpus-dir needs a folder"; corpus_root=${2%/}; shift 2 ;;
    --build-dir) [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--build-dir needs a folder"; build_arg=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -*) kf_die 2 "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
    esac
done

[ -z "$build_arg" ] || kf_use_build "$build_arg"
if [ "$mode" = crash ]; then
    kf_find_build ${target:+"$target"} "${args[@]+"${args[@]}"}"
else
    kf_find_build "${args[@]+"${args[@]}"}"
fi
if [ -z "$corpus_root" ]; then
    if [ -n "$kf_build_dir" ]; then corpus_root=$kf_build_dir/kfault-corpus; else corpus_root=$kf_root/build/fuzz-corpus; fi
fi
[ "$build" = 0 ] || kf_build fuzz
if [ -z "$kf_build_dir" ]; then
    [ -d "$kf_root/build/fuzz/fuzz_targets" ] || kf_die 2 "no fuzz build in build/fuzz (run without --no-build)"
fi
kf_setup_symbolizer
work=""

signature_of() { # signature_of TARGET FILE: the signature, or nothing when FILE runs clean
    local out
    out=$(kf_replay fuzz "$1" "$2" 2>&1) && return 0
    printf '%s\n' "$out" | kf_signature
}

minimize_crash() {
    [ ${#args[@]} -eq 1 ] || kf_die 2 "give exactly one CRASH file (see --help)"
    local crash=${args[0]} sig best cand r stale=0 size
    [ -f "$crash" ] || kf_die 2 "no such file: $crash"
    [ -r "$crash" ] || kf_die 2 "cannot read $crash"
    if [ -z "$target" ]; then
        target=$(kf_target_from_path "$crash" fuzz) || kf_die 2 "cannot tell the target of $crash from its path; name it with --target"
    else
        target=$(kf_target_name "$target" fuzz) || kf_die 2 "$target is not a binary of the build $kf_build_dir"
    fi
    kf_is_target "$target" fuzz || kf_die 2 "no fuzz target '$target' in $(kf_build_name fuzz)"
    bin=$(kf_target_bin "$target" fuzz)
    [ -n "$output" ] || output=$(dirname "$crash")/min-$(basename "$crash")
    [ "$(realpath -m "$output")" != "$(realpath "$crash")" ] || kf_die 2 "--output must not be the input"
    [ -d "$(dirname "$output")" ] || kf_die 2 "no folder for $output"

    sig=$(signature_of "$target" "$crash")
    [ -n "$sig" ] || kf_die 2 "$crash runs clean with $target: nothing to minimize"
    echo "== $crash: $(stat -c %s "$crash") bytes, signature $sig"
    work=$(mktemp -d "${TMPDIR:-/tmp}/kfault-minimize.XXXXXX")
    trap '[ -z "$work" ] || rm -rf "$work"' EXIT
    best=$work/best
    cp "$crash" "$best"
    for r in $(seq 1 "$rounds"); do
        cand=$work/cand
        rm -f "$cand"
        (cd "$work" && "$bin" -minimize_crash=1 -max_total_time="$per_round" -seed="$r" -timeout=25 \
            -exact_artifact_path="$cand" "$best" >"$work/round.log" 2>&1) || true
        size=$(stat -c %s "$best")
        if [ -f "$cand" ] && [ "$(stat -c %s "$cand")" -lt "$size" ]; then
            if [ "$(signature_of "$target" "$cand")" = "$sig" ]; then
                mv -f "$cand" "$best"
                echo "   round $r: $(stat -c %s "$best") bytes, same signature"
                stale=0
                continue
            fi
            echo "   round $r: $(stat -c %s "$cand") bytes but another signature; not kept"
        else
            echo "   round $r: no smaller input"
        fi
        stale=$((stale + 1))
        [ $stale -lt 2 ] || break
    done
    if ! cmp -s "$best" "$crash"; then
        kf_put_atomic "$best" "$output" || kf_die 2 "cannot write $output"
        echo "minimize.sh: $output: $(stat -c %s "$output") bytes (from $(stat -c %s "$crash")), signature $sig"
        return 0
    fi
    echo "minimize.sh: $crash did not shrink with its signature kept; nothing written"
    return 1
}

# Repairs a swap an interrupt cut in half: the old corpus comes back.
repair() {
    local stage t
    for stage in "$corpus_root"/.prune-*; do
        [ -d "$stage" ] || continue
        t=$(basename "$stage" | sed -E 's/^\.prune-(.*)\.[A-Za-z0-9]{6}$/\1/')
        if [ ! -e "$corpus_root/$t" ] && [ -d "$stage/old" ]; then
            mv "$stage/old" "$corpus_root/$t"
            echo "   $t: restored the corpus an interrupted prune had moved aside"
        fi
        if [ ! -e "$corpus_root/$t" ] && [ -d "$stage/new" ]; then
            mv "$stage/new" "$corpus_root/$t"
        fi
        rm -rf "$stage"
    done
}

prune_one() {
    local t=$1 stage before after
    stage=$(mktemp -d "$corpus_root/.prune-$t.XXXXXX") || kf_die 2 "cannot write into $corpus_root"
    mkdir "$stage/new"
    # Seeds and subfolders first: they stay whatever coverage they add.
    cp -al "$corpus_root/$t/." "$stage/new/" 2>/dev/null || cp -a "$corpus_root/$t/." "$stage/new/" ||
        { rm -rf "$stage"; kf_die 2 "cannot copy $corpus_root/$t (disk full?); nothing changed"; }
    find "$stage/new" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    find "$stage/new" -maxdepth 1 -type f -name '.kfault-tmp.*' -delete
    if ! "$(kf_target_bin "$t" fuzz)" -merge=1 "$stage/new" "$corpus_root/$t" >"$stage/merge.log" 2>&1 </dev/null; then
        tail -5 "$stage/merge.log" >&2
        rm -rf "$stage"
        kf_die 2 "merging $t failed; its corpus is unchanged"
    fi
    # A merge result with the content of a seed is a copy of it.
    kf_named_hashes "$stage/new" | while IFS= read -r h; do rm -f "$stage/new/$h"; done
    before=$(find "$corpus_root/$t" -type f | wc -l)
    after=$(find "$stage/new" -type f | wc -l)
    # The two renames run with interrupts held; repair() finishes a swap cut by a kill.
    trap '' INT TERM
    mv "$corpus_root/$t" "$stage/old"
    mv "$stage/new" "$corpus_root/$t"
    trap - INT TERM
    rm -rf "$stage"
    printf '   %-28s %6s -> %6s files\n' "$t" "$before" "$after"
}

prune_corpus() {
    local t targets=("${args[@]}")
    [ -d "$corpus_root" ] || kf_die 2 "no corpus folder $corpus_root"
    kf_writable "$corpus_root" || kf_die 2 "cannot write into $corpus_root (read-only or full); nothing changed"
    repair
    if [ ${#targets[@]} -eq 0 ]; then
        for t in "$corpus_root"/*/; do
            t=$(basename "$t")
            kf_is_target "$t" fuzz && targets+=("$t")
        done
    fi
    [ ${#targets[@]} -gt 0 ] || kf_die 2 "no target has a corpus in $corpus_root"
    local named=()
    for t in "${targets[@]}"; do
        named+=("$(kf_target_name "$t" fuzz)") || kf_die 2 "$t is not a binary of the build $kf_build_dir"
    done
    targets=("${named[@]}")
    for t in "${targets[@]}"; do
        kf_is_target "$t" fuzz || kf_die 2 "no fuzz target '$t' in $(kf_build_name fuzz)"
        [ -d "$corpus_root/$t" ] || kf_die 2 "no corpus folder $corpus_root/$t"
    done
    echo "== pruning ${#targets[@]} corpus folder(s) in $corpus_root"
    for t in "${targets[@]}"; do prune_one "$t"; done
    kf_update_hashes "$corpus_root" || exit 2
}

if [ "$mode" = corpus ]; then
    prune_corpus
else
    minimize_crash
fi
