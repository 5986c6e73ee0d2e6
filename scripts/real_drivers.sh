#!/usr/bin/env bash
# real_drivers.sh - measures how far real driver source gets against kfault: compiles every
# kernel-mode .c file of each sample under a folder of minifilter samples (a checkout of
# Microsoft's public Windows-driver-samples, or its filesys/miniFilter folder) against
# kfault's headers, counts the errors per sample, ranks the WDK names still missing by the
# number of samples that miss them, and for each sample that compiles, links it with the
# model and the driver loader (harness/load_main.c) and runs it: DriverEntry's status, the
# unload, what was left behind. Prints a report (Markdown) on stdout; docs/REAL_DRIVERS.md
# quotes it.
# Reads the samples only: never writes into SAMPLES, never copies a sample's text anywhere
# but the scratch folder's compiler output.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() {
    cat <<EOF
usage: scripts/real_drivers.sh SAMPLES... [--build DIR] [--work DIR] [--free] [--no-inf] [--help]

SAMPLES   a checkout of Windows-driver-samples (its filesys/miniFilter samples are measured),
          a folder of samples (each subfolder is one), or one sample's folder (it holds .c
          files itself, e.g. filesys/fastfat)
--build   the kfault build whose libkfault.a is linked (default: build/fuzz; built with
          cmake --build when missing)
--work    scratch folder for objects, programs and compiler output (default: a temporary
          folder, deleted afterwards)
--free    compile as a free build (DBG=0: ASSERT, NT_ASSERT and FLT_ASSERT compiled out);
          the default is kfault's, a checked build (DBG=1)
--no-inf  load without the registry values of the sample's INF (by default the loader's
          --inf installs what the sample's .inf writes under its service key)

Each sample's kernel-mode .c files (those outside a user/ folder) are compiled with
\$CC (default clang) -fshort-wchar and kfault's include folder, plus the sample's own
folders (., inc/, filter/). A sample that compiles is linked with the model and the driver
loader, loaded and unloaded; when its DriverEntry succeeds, it is loaded again once per fault
site its load consults, failing each in turn (fail_nth), and a stop or anything left behind
is a finding (a failed DriverEntry is not). Exit status: 0 the report was printed, 2 usage
or setup error.
EOF
}

samples=() build="$root/build/fuzz" work="" cflags_build=() use_inf=1 inf_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --help | -h) usage; exit 0 ;;
        --build) [ $# -ge 2 ] || { echo "real_drivers.sh: --build needs a folder" >&2; exit 2; }; build=$2; shift ;;
        --free) cflags_build+=(-DDBG=0) ;;
        --no-inf) use_inf=0 ;;
        --work) [ $# -ge 2 ] || { echo "real_drivers.sh: --work needs a folder" >&2; exit 2; }; work=$2; shift ;;
        -*) echo "real_drivers.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) samples+=("$1") ;;
    esac
    shift
done
[ ${#samples[@]} -gt 0 ] || { usage >&2; exit 2; }
# The sample folders to measure, from the arguments.
dirs=()
for s in "${samples[@]}"; do
    [ -d "$s" ] || { echo "real_drivers.sh: no folder '$s'" >&2; exit 2; }
    [ -d "$s/filesys/miniFilter" ] && s="$s/filesys/miniFilter"
    if compgen -G "$s/*.c" >/dev/null; then
        dirs+=("${s%/}/")
    else
        for d in "$s"/*/; do dirs+=("$d"); done
    fi
done
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "real_drivers.sh: compiler '$cc' not found" >&2; exit 2; }

if [ ! -f "$build/model/libkfault.a" ] || [ ! -f "$build/harness/libkfault_load_main.a" ]; then
    if [ "$build" = "$root/build/fuzz" ]; then
        (cd "$root" && cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j2 --target kfault_model kfault_load_main >/dev/null) ||
            { echo "real_drivers.sh: building kfault failed" >&2; exit 2; }
    else
        echo "real_drivers.sh: $build has no libkfault.a / libkfault_load_main.a (build kfault_model and kfault_load_main)" >&2
        exit 2
    fi
fi
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

# The flags the model was built with, so that objects and programs link with it.
san="-fsanitize=address,undefined"
grep -q "KFAULT_SANITIZE:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null || san=""
# Warnings off, but a call of an undeclared function is an error, as in a WDK build (and in
# clang 16): the name is one kfault lacks.
quiet=(-Wno-everything -Werror=implicit-function-declaration -ferror-limit=0)
"$cc" --version 2>/dev/null | grep -qi clang || quiet=(-Werror=implicit-function-declaration -fmax-errors=0)
cflags=(-fshort-wchar -I"$root/model/include" "${quiet[@]}" "${cflags_build[@]}")

# fault_sweep PROGRAM SERVICE: loads and unloads the driver once per fault site its load
# consults, failing the 1st, 2nd, ... (fail_nth), until a run injects nothing. A failed
# DriverEntry is an answer a driver may give; a stop, or anything left behind, is a finding.
# Prints "N run(s), F finding(s)[: what]".
fault_sweep() {
    local prog=$1 service=$2 n=1 runs=0 findings=0 what="" out
    while [ $n -le 64 ]; do
        out=$(cd "$work" && ASAN_OPTIONS=detect_leaks=1 KFAULT_OPTIONS="fail_nth=$n" "$prog" --service "$service" "${inf_args[@]}" 2>&1 || true)
        printf '%s\n' "$out" | grep -q "^faults: .*, 0 injected" && break
        runs=$((runs + 1))
        if printf '%s\n' "$out" | grep -qE "stopped|ERROR: AddressSanitizer|runtime error" ||
            ! printf '%s\n' "$out" | grep -q "^left behind: 0 pool block(s), 0 callback data, 0 stack segment(s), 0 handle(s), 0 object reference(s), 0 lookaside list(s), 0 work item(s) (0 queued), 0 MDL(s)"; then
            findings=$((findings + 1))
            what="$what fail_nth=$n: $(printf '%s\n' "$out" | grep -m1 -E '^\*\*\* [A-Z_]+( \(.*\))?$|^left behind|ERROR' |
                sed 's/^\*\*\* //' | cut -c1-80)$(printf '%s\n' "$out" | sed -n 's/^\*\*\* routine: / in /p' | head -1);"
        fi
        n=$((n + 1))
    done
    printf '%s run(s), %s finding(s)%s' "$runs" "$findings" "${what:+:$what}"
}

declare -A miss_samples=()
printf '| sample | files | errors | past missing headers | first error | links | DriverEntry | unload | left behind | fault sweep |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
total_err=0
for dir in "${dirs[@]}"; do
    name=$(basename "$dir")
    mapfile -t files < <(find "$dir" -name '*.c' -not -path '*/user/*' | sort)
    [ ${#files[@]} -gt 0 ] || continue
    incs=(-I"$dir")
    for sub in inc filter; do [ -d "$dir/$sub" ] && incs+=(-I"$dir/$sub"); done
    # Windows finds "FatProcs.h" as fatprocs.h: its file names are case-insensitive. Each
    # quoted include the sample spells in another case than its file gets an alias.
    alias="$work/case/$name"
    mkdir -p "$alias"
    while read -r inc; do
        [ -n "$inc" ] || continue
        found=$(find "$dir" -iname "$(basename "$inc")" -print -quit)
        [ -n "$found" ] && [ ! -e "$dir/$inc" ] && ln -sf "$found" "$alias/$(basename "$inc")"
    done < <(find "$dir" \( -name '*.c' -o -name '*.h' \) -not -path '*/user/*' -exec \
                 sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' {} + | sort -u)
    incs+=(-I"$alias")
    log="$work/$name.log"
    : >"$log"
    for f in "${files[@]}"; do
        "$cc" -fsyntax-only "${cflags[@]}" "${incs[@]}" "$f" >>"$log" 2>&1 || true
    done
    errors=$(grep -c ' error: ' "$log" || true)
    # A missing header hides every name after it: compile once more with an empty stand-in
    # for each missing header (in the scratch folder), to rank what the sample needs beyond.
    past="$work/$name.past.log"
    cp "$log" "$past"
    for round in 1 2 3 4; do
        mapfile -t hdrs < <(sed -n "s/.*fatal error: '\([A-Za-z0-9_./]*\)' file not found.*/\1/p" "$past" | sort -u)
        [ ${#hdrs[@]} -gt 0 ] || break
        for h in "${hdrs[@]}"; do mkdir -p "$work/standin/$(dirname "$h")"; : >"$work/standin/$h"; done
        : >"$past"
        for f in "${files[@]}"; do
            "$cc" -fsyntax-only "${cflags[@]}" "${incs[@]}" -idirafter "$work/standin" "$f" >>"$past" 2>&1 || true
        done
    done
    past_errors=$(grep -c ' error: ' "$past" || true)
    total_err=$((total_err + errors))
    first=$(grep -m1 ' error: ' "$log" | sed -e 's/.* error: //' -e 's/|/\\|/g' | cut -c1-70 || true)
    own_text=$(find "$dir" \( -name '*.c' -o -name '*.h' \) -not -path '*/user/*' -exec cat {} + | tr -d '\r')
    # Names the sample misses: undeclared identifiers, unknown types, implicit functions,
    # missing headers; each name counted once per sample.
    while read -r n; do
        [ -n "$n" ] || continue
        # A name the sample declares itself (a parameter, local or member: a type, then the
        # name, then , ; ) = or [) is its own, undeclared only because its type failed.
        if [[ "$n" != *.h ]] &&
            grep -oE "[A-Za-z_][A-Za-z0-9_]*[[:space:]]+[*]*[[:space:]]*$n([[:space:]]*[,;)=[]|[[:space:]]*\$)" \
                <<<"$own_text" | grep -vE "^(return|case|goto|else|sizeof|if|while|do|typeof)[[:space:]]" |
                grep -q .; then
            continue
        fi
        miss_samples[$n]=$(( ${miss_samples[$n]:-0} + 1 ))
    # An undeclared name in lower case is the sample's own variable, undeclared because a
    # declaration before it failed: not a WDK name.
    done < <(sed -n -e "s/.*use of undeclared identifier '\([A-Z_][A-Za-z0-9_]*\)'.*/\1/p" \
                    -e "s/.*unknown type name '\([A-Za-z0-9_]*\)'.*/\1/p" \
                    -e "s/.*implicit declaration of function '\([A-Za-z0-9_]*\)'.*/\1/p" \
                    -e "s/.*fatal error: '\([A-Za-z0-9_./]*\)' file not found.*/\1/p" "$log" "$past" | sort -u)

    links="-" entry="-" unload="-" left="-" sweep="-"
    if [ "$errors" = 0 ]; then
        objs=()
        ok=1
        # -fcommon: the Microsoft C compiler merges a global defined without an initializer in
        # several files (a header's "GLOBALS Globals;") into one, as common symbols do.
        for f in "${files[@]}"; do
            o="$work/$name-$(basename "$f" .c).o"
            "$cc" -c -g -O1 -fcommon $san -fshort-wchar -I"$root/model/include" -w "${cflags_build[@]}" "${incs[@]}" "$f" \
                -o "$o" >>"$log" 2>&1 || ok=0
            objs+=("$o")
        done
        if [ $ok = 1 ] && "$cc" $san -o "$work/$name" "${objs[@]}" "$build/harness/libkfault_load_main.a" \
            "$build/model/libkfault.a" >>"$log" 2>&1; then
            links=yes
            # The registry values its INF installs, when it has one (the HKR lines of its AddReg
            # sections under the service key), as its installation would have written them.
            inf_args=()
            inf=$(find "$dir" -maxdepth 2 -iname '*.inf' -not -path '*/user/*' | sort | head -1)
            [ "$use_inf" = 1 ] && [ -n "$inf" ] && inf_args=(--inf "$inf")
            out=$(cd "$work" && ASAN_OPTIONS=detect_leaks=1 KFAULT_OPTIONS= "./$name" --service "$name" "${inf_args[@]}" 2>&1 || true)
            entry=$(printf '%s\n' "$out" | sed -n 's/^DriverEntry: //p' | head -1)
            if [ "$entry" = "the simulated kernel stopped" ] || [ -z "$entry" ]; then
                # The stop's name and routine from the loader's report (or a sanitizer's line).
                stop=$(printf '%s\n' "$out" | sed -n 's/^\*\*\* \([A-Z_]*\( ([a-z-]*)\)\{0,1\}\)$/\1/p' | head -1)
                routine=$(printf '%s\n' "$out" | sed -n 's/^\*\*\* routine: //p' | head -1)
                [ -n "$stop" ] || stop=$(printf '%s\n' "$out" | grep -m1 -E 'ERROR|SUMMARY' | cut -c1-60)
                entry="stop: $stop${routine:+ in $routine}"
            fi
            [ "$entry" = 0x00000000 ] && sweep=$(fault_sweep "$work/$name" "$name")
            unload=$(printf '%s\n' "$out" | sed -n 's/^unload: //p' | head -1)
            left=$(printf '%s\n' "$out" | sed -n 's/^left behind: //p' | head -1)
            [ -n "$unload" ] || unload="-"
            [ -n "$left" ] || left="-"
        else
            undefined=$(grep -c "undefined reference" "$log" || true)
            links="no ($undefined undefined)"
        fi
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${#files[@]}" "$errors" "$past_errors" \
        "${first:--}" "$links" "$entry" "$unload" "$left" "$sweep"
done
printf '\nErrors in all: %s\n\n' "$total_err"
printf 'WDK names still missing, with the number of samples missing each (the second pass, past\nmissing headers, included; a name used only after an earlier error may still be hidden):\n\n'
for n in "${!miss_samples[@]}"; do printf '%s %s\n' "${miss_samples[$n]}" "$n"; done | sort -k1,1nr -k2 |
    awk '{ printf "%s%s (%s)", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }' | fold -s -w 100
