# KfaultMinifilter.cmake - kfault_add_minifilter_fuzzer(): fuzz a minifilter through its own
# DriverEntry and registered callbacks, with no target code (docs/MINIFILTER_FUZZING.md).
#
#   kfault_add_minifilter_fuzzer(<name> SOURCES <driver source>...
#     [INCLUDE_DIRECTORIES <dir>...]  (or INCLUDES) the driver's include folders
#     [DEFINITIONS <def>...] [COMPILE_OPTIONS <option>...] [LIBRARIES <lib>...]
#     [SEEDS <dir>]                   committed seeds; without SEEDS the binary writes them at
#                                     build time (below)
#     [DICT <file>] [OPTIONS <file>]  libFuzzer's dictionary and .options file
#     [PLANTED]                       a variant with a planted bug: never shipped, seeds not
#                                     replayed as a test that must pass
#     [INF <file>])                   the driver's INF: built into the binaries, its registry
#                                     values are installed before every load (FH-13)
#
# The binaries link the driver's sources with kfault::minifilter (the generic fuzzer, which
# calls the symbol DriverEntry). Either binary writes seeds made from the driver's
# registration with -kfault_seeds=DIR.
#
# From an installed kfault (find_package(kfault)), it does what kfault_add_driver_fuzzer()
# does, through the same function (_kfault_add_fuzzer in KfaultDriverFuzzer.cmake): <name>,
# the libFuzzer binary (clang or $LIB_FUZZING_ENGINE), and <name>_replay with any compiler
# (KFAULT_FUZZER_REPLAY, KFAULT_FUZZER_COVERAGE), the ctest <name>_seeds (label kfault-seeds),
# the rows of the manifest kfault-fuzz-targets.tsv and the sources in kfault-project.txt, so
# that `kfault fuzz|reproduce|minimize|coverage` and the ClusterFuzzLite build know it.
# Without SEEDS, the binary that runs here (<name>_replay, else <name>) writes its seeds after
# each link into ${CMAKE_CURRENT_BINARY_DIR}/<name>_seeds (emptied first): they follow the
# driver's registration as it changes, ctest replays them, `kfault fuzz` starts from them and
# ClusterFuzzLite ships them. A project that wants seeds of its own writes them once
# (`<name>_replay -kfault_seeds=fuzz/seeds/<name>`), adds its reproducers, and names the
# folder with SEEDS.
#
# Inside kfault's own build (kfault_fuzz_target() exists) the target is one of kfault's own:
# the engine or the replay main as the preset says, kfault_fuzz_target()'s corpus tests
# (corpus/<name>/) and its place in kfault's manifest; there SEEDS, DICT and OPTIONS are
# refused (kfault's tree keeps them in corpus/<name>/ and fuzz_targets/<name>.dict|.options).
# This file must stay usable as it is from an installed kfault: it names only kfault:: targets.
include_guard(GLOBAL)

# kfault_minifilter_inf_source(<target> <INF file> <out variable>): a C file holding the INF's
# bytes as kfh_mf_builtin_inf (harness/minifilter_entry.c reads it at initialization), written
# at configure time and again whenever the INF changes.
function(kfault_minifilter_inf_source name inf out)
  if(NOT EXISTS "${inf}")
    message(FATAL_ERROR "${name}: the INF file ${inf} does not exist")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${inf}")
  file(READ "${inf}" hex HEX)
  string(LENGTH "${hex}" chars)
  math(EXPR size "${chars} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  set(c "${CMAKE_CURRENT_BINARY_DIR}/${name}_inf.c")
  file(CONFIGURE OUTPUT "${c}" CONTENT "/* Generated from ${inf}: the driver's INF, built into ${name}. */
const unsigned char kfh_mf_builtin_inf[] = {
${bytes}0};
const unsigned long kfh_mf_builtin_inf_size = ${size};
" @ONLY)
  set(${out} "${c}" PARENT_SCOPE)
endfunction()

function(kfault_add_minifilter_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 KMF "PLANTED" "SEEDS;DICT;OPTIONS;INF"
                        "SOURCES;INCLUDES;INCLUDE_DIRECTORIES;DEFINITIONS;COMPILE_OPTIONS;LIBRARIES")
  if(KMF_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): unknown arguments ${KMF_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT KMF_SOURCES)
    message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): no SOURCES given")
  endif()
  list(APPEND KMF_INCLUDES ${KMF_INCLUDE_DIRECTORIES})
  set(inf_c "")
  if(KMF_INF)
    get_filename_component(KMF_INF "${KMF_INF}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    kfault_minifilter_inf_source(${name} "${KMF_INF}" inf_c)
  endif()
  # The entry points live in the library: make the linker take them whatever the link order.
  set(entry "LINKER:--undefined=LLVMFuzzerTestOneInput")

  if(COMMAND kfault_fuzz_target)
    # kfault's own build: engine or replay main, corpus tests, manifest.
    foreach(v SEEDS DICT OPTIONS)
      if(KMF_${v})
        message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): ${v} is for a driver's own project; "
                            "kfault's tree keeps seeds in corpus/<name>/ and fuzz_targets/<name>.dict|.options")
      endif()
    endforeach()
    kfault_fuzz_target(${name} ${KMF_SOURCES} ${inf_c} LIBS ${KMF_LIBRARIES} kfault::minifilter)
    target_link_options(${name} PRIVATE "${entry}")
    if(KMF_INCLUDES)
      target_include_directories(${name} PRIVATE ${KMF_INCLUDES})
    endif()
    if(KMF_DEFINITIONS)
      target_compile_definitions(${name} PRIVATE ${KMF_DEFINITIONS})
    endif()
    if(KMF_COMPILE_OPTIONS)
      target_compile_options(${name} PRIVATE ${KMF_COMPILE_OPTIONS})
    endif()
    if(KMF_PLANTED)
      set_property(TARGET ${name} PROPERTY KFAULT_PLANTED ON)
    endif()
    return()
  endif()

  # A driver's own project, after find_package(kfault).
  if(NOT TARGET kfault::minifilter)
    message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): kfault::minifilter is missing: call "
                        "find_package(kfault) first, with a kfault built with the generic minifilter fuzzer")
  endif()
  if(NOT COMMAND _kfault_add_fuzzer)
    message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): load kfault's CMake package with "
                        "find_package(kfault), not this file alone")
  endif()
  set(flags "")
  if(KMF_PLANTED)
    list(APPEND flags PLANTED)
  endif()
  if(NOT KMF_SEEDS)
    list(APPEND flags WRITE_SEEDS)
  endif()
  _kfault_add_fuzzer(${name} CALLER kfault_add_minifilter_fuzzer LIBRARY kfault::minifilter ${flags}
    SOURCES ${KMF_SOURCES}
    SEEDS "${KMF_SEEDS}" DICT "${KMF_DICT}" OPTIONS "${KMF_OPTIONS}"
    INCLUDE_DIRECTORIES ${KMF_INCLUDES} DEFINITIONS ${KMF_DEFINITIONS} LIBRARIES ${KMF_LIBRARIES}
    COMPILE_OPTIONS ${KMF_COMPILE_OPTIONS} LINK_OPTIONS "${entry}")
  # The INF's bytes (generated; not a source of the project's, so not in kfault-project.txt).
  if(inf_c)
    foreach(t ${name} ${name}_replay)
      if(TARGET ${t})
        target_sources(${t} PRIVATE "${inf_c}")
      endif()
    endforeach()
  endif()
endfunction()
