#!/usr/bin/env bash
# check_build_sh.sh - runs .clusterfuzzlite/build.sh the way OSS-Fuzz and ClusterFuzzLite do
# (CC, CFLAGS with ASan+UBSan and fuzzer-no-link, LIB_FUZZING_ENGINE, SRC, OUT, WORK) and
# checks what lands in $OUT:
#   - every target the build's manifest ships is there and executable, and nothing else is
#     (no planted-bug variant, no half-written file);
#   - every corpus/<target>/ directory of the repository belongs to a shipped target;
#   - each target has its .dict and .options exactly when fuzz_targets/ has them;
#   - each <target>_seed_corpus.zip is a zip holding exactly the files of corpus/<target>/
#     (not src/), byte for byte;
#   - each target replays its unzipped seeds: with libFuzzer, with the flags of its .options
#     (-runs=0 on the folder); with AFL++, each seed file given to its driver.
# ENGINE libfuzzer (the default) is OSS-Fuzz's libFuzzer job; afl is its AFL++ job shape,
# CC=afl-clang-fast and LIB_FUZZING_ENGINE naming libAFLDriver.a, and exits 77 (skipped) when
# AFL++ is not installed. It never writes outside the scratch directory it is given.
#
# usage: check_build_sh.sh SOURCE_DIR SCRATCH_DIR [libfuzzer|afl]
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ] || [ ! -f "$1/.clusterfuzzlite/build.sh" ]; then
    echo "usage: check_build_sh.sh SOURCE_DIR SCRATCH_DIR [libfuzzer|afl] (SOURCE_DIR holds .clusterfuzzlite/build.sh)" >&2
    exit 2
fi
repo=$(cd "$1" && pwd)
scratch=$2
engine=${3:-libfuzzer}
sanitizers="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,undefined -fsanitize-address-use-after-scope"
case "$engine" in
libfuzzer)
    build_env=(CC=clang "CFLAGS=$sanitizers -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer)
    ;;
afl)
    if ! command -v afl-clang-fast >/dev/null 2>&1; then
        echo "SKIP: afl-clang-fast not found: AFL++ is not installed (Debian package afl++: apt-get install afl++)"
        exit 77
    fi
    driver=$(dirname "$(command -v afl-clang-fast)")/../lib/afl/libAFLDriver.a
    [ -f "$driver" ] || { echo "FAIL: AFL++ is installed but $driver is missing" >&2; exit 1; }
    build_env=(CC=afl-clang-fast AFL_QUIET=1 "CFLAGS=$sanitizers" "LIB_FUZZING_ENGINE=$driver")
    ;;
*)
    echo "check_build_sh.sh: unknown engine '$engine' (libfuzzer or afl)" >&2
    exit 2
    ;;
esac
rm -rf "$scratch"
mkdir -p "$scratch/src" "$scratch/out" "$scratch/work" "$scratch/seeds"
scratch=$(cd "$scratch" && pwd)
ln -s "$repo" "$scratch/src/kfault"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

echo "== build.sh for $engine (OUT=$scratch/out)"
status=0
env "${build_env[@]}" \
    SRC="$scratch/src" OUT="$scratch/out" WORK="$scratch/work" KFAULT_JOBS=2 \
    bash "$repo/.clusterfuzzlite/build.sh" >"$scratch/build.log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
    cat "$scratch/build.log" >&2
    echo "FAIL: build.sh exited with status $status" >&2
    exit 1
fi

out=$scratch/out
manifest=$scratch/work/kfault-build/kfault-fuzz-targets.tsv
# $CFLAGS carry the sanitizers: kfault must not add its own on top.
grep -q '^KFAULT_SANITIZE:BOOL=OFF$' "$scratch/work/kfault-build/CMakeCache.txt" ||
    fail "build.sh turned KFAULT_SANITIZE on although \$CFLAGS name the sanitizers"
[ -s "$manifest" ] || { echo "FAIL: no manifest at $manifest" >&2; exit 1; }
ship=()
planted=()
while IFS=$'\t' read -r kind name _; do
    case "$kind" in
    ship) ship+=("$name") ;;
    planted) planted+=("$name") ;;
    *) fail "manifest line of unknown kind '$kind'" ;;
    esac
done <"$manifest"
[ ${#ship[@]} -gt 0 ] || fail "the manifest ships no target"
# The repository has planted-bug variants (fuzz_targets/CMakeLists.txt); the manifest must
# know them, or the check below that none is shipped would prove nothing.
[ ${#planted[@]} -gt 0 ] || fail "the manifest marks no target as planted"

shipped() { case " ${ship[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Nothing in $OUT but the shipped targets' four kinds of file.
for f in "$out"/* "$out"/.[!.]*; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    name=${base%_seed_corpus.zip}
    name=${name%.dict}
    name=${name%.options}
    shipped "$name" || fail "\$OUT holds $base, which belongs to no shipped target"
done
for p in "${planted[@]}"; do
    [ ! -e "$out/$p" ] || fail "planted-bug variant $p was shipped"
done
# Every seed directory of the repository is shipped with its target.
for d in "$repo"/corpus/*/; do
    name=$(basename "$d")
    case "$name" in regressions | scenarios) continue ;; esac
    shipped "$name" || fail "corpus/$name/ has no shipped target"
done

checked=0
for name in "${ship[@]}"; do
    bin=$out/$name
    if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
        fail "$name: no executable in \$OUT"
        continue
    fi
    # Built with the sanitizers of $CFLAGS (ClusterFuzz rejects builds without them).
    grep -q __asan_report "$bin" || fail "$name: not built with AddressSanitizer"
    grep -q __ubsan_handle "$bin" || fail "$name: not built with UndefinedBehaviorSanitizer"
    for ext in dict options; do
        if [ -f "$repo/fuzz_targets/$name.$ext" ]; then
            if [ ! -f "$out/$name.$ext" ]; then
                fail "$name: fuzz_targets/$name.$ext was not shipped"
            elif ! cmp -s "$repo/fuzz_targets/$name.$ext" "$out/$name.$ext"; then
                fail "$name: \$OUT/$name.$ext differs from fuzz_targets/$name.$ext"
            fi
        elif [ -e "$out/$name.$ext" ]; then
            fail "$name: \$OUT/$name.$ext shipped, but the repository has none"
        fi
    done

    expected=()
    for f in "$repo/corpus/$name"/*; do
        [ -f "$f" ] && expected+=("$(basename "$f")")
    done
    zip=$out/${name}_seed_corpus.zip
    seeds=$scratch/seeds/$name
    mkdir -p "$seeds"
    if [ ${#expected[@]} -eq 0 ]; then
        [ ! -e "$zip" ] || fail "$name: a seed zip, but corpus/$name/ has no seed file"
    elif [ ! -f "$zip" ]; then
        fail "$name: no ${name}_seed_corpus.zip"
        continue
    else
        # A zip file starts with a local file header, PK\3\4.
        magic=$(head -c 4 "$zip" | od -An -tx1 | tr -d ' \n')
        [ "$magic" = 504b0304 ] || fail "$name: ${name}_seed_corpus.zip is not a zip file (starts with $magic)"
        listed=$(cmake -E tar tf "$zip" | sort)
        wanted=$(printf '%s\n' "${expected[@]}" | sort)
        [ "$listed" = "$wanted" ] || fail "$name: the seed zip lists [$(tr '\n' ' ' <<<"$listed")], corpus/$name/ holds [$(tr '\n' ' ' <<<"$wanted")]"
        (cd "$seeds" && cmake -E tar xf "$zip") || fail "$name: the seed zip does not unpack"
        for f in "${expected[@]}"; do
            cmp -s "$repo/corpus/$name/$f" "$seeds/$f" || fail "$name: $f in the seed zip differs from corpus/$name/$f"
        done
    fi

    log=$scratch/seeds/$name.log
    if [ "$engine" = afl ]; then
        # Instrumented for afl-fuzz and in its persistent mode (libAFLDriver's signature).
        grep -q "##SIG_AFL_PERSISTENT##" "$bin" || fail "$name: not linked with AFL++'s driver"
        # AFL++'s driver runs each file it is given once, outside afl-fuzz.
        if [ ${#expected[@]} -eq 0 ]; then
            checked=$((checked + 1))
            continue
        fi
        if (cd "$seeds" && "$bin" "${expected[@]}") >"$log" 2>&1; then
            ran=$(grep -c "Execution successful" "$log" || true)
            if [ "$ran" = ${#expected[@]} ]; then
                checked=$((checked + 1))
            else
                fail "$name: its AFL++ driver ran $ran of ${#expected[@]} seeds"
                cat "$log" >&2
            fi
        else
            fail "$name: its AFL++ driver failed on the seeds"
            cat "$log" >&2
        fi
        continue
    fi
    # The flags of the [libfuzzer] section of the .options, as ClusterFuzz passes them.
    flags=()
    if [ -f "$out/$name.options" ]; then
        while IFS= read -r line; do
            flags+=("$line")
        done < <(awk '/^\[/ { s = ($0 == "[libfuzzer]") ; next }
                      s && /=/ { k = $0; sub(/[ \t]*=.*/, "", k); v = $0; sub(/^[^=]*=[ \t]*/, "", v);
                                 gsub(/[ \t]+$/, "", v); print "-" k "=" v }' "$out/$name.options")
    fi
    # The dictionary is named relative to $OUT, where the fuzzer runs.
    if (cd "$out" && "./$name" "${flags[@]}" -runs=0 "$seeds") >"$log" 2>&1; then
        if [ ${#expected[@]} -gt 0 ] && ! grep -q "INITED" "$log"; then
            fail "$name: the seed replay did not reach INITED"
            cat "$log" >&2
        elif grep -q "ParseDictionaryFile" "$log"; then
            fail "$name: its dictionary does not parse"
            cat "$log" >&2
        else
            checked=$((checked + 1))
        fi
    else
        fail "$name: replaying its seeds with ${flags[*]} failed"
        cat "$log" >&2
    fi
done

echo "== $checked of ${#ship[@]} shipped targets checked clean; ${#planted[@]} planted variants kept out"
if [ "$failures" -gt 0 ]; then
    echo "check_build_sh: $failures failures" >&2
    exit 1
fi
