# scripts/lib/common.sh - what the user's scripts (fuzz.sh, reproduce.sh, minimize.sh,
# coverage.sh) share: finding the repository and the LLVM tools, building a preset, replaying
# one input, deriving a finding's dedup signature from its report, and writing files
# atomically. Sourced, never run. It promises:
#  - a signature never contains an address, a pid or a time: the same bug gives the same
#    signature in every run (the harness's `signature:` line when there is one);
#  - kf_put_atomic never leaves a half-written file under the destination name;
#  - nothing here builds or runs anything but the project's own build and binaries.

kf_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kf_prog=${kf_prog:-$(basename "$0")}

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

# kf_build PRESET: configures and builds build/PRESET; prints the build's output on failure.
kf_build() {
    local preset=$1 log
    log=$(mktemp "${TMPDIR:-/tmp}/kfault-build.XXXXXX")
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

# kf_is_target NAME PRESET: true when build/PRESET/fuzz_targets/NAME is a built target.
kf_is_target() {
    [ -n "$1" ] && [ -f "$kf_root/build/$2/fuzz_targets/$1" ] && [ -x "$kf_root/build/$2/fuzz_targets/$1" ]
}

# kf_target_from_path PATH PRESET: the target a file belongs to, from the nearest directory
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

# kf_replay PRESET TARGET FILE [TIMEOUT]: runs the target once on FILE, output (stdout and
# stderr) on stdout; returns the target's exit status. The fuzz build runs libFuzzer's
# single-input mode; other builds run the replay main, bounded by `timeout`.
kf_replay() {
    local preset=$1 t=$2 file=$3 limit=${4:-25}
    local bin=$kf_root/build/$preset/fuzz_targets/$t
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
    awk -v root="$kf_root/" '
        function project_frame(line,   f, file, n, parts) {
            # "#3 0x55d4 in func /path/file.c:12:5" -> func, when the file is ours
            if (line !~ /^ *#[0-9]+ 0x[0-9a-f]+ in /) return ""
            n = split(line, parts, " ")
            if (n < 5) return ""
            f = parts[4]; file = parts[5]
            if (index(file, root) != 1 || index(file, root "build/") == 1) return ""
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
    local record=$1/TRACE_HASHES tool=$kf_root/build/fuzz/harness/kfault log
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
