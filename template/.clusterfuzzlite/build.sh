#!/bin/bash -eu
# .clusterfuzzlite/build.sh - builds this repository's kfault fuzz targets the OSS-Fuzz way and
# puts into $OUT, for each target of fuzz/CMakeLists.txt (kfault_add_driver_fuzzer or
# kfault_add_minifilter_fuzzer, not PLANTED): the binary, its .dict and .options when it has
# them, and <target>_seed_corpus.zip holding the files of its seed folder (the top-level files:
# text sources under src/ are not inputs; a minifilter without SEEDS has the seeds its binary
# wrote from its registration when it was linked, in the build tree).
#
# kfault: KFAULT_PREFIX names an installed kfault built for the job (the same compiler and
# sanitizers) when set; otherwise kfault is built here from KFAULT_SRC (default $SRC/kfault,
# cloned by the Dockerfile) with $CC and $CFLAGS and installed into $WORK/kfault-prefix.
# The project: KFAULT_PROJECT_DIR (default $SRC/project/fuzz), configured with
# find_package(kfault). It obeys the OSS-Fuzz build contract: $CC, $CFLAGS (which carry the
# sanitizer and coverage flags), $LIB_FUZZING_ENGINE, $SRC, $OUT, $WORK (a scratch folder when
# unset). KFAULT_JOBS bounds the parallel build (default: every core). The list of targets
# comes from the build's manifest (kfault-fuzz-targets.tsv). Every file lands in $OUT under a
# temporary name first and is renamed into place.
set -euo pipefail

for v in CC SRC OUT LIB_FUZZING_ENGINE; do
    if [ -z "${!v:-}" ]; then
        echo "build.sh: \$$v is not set (OSS-Fuzz's build contract)" >&2
        exit 2
    fi
done
if [ -n "${WORK:-}" ]; then
    work=$WORK
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/kfault-work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
jobs=${KFAULT_JOBS:-$(nproc 2>/dev/null || echo 2)}
project=${KFAULT_PROJECT_DIR:-$SRC/project/fuzz}
mkdir -p "$OUT" "$work"
# The engine reaches kfault_add_driver_fuzzer() and kfault_add_minifilter_fuzzer() from the
# environment.
export LIB_FUZZING_ENGINE

prefix=${KFAULT_PREFIX:-}
if [ -z "$prefix" ]; then
    ksrc=${KFAULT_SRC:-$SRC/kfault}
    [ -f "$ksrc/CMakeLists.txt" ] || { echo "build.sh: no kfault source at $ksrc (KFAULT_SRC)" >&2; exit 2; }
    prefix=$work/kfault-prefix
    # $CFLAGS carry the job's sanitizers; kfault adds none of its own. Warnings are not fatal:
    # OSS-Fuzz's clang is newer than the one kfault is developed with.
    cmake -S "$ksrc" -B "$work/kfault-build" -DCMAKE_BUILD_TYPE= -DCMAKE_C_COMPILER="$CC" \
        -DCMAKE_C_FLAGS="${CFLAGS:-}" -DKFAULT_FUZZ=ON -DKFAULT_SANITIZE=OFF -DKFAULT_BUILD_TESTS=OFF \
        -DKFAULT_WERROR=OFF
    cmake --build "$work/kfault-build" -j "$jobs" --target kfault_installable
    cmake --install "$work/kfault-build" --prefix "$prefix"
fi

build=$work/project-build
cmake -S "$project" -B "$build" -DCMAKE_BUILD_TYPE= -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="${CFLAGS:-}" \
    -DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS:-}" -DCMAKE_PREFIX_PATH="$prefix" -DKFAULT_FUZZER_REPLAY=OFF
manifest=$build/kfault-fuzz-targets.tsv
[ -s "$manifest" ] || { echo "build.sh: the build wrote no fuzz target manifest ($manifest)" >&2; exit 1; }
ship=()
while IFS=$'\t' read -r kind name _; do
    [ "$kind" = ship ] && ship+=("$name")
done <"$manifest"
[ ${#ship[@]} -gt 0 ] || { echo "build.sh: the manifest lists no target to ship" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target "${ship[@]}"

put() { # put FILE NAME: copies FILE to $OUT/NAME through a temporary name
    cp "$1" "$OUT/.$2.part"
    mv -f "$OUT/.$2.part" "$OUT/$2"
}
while IFS=$'\t' read -r kind name binary dict options seeds; do
    [ "$kind" = ship ] || continue
    put "$binary" "$name"
    [ "$dict" = - ] || put "$dict" "$name.dict"
    [ "$options" = - ] || put "$options" "$name.options"
    [ "$seeds" = - ] && continue
    files=()
    for f in "$seeds"/*; do
        [ -f "$f" ] && files+=("$(basename "$f")")
    done
    [ ${#files[@]} -gt 0 ] || continue
    zip=$OUT/.${name}_seed_corpus.zip.part
    rm -f "$zip"
    (cd "$seeds" && cmake -E tar cf "$zip" --format=zip -- "${files[@]}")
    mv -f "$zip" "$OUT/${name}_seed_corpus.zip"
done <"$manifest"
echo "build.sh: shipped ${#ship[@]} target(s) to $OUT: ${ship[*]}"
