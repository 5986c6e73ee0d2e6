# check_replay.cmake - runs the replay probe (cmake -DPROBE=... -DWORK=... -P this file) on
# a tree of inputs it creates under WORK and checks what harness/replay_main.c promises:
# byte-wise sorted recursion, one line per file, the summary, ignored '-' flags, --help,
# and a non-zero exit for an unreadable input, a crash and a bad return value.
# It must never write outside WORK.
cmake_minimum_required(VERSION 3.20)
if(NOT PROBE OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DPROBE=<replay_probe> -DWORK=<scratch dir> -P check_replay.cmake")
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/tree/sub" "${WORK}/crashing" "${WORK}/bad")
foreach(name a b Z)
  file(WRITE "${WORK}/tree/${name}" "${name}")
endforeach()
file(WRITE "${WORK}/tree/empty" "")
file(WRITE "${WORK}/tree/sub/c" "c")
file(WRITE "${WORK}/single" "single")
file(WRITE "${WORK}/crashing/a" "crash now")
file(WRITE "${WORK}/crashing/b" "never reached")
file(WRITE "${WORK}/bad/x" "ret7")

set(failures 0)
macro(run)
  execute_process(COMMAND "${PROBE}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endmacro()
# expect("what" <if() condition>...): the condition is passed as separate arguments.
macro(expect what)
  if(NOT (${ARGN}))
    math(EXPR failures "${failures} + 1")
    message("FAIL: ${what}\n  exit: ${rc}\n  stdout:\n${out}\n  stderr:\n${err}")
  else()
    message("ok: ${what}")
  endif()
endmacro()

# Directories in byte-wise order ('Z' before 'a'), files before and after, flags ignored.
run(-runs=10 -max_len=64 "${WORK}/tree" "${WORK}/single" -seed=1)
set(want_err "replay: ${WORK}/tree/Z (1 bytes)
replay: ${WORK}/tree/a (1 bytes)
replay: ${WORK}/tree/b (1 bytes)
replay: ${WORK}/tree/empty (0 bytes)
replay: ${WORK}/tree/sub/c (1 bytes)
replay: ${WORK}/single (6 bytes)
6 files replayed
")
set(want_out "probe: 1 bytes: Z
probe: 1 bytes: a
probe: 1 bytes: b
probe: 0 bytes: 
probe: 1 bytes: c
probe: 6 bytes: single
")
expect("a tree replays in sorted order and exits 0" rc STREQUAL "0")
expect("one line per file and the summary" err STREQUAL want_err)
expect("each input reaches the target once, whole" out STREQUAL want_out)

# A trailing slash gives no doubled separator.
run("${WORK}/tree/sub/")
expect("a directory given with a trailing slash" rc STREQUAL "0" AND err MATCHES "replay: ${WORK}/tree/sub/c [(]1 bytes[)]")

# An input that cannot be read is an error, named, after what ran before it.
run("${WORK}/single" "${WORK}/missing")
expect("a missing input exits 1" rc STREQUAL "1")
expect("a missing input is named" err MATCHES "cannot read ${WORK}/missing")
expect("inputs before it ran" out MATCHES "probe: 6 bytes: single")

run(-runs=1)
expect("no input at all is a usage error (2)" rc STREQUAL "2" AND err MATCHES "usage:")

run(--help)
expect("--help prints usage and exits 0" rc STREQUAL "0" AND out MATCHES "usage:")

# A crash ends the run after the line that names the input.
run("${WORK}/crashing")
expect("a crashing input fails the run" NOT rc STREQUAL "0")
expect("the crashing input is named" err MATCHES "replay: ${WORK}/crashing/a [(]9 bytes[)]")
expect("nothing after the crash ran" NOT out MATCHES "never reached")

run("${WORK}/bad")
expect("a return value other than 0 or -1 exits 1" rc STREQUAL "1" AND err MATCHES "returned 7")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} replay check(s) failed")
endif()
