#!/usr/bin/env bash
# scripts/reproduce.sh (installed: `kfault reproduce`) - replays a finding (a libFuzzer crash-,
# leak-, timeout- or oom- artifact) or corpus files with a fuzz target, and prints for each input
# the scenario as text (`kfault decode`), the target's report with a symbolized stack, and the
# finding's dedup signature. It rebuilds the chosen build first; it never changes an input file.
set -eu

kf_prog=reproduce.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<EOF
usage: $(kf_verb reproduce) [options] FILE|DIR...

Replays each FILE (or every file under each DIR) with a fuzz target and prints the
scenario as text, the report (with a symbolized stack) and the signature.

  --target T       the fuzz target (a name, or the path of its binary); by default the
                   nearest directory of the path that names a target (findings/T/...,
                   corpus/T/..., corpus/regressions/T/...)
  --build ENGINE   fuzz (the libFuzzer binary; the default when there is one) or replay
                   (the replay binary: gcc or \$CC in kfault's tree, TARGET_replay in a
                   build made with kfault_add_driver_fuzzer)
  --build-dir DIR  the build whose targets replay (its kfault-fuzz-targets.tsv; default in
                   kfault's tree: build/ENGINE; installed: the nearest build holding the
                   inputs, else ./ or ./build)
  --timeout S      seconds an input may run before it is a timeout (default 25)
  --no-build       use the build as it is, without building
  -q, --quiet      print only one line per input: its verdict and signature
  -h, --help       this text

Exit status: 0 every input ran clean, 1 at least one input gave a finding (a kfault
report, a bug check, a sanitizer report, a timeout), 2 error (bad usage, missing file,
unknown target, build failure).
EOF
}

target=""
preset=""
limit=25
build=1
quiet=0
build_arg=""
inputs=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --target)
        [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--target needs a name"
        target=$2; shift 2 ;;
    --build)
        [ $# -ge 2 ] || kf_die 2 "--build needs fuzz or replay"
        case "$2" in fuzz | replay) preset=$2 ;; *) kf_die 2 "--build: '$2' is not fuzz or replay" ;; esac
        shift 2 ;;
    --build-dir)
        [ $# -ge 2 ] && [ -n "$2" ] || kf_die 2 "--build-dir needs a folder"
        build_arg=$2; shift 2 ;;
    --timeout)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || kf_die 2 "--timeout needs a number of seconds"
        limit=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -q | --quiet) quiet=1; shift ;;
    --) shift; inputs+=("$@"); break ;;
    -*) kf_die 2 "unknown option '$1' (see --help)" ;;
    *) inputs+=("$1"); shift ;;
    esac
done
[ ${#inputs[@]} -gt 0 ] || { usage >&2; exit 2; }
for f in "${inputs[@]}"; do
    [ -e "$f" ] || kf_die 2 "no such file or directory: $f"
    [ -r "$f" ] || kf_die 2 "cannot read $f"
done
[ -z "$build_arg" ] || kf_use_build "$build_arg"
kf_find_build ${target:+"$target"} "${inputs[@]}"
if [ -z "$preset" ]; then
    if [ -n "$kf_build_dir" ]; then
        # A libFuzzer binary when the build has them (a clang build), else the replay ones.
        if awk -F '\t' '$1 == "ship" || $1 == "planted" { found = 1 } END { exit !found }' "$kf_manifest"; then
            preset=fuzz
        else
            preset=replay
        fi
    elif command -v clang >/dev/null 2>&1; then preset=fuzz; else preset=replay; fi
fi

[ "$build" = 0 ] || kf_build "$preset"
if [ -z "$kf_build_dir" ]; then
    [ -d "$kf_root/build/$preset/fuzz_targets" ] || kf_die 2 "no $preset build in build/$preset (run without --no-build)"
fi
kf_setup_symbolizer
kfault=$(kf_tool "$preset")

if [ -n "$target" ]; then
    target=$(kf_target_name "$target" "$preset") || kf_die 2 "$target is not a binary of the build $kf_build_dir"
    kf_is_target "$target" "$preset" || kf_die 2 "no $preset binary of target '$target' in $(kf_build_name "$preset")"
fi

# Every file to replay, with its target; each input decided before anything runs.
files=()
file_targets=()
for f in "${inputs[@]}"; do
    if [ -d "$f" ]; then
        list=$(find "$f" -type f ! -name '*.txt' ! -name '*.verdict' ! -name '.*' | LC_ALL=C sort)
    else
        list=$f
    fi
    [ -n "$list" ] || kf_die 2 "no input files under $f"
    while IFS= read -r g; do
        t=$target
        if [ -z "$t" ]; then
            t=$(kf_target_from_path "$g" "$preset") ||
                kf_die 2 "cannot tell the target of $g from its path; name it with --target"
        fi
        files+=("$g")
        file_targets+=("$t")
    done <<<"$list"
done

status=0
out=$(mktemp "${TMPDIR:-/tmp}/kfault-reproduce.XXXXXX")
trap 'rm -f "$out"' EXIT
for k in "${!files[@]}"; do
    f=${files[$k]}
    t=${file_targets[$k]}
    rc=0
    kf_replay "$preset" "$t" "$f" "$limit" >"$out" || rc=$?
    if [ $rc = 0 ]; then
        verdict=clean
        sig=-
    else
        verdict=finding
        sig=$(kf_signature <"$out")
        status=1
    fi
    if [ $quiet = 1 ]; then
        printf '%-8s %s  %s\n' "$verdict" "$f" "$sig"
        continue
    fi
    echo "== input:     $f ($(stat -c %s "$f") bytes)"
    echo "== target:    $t ($(kf_build_name "$preset"))"
    echo "== scenario (kfault decode):"
    if [ -x "$kfault" ]; then
        "$kfault" decode "$f" 2>&1 | sed 's/^/    /' || true
    else
        echo "    (no kfault command at $kfault)"
    fi
    echo "== report (exit status $rc):"
    grep -av '^INFO: \|^Running: \|Running 1 inputs' "$out" | sed 's/^/    /' || true
    echo "== verdict:   $verdict"
    echo "== signature: $sig"
    echo
done
exit $status
