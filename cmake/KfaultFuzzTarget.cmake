# KfaultFuzzTarget.cmake - kfault_fuzz_target(): builds one libFuzzer-style target and
# registers the ctest that replays its corpus.
#
#   kfault_fuzz_target(<name> <source>... [LIBS <library>...])
#
# With KFAULT_FUZZ the target links the fuzzing engine (${KFAULT_ENGINE_LINK}); in every
# other build it links harness/replay_main.c, a main() that replays files and directories.
# When corpus/<name>/ (seeds) or corpus/regressions/<name>/ (crash reproducers) holds
# files at configure time, a ctest replays that directory; files added later are picked
# up when the test runs, a new directory when cmake runs again.
# This file must never decide what a target checks: targets and harness/ do that.
include_guard(GLOBAL)

get_filename_component(KFAULT_REPLAY_MAIN "${CMAKE_CURRENT_LIST_DIR}/../harness/replay_main.c" ABSOLUTE)
if(NOT DEFINED KFAULT_CORPUS_DIR)
  get_filename_component(KFAULT_CORPUS_DIR "${CMAKE_CURRENT_LIST_DIR}/../corpus" ABSOLUTE)
endif()

# The replay main, compiled once; also built in the fuzz build, for tests of the replayer.
if(NOT TARGET kfault_replay_main)
  add_library(kfault_replay_main OBJECT "${KFAULT_REPLAY_MAIN}")
  target_compile_options(kfault_replay_main PRIVATE ${KFAULT_WARNINGS})
endif()

function(kfault_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 KFT "" "" "LIBS")
  set(sources ${KFT_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "kfault_fuzz_target(${name}): no source files given")
  endif()

  add_executable(${name} ${sources})
  set_property(GLOBAL APPEND PROPERTY KFAULT_FUZZ_TARGETS ${name})
  target_link_libraries(${name} PRIVATE ${KFT_LIBS} kfault::model)
  target_compile_options(${name} PRIVATE ${KFAULT_WARNINGS})
  if(KFAULT_FUZZ)
    target_link_libraries(${name} PRIVATE ${KFAULT_ENGINE_LINK})
    # libFuzzer runs every input of the given directories once and stops.
    set(replay $<TARGET_FILE:${name}> -runs=0)
  else()
    target_link_libraries(${name} PRIVATE kfault_replay_main)
    set(replay $<TARGET_FILE:${name}>)
  endif()

  foreach(kind corpus regressions)
    if(kind STREQUAL "corpus")
      set(dir "${KFAULT_CORPUS_DIR}/${name}")
    else()
      set(dir "${KFAULT_CORPUS_DIR}/regressions/${name}")
    endif()
    file(GLOB_RECURSE files LIST_DIRECTORIES false "${dir}/*")
    if(files)
      add_test(NAME ${name}_${kind} COMMAND ${replay} "${dir}")
      set_tests_properties(${name}_${kind} PROPERTIES LABELS "corpus")
    endif()
  endforeach()
endfunction()

# ---- The fuzz target manifest (what packaging for OSS-Fuzz and AFL++ ships) ----------------
#   kfault_fuzz_manifest(<file>)
# Writes <file> at generate time, one line per target made by kfault_fuzz_target(), fields
# separated by tabs: ship or planted (a target with the KFAULT_PLANTED property is a planted-bug
# variant, never shipped), the name, the binary, then the dictionary, the .options file and the
# seed directory corpus/<name>/, each "-" when the repository has none. Packaging scripts read
# this file rather than keeping their own list of targets.
function(kfault_fuzz_manifest file)
  get_property(names GLOBAL PROPERTY KFAULT_FUZZ_TARGETS)
  set(lines "")
  foreach(name IN LISTS names)
    get_target_property(planted ${name} KFAULT_PLANTED)
    get_target_property(dir ${name} SOURCE_DIR)
    set(kind ship)
    if(planted)
      set(kind planted)
    endif()
    set(row "${kind}\t${name}\t$<TARGET_FILE:${name}>")
    foreach(extra "${dir}/${name}.dict" "${dir}/${name}.options" "${KFAULT_CORPUS_DIR}/${name}")
      if(EXISTS "${extra}")
        string(APPEND row "\t${extra}")
      else()
        string(APPEND row "\t-")
      endif()
    endforeach()
    string(APPEND lines "${row}\n")
  endforeach()
  file(GENERATE OUTPUT "${file}" CONTENT "${lines}")
endfunction()
