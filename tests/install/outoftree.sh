#!/usr/bin/env bash
# outoftree.sh - the out-of-tree test: kfault used from a driver's own repository, as README's
# "Fuzz your own driver" says. The project is examples/outoftree (a stack-expansion driver and
# two minifilters with one planted bug each, fuzz/CMakeLists.txt of a few lines, seeds), copied
# to a scratch folder; kfault comes only from a fresh prefix. Two targets have a target file
# (kfault_add_driver_fuzzer) and committed seeds; the write-tracking minifilter has neither
# (kfault_add_minifilter_fuzzer: the generic minifilter fuzzer, seeds written at build time
# from its registration into the build tree). Modes:
#
#   fuzz    (a clang fuzz build) cmake --install into a fresh prefix; the project built with
#           find_package(kfault) and with pkg-config (its Makefile); the manifest lists each
#           target's binaries and seed folder; its ctest replays the seeds (the generated ones
#           too); `kfault fuzz` finds the three planted bugs (each within a few hundred
#           executions), `kfault reproduce` gives
#           their signatures with the libFuzzer and the replay binaries, `kfault minimize`
#           shrinks two (the driver's and the minifilter's) keeping their signatures, `kfault init`
#           copies the template; nothing is
#           written into the project's sources.
#   replay  (any other build: gcc, a coverage build) the same project builds its replay
#           binaries, with find_package and with pkg-config; its ctest replays the seeds (the
#           minifilter's written by its replay binary);
#           `kfault reproduce` gives the planted bugs' signatures from reproducers written as
#           text (kfault encode); with gcc, `kfault fuzz` says that fuzzing needs libFuzzer.
#   deb     the Debian package (cpack -G DEB) extracted into a scratch root (dpkg -x, no root
#           needed); the project built against it with find_package (with coverage: clang's
#           source-based coverage of the replay binaries) and with pkg-config; its ctest;
#           `kfault coverage` reports the drivers' lines.
#   cflite  the template's .clusterfuzzlite/build.sh, run as ClusterFuzzLite runs it (CC,
#           CFLAGS, LIB_FUZZING_ENGINE, SRC, OUT, WORK) with KFAULT_PREFIX at a fresh install:
#           $OUT holds each target, its dictionary (where it has one) and its seed corpus (the
#           minifilter's written at build time), and each runs its seeds.
#
# It never installs anywhere but its scratch folder and never writes into the source tree.
# usage: outoftree.sh MODE SOURCE_DIR BUILD_DIR C_COMPILER C_COMPILER_ID CMAKE GENERATOR [MAKE_PROGRAM]
set -euo pipefail

mode=$1 src=$2 build=$3 cc=$4 cc_id=$5 cmake=$6 generator=$7 make_program=${8:-}
ctest=$(dirname "$cmake")/ctest
[ -x "$ctest" ] || ctest=ctest
cpack=$(dirname "$cmake")/cpack
[ -x "$cpack" ] || cpack=cpack

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kfault-outoftree.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
expect_status() { # expect_status WANT GOT WHAT
    if [ "$2" = "$1" ]; then ok "$3: exit $2"; else fail "$3: exit $2, expected $1"; fi
}
snapshot() { (cd "$1" && find . -type f -exec sha1sum {} + | LC_ALL=C sort); }

tally_sig="KF-INV-014/TlyCount/-"
hdrscan_sig="KF-INV-026/FltUnregisterFilter/-"
wrtrack_sig="KF-INV-043/minifilter/-"
targets="tally_fuzz hdrscan_fuzz wrtrack_fuzz"
project=$scratch/repo
cp -R "$src/examples/outoftree" "$project"
before=$(snapshot "$project")
prefix=$scratch/prefix
cd "$scratch"

install_prefix() {
    echo "== cmake --install $build --prefix $prefix"
    "$cmake" --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1 ||
        { cat "$scratch/install.log" >&2; die "cmake --install failed"; }
}

# configure_project DIR PREFIX_PATH [cmake args]: the project's fuzz/ folder with find_package.
configure_project() {
    local dir=$1 pp=$2
    shift 2
    local args=(-S "$project/fuzz" -B "$dir" -G "$generator" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$pp")
    [ -z "$make_program" ] || args+=(-DCMAKE_MAKE_PROGRAM="$make_program")
    if ! { "$cmake" "${args[@]}" "$@" && "$cmake" --build "$dir" -j 2; } >"$dir.log" 2>&1; then
        cat "$dir.log" >&2
        die "the project did not configure or build against $pp"
    fi
    grep -q "^kfault_DIR:PATH=$pp/" "$dir/CMakeCache.txt" ||
        die "find_package(kfault) found a kfault outside $pp: $(grep '^kfault_DIR' "$dir/CMakeCache.txt")"
    ok "find_package(kfault) build in $dir"
}

# seeds_replay DIR: the project's own ctest replays the seeds of the three targets, the
# minifilter's written into the build tree by its binary.
seeds_replay() {
    local rc=0 t
    (cd "$1" && "$ctest" --output-on-failure -L kfault-seeds) >"$1.ctest.log" 2>&1 || rc=$?
    expect_status 0 $rc "the project's ctest (seed replays) in $1"
    for t in $targets; do
        grep -qE "Test +#[0-9]+: ${t}_seeds \.+ +Passed" "$1.ctest.log" && ok "ctest replayed ${t}'s seeds" ||
            fail "no passed ${t}_seeds in: $(cat "$1.ctest.log")"
    done
    [ "$(grep -c 'Passed' "$1.ctest.log")" = 3 ] || fail "seed replays: $(cat "$1.ctest.log")"
}

# manifest_rows DIR KINDS...: the manifest lists, for each target and each KIND (ship,
# replay), one row with its binary; the minifilter's seed folder is the one written at build
# time, which holds the seeds of its registration; the others' are the committed ones.
manifest_rows() {
    local dir=$1 m=$1/kfault-fuzz-targets.tsv kind t row seeds want n
    shift
    for kind in "$@"; do
        n=$(awk -F '\t' -v k="$kind" '$1 == k' "$m" | wc -l)
        [ "$n" = 3 ] && ok "the manifest lists 3 $kind binaries" || fail "manifest ($n $kind rows): $(cat "$m")"
        for t in $targets; do
            row=$(awk -F '\t' -v k="$kind" -v t="$t" '$1 == k && $2 == t' "$m")
            if [ -z "$row" ] || [ ! -x "$(cut -f3 <<<"$row")" ]; then
                fail "no $kind row with a built binary for $t: $(cat "$m")"
                continue
            fi
            seeds=$(cut -f6 <<<"$row")
            case $t in
            wrtrack_fuzz) want=$dir/wrtrack_fuzz_seeds ;;
            *) want=$project/fuzz/seeds/$t ;;
            esac
            [ "$seeds" = "$want" ] && ok "$kind $t: seeds $seeds" || fail "$kind $t: seed folder '$seeds', expected $want"
        done
    done
    n=$(find "$dir/wrtrack_fuzz_seeds" -name 'seed-*.bin' 2>/dev/null | wc -l)
    # Its registration has create and write: a seed each, then teardown, dismount, unload, files.
    [ "$n" = 6 ] && ok "the minifilter's binary wrote its 6 seeds at build time" ||
        fail "$dir/wrtrack_fuzz_seeds holds $n seeds, expected 6: $(ls "$dir/wrtrack_fuzz_seeds" 2>&1)"
    # The INF argument built the driver's INF into its binaries (read at every start).
    for b in "$dir/wrtrack_fuzz" "$dir/wrtrack_fuzz_replay"; do
        [ -x "$b" ] || continue
        nm "$b" 2>/dev/null | grep ' kfh_mf_builtin_inf$' >/dev/null && ok "$(basename "$b") carries wrtrack.inf" ||
            fail "$(basename "$b") does not carry the INF given to kfault_add_minifilter_fuzzer"
    done
    grep -qxF "$project" "$dir/kfault-project.txt" && ok "kfault-project.txt names the project" ||
        fail "kfault-project.txt: $(cat "$dir/kfault-project.txt")"
}

# pc_build PKG_CONFIG_PATH OUT TARGETS: the project's Makefile, which uses pkg-config only.
pc_build() {
    mkdir -p "$2"
    if ! PKG_CONFIG_PATH=$1 make -s -f "$project/fuzz/Makefile" O="$2" CC="$cc" $3 check >"$2.log" 2>&1; then
        cat "$2.log" >&2
        fail "the pkg-config build ($3) failed"
        return
    fi
    ok "pkg-config build ($3): $(ls "$2" | tr '\n' ' ')"
    # The minifilter through kfault-minifilter: its replay binary wrote its seeds and replayed them.
    [ -x "$2/wrtrack_fuzz_replay" ] && [ "$(find "$2/wrtrack_fuzz_seeds" -name 'seed-*.bin' 2>/dev/null | wc -l)" = 6 ] &&
        ok "pkg-config build: the minifilter's replay binary and the seeds it wrote" ||
        fail "pkg-config build: no wrtrack_fuzz_replay or no seeds in $2/wrtrack_fuzz_seeds"
    if [ "$3" = all ]; then
        [ -x "$2/wrtrack_fuzz" ] && ok "pkg-config build: the minifilter's libFuzzer binary" ||
            fail "pkg-config build: no $2/wrtrack_fuzz"
    fi
}

sig_of() { # sig_of OUTPUT: the signature line of reproduce's output
    sed -n 's/^== signature: //p' <<<"$1" | head -1
}

unchanged_sources() {
    [ "$(snapshot "$project")" = "$before" ] && ok "nothing written into the project's sources" ||
        fail "files changed in the project's sources: $(diff <(echo "$before") <(snapshot "$project") | head -5)"
}

mode_fuzz() {
    install_prefix
    local k=$prefix/bin/kfault rc out crash
    configure_project "$scratch/cm" "$prefix"
    manifest_rows "$scratch/cm" ship replay
    seeds_replay "$scratch/cm"
    pc_build "$prefix/lib/pkgconfig" "$scratch/pc" all

    # Fuzz the three targets from a folder of the user's choosing: findings land there. Each target
    # stops at its first finding (a fraction of a second on an idle machine); 60 s only bounds
    # a loaded one.
    mkdir -p "$scratch/work"
    cd "$scratch/work"
    rc=0
    "$k" fuzz --build-dir "$scratch/cm" --no-build --no-plot --jobs 2 --time 60 >"$scratch/fuzz.log" 2>&1 || rc=$?
    cat "$scratch/fuzz.log"
    expect_status 1 $rc "kfault fuzz finds the planted bugs"
    for pair in "tally_fuzz|$tally_sig" "hdrscan_fuzz|$hdrscan_sig" "wrtrack_fuzz|$wrtrack_sig"; do
        local t=${pair%%|*} sig=${pair#*|} dir
        dir=$(grep -lxF "$sig" findings/"$t"/*/signature.txt 2>/dev/null | head -1 | xargs -r dirname)
        if [ -n "$dir" ] && ls "$dir"/crash-* >/dev/null 2>&1; then ok "$t: filed $sig"; else
            fail "$t: no finding $sig in findings/$t ($(cat findings/"$t"/*/signature.txt 2>/dev/null | tr '\n' ' '))"; fi
        # The folder, not its files: a target that stops on its bug while reading its seeds
        # (likely on a loaded machine) has added nothing to it yet.
        [ -d "$scratch/cm/kfault-corpus/$t" ] && ok "$t: the working corpus is in the build tree" ||
            fail "$t: no working corpus in $scratch/cm/kfault-corpus/$t"
    done
    unchanged_sources
    # A target named by its binary: the build is the one holding it; the bug is known by now.
    rc=0
    "$k" fuzz --no-build --no-plot --time 2 "$scratch/cm/tally_fuzz" >"$scratch/fuzz2.log" 2>&1 || rc=$?
    expect_status 0 $rc "kfault fuzz BINARY (the finding is already filed)"
    grep -q '^tally_fuzz ' "$scratch/fuzz2.log" && ok "fuzzed tally_fuzz, found from its binary" ||
        fail "no summary row for tally_fuzz: $(tail -5 "$scratch/fuzz2.log")"
    [ "$(find findings/tally_fuzz -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ] && ok "still one finding folder" ||
        fail "another finding folder: $(ls findings/tally_fuzz)"

    crash=$(ls findings/tally_fuzz/*/crash-* | head -1)
    rc=0
    out=$("$k" reproduce "$crash" 2>&1) || rc=$?
    expect_status 1 $rc "kfault reproduce (found from the finding's folder)"
    [ "$(sig_of "$out")" = "$tally_sig" ] && ok "reproduce: $tally_sig" || fail "reproduce gave '$(sig_of "$out")'"
    grep -qE '^    version [0-9]+$' <<<"$out" && ok "reproduce prints the scenario" || fail "no scenario in reproduce's output"
    rc=0
    out=$("$k" reproduce --build replay "$crash" 2>&1) || rc=$?
    expect_status 1 $rc "kfault reproduce --build replay"
    [ "$(sig_of "$out")" = "$tally_sig" ] && ok "the replay binary gives the same signature" || fail "replay: '$(sig_of "$out")'"
    rc=0
    "$k" reproduce -q --build-dir "$scratch/cm" --target tally_fuzz "$project/fuzz/seeds/tally_fuzz" >/dev/null 2>&1 || rc=$?
    expect_status 0 $rc "kfault reproduce on the seeds (clean)"
    # The minifilter fuzzed with no target code: its finding reproduces with both binaries.
    crash=$(ls findings/wrtrack_fuzz/*/crash-* 2>/dev/null | head -1)
    if [ -n "$crash" ]; then
        for b in fuzz replay; do
            rc=0
            out=$("$k" reproduce --build $b "$crash" 2>&1) || rc=$?
            [ $rc = 1 ] && [ "$(sig_of "$out")" = "$wrtrack_sig" ] && ok "reproduce --build $b wrtrack_fuzz: $wrtrack_sig" ||
                { printf '%s\n' "$out" | tail -20 >&2; fail "reproduce --build $b wrtrack_fuzz: exit $rc, '$(sig_of "$out")'"; }
        done
        grep -q '^    mf_create ' <<<"$out" && ok "reproduce prints the minifilter scenario" || fail "no mf_create in reproduce's output"
    fi
    rc=0
    "$k" reproduce -q --build-dir "$scratch/cm" --target wrtrack_fuzz "$scratch/cm/wrtrack_fuzz_seeds" >/dev/null 2>&1 || rc=$?
    expect_status 0 $rc "kfault reproduce on the minifilter's written seeds (clean)"

    # A larger input with the same bug (the leak, then fault decisions nothing consumes) shrinks
    # to one with the same signature.
    mkdir -p "$scratch/min/tally_fuzz"
    { printf 'version 1\nprofile win10-amd64\nfault none\nfault hard\n'
      for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do printf 'fault none\n'; done; } >"$scratch/min/big.txt"
    "$k" encode "$scratch/min/big.txt" "$scratch/min/tally_fuzz/crash-big" || fail "kfault encode of the large input"
    rc=0
    "$k" minimize --build-dir "$scratch/cm" --no-build --rounds 1 --time 8 "$scratch/min/tally_fuzz/crash-big" \
        >"$scratch/min.log" 2>&1 || rc=$?
    cat "$scratch/min.log"
    expect_status 0 $rc "kfault minimize"
    rc=0
    out=$("$k" reproduce --build-dir "$scratch/cm" "$scratch/min/tally_fuzz/min-crash-big" 2>&1) || rc=$?
    [ $rc = 1 ] && [ "$(sig_of "$out")" = "$tally_sig" ] && ok "the minimized input keeps the signature" ||
        fail "minimized input: exit $rc, '$(sig_of "$out")'"
    # The minifilter's finding shrinks too, keeping its signature.
    crash=$(ls findings/wrtrack_fuzz/*/crash-* 2>/dev/null | head -1)
    if [ -n "$crash" ]; then
        mkdir -p "$scratch/min/wrtrack_fuzz"
        cp "$crash" "$scratch/min/wrtrack_fuzz/crash-mf"
        rc=0
        "$k" minimize --build-dir "$scratch/cm" --no-build --rounds 1 --time 8 "$scratch/min/wrtrack_fuzz/crash-mf" \
            >"$scratch/min-mf.log" 2>&1 || rc=$?
        expect_status 0 $rc "kfault minimize (the minifilter's finding)"
        rc=0
        out=$("$k" reproduce --build-dir "$scratch/cm" "$scratch/min/wrtrack_fuzz/min-crash-mf" 2>&1) || rc=$?
        [ $rc = 1 ] && [ "$(sig_of "$out")" = "$wrtrack_sig" ] && ok "the minimized minifilter input keeps the signature" ||
            { cat "$scratch/min-mf.log" >&2; fail "minimized minifilter input: exit $rc, '$(sig_of "$out")'"; }
    fi

    # The tool through the same command, and the template.
    # (Outputs are taken whole before they are searched: grep -q would close the pipe early.)
    out=$("$k" decode "$project/fuzz/seeds/tally_fuzz/dispatch_grow.bin" 2>&1 || true)
    grep -q '^raise_irql 2' <<<"$out" && ok "kfault decode" || fail "kfault decode: $out"
    out=$("$k" list sites 2>&1 || true)
    grep -q 'ex.pool' <<<"$out" && ok "kfault list sites" || fail "kfault list sites: $out"
    out=$("$k" --version 2>&1 || true)
    grep -q '^kfault [0-9]' <<<"$out" && ok "kfault --version" || fail "kfault --version: $out"
    rc=0
    "$k" init "$scratch/newrepo" >/dev/null || rc=$?
    expect_status 0 $rc "kfault init"
    [ -f "$scratch/newrepo/fuzz/CMakeLists.txt" ] && [ -f "$scratch/newrepo/.clusterfuzzlite/build.sh" ] &&
        ok "the template is copied" || fail "kfault init copied $(cd "$scratch/newrepo" && find . -type f | tr '\n' ' ')"
    rc=0
    "$k" init "$scratch/newrepo" >/dev/null 2>&1 || rc=$?
    expect_status 2 $rc "kfault init over existing files"
    # The template builds once the driver's names are filled in (here: a driver of one routine).
    mkdir -p "$scratch/newrepo/src"
    printf '#include <ntddk.h>\nNTSTATUS DriverDoWork(void);\n' >"$scratch/newrepo/src/driver.h"
    printf '%s\n' '#include "driver.h"' 'NTSTATUS DriverDoWork(void)' '{' \
        '    PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, 32, 0x706D6554u);' \
        '    if (p == NULL) {' '        return STATUS_INSUFFICIENT_RESOURCES;' '    }' \
        '    ExFreePoolWithTag(p, 0x706D6554u);' '    return STATUS_SUCCESS;' '}' >"$scratch/newrepo/src/driver.c"
    local saved=$project
    project=$scratch/newrepo
    configure_project "$scratch/newrepo-build" "$prefix"
    project=$saved
    rc=0
    (cd "$scratch/newrepo-build" && "$ctest" --output-on-failure) >"$scratch/newrepo.ctest.log" 2>&1 || rc=$?
    expect_status 0 $rc "the template, filled in, replays its seeds"
    cd "$scratch"
}

mode_replay() {
    install_prefix
    local k=$prefix/bin/kfault rc out
    configure_project "$scratch/cm" "$prefix"
    manifest_rows "$scratch/cm" replay
    seeds_replay "$scratch/cm"
    pc_build "$prefix/lib/pkgconfig" "$scratch/pc" replay

    mkdir -p "$scratch/bugs/tally_fuzz" "$scratch/bugs/hdrscan_fuzz" "$scratch/bugs/wrtrack_fuzz"
    printf 'version 1\nfault none\nfault hard\n' >"$scratch/bugs/tally_fuzz/leak.txt"
    printf 'version 2\nlower STATUS_ACCESS_DENIED info=0x0\n' >"$scratch/bugs/hdrscan_fuzz/denied.txt"
    # An open for writing that the file system below refuses.
    printf '%s\n' 'version 6' \
        'mf_create 0 vol=0 name=notes ext=txt disp=open access=write attr=normal lower=sharing_violation opts=none exists' \
        >"$scratch/bugs/wrtrack_fuzz/refused.txt"
    "$k" encode "$scratch/bugs/tally_fuzz/leak.txt" "$scratch/bugs/tally_fuzz/leak.bin" &&
        "$k" encode "$scratch/bugs/hdrscan_fuzz/denied.txt" "$scratch/bugs/hdrscan_fuzz/denied.bin" &&
        "$k" encode "$scratch/bugs/wrtrack_fuzz/refused.txt" "$scratch/bugs/wrtrack_fuzz/refused.bin" &&
        ok "kfault encode" || fail "kfault encode"
    for pair in "tally_fuzz/leak.bin|$tally_sig" "hdrscan_fuzz/denied.bin|$hdrscan_sig" \
        "wrtrack_fuzz/refused.bin|$wrtrack_sig"; do
        rc=0
        out=$("$k" reproduce --build-dir "$scratch/cm" "$scratch/bugs/${pair%%|*}" 2>&1) || rc=$?
        [ $rc = 1 ] && [ "$(sig_of "$out")" = "${pair#*|}" ] && ok "reproduce ${pair%%|*}: ${pair#*|}" ||
            { printf '%s\n' "$out" | tail -20 >&2; fail "reproduce ${pair%%|*}: exit $rc, '$(sig_of "$out")'"; }
    done
    # A compiler without libFuzzer (gcc) made replay binaries only: fuzzing is refused, saying why.
    if ! awk -F '\t' '$1 == "ship" { found = 1 } END { exit !found }' "$scratch/cm/kfault-fuzz-targets.tsv"; then
        rc=0
        "$k" fuzz --build-dir "$scratch/cm" --no-build --no-plot --time 1 tally_fuzz >"$scratch/fuzz.log" 2>&1 || rc=$?
        expect_status 2 $rc "kfault fuzz on a build without libFuzzer"
        grep -q 'libFuzzer binary' "$scratch/fuzz.log" && ok "says why: $(head -1 "$scratch/fuzz.log")" ||
            fail "no reason given: $(cat "$scratch/fuzz.log")"
    fi
    unchanged_sources
}

mode_deb() {
    local root=$scratch/root deb k rc
    echo "== cpack -G DEB"
    "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/pkg" >"$scratch/cpack.log" 2>&1 ||
        { cat "$scratch/cpack.log" >&2; die "cpack failed"; }
    deb=$(ls "$scratch"/pkg/kfault_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || die "no kfault_*.deb in $scratch/pkg ($(ls "$scratch/pkg"))"
    ok "built $(basename "$deb")"
    mkdir -p "$root"
    if command -v dpkg >/dev/null 2>&1; then
        dpkg -x "$deb" "$root" || die "dpkg -x failed"
        local info
        info=$(dpkg -I "$deb")
        grep -q '^ Package: kfault$' <<<"$info" && ok "dpkg -I: package kfault" || fail "dpkg -I: $info"
        grep -q '^ Depends: ' <<<"$info" && ok "it names its dependencies" || fail "no Depends field: $info"
    else
        (cd "$scratch/pkg" && ar x "$deb" && tar -xf data.tar.* -C "$root") || die "cannot extract $deb (no dpkg, ar or tar)"
    fi
    k=$root/usr/bin/kfault
    for f in usr/bin/kfault usr/lib/cmake/kfault/kfaultConfig.cmake usr/lib/pkgconfig/kfault-driver.pc \
             usr/lib/libkfault.a usr/lib/libkfault_driver_env.a usr/include/kfault/kfault/driver_env.h \
             usr/share/kfault/template/fuzz/CMakeLists.txt usr/lib/cmake/kfault/KfaultMinifilter.cmake \
             usr/lib/pkgconfig/kfault-minifilter.pc usr/lib/libkfault_minifilter.a; do
        [ -e "$root/$f" ] || fail "the package lacks /$f"
    done
    grep -q '^kfault [0-9]' <<<"$("$k" --version 2>&1 || true)" && ok "the extracted kfault runs" ||
        fail "the extracted kfault does not run"
    local cov=()
    [ "$cc_id" != Clang ] || cov=(-DKFAULT_FUZZER_COVERAGE=ON)
    configure_project "$scratch/deb-cm" "$root/usr" "${cov[@]+"${cov[@]}"}"
    manifest_rows "$scratch/deb-cm" replay
    seeds_replay "$scratch/deb-cm"
    pc_build "$root/usr/lib/pkgconfig" "$scratch/deb-pc" replay
    if [ ${#cov[@]} -gt 0 ]; then
        rc=0
        "$k" coverage --build-dir "$scratch/deb-cm" --no-build --output-dir "$scratch/cov" >"$scratch/cov.log" 2>&1 || rc=$?
        cat "$scratch/cov.log"
        expect_status 0 $rc "kfault coverage"
        grep -q 'tally.c' "$scratch/cov/summary.txt" 2>/dev/null && grep -q 'hdrscan.c' "$scratch/cov/summary.txt" &&
            grep -q 'wrtrack.c' "$scratch/cov/summary.txt" &&
            ok "coverage of the three drivers" || fail "the coverage report lacks the drivers: $(cat "$scratch/cov/summary.txt" 2>&1)"
        [ -f "$scratch/cov/html/index.html" ] && ok "HTML report" || fail "no HTML report"
    fi
    unchanged_sources
}

mode_cflite() {
    install_prefix
    local out=$scratch/out rc=0 t
    mkdir -p "$scratch/src" "$out" "$scratch/work"
    ln -s "$project" "$scratch/src/project"
    CC=$cc CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
        LIB_FUZZING_ENGINE=-fsanitize=fuzzer SRC=$scratch/src OUT=$out WORK=$scratch/work KFAULT_PREFIX=$prefix \
        bash "$src/template/.clusterfuzzlite/build.sh" >"$scratch/cflite.log" 2>&1 || rc=$?
    [ $rc = 0 ] || cat "$scratch/cflite.log" >&2
    expect_status 0 $rc "the template's .clusterfuzzlite/build.sh"
    for t in $targets; do
        # The minifilter has no dictionary; its seed corpus is the one its binary wrote.
        [ -x "$out/$t" ] && { [ $t = wrtrack_fuzz ] || [ -f "$out/$t.dict" ]; } && [ -f "$out/${t}_seed_corpus.zip" ] &&
            ok "\$OUT has $t, its dictionary (if any) and its seed corpus" || { fail "\$OUT lacks $t's files: $(ls "$out")"; continue; }
        mkdir -p "$scratch/unzip/$t"
        (cd "$scratch/unzip/$t" && "$cmake" -E tar xf "$out/${t}_seed_corpus.zip")
        rc=0
        "$out/$t" -runs=0 "$scratch/unzip/$t" >"$scratch/$t.runs.log" 2>&1 || rc=$?
        expect_status 0 $rc "$t replays its shipped seeds"
        [ $t != wrtrack_fuzz ] || [ "$(find "$scratch/unzip/$t" -name 'seed-*.bin' | wc -l)" = 6 ] &&
            ok "$t: seed corpus of the seeds written at build time" || fail "$t: seed corpus $(ls "$scratch/unzip/$t")"
    done
    [ -z "$(ls "$out" | grep -E '_replay$')" ] && ok "no replay binary shipped" || fail "replay binaries in \$OUT"
    unchanged_sources
}

case "$mode" in
fuzz | replay | deb | cflite) "mode_$mode" ;;
*) echo "usage: outoftree.sh fuzz|replay|deb|cflite SOURCE_DIR BUILD_DIR CC CMAKE GENERATOR [MAKE]" >&2; exit 2 ;;
esac
if [ $failures -gt 0 ]; then
    echo "outoftree $mode: $failures check(s) failed" >&2
    exit 1
fi
echo "outoftree $mode: all checks passed"
