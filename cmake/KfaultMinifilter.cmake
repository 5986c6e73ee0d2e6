# KfaultMinifilter.cmake - kfault_add_minifilter_fuzzer(): fuzz a minifilter through its own
# DriverEntry and registered callbacks, with no target code (docs/MINIFILTER_FUZZING.md).
#
#   kfault_add_minifilter_fuzzer(<name> SOURCES <driver source>...
#                                [INCLUDES <dir>...] [DEFINITIONS <definition>...]
#                                [COMPILE_OPTIONS <option>...])
#
# Builds <name> from the driver's sources and kfault::minifilter (the generic fuzzer, which
# calls the symbol DriverEntry). With KFAULT_FUZZ the binary is a libFuzzer (or
# $LIB_FUZZING_ENGINE) fuzzer; in every other build (gcc and no libFuzzer) the same call
# builds the replay binary, which runs the files and directories it is given. Either binary
# writes seeds made from the driver's registration with -kfault_seeds=DIR.
# Inside kfault's own build the target also gets kfault_fuzz_target()'s corpus tests
# (corpus/<name>/) and its place in the fuzz target manifest. This file must stay usable as it
# is from an installed kfault (find_package(kfault)): it names only kfault:: targets.
include_guard(GLOBAL)

function(kfault_add_minifilter_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 KMF "" "" "SOURCES;INCLUDES;DEFINITIONS;COMPILE_OPTIONS")
  if(NOT KMF_SOURCES)
    message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): no SOURCES given")
  endif()
  if(COMMAND kfault_fuzz_target)
    # kfault's own build: engine or replay main, corpus tests, manifest.
    kfault_fuzz_target(${name} ${KMF_SOURCES} LIBS kfault::minifilter)
  else()
    add_executable(${name} ${KMF_SOURCES})
    target_link_libraries(${name} PRIVATE kfault::minifilter)
    if(KFAULT_FUZZ OR DEFINED ENV{LIB_FUZZING_ENGINE})
      if(DEFINED ENV{LIB_FUZZING_ENGINE} AND NOT "$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
        separate_arguments(engine UNIX_COMMAND "$ENV{LIB_FUZZING_ENGINE}")
      else()
        set(engine -fsanitize=fuzzer)
      endif()
      target_link_options(${name} PRIVATE ${engine})
    elseif(TARGET kfault::replay_main)
      target_link_libraries(${name} PRIVATE kfault::replay_main)
    else()
      message(FATAL_ERROR "kfault_add_minifilter_fuzzer(${name}): without a fuzzing engine the replay main "
                          "(kfault::replay_main) is needed")
    endif()
  endif()
  # The entry points live in the library: make the linker take them whatever the link order.
  target_link_options(${name} PRIVATE "LINKER:--undefined=LLVMFuzzerTestOneInput")
  if(KMF_INCLUDES)
    target_include_directories(${name} PRIVATE ${KMF_INCLUDES})
  endif()
  if(KMF_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${KMF_DEFINITIONS})
  endif()
  if(KMF_COMPILE_OPTIONS)
    target_compile_options(${name} PRIVATE ${KMF_COMPILE_OPTIONS})
  endif()
endfunction()
