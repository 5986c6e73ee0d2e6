# KfaultDriverFuzzer.cmake - fuzz targets for a driver, in the driver's own project, after
# find_package(kfault):
#
#   kfault_add_driver_fuzzer(<name>
#     TARGET_FILE <file.c>          the target: a kfh_driver_target and KFH_DRIVER_FUZZ_MAIN
#     SOURCES <driver source>...    the driver's own files, unchanged
#     [SEEDS <dir>]                 seed inputs (scenarios as bytes); replayed by ctest
#     [DICT <file>] [OPTIONS <file>] libFuzzer's dictionary and .options file
#     [INCLUDE_DIRECTORIES <dir>...] [DEFINITIONS <def>...] [LIBRARIES <lib>...]
#     [PLANTED])                    a variant with a planted bug: never shipped to OSS-Fuzz,
#                                   its seeds are not replayed as a test that must pass
#
# It builds
#   <name>          the libFuzzer binary, when the compiler is clang (or $LIB_FUZZING_ENGINE
#                   names the engine, as OSS-Fuzz and ClusterFuzzLite do), and
#   <name>_replay   the replay binary, with any compiler: runs each file or folder given once
#                   (unless KFAULT_FUZZER_REPLAY is OFF); with KFAULT_FUZZER_COVERAGE ON
#                   (clang) it carries source-based coverage for `kfault coverage`,
# registers the ctest <name>_seeds (the replay binary over SEEDS, label kfault-seeds), and
# writes, once the whole project is configured, the manifest of every fuzzer of the project
# to ${CMAKE_BINARY_DIR}/kfault-fuzz-targets.tsv: one line per binary, fields separated by
# tabs: kind (ship, planted for a libFuzzer binary; replay for a replay binary), name,
# binary, dictionary, options, seed folder ("-" when none). The kfault command's verbs and
# the ClusterFuzzLite build script read it.
# kfault_add_minifilter_fuzzer() (KfaultMinifilter.cmake) makes its binaries, test and rows
# through the same internal function, _kfault_add_fuzzer(), so that both kinds of target are
# built, replayed and listed alike.
# This file never decides what a target checks: the target file and the harness do that.
include_guard(GLOBAL)

option(KFAULT_FUZZER_REPLAY "kfault_add_driver_fuzzer: build <name>_replay binaries too" ON)
option(KFAULT_FUZZER_COVERAGE "kfault_add_driver_fuzzer: replay binaries carry clang source-based coverage" OFF)

function(kfault_add_driver_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 KF "PLANTED" "TARGET_FILE;SEEDS;DICT;OPTIONS"
                        "SOURCES;INCLUDE_DIRECTORIES;DEFINITIONS;LIBRARIES")
  if(KF_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kfault_add_driver_fuzzer(${name}): unknown arguments ${KF_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT KF_TARGET_FILE)
    message(FATAL_ERROR "kfault_add_driver_fuzzer(${name}): TARGET_FILE is required (the file with "
                        "the kfh_driver_target and KFH_DRIVER_FUZZ_MAIN)")
  endif()
  if(NOT TARGET kfault::driver)
    message(FATAL_ERROR "kfault_add_driver_fuzzer(${name}): kfault::driver is missing; call find_package(kfault) first")
  endif()
  get_filename_component(KF_TARGET_FILE "${KF_TARGET_FILE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${KF_TARGET_FILE}")
    message(FATAL_ERROR "kfault_add_driver_fuzzer(${name}): TARGET_FILE ${KF_TARGET_FILE} does not exist")
  endif()
  set(planted "")
  if(KF_PLANTED)
    set(planted PLANTED)
  endif()
  _kfault_add_fuzzer(${name} CALLER kfault_add_driver_fuzzer LIBRARY kfault::driver ${planted}
    SOURCES "${KF_TARGET_FILE}" ${KF_SOURCES}
    SEEDS "${KF_SEEDS}" DICT "${KF_DICT}" OPTIONS "${KF_OPTIONS}"
    INCLUDE_DIRECTORIES ${KF_INCLUDE_DIRECTORIES} DEFINITIONS ${KF_DEFINITIONS} LIBRARIES ${KF_LIBRARIES})
endfunction()

# _kfault_add_fuzzer(<name> CALLER <public function> LIBRARY <kfault:: library> SOURCES <file>...
#                    [PLANTED] [SEEDS <dir>] [WRITE_SEEDS] [DICT <file>] [OPTIONS <file>]
#                    [INCLUDE_DIRECTORIES <dir>...] [DEFINITIONS <def>...] [LIBRARIES <lib>...]
#                    [COMPILE_OPTIONS <option>...] [LINK_OPTIONS <option>...])
# Internal: the binaries, the ctest and the manifest rows of one fuzz target, for
# kfault_add_driver_fuzzer() and kfault_add_minifilter_fuzzer(). LIBRARY is what the target
# links besides LIBRARIES (kfault::driver for a target file, kfault::minifilter for the generic
# minifilter fuzzer). WRITE_SEEDS (only without SEEDS): after each link of the binary that runs
# on this machine (<name>_replay, else <name>), `<binary> -kfault_seeds=DIR` writes the seeds
# into DIR = ${CMAKE_CURRENT_BINARY_DIR}/<name>_seeds, emptied first; DIR is then the seed
# folder of the test and the manifest. Files are named relative to the calling folder.
function(_kfault_add_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 KF "PLANTED;WRITE_SEEDS" "CALLER;LIBRARY;SEEDS;DICT;OPTIONS"
                        "SOURCES;INCLUDE_DIRECTORIES;DEFINITIONS;LIBRARIES;COMPILE_OPTIONS;LINK_OPTIONS")
  set(who "${KF_CALLER}(${name})")
  if(KF_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${who}: unknown arguments ${KF_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT KF_SOURCES)
    message(FATAL_ERROR "${who}: no SOURCES given")
  endif()
  if(KF_SEEDS AND KF_WRITE_SEEDS)
    message(FATAL_ERROR "${who}: SEEDS given: the seeds are not written at build time as well")
  endif()
  # Files named relative to the calling folder, as add_executable does.
  foreach(v SEEDS DICT OPTIONS)
    if(KF_${v})
      get_filename_component(KF_${v} "${KF_${v}}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      if(NOT EXISTS "${KF_${v}}")
        message(FATAL_ERROR "${who}: ${v} ${KF_${v}} does not exist")
      endif()
    endif()
  endforeach()
  set(sources "")
  foreach(f IN LISTS KF_SOURCES)
    get_filename_component(f "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND sources "${f}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY KFAULT_DRIVER_FUZZER_SOURCES ${sources})

  # The engine: $LIB_FUZZING_ENGINE (whose CFLAGS already instrument) or clang's libFuzzer.
  set(engine "")
  set(instrument "")
  if(DEFINED ENV{LIB_FUZZING_ENGINE} AND NOT "$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
    separate_arguments(engine UNIX_COMMAND "$ENV{LIB_FUZZING_ENGINE}")
  elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(engine -fsanitize=fuzzer)
    set(instrument -fsanitize=fuzzer-no-link)
  endif()
  # Libraries with libFuzzer's instrumentation call back into a runtime: the engine's, or a
  # sanitizer's. Without either, a replay binary would not link.
  if(kfault_FUZZ_INSTRUMENTED AND NOT kfault_SANITIZED AND NOT engine)
    message(FATAL_ERROR "${who}: the kfault found (${kfault_DIR}) is a fuzz "
                        "build without sanitizers: its libraries carry libFuzzer's instrumentation, whose "
                        "callbacks ${CMAKE_C_COMPILER_ID} has no runtime for. Build with clang, or install a "
                        "replay build of kfault (the replay preset).")
  endif()
  if(NOT CMAKE_C_COMPILER_ID STREQUAL kfault_C_COMPILER_ID)
    get_property(told GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_MIXED_TOLD)
    if(NOT told)
      set_property(GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_MIXED_TOLD ON)
      message(STATUS "kfault: the libraries were built by ${kfault_C_COMPILER_ID} ${kfault_C_COMPILER_VERSION}, "
                     "this project uses ${CMAKE_C_COMPILER_ID}; that works while their sanitizer runtimes agree "
                     "(a kfault built by the same compiler is the safe choice)")
    endif()
  endif()

  set(made "")
  if(engine)
    add_executable(${name} ${sources})
    target_compile_options(${name} PRIVATE ${instrument})
    target_link_options(${name} PRIVATE ${engine})
    list(APPEND made ${name})
  endif()
  if(KFAULT_FUZZER_REPLAY)
    add_executable(${name}_replay ${sources})
    target_link_libraries(${name}_replay PRIVATE kfault::replay_main)
    if(KFAULT_FUZZER_COVERAGE)
      if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "KFAULT_FUZZER_COVERAGE needs clang (source-based coverage)")
      endif()
      target_compile_options(${name}_replay PRIVATE -fprofile-instr-generate -fcoverage-mapping)
      target_link_options(${name}_replay PRIVATE -fprofile-instr-generate)
    endif()
    list(APPEND made ${name}_replay)
  endif()
  if(NOT made)
    message(FATAL_ERROR "${who}: nothing to build: ${CMAKE_C_COMPILER_ID} "
                        "makes no libFuzzer binary and KFAULT_FUZZER_REPLAY is OFF")
  endif()
  foreach(t IN LISTS made)
    target_link_libraries(${t} PRIVATE ${KF_LIBRARIES} ${KF_LIBRARY})
    if(KF_INCLUDE_DIRECTORIES)
      target_include_directories(${t} PRIVATE ${KF_INCLUDE_DIRECTORIES})
    endif()
    if(KF_DEFINITIONS)
      target_compile_definitions(${t} PRIVATE ${KF_DEFINITIONS})
    endif()
    if(KF_COMPILE_OPTIONS)
      target_compile_options(${t} PRIVATE ${KF_COMPILE_OPTIONS})
    endif()
    if(KF_LINK_OPTIONS)
      target_link_options(${t} PRIVATE ${KF_LINK_OPTIONS})
    endif()
    # Symbols for the stacks of findings.
    target_compile_options(${t} PRIVATE -g)
    # kfault's __try is built on setjmp: gcc's -Wclobbered would flag every local of a
    # function with one (model/SEMANTICS.md K-5 says when volatile is needed).
    target_compile_options(${t} PRIVATE $<$<C_COMPILER_ID:GNU>:-Wno-clobbered>)
  endforeach()

  # Seeds written by the binary itself, after each link of the one that runs here.
  set(seeds "${KF_SEEDS}")
  set(seeds_made OFF)
  if(KF_WRITE_SEEDS)
    if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
      message(STATUS "${who}: cross-compiling: no seeds are written at build time (give SEEDS)")
    else()
      set(seeds "${CMAKE_CURRENT_BINARY_DIR}/${name}_seeds")
      set(seeds_made ON)
      if(KFAULT_FUZZER_REPLAY)
        set(writer ${name}_replay)
      else()
        set(writer ${name})
      endif()
      # A coverage build's profile of this run goes nowhere it could be mistaken for a corpus's.
      add_custom_command(TARGET ${writer} POST_BUILD
        COMMAND "${CMAKE_COMMAND}" -E rm -rf "${seeds}"
        COMMAND "${CMAKE_COMMAND}" -E make_directory "${seeds}"
        COMMAND "${CMAKE_COMMAND}" -E env "LLVM_PROFILE_FILE=${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${name}_seeds.profraw"
                ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:${writer}> "-kfault_seeds=${seeds}"
        WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
        COMMENT "Writing the seeds of ${name} from its registration into ${seeds}"
        VERBATIM)
    endif()
  endif()

  # The seeds replay in the project's own ctest (a planted variant's seeds may well crash).
  if(seeds AND KFAULT_FUZZER_REPLAY AND NOT KF_PLANTED)
    set(seed_files "")
    if(NOT seeds_made)
      file(GLOB_RECURSE seed_files LIST_DIRECTORIES false "${seeds}/*")
    endif()
    if(seed_files OR seeds_made)
      add_test(NAME ${name}_seeds COMMAND ${name}_replay "${seeds}")
      set_tests_properties(${name}_seeds PROPERTIES LABELS kfault-seeds)
    endif()
  endif()

  # The manifest's row(s), written when the whole project is configured.
  set(kind ship)
  if(KF_PLANTED)
    set(kind planted)
  endif()
  set(KF_SEEDS "${seeds}")
  set(files "")
  foreach(v DICT OPTIONS SEEDS)
    if(KF_${v})
      string(APPEND files "\t${KF_${v}}")
    else()
      string(APPEND files "\t-")
    endif()
  endforeach()
  if(engine)
    set_property(GLOBAL APPEND_STRING PROPERTY KFAULT_DRIVER_FUZZER_ROWS
                 "${kind}\t${name}\t$<TARGET_FILE:${name}>${files}\n")
  endif()
  if(KFAULT_FUZZER_REPLAY)
    set_property(GLOBAL APPEND_STRING PROPERTY KFAULT_DRIVER_FUZZER_ROWS
                 "replay\t${name}\t$<TARGET_FILE:${name}_replay>${files}\n")
  endif()
  get_property(deferred GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_MANIFEST_DEFERRED)
  if(NOT deferred)
    set_property(GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_MANIFEST_DEFERRED ON)
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL kfault_write_fuzzer_manifest)
  endif()
endfunction()

# kfault_write_fuzzer_manifest([FILE]): writes the manifest of every kfault_add_driver_fuzzer()
# and kfault_add_minifilter_fuzzer() of the project (by default
# ${CMAKE_BINARY_DIR}/kfault-fuzz-targets.tsv, at generate time), and beside it kfault-project.txt: the deepest folder holding every target file and driver
# source, the project's code for the verbs (the frames a finding's signature names, the files
# coverage reports). Called by itself at the end of the top-level CMakeLists.txt.
function(kfault_write_fuzzer_manifest)
  set(file "${CMAKE_BINARY_DIR}/kfault-fuzz-targets.tsv")
  if(ARGC GREATER 0)
    set(file "${ARGV0}")
  endif()
  get_property(rows GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_ROWS)
  file(GENERATE OUTPUT "${file}" CONTENT "${rows}")
  get_property(sources GLOBAL PROPERTY KFAULT_DRIVER_FUZZER_SOURCES)
  set(common "")
  foreach(f IN LISTS sources)
    get_filename_component(d "${f}" DIRECTORY)
    if(common STREQUAL "")
      set(common "${d}")
    endif()
    string(FIND "${d}/" "${common}/" at)
    while(NOT at EQUAL 0 AND NOT common STREQUAL "/" AND NOT common STREQUAL "")
      get_filename_component(common "${common}" DIRECTORY)
      string(FIND "${d}/" "${common}/" at)
    endwhile()
  endforeach()
  get_filename_component(dir "${file}" DIRECTORY)
  file(WRITE "${dir}/kfault-project.txt" "${common}\n")
endfunction()
