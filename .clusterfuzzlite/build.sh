#!/bin/bash -eu
# .clusterfuzzlite/build.sh - builds kfault's fuzz targets the OSS-Fuzz way and puts into $OUT,
# for each shipped target: the binary, its .dict and .options when the repository has them,
# and <target>_seed_corpus.zip holding the seed files of corpus/<target>/ (the top-level files
# only: the text sources under src/ are not inputs).
#
# It obeys the OSS-Fuzz build contract: $CC and $CFLAGS (which already carry the sanitizer and
# coverage flags, so kfault's own -fsanitize is left off unless they name no sanitizer at all
# and $SANITIZER is not coverage), $LIB_FUZZING_ENGINE (the engine's link flags:
# -fsanitize=fuzzer, or libAFLDriver with afl-clang-fast), $SRC (the repository is
# $SRC/kfault), $OUT, and $WORK for the build tree (a scratch folder when unset).
# KFAULT_JOBS bounds the parallel build (default: every core).
#
# The list of targets comes from the build: the manifest CMake writes (kfault_fuzz_manifest()
# in cmake/KfaultFuzzTarget.cmake). Planted-bug variants are never shipped. Every file lands in
# $OUT under a temporary name first and is renamed into place, so $OUT never holds half a file.
#
# Locally: CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#          SRC=<dir holding kfault> OUT=<dir> WORK=<dir> bash .clusterfuzzlite/build.sh

# OSS-Fuzz runs this file with bash -eux; set the same here for every other caller.
set -euo pipefail

if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi
if [ $# -gt 0 ]; then
    echo "build.sh: takes no arguments (see --help); it reads CC, CFLAGS, LIB_FUZZING_ENGINE, SRC, OUT, WORK" >&2
    exit 2
fi
for v in CC SRC OUT LIB_FUZZING_ENGINE; do
    if [ -z "${!v:-}" ]; then
        echo "build.sh: \$$v is not set (see --help)" >&2
        exit 2
    fi
done
src=$SRC/kfault
if [ ! -f "$src/CMakeLists.txt" ]; then
    echo "build.sh: no kfault source at \$SRC/kfault ($src)" >&2
    exit 2
fi
# $WORK is set by OSS-Fuzz; otherwise a scratch folder, removed at the end (never in $OUT).
if [ -n "${WORK:-}" ]; then
    work=$WORK
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/kfault-work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
build=$work/kfault-build
jobs=${KFAULT_JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$OUT" "$build"

# OSS-Fuzz's $CFLAGS name the sanitizers of the job (none for coverage builds); kfault adds
# its own ASan+UBSan only when building outside that contract with no sanitizer in $CFLAGS.
sanitize=OFF
case " ${CFLAGS:-} " in
    *-fsanitize=*) ;;
    *) case "${SANITIZER:-address}" in coverage | introspector | none) ;; *) sanitize=ON ;; esac ;;
esac

# $LIB_FUZZING_ENGINE reaches CMakeLists.txt from the environment (the fuzz build's contract).
# Warnings stay visible but not fatal: OSS-Fuzz's clang is newer than the one kfault is
# developed with, and a new warning must not stop the fuzzing.
export LIB_FUZZING_ENGINE
cmake -S "$src" -B "$build" \
    -DCMAKE_BUILD_TYPE= \
    -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_C_FLAGS="${CFLAGS:-}" \
    -DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS:-}" \
    -DKFAULT_FUZZ=ON \
    -DKFAULT_SANITIZE="$sanitize" \
    -DKFAULT_BUILD_TESTS=OFF \
    -DKFAULT_WERROR=OFF

manifest=$build/kfault-fuzz-targets.tsv
if [ ! -s "$manifest" ]; then
    echo "build.sh: the build wrote no fuzz target manifest ($manifest)" >&2
    exit 1
fi
ship=()
while IFS=$'\t' read -r kind name _; do
    [ "$kind" = ship ] && ship+=("$name")
done <"$manifest"
if [ ${#ship[@]} -eq 0 ]; then
    echo "build.sh: the manifest lists no target to ship" >&2
    exit 1
fi
cmake --build "$build" -j "$jobs" --target "${ship[@]}"

# put FILE NAME: copies FILE to $OUT/NAME through a temporary name.
put() {
    cp "$1" "$OUT/.$2.part"
    mv -f "$OUT/.$2.part" "$OUT/$2"
}

while IFS=$'\t' read -r kind name binary dict options corpus; do
    [ "$kind" = ship ] || continue
    put "$binary" "$name"
    [ "$dict" = - ] || put "$dict" "$name.dict"
    [ "$options" = - ] || put "$options" "$name.options"
    [ "$corpus" = - ] && continue
    seeds=()
    for f in "$corpus"/*; do
        [ -f "$f" ] && seeds+=("$(basename "$f")")
    done
    [ ${#seeds[@]} -gt 0 ] || continue
    zip=$OUT/.${name}_seed_corpus.zip.part
    rm -f "$zip"
    # cmake's own archiver, so the build needs no zip tool; names are stored without a folder.
    (cd "$corpus" && cmake -E tar cf "$zip" --format=zip -- "${seeds[@]}")
    mv -f "$zip" "$OUT/${name}_seed_corpus.zip"
done <"$manifest"

echo "build.sh: shipped ${#ship[@]} targets to $OUT: ${ship[*]}"
