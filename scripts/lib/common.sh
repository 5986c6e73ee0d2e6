# scripts/lib/common.sh - what the user's scripts (fuzz.sh, reproduce.sh, minimize.sh,
# coverage.sh) share: where they run, finding the targets of a build and the LLVM tools,
# building, replaying one input, deriving a finding's dedup signature from its report, and
# writing files atomically. Sourced, never run. It promises:
#  - a signature never contains an address, a pid or a time: the same bug gives the same
#    signature in every run (the harness's `signature:` line when there is one);
#  - kf_put_atomic never leaves a half-written file under the destination name;
#  - nothing here builds or runs anything but the project's own build and binaries.
#
# Two places to run from. In kfault's source tree (scripts/), the targets are those of the
# preset builds build/<preset>/fuzz_targets/ (fuzz: libFuzzer; replay, coverage: the replay
# main), unless a build is named with kf_use_build. Installed (libexec/kfault/, beside
# lib/installed.sh, reached through the `kfault` command), the targets are those of a user's
# build tree: the rows of the manifest kfault_add_driver_fuzzer() writes there,
# kfault-fuzz-targets.tsv (kind, name, binary, dictionary, options, seed folder; kind ship or
# planted for a libFuzzer binary, replay for a replay binary).

kf_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kf_installed=0
kf_build_dir=""     # a build named or found by its manifest; empty: the tree's presets
kf_manifest=""
if [ -f "$kf_lib/installed.sh" ]; then
    # kf_prefix (the install prefix) and kf_libexec (where the verbs and the kfault tool are).
    . "$kf_lib/installed.sh"
    kf_installed=1
    kf_root=$PWD    # the user's source tree, once kf_use_build has read the build's cache
else
    kf_root=$(cd "$kf_lib/../.." && pwd)
fi
kf_prog=${kf_prog:-$(basename "$0")}

# kf_verb NAME: how a user runs verb NAME here (for usage lines and hints).
kf_verb() {
    if [ "$kf_installed" = 1 ]; then echo "kfault $1"; else echo "scripts/$1.sh"; fi
}

kf_die() { # kf_die STATUS MESSAGE...
    local status=$1
    shift
    echo "$kf_prog: $*" >&2
    exit "$status"
}

# kf_llvm_tool NAME: prints the path of an LLVM tool, trying NAME, NAME-<version> and
# /usr/lib/llvm-<version>/bin/NAME, newest version first; fails when there is none.
kf_llvm_tool() {
    local name=$1 v p
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    for v in 20 19 18 17 16 15 14 13 12 11; do
        if command -v "$name-$v" >/dev/null 2>&1; then
            command -v "$name-$v"
            return 0
        fi
        p=/usr/lib/llvm-$v/bin/$name
        if [ -x "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Points the sanitizers at llvm-symbolizer so stacks carry function, file and line.
kf_setup_symbolizer() {
    local s
    if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && s=$(kf_llvm_tool llvm-symbolizer); then
        export ASAN_SYMBOLIZER_PATH=$s
    fi
    if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
        echo "$kf_prog: warning: llvm-symbolizer not found (apt-get install llvm); stacks show addresses only" >&2
    fi
}

# ---- Builds and their targets -----------------------------------------------------------------

# kf_use_build DIR: take the targets from the build tree DIR (its kfault-fuzz-targets.tsv);
# the source tree whose code counts as the project's is the one its CMakeCache.txt names.
kf_use_build() {
    local dir=$1 src
    [ -d "$dir" ] || kf_die 2 "no build folder $dir"
    dir=$(cd "$dir" && pwd)
    [ -f "$dir/kfault-fuzz-targets.tsv" ] ||
        kf_die 2 "$dir has no kfault-fuzz-targets.tsv: not a build of a project that uses kfault_add_driver_fuzzer() (configure it first)"
    kf_build_dir=$dir
    kf_manifest=$dir/kfault-fuzz-targets.tsv
    if [ "$kf_installed" = 1 ]; then
        # The project's code: the folder holding every target and driver source (written by
        # kfault_add_driver_fuzzer), else the build's source folder.
        src=$(head -1 "$dir/kfault-project.txt" 2>/dev/null || true)
        [ -n "$src" ] && [ -d "$src" ] ||
            src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$dir/CMakeCache.txt" 2>/dev/null | head -1)
        if [ -n "$src" ] && [ -d "$src" ]; then kf_root=$src; fi
    fi
}

# kf_find_build [PATH...]: in an installed kfault, the build to use when none was named: the
# nearest folder above a PATH (a target binary, a finding) that holds a manifest or names the
# build that filed it (.kfault-build, kf_note_build), else ./ or ./build when they hold one.
# A no-op in kfault's source tree (its presets are used).
kf_find_build() {
    local p d
    [ -z "$kf_build_dir" ] || return 0
    [ "$kf_installed" = 1 ] || return 0
    for p in "$@"; do
        [ -e "$p" ] || continue
        d=$(cd "$(dirname "$p")" && pwd)
        while [ -n "$d" ] && [ "$d" != / ]; do
            if [ -f "$d/kfault-fuzz-targets.tsv" ]; then
                kf_use_build "$d"
                return 0
            fi
            # A findings folder remembers the build that filed it (kf_note_build).
            if [ -f "$d/.kfault-build" ] && [ -f "$(cat "$d/.kfault-build")/kfault-fuzz-targets.tsv" ]; then
                kf_use_build "$(cat "$d/.kfault-build")"
                return 0
            fi
            d=$(dirname "$d")
        done
    done
    for d in . build; do
        if [ -f "$d/kfault-fuzz-targets.tsv" ]; then
            kf_use_build "$d"
            return 0
        fi
    done
    kf_die 2 "no build with kfault fuzz targets here; name one with --build-dir DIR (a build of a project that uses kfault_add_driver_fuzzer)"
}

# kf_note_build DIR: records in DIR (a findings root) which named build filed its findings, so
# that reproduce and minimize find it from a finding's path.
kf_note_build() {
    [ -n "$kf_build_dir" ] || return 0
    printf '%s\n' "$kf_build_dir" >"$1/.kfault-build.tmp" 2>/dev/null && mv -f "$1/.kfault-build.tmp" "$1/.kfault-build"
}

# kf_build ENGINE: brings the build up to date. Source tree: configures and builds the preset
# ENGINE (fuzz, replay or coverage); a named build: cmake --build on it (when it is a CMake
# build); prints the build's output on failure.
kf_build() {
    local preset=$1 log
    log=$(mktemp "${TMPDIR:-/tmp}/kfault-build.XXXXXX")
    if [ -n "$kf_build_dir" ]; then
        if [ -f "$kf_build_dir/CMakeCache.txt" ] &&
            ! cmake --build "$kf_build_dir" -j "${KF_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}" >"$log" 2>&1; then
            tail -40 "$log" >&2
            rm -f "$log"
            kf_die 2 "building $kf_build_dir failed (output above)"
        fi
        rm -f "$log"
        return 0
    fi
    if [ "$preset" = fuzz ] || [ "$preset" = coverage ]; then
        command -v clang >/dev/null 2>&1 ||
            kf_die 2 "the $preset build needs clang: apt-get install clang libclang-rt-14-dev (or use --build replay)"
    fi
    if ! { cmake --preset "$preset" && cmake --build --preset "$preset" -j "${KF_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"; } \
        >"$log" 2>&1; then
        tail -40 "$log" >&2
        rm -f "$log"
        kf_die 2 "building the $preset preset failed (output above)"
    fi
    rm -f "$log"
}

# kf_build_name ENGINE: how messages name the build (build/fuzz, or the named build folder).
kf_build_name() {
    if [ -n "$kf_build_dir" ]; then echo "$kf_build_dir"; else echo "build/$1"; fi
}

# kf_manifest_field NAME ENGINE COLUMN: a column of NAME's manifest row for ENGINE (fuzz: a
# libFuzzer binary, kind ship or planted; replay or coverage: a replay binary, kind replay);
# fails when there is none. In a build without replay rows (kfault's own, one binary per
# target) every row stands for the build's one engine.
kf_manifest_field() {
    awk -F '\t' -v n="$1" -v e="$2" -v c="$3" '
        $2 == n { if ($1 == "replay") r = $c; else o = $c; if ($1 == "replay") seen_replay = 1 }
        END {
            v = (e == "fuzz") ? o : (seen_replay ? r : o)
            if (v == "") exit 1
            print v
        }' "$kf_manifest"
}

# kf_target_bin NAME ENGINE: the path of target NAME's binary for ENGINE (may not exist).
kf_target_bin() {
    if [ -n "$kf_build_dir" ]; then
        kf_manifest_field "$1" "$2" 3 || echo "$kf_build_dir/.no-such-target/$1"
    else
        echo "$kf_root/build/$2/fuzz_targets/$1"
    fi
}

# kf_is_target NAME ENGINE: true when target NAME has a built binary for ENGINE.
kf_is_target() {
    local b
    [ -n "$1" ] || return 1
    b=$(kf_target_bin "$1" "$2")
    [ -f "$b" ] && [ -x "$b" ]
}

# kf_target_file NAME KIND: the dictionary (dict), libFuzzer options (options) or seed folder
# (seeds) of target NAME; nothing when it has none. A planted variant drv_X_Y_fuzz of kfault's
# own tree uses the dictionary and options of drv_X_fuzz.
kf_target_file() {
    local name=$1 kind=$2 col v base
    if [ -n "$kf_build_dir" ]; then
        case "$kind" in dict) col=4 ;; options) col=5 ;; *) col=6 ;; esac
        v=$(kf_manifest_field "$name" fuzz "$col" 2>/dev/null || kf_manifest_field "$name" replay "$col" 2>/dev/null || true)
        [ "$v" = - ] || [ -z "$v" ] || { echo "$v"; return 0; }
        [ "$kind" != seeds ] || return 0
        base=$(echo "$name" | sed -E 's/^(drv_[a-z]+)_[a-z]+_fuzz$/\1_fuzz/')
        [ "$base" != "$name" ] || return 0
        v=$(kf_manifest_field "$base" fuzz "$col" 2>/dev/null || true)
        [ "$v" = - ] || [ -z "$v" ] || echo "$v"
        return 0
    fi
    case "$kind" in
    seeds)
        [ ! -d "$kf_root/corpus/$name" ] || echo "$kf_root/corpus/$name"
        return 0 ;;
    esac
    base=$name
    [ -f "$kf_root/fuzz_targets/$name.options" ] || base=$(echo "$name" | sed -E 's/^(drv_[a-z]+)_[a-z]+_fuzz$/\1_fuzz/')
    [ ! -f "$kf_root/fuzz_targets/$base.$kind" ] || echo "$kf_root/fuzz_targets/$base.$kind"
}

# kf_manifest_targets: the targets of a named build that are shipped (not planted), one a line.
kf_manifest_targets() {
    awk -F '\t' '
        $1 == "ship" && !($2 in ship) { ship[$2] = 1; s[++ns] = $2 }
        $1 == "replay" && !($2 in replay) { replay[$2] = 1; r[++nr] = $2 }
        $1 == "planted" { planted[$2] = 1 }
        END {
            if (ns) { for (i = 1; i <= ns; i++) print s[i] }
            else for (i = 1; i <= nr; i++) if (!(r[i] in planted)) print r[i]
        }' "$kf_manifest"
}

# kf_target_name ARG ENGINE: ARG is a target's name, or the path of one of its binaries.
kf_target_name() {
    local arg=$1 real n
    if [ -n "$kf_build_dir" ] && [ -f "$arg" ]; then
        real=$(realpath "$arg")
        n=$(awk -F '\t' '{ print $2 "\t" $3 }' "$kf_manifest" | while IFS=$'\t' read -r name bin; do
            [ "$(realpath -m "$bin")" != "$real" ] || { echo "$name"; break; }
        done)
        [ -n "$n" ] || return 1
        echo "$n"
        return 0
    fi
    echo "$arg"
}

# kf_tool ENGINE: the kfault command-line tool (decode, encode, hashes) of the build.
kf_tool() {
    if [ "$kf_installed" = 1 ]; then
        echo "$kf_libexec/kfault"
    elif [ -x "$kf_root/build/$1/harness/kfault" ]; then
        echo "$kf_root/build/$1/harness/kfault"
    else
        echo "$kf_root/build/fuzz/harness/kfault"
    fi
}

# kf_target_from_path PATH ENGINE: the target a file belongs to, from the nearest directory
# in its path named after a target (findings/<target>/..., corpus/<target>/...).
kf_target_from_path() {
    local p d
    p=$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")
    while [ "$p" != / ] && [ -n "$p" ]; do
        d=$(basename "$p")
        if kf_is_target "$d" "$2"; then
            echo "$d"
            return 0
        fi
        p=$(dirname "$p")
    done
    return 1
}

# kf_replay ENGINE TARGET FILE [TIMEOUT]: runs the target once on FILE, output (stdout and
# stderr) on stdout; returns the target's exit status. A libFuzzer binary runs in its
# single-input mode; a replay binary runs its main, bounded by `timeout`.
kf_replay() {
    local preset=$1 t=$2 file=$3 limit=${4:-25}
    local bin
    bin=$(kf_target_bin "$t" "$preset")
    # Ours first, so that the caller's own ASAN_OPTIONS win.
    local asan="detect_leaks=1:symbolize=1:handle_abort=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    local ubsan="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    if [ "$preset" = fuzz ]; then
        ASAN_OPTIONS=${asan/handle_abort=1/handle_abort=0} UBSAN_OPTIONS=$ubsan \
            "$bin" -timeout="$limit" -rss_limit_mb=2560 "$file" 2>&1
    else
        ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan timeout -s KILL $((limit + 5)) "$bin" "$file" 2>&1
    fi
}

# kf_signature: reads a finding report on stdin and prints its dedup signature.
#  1. the harness's `signature:` line (KF-INV-nnn/routine/site);
#  2. a model finding printed without it: `kfault: ... (finding NAME, ...)` -> kfault/NAME;
#  3. a bug check report: STOP/<bug check name (violation)>/<routine>;
#  4. a sanitizer or libFuzzer report: <tool>/<error kind>/<first function in project
#     code> (UBSan: the source file and line of the report);
#  5. anything else: unknown.
kf_signature() {
    local skip="$kf_root/build/"
    [ -z "$kf_build_dir" ] || skip="$kf_build_dir/"
    awk -v root="$kf_root/" -v skip="$skip" '
        function project_frame(line,   f, file, n, parts) {
            # "#3 0x55d4 in func /path/file.c:12:5" -> func, when the file is ours
            if (line !~ /^ *#[0-9]+ 0x[0-9a-f]+ in /) return ""
            n = split(line, parts, " ")
            if (n < 5) return ""
            f = parts[4]; file = parts[5]
            if (index(file, root) != 1 || index(file, skip) == 1) return ""
            return f
        }
        !sig && /^  signature: / { sig = substr($0, 14); next }
        !model && /^kfault: .*\(finding [^,)]+/ {
            s = $0; sub(/.*\(finding /, "", s); sub(/[,)].*/, "", s); model = "kfault/" s
        }
        /^kfault: the simulated kernel stopped/ { in_stop = 1; next }
        in_stop && /^\*\*\* / {
            if ($0 ~ /^\*\*\* STOP:/ || $0 ~ /^\*\*\* (reason|profile):/) next
            if ($0 ~ /^\*\*\* routine: /) { stop_routine = substr($0, 14); next }
            if (!stop_name) { stop_name = substr($0, 5); gsub(/ /, "", stop_name) }
            next
        }
        !kind && /ERROR: AddressSanitizer: / {
            s = $0; sub(/.*ERROR: AddressSanitizer: /, "", s); split(s, w, " ")
            kind = "asan/" w[1]; want_frame = 1; next
        }
        !kind && /ERROR: LeakSanitizer: detected memory leaks/ { kind = "leak"; want_frame = 1; next }
        !kind && /ERROR: libFuzzer: timeout/ { kind = "timeout"; want_frame = 1; next }
        !kind && /ERROR: libFuzzer: out-of-memory/ { kind = "oom"; want_frame = 1; next }
        !kind && /: runtime error: / {
            s = $0; sub(/: runtime error: .*/, "", s); sub(/:[0-9]+$/, "", s)
            n = split(s, w, "/"); kind = "ubsan/" w[n]; want_frame = 0; next
        }
        !kind && /ERROR: libFuzzer: deadly signal/ { kind = "signal"; want_frame = 1; next }
        want_frame && !frame { f = project_frame($0); if (f != "") frame = f }
        END {
            if (sig) print sig
            else if (model) print model
            else if (stop_name) print "STOP/" stop_name "/" (stop_routine ? stop_routine : "?")
            else if (kind) print kind (want_frame ? "/" (frame ? frame : "?") : "")
            else print "unknown"
        }'
}

# kf_slug SIGNATURE: a directory name for a signature (letters, digits, . _ - only).
kf_slug() {
    local s
    s=$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_' | cut -c1-100)
    case "$s" in .*) s=_${s#.} ;; esac
    printf '%s\n' "${s:-unknown}"
}

# kf_put_atomic SRC DEST: copies SRC to DEST through a temporary file in DEST's directory
# and a rename, so DEST is either absent, the old file, or the whole new one.
kf_put_atomic() {
    local src=$1 dest=$2 tmp
    tmp=$(mktemp "$(dirname "$dest")/.kfault-tmp.XXXXXX") || return 1
    # mktemp makes the file private; the result gets the modes of a file made by cp.
    if cp "$src" "$tmp" && chmod "$(printf '%o' $((0666 & ~0$(umask))))" "$tmp" && mv -f "$tmp" "$dest"; then
        return 0
    fi
    rm -f "$tmp"
    return 1
}

# kf_drop_tmp DIR: removes temporary files an interrupted kf_put_atomic left in DIR.
kf_drop_tmp() {
    find "$1" -maxdepth 1 -type f -name '.kfault-tmp.*' -delete 2>/dev/null || true
}

# kf_writable DIR: true when a file can really be created in DIR (root ignores modes).
kf_writable() {
    local tmp
    tmp=$(mktemp "$1/.kfault-tmp.XXXXXX" 2>/dev/null) || return 1
    if ! printf 'x' >"$tmp" 2>/dev/null; then
        rm -f "$tmp"
        return 1
    fi
    rm -f "$tmp"
}

# kf_named_hashes DIR: the SHA-1 of every file directly in DIR whose name is not already
# its SHA-1 (the committed seeds), one a line; a merge result equal to a seed is a copy.
kf_named_hashes() {
    find "$1" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' 2>/dev/null | while IFS= read -r n; do
        [[ "$n" =~ ^[0-9a-f]{40}$ ]] || sha1sum "$1/$n" | cut -c1-40
    done
}

# kf_update_hashes CORPUS_ROOT: after files were added to or pruned from a corpus, keeps its
# record of trace hashes (CORPUS_ROOT/TRACE_HASHES, checked by ctest) in step: new files are
# recorded, vanished ones dropped, and a recorded file whose hash changed is reported (a
# migration, docs/SCENARIO_FORMAT.md) with the record left as it was. Nothing to do without
# a record or without the kfault tool. Returns non-zero when the record could not be updated.
kf_update_hashes() {
    local record=$1/TRACE_HASHES tool log
    tool=$(kf_tool fuzz)
    [ -f "$record" ] || return 0
    if [ ! -x "$tool" ]; then
        echo "warning: $tool is missing; $record not updated (run: $tool hashes --update $record $1)" >&2
        return 1
    fi
    log=$(mktemp "${TMPDIR:-/tmp}/kfault-hashes.XXXXXX") || return 1
    if "$tool" hashes --update "$record" "$1" >"$log" 2>&1; then
        echo "== $(tail -n 1 "$log") ($record)"
        rm -f "$log"
        return 0
    fi
    echo "warning: $record not updated:" >&2
    grep -v '^added \|^dropped ' "$log" | tail -n 20 >&2
    rm -f "$log"
    return 1
}
