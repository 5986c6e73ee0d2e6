# kfault_bad_input.cmake - bad input everywhere: foreign, truncated, empty and oversized files,
# unknown versions, absurd nesting, huge numbers and garbage in KFAULT_OPTIONS, given to the
# `kfault` tool (decode, encode, run) and to fuzz targets (the replay main, or libFuzzer with
# -runs=0). Each must end with a clear sentence and the exit status promised, never a crash or
# a sanitizer report, and `encode` must never create or change its output on bad input.
# Run by ctest with -DKFAULT=<tool> -DSRC=<source dir> -DOUT=<scratch dir>
# -DTARGETS=<fuzz target executables, ','-separated> -DFUZZ=<ON in a libFuzzer build>.
cmake_minimum_required(VERSION 3.21)
set(B ${SRC}/tests/bad_input)
string(REPLACE "," ";" TARGETS "${TARGETS}")
set(W ${OUT}/bad_input)
file(REMOVE_RECURSE ${W})
file(MAKE_DIRECTORY ${W})
unset(ENV{KFAULT_OPTIONS})

# run(<exit status> <what stderr must hold> <command>...): no sanitizer report, ever.
function(run code text)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${code}")
    message(FATAL_ERROR "${ARGN}: exit ${rc}, expected ${code}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  foreach(bad "Sanitizer" "runtime error" "deadly signal" "==kfault==")
    string(FIND "${out}${err}" "${bad}" pos)
    if(NOT pos EQUAL -1)
      message(FATAL_ERROR "${ARGN}: '${bad}' in the output\nstdout:\n${out}\nstderr:\n${err}")
    endif()
  endforeach()
  if(text)
    string(FIND "${err}" "${text}" pos)
    if(pos EQUAL -1)
      message(FATAL_ERROR "${ARGN}: expected '${text}' on stderr:\n${err}")
    endif()
  endif()
endfunction()

# A file larger than any scenario (1 MiB), made here rather than committed.
string(REPEAT "fault none\n" 100000 big)
file(WRITE ${W}/oversized.txt "${big}")

# FILE|exit status of decode and run|what the error says.
set(cases
  "${B}/empty.bin|2|empty file"
  "${B}/png.bin|2|not a scenario"
  "${B}/elf.bin|2|not a scenario"
  "${B}/nul_text.txt|2|not a scenario"
  "${B}/version0.bin|2|unknown scenario format version 0"
  "${B}/version16.bin|2|unknown scenario format version 16"
  "${B}/version255.bin|2|first byte 0xff is neither a format version"
  "${B}/text_version16.txt|2|unknown scenario format version 16"
  "${B}/deep_text.txt|2|line 9, column 32: blocks nested deeper than 8"
  "${B}/too_many_ops.txt|2|more than 256 operations"
  "${B}/huge_size.txt|2|'0x100000000' is not a size"
  "${B}/overflow_size.txt|2|'99999999999999999999999999999' is not a size"
  "${B}/many_words.txt|2|too many words on one line"
  "${B}/long_line.txt|2|line 1, column 1: unknown operation"
  "${B}/unclosed.txt|2|a '}' is missing"
  "${B}/close_only.txt|2|'}' closes no block"
  "${W}/oversized.txt|2|larger than 1048576 bytes"
  "${W}/no-such-file|2|cannot open"
  "${W}|2|"
  # Bytes always decode: cut short, nested 300 deep, 400 operations.
  "${B}/truncated_v2.bin|0|"
  "${B}/deep_bytes.bin|0|"
  "${B}/many_ops_v2.bin|0|"
)
file(WRITE ${W}/kept.bin "kept")
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" f "${c}")
  list(GET f 0 file)
  list(GET f 1 code)
  list(LENGTH f len)
  set(text "")
  if(len GREATER 2)
    list(GET f 2 text)
  endif()
  run(${code} "${text}" ${KFAULT} decode ${file})
  run(${code} "${text}" ${KFAULT} run --quiet ${file})
  # encode: bad input leaves OUT as it was, and creates nothing.
  run(${code} "${text}" ${KFAULT} encode ${file} ${W}/kept.bin)
  run(${code} "${text}" ${KFAULT} encode ${file} ${W}/new.bin)
  file(READ ${W}/kept.bin kept)
  if(code STREQUAL "2" AND (EXISTS ${W}/new.bin OR NOT kept STREQUAL "kept"))
    message(FATAL_ERROR "encode ${file}: refused, yet its output was written")
  endif()
  file(REMOVE ${W}/new.bin)
  file(WRITE ${W}/kept.bin "kept")
endforeach()

# Bytes that decode come back the same through text (the depth bound and the operation
# bound are kept, not grown).
run(0 "" ${KFAULT} decode ${B}/deep_bytes.bin)
execute_process(COMMAND ${KFAULT} decode ${B}/deep_bytes.bin OUTPUT_VARIABLE text)
string(REPEAT " " 16 indent8)
string(FIND "${text}" "\n${indent8}expand size=page\n" deepest)
string(FIND "${text}" "\n${indent8}  expand" deeper)
if(deepest EQUAL -1 OR NOT deeper EQUAL -1)
  message(FATAL_ERROR "deep_bytes.bin: blocks must stop at depth 8:\n${text}")
endif()

# encode into what is not a writable regular file: an error, nothing half written.
run(2 "not a regular file" ${KFAULT} encode ${SRC}/corpus/scenarios/expand_paths.txt ${W})
run(2 "cannot create" ${KFAULT} encode ${SRC}/corpus/scenarios/expand_paths.txt ${W}/no-dir/x.bin)
if(EXISTS /dev/full)
  run(2 "not a regular file" ${KFAULT} encode ${SRC}/corpus/scenarios/expand_paths.txt /dev/full)
endif()
file(GLOB temps ${W}/.* ${W}/no-dir)
if(temps)
  message(FATAL_ERROR "temporary files left behind: ${temps}")
endif()

# Garbage in KFAULT_OPTIONS: `kfault run` and every fuzz target name the option and exit 2.
string(REPEAT "x" 5000 long)
set(garbage
  "nonsense=1|unknown option 'nonsense'"
  "fail_nth=abc|'abc' is not a non-negative integer"
  "fail_nth=-1|'-1' is not a non-negative integer"
  "fail_nth=99999999999999999999999999|is not a non-negative integer"
  "nest_limit=18446744073709551616|is not a non-negative integer"
  "=|an option without a name"
  "profile=|profile '' is not"
  "profile=win12-amd64|profile 'win12-amd64' is not"
  "plan=sometimes|sometimes"
  "${long}=1|longer than 4095 characters"
)
set(targets_args "")
if(FUZZ)
  set(targets_args -runs=0)
endif()
foreach(g IN LISTS garbage)
  string(FIND "${g}" "|" bar)
  string(SUBSTRING "${g}" 0 ${bar} value)
  math(EXPR bar "${bar} + 1")
  string(SUBSTRING "${g}" ${bar} -1 text)
  set(ENV{KFAULT_OPTIONS} "${value}")
  run(2 "${text}" ${KFAULT} run --quiet ${SRC}/corpus/scenarios/expand_paths.txt)
  foreach(t IN LISTS TARGETS)
    run(2 "${text}" ${t} ${targets_args} ${B}/truncated_v2.bin)
  endforeach()
endforeach()
# Empty options and empty pairs are the defaults.
foreach(value "" ":::")
  set(ENV{KFAULT_OPTIONS} "${value}")
  run(0 "" ${KFAULT} run --quiet --expect-hash 0xc9d559212df797c8 ${SRC}/corpus/scenarios/expand_paths.txt)
endforeach()
unset(ENV{KFAULT_OPTIONS})

# Fuzz targets take every bad file as an input like any other: no crash, no finding, exit 0.
file(REMOVE ${W}/kept.bin)
file(COPY ${B}/ DESTINATION ${W})
foreach(t IN LISTS TARGETS)
  run(0 "" ${t} ${targets_args} ${W})
endforeach()
