#!/usr/bin/env bash
# test.sh - kfault's test command: configures, builds and runs ctest for the fuzz preset
# (clang, sanitizers, libFuzzer) and the replay preset (gcc unless CC says otherwise,
# sanitizers, fuzz targets replaying their corpus), then prints a summary.
# Before building it checks the tools and runtimes it needs: as root on Debian it installs
# the missing packages with apt-get, otherwise it names them and stops.
# It must never change files outside build/ and never hide a failing step: any failure
# makes the exit status non-zero.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
all_presets=(fuzz replay coverage)
presets=(fuzz replay)
clean=0

usage() {
    cat <<EOF
usage: scripts/test.sh [--preset NAME] [--clean] [--help]

Configures, builds and tests kfault with CMake presets (see CMakePresets.json), in
build/<preset>, and prints a summary. By default the fuzz preset (clang) and the replay
preset (gcc) run, one after the other.

  --preset NAME  run only this preset: ${all_presets[*]}
  --clean        delete build/<preset> first, for a build from scratch
  --help         print this text

The replay preset uses \$CC when it is set, else gcc. ASAN_OPTIONS and UBSAN_OPTIONS
get strict defaults (leaks detected, the first error fatal) unless already set.
Missing tools: as root, installed with apt-get; otherwise named, and the run stops.
Exit status: 0 when every step passed, 1 when one failed, 2 on usage errors.
EOF
}

die_usage() {
    echo "test.sh: $*" >&2
    echo "try: scripts/test.sh --help" >&2
    exit 2
}

chosen=""
while [ $# -gt 0 ]; do
    case "$1" in
        --help | -h)
            usage
            exit 0
            ;;
        --clean) clean=1 ;;
        --preset | --preset=*)
            if [ "$1" = --preset ]; then
                [ $# -ge 2 ] || die_usage "--preset needs a name (${all_presets[*]})"
                name=$2
                shift
            else
                name=${1#--preset=}
            fi
            [ -z "$chosen" ] || die_usage "--preset given twice; run one preset, or none for fuzz and replay"
            case " ${all_presets[*]} " in
                *" $name "*) ;;
                *) die_usage "unknown preset '$name' (one of: ${all_presets[*]})" ;;
            esac
            chosen=$name
            ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
    shift
done
[ -z "$chosen" ] || presets=("$chosen")

uses() { # uses PRESET: true when PRESET is to run
    case " ${presets[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

replay_cc=${CC:-gcc}

# ---- Requirements: tools first, then the runtimes those tools need -------------------
missing=()
add_missing() {
    case " ${missing[*]-} " in *" $1 "*) ;; *) missing+=("$1") ;; esac
}

check_tools() {
    missing=()
    command -v cmake >/dev/null 2>&1 || add_missing cmake
    command -v pkg-config >/dev/null 2>&1 || add_missing pkg-config
    # The presets leave the generator to CMake: Unix Makefiles unless CMAKE_GENERATOR says.
    case "${CMAKE_GENERATOR:-}" in
        Ninja*) command -v ninja >/dev/null 2>&1 || add_missing ninja-build ;;
        *) command -v make >/dev/null 2>&1 || add_missing make ;;
    esac
    if uses fuzz || uses coverage; then
        command -v clang >/dev/null 2>&1 || add_missing clang
        # llvm: llvm-symbolizer for readable sanitizer reports, llvm-profdata/llvm-cov.
        command -v llvm-symbolizer >/dev/null 2>&1 || add_missing llvm
    fi
    if uses replay && ! command -v "$replay_cc" >/dev/null 2>&1; then
        if [ "$replay_cc" = gcc ]; then
            add_missing gcc
        else
            echo "test.sh: the compiler CC=$replay_cc is not installed" >&2
            exit 1
        fi
    fi
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kfault-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# A main for link probes that have no fuzzing engine.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint main(void) { return LLVMFuzzerTestOneInput(0, 0); }\n' \
    >"$scratch/main.c"

links() { # links COMPILER FLAGS...: true when a tiny fuzz target compiles and links
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return (int)(n & 0) + (d == 0); }\n' \
        >"$scratch/probe.c"
    local cc=$1
    shift
    "$cc" "$@" "$scratch/probe.c" -o "$scratch/probe" >"$scratch/probe.log" 2>&1
}

check_runtimes() {
    missing=()
    if command -v clang >/dev/null 2>&1 && { uses fuzz || uses coverage; }; then
        local major
        major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
        local rt=libclang-rt-${major}-dev
        if uses fuzz && ! links clang -fsanitize=fuzzer,address,undefined; then
            add_missing "$rt"
        fi
        if uses coverage && ! links clang -fprofile-instr-generate -fcoverage-mapping "$scratch/main.c"; then
            add_missing "$rt"
        fi
    fi
    if uses replay && [ "$replay_cc" = gcc ] && command -v gcc >/dev/null 2>&1; then
        if ! links gcc -fsanitize=address,undefined "$scratch/main.c"; then
            add_missing "libgcc-$(gcc -dumpversion | cut -d. -f1)-dev"
        fi
    fi
}

apt_updated=0
install_missing() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = 0 ]; then
        echo "== apt-get update"
        apt-get update -q
        apt_updated=1
    fi
    echo "== apt-get install ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

report_missing() { # report_missing WHAT: names the missing packages and stops
    echo "test.sh: missing $1; install these Debian packages (as root):" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
}

check_tools
if [ ${#missing[@]} -gt 0 ]; then
    if ! install_missing; then
        # Without clang its runtimes cannot be probed; the default clang's come with this.
        case " ${missing[*]} " in *" clang "*) add_missing libclang-rt-dev ;; esac
        report_missing "tools"
    fi
    check_tools
    [ ${#missing[@]} -eq 0 ] || report_missing "tools, even after apt-get install"
fi
check_runtimes
if [ ${#missing[@]} -gt 0 ]; then
    install_missing || report_missing "compiler runtimes (sanitizers, libFuzzer, profiling)"
    check_runtimes
    if [ ${#missing[@]} -gt 0 ]; then
        cat "$scratch/probe.log" >&2
        report_missing "compiler runtimes, even after apt-get install"
    fi
fi

# ---- Optional: gnuplot, for the plot check of the user's scripts (skipped without it) ----
if uses fuzz && ! command -v gnuplot >/dev/null 2>&1; then
    missing=(gnuplot-nox)
    install_missing || echo "test.sh: gnuplot is not installed (apt-get install gnuplot-nox); the plot check is skipped"
fi

# ---- Optional: AFL++ (Debian's afl++, ~0.5 MB download) for the fuzz build's afl_smoke test.
# Installed as root when missing; otherwise that test is skipped and names the package.
if uses fuzz && ! command -v afl-clang-fast >/dev/null 2>&1; then
    missing=(afl++)
    install_missing || echo "test.sh: afl++ is not installed; the afl_smoke test will be skipped (apt-get install afl++)" >&2
fi

cmake_version=$(cmake --version | sed -n 's/^cmake version \([0-9]*\.[0-9]*\).*/\1/p')
case "$cmake_version" in
    3.1[0-9] | 3.20 | 3.[0-9] | [0-2].*)
        echo "test.sh: cmake $cmake_version is too old; CMakePresets.json needs 3.21 or newer" >&2
        exit 1
        ;;
esac

# ---- Sanitizer settings, unless the caller chose their own ---------------------------
if [ -z "${ASAN_OPTIONS+set}" ]; then
    export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1
fi
if [ -z "${UBSAN_OPTIONS+set}" ]; then
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
fi

jobs=$(nproc 2>/dev/null || echo 2)

# ---- Configure, build, test each preset ----------------------------------------------
cd "$root"
results=()
failed=0
for preset in "${presets[@]}"; do
    dir=$root/build/$preset
    start=$SECONDS
    if [ "$clean" = 1 ]; then
        echo "== $preset: removing build/$preset"
        rm -rf "$dir"
    fi
    step=ok
    if [ "$preset" = replay ]; then
        echo "== $preset: configure (CC=$replay_cc)"
        CC=$replay_cc cmake --preset "$preset" || step="configure FAILED"
    else
        echo "== $preset: configure"
        cmake --preset "$preset" || step="configure FAILED"
    fi
    if [ "$step" = ok ]; then
        echo "== $preset: build"
        cmake --build --preset "$preset" -j "$jobs" || step="build FAILED"
    fi
    if [ "$step" = ok ]; then
        echo "== $preset: ctest"
        ctest --preset "$preset" -j "$jobs" --output-on-failure || step="tests FAILED"
    fi
    [ "$step" = ok ] || failed=1
    results+=("$(printf '%-9s %-16s %4ss  build/%s' "$preset" "$step" "$((SECONDS - start))" "$preset")")
done

echo
echo "== summary (ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS)"
for line in "${results[@]}"; do
    echo "  $line"
done
if [ "$failed" = 0 ]; then
    echo "all presets passed: ${presets[*]}"
else
    echo "FAILED: see the output of the failing step above" >&2
fi
exit "$failed"
