#!/bin/sh
# run.sh - the install test: installs the current build tree into a fresh temporary prefix
# and builds tests/install/drv.c against it the two ways README documents, with the
# compiler the tree was built with, then runs both programs. Exit 77 (skipped) only when
# pkg-config is not installed. It must never install into, or read kfault from, any other
# place than that temporary prefix.
#
# usage: run.sh BUILD_DIR C_COMPILER CMAKE_COMMAND LIBDIR GENERATOR MAKE_PROGRAM SANITIZED
set -eu

build=$1 cc=$2 cmake=$3 libdir=$4 generator=$5 make_program=$6 sanitized=$7
here=$(cd "$(dirname "$0")" && pwd)

fail() {
    echo "install test: FAIL: $*" >&2
    exit 1
}

if ! command -v pkg-config >/dev/null 2>&1; then
    echo "install test: pkg-config is not installed; skipped" >&2
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kfault-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
for f in include/kfault/ntddk.h include/kfault/wdm.h include/kfault/ntifs.h \
         include/kfault/kfault/model.h "$libdir/libkfault.a" "$libdir/pkgconfig/kfault.pc" \
         "$libdir/cmake/kfault/kfaultConfig.cmake" "$libdir/cmake/kfault/kfaultTargets.cmake" \
         include/kfault/kfault/harness.h include/kfault/kfault/driver_env.h \
         "$libdir/libkfault_harness.a" "$libdir/libkfault_driver_env.a" "$libdir/libkfault_replay_main.a" \
         "$libdir/libkfault_load_main.a" "$libdir/pkgconfig/kfault-driver.pc" \
         "$libdir/cmake/kfault/KfaultDriverFuzzer.cmake" bin/kfault libexec/kfault/kfault \
         libexec/kfault/fuzz.sh libexec/kfault/reproduce.sh libexec/kfault/minimize.sh \
         libexec/kfault/coverage.sh libexec/kfault/lib/common.sh libexec/kfault/lib/installed.sh \
         share/kfault/template/fuzz/CMakeLists.txt share/kfault/template/.clusterfuzzlite/build.sh \
         share/kfault/examples/outoftree/fuzz/CMakeLists.txt; do
    [ -f "$prefix/$f" ] || fail "not installed: $f"
done
for f in bin/kfault libexec/kfault/kfault libexec/kfault/fuzz.sh; do
    [ -x "$prefix/$f" ] || fail "not executable: $f"
done

# A sanitized library needs a sanitized link: the flags must travel with the package.
check_sanitized() {
    if [ "$sanitized" = ON ]; then
        nm "$1" 2>/dev/null | grep -q __asan_init ||
            fail "$2: the library was built with AddressSanitizer but the driver was linked without it"
    fi
}

echo "== pkg-config"
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs kfault) || fail "pkg-config --cflags --libs kfault failed"
echo "pkg-config --cflags --libs kfault: $flags"
case "$flags" in
    *"$prefix"*) ;;
    *) fail "kfault.pc does not point into the install prefix $prefix" ;;
esac
if [ "$sanitized" = ON ]; then
    case "$flags" in
        *-fsanitize=address*) ;;
        *) fail "kfault.pc lacks the sanitizer flags the library was built with" ;;
    esac
fi
case "$flags" in
    *-fshort-wchar*) ;;
    *) fail "kfault.pc lacks -fshort-wchar (WCHAR and L\"...\" are 2 bytes on Windows)" ;;
esac
mkdir "$tmp/pc"
cp "$here/drv.c" "$tmp/pc/"
(
    cd "$tmp/pc"
    echo "$cc drv.c \$(pkg-config --cflags --libs kfault)"
    # shellcheck disable=SC2046 # the flags are meant to split into words
    "$cc" drv.c $(pkg-config --cflags --libs kfault)
) || fail "the one-line pkg-config build of drv.c failed"
check_sanitized "$tmp/pc/a.out" "pkg-config build"
(cd "$tmp/pc" && ./a.out) || fail "drv built with pkg-config exited with status $?"
echo "pkg-config build: drv ran and exited 0"
cp "$here/minifilter.c" "$tmp/pc/"
(
    cd "$tmp/pc"
    # shellcheck disable=SC2046 # the flags are meant to split into words
    "$cc" -o minifilter minifilter.c $(pkg-config --cflags --libs kfault)
) || fail "the one-line pkg-config build of minifilter.c failed"
(cd "$tmp/pc" && ./minifilter) || fail "the minifilter did not get its instance through FltRegisterFilter + FltStartFiltering"
echo "pkg-config build: the minifilter got its instance and unregistered cleanly"
# The registry-configured example minifilter, unchanged driver source of the WDK base layer
# (registry, strings, pool, ERESOURCE, spin lock, event, __try / __finally), compiles with
# the one-line flags alone.
cp "$here/../../examples/mf_config.c" "$here/../../examples/mf_config.h" "$tmp/pc/"
(
    cd "$tmp/pc"
    # shellcheck disable=SC2046 # the flags are meant to split into words
    "$cc" -c -Wall -Werror mf_config.c $(pkg-config --cflags kfault)
) || fail "examples/mf_config.c does not compile with pkg-config --cflags kfault"
echo "pkg-config build: examples/mf_config.c compiled unchanged"
# kfault-driver: a driver target's harness on top of the model, its flags included.
dflags=$(pkg-config --cflags --libs kfault-driver) || fail "pkg-config --cflags --libs kfault-driver failed"
case "$dflags" in
    *-lkfault_driver_env*-lkfault_harness*-lkfault*-fshort-wchar* | *-fshort-wchar*-lkfault_driver_env*-lkfault_harness*-lkfault*) ;;
    *) fail "kfault-driver.pc: '$dflags' lacks the driver environment, the harness, the model or -fshort-wchar" ;;
esac
[ -f "$(pkg-config --variable=replay_main kfault-driver)" ] || fail "kfault-driver.pc: replay_main names no file"
echo "pkg-config --cflags --libs kfault-driver: $dflags"

# kfault-minifilter: the generic minifilter fuzzer, one line and no target code. In a build
# with libFuzzer (clang, sanitizers on), an example minifilter linked with it writes the seeds
# of its registration and fuzzes from them; elsewhere its flags must still resolve.
mflags=$(pkg-config --cflags --libs kfault-minifilter) || fail "pkg-config --cflags --libs kfault-minifilter failed"
echo "pkg-config --cflags --libs kfault-minifilter: $mflags"
if [ "$sanitized" = ON ] && "$cc" --version 2>/dev/null | grep -q clang; then
    cp "$here/../../examples/mf_callbacks.c" "$here/../../examples/mf_callbacks.h" "$tmp/pc/"
    (
        cd "$tmp/pc"
        # shellcheck disable=SC2086 # the flags are meant to split into words
        "$cc" -fsanitize=fuzzer mf_callbacks.c $mflags -o mf_callbacks_fuzz
    ) || fail "examples/mf_callbacks.c does not build with pkg-config kfault-minifilter"
    mkdir "$tmp/pc/mfseeds" "$tmp/pc/mfwork"
    (cd "$tmp/pc" && ./mf_callbacks_fuzz -kfault_seeds=mfseeds) >"$tmp/mfseeds.log" 2>&1 ||
        fail "the generic minifilter fuzzer wrote no seeds: $(tail -3 "$tmp/mfseeds.log")"
    [ "$(find "$tmp/pc/mfseeds" -type f | wc -l)" -ge 4 ] || fail "fewer than 4 seeds from the registration"
    (cd "$tmp/pc" && ./mf_callbacks_fuzz -runs=300 -seed=1 mfwork mfseeds) >"$tmp/mffuzz.log" 2>&1 ||
        fail "fuzzing the correct example minifilter failed: $(tail -5 "$tmp/mffuzz.log")"
    echo "pkg-config build: the generic minifilter fuzzer wrote seeds from the registration and fuzzed clean"
fi

# Fault plans in a program linked with the installed model alone (SEMANTICS.md PL-): each
# plan acts, and an option that cannot act is refused naming it.
cp "$here/../plans_env.c" "$tmp/pc/"
(
    cd "$tmp/pc"
    # shellcheck disable=SC2046 # the flags are meant to split into words
    "$cc" -o plans plans_env.c $(pkg-config --cflags --libs kfault)
) || fail "plans_env.c does not build with pkg-config kfault"
plan_run() { # plan_run OPTIONS: the program's output and exit status, one text
    (
        cd "$tmp/pc"
        st=0
        KFAULT_OPTIONS=$1 ./plans 2>&1 || st=$?
        echo "exit $st"
    )
}
out=$(plan_run plan=probability:probability=2500:seed=7)
case "$out" in *"injected 25 of 100 first 4"*"exit 0"*) ;; *) fail "plan=probability without the harness: $out" ;; esac
out=$(plan_run plan=path)
case "$out" in *"injected 1 of 100"*"exit 0"*) ;; *) fail "plan=path without the harness: $out" ;; esac
out=$(plan_run plan=input)
case "$out" in *"option 'plan': 'input'"*"exit 2"*) ;; *) fail "plan=input without the harness was not refused: $out" ;; esac
echo "fault plans: probability and path act in a program linked with the model alone; plan=input is refused"

echo "== find_package(kfault) + kfault::model"
mkdir "$tmp/consumer"
cp -R "$here/cmake_consumer" "$tmp/consumer/src"
cp "$here/drv.c" "$tmp/consumer/"
set -- -S "$tmp/consumer/src" -B "$tmp/consumer/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix"
if [ -n "$make_program" ]; then
    set -- "$@" -DCMAKE_MAKE_PROGRAM="$make_program"
fi
if ! { "$cmake" "$@" && "$cmake" --build "$tmp/consumer/build"; } >"$tmp/consumer.log" 2>&1; then
    cat "$tmp/consumer.log" >&2
    fail "the CMake consumer project did not configure or build"
fi
grep -q "^kfault_DIR:PATH=$prefix/" "$tmp/consumer/build/CMakeCache.txt" ||
    fail "find_package(kfault) found a kfault outside the install prefix"
check_sanitized "$tmp/consumer/build/drv" "CMake build"
(cd "$tmp/consumer/build" && ./drv) || fail "drv built with CMake exited with status $?"
echo "CMake build: drv ran and exited 0"
echo "install test: ok"
