# minifilter.cmake - the generic minifilter fuzzer's targets in kfault's own build (included by
# fuzz_targets/CMakeLists.txt, before its tests): the example minifilters fuzzed through their
# own DriverEntry and registered callbacks with no target code (cmake/KfaultMinifilter.cmake),
# and the planted-bug variants of examples/mf_callbacks.c. Seeds in corpus/<name>/ were written
# by the binaries themselves (-kfault_seeds=DIR); the planted rows join KFAULT_PLANTED, whose
# tests fuzz each variant from corpus/drv_mfcallbacks_fuzz/ and replay its reproducer.
include(${PROJECT_SOURCE_DIR}/cmake/KfaultMinifilter.cmake)

# kfault_example_minifilter(<target> <example source> [<PLANT_DEFINITION>|-] [<INF file>])
function(kfault_example_minifilter name source)
  if(ARGC GREATER 2 AND NOT ARGV2 STREQUAL "-")
    set(KFAULT_CORPUS_DIR ${CMAKE_CURRENT_BINARY_DIR}/no-corpus)
  endif()
  set(inf "")
  if(ARGC GREATER 3)
    # The driver's installation, built in: its registry values are installed before each load.
    set(inf INF ${PROJECT_SOURCE_DIR}/examples/${ARGV3})
  endif()
  kfault_add_minifilter_fuzzer(${name} SOURCES ${PROJECT_SOURCE_DIR}/examples/${source}
    INCLUDES ${PROJECT_SOURCE_DIR}/examples ${inf})
  if(ARGC GREATER 2 AND NOT ARGV2 STREQUAL "-")
    target_compile_definitions(${name} PRIVATE ${ARGV2})
    set_property(TARGET ${name} PROPERTY KFAULT_PLANTED ON)
  endif()
endfunction()

kfault_example_minifilter(mf_sync_generic_fuzz mf_sync.c)
kfault_example_minifilter(mf_async_generic_fuzz mf_async.c)
kfault_example_minifilter(drv_mfcallbacks_fuzz mf_callbacks.c)
# The examples of the Filter Manager breadth, each also fuzzed by its own target: the
# configured filter with its INF, the port filter (its port found at load, its service
# played among the I/O), the scanning filter.
kfault_example_minifilter(mf_config_generic_fuzz mf_config.c - mf_config.inf)
kfault_example_minifilter(mf_port_generic_fuzz mf_port.c)
kfault_example_minifilter(mf_scan_generic_fuzz mf_scanfile.c)

# Planted bugs of the callback contract: <variant> <driver> <definition> <what the finding
# names> [<fuzzing runs its test may take, 500 by default>]. The .docx row needs a name the
# seeds never hold: the string comparisons guide the fuzzer to it (docs/MINIFILTER_FUZZING.md).
set(KFAULT_PLANTED_GENERIC
  "drv_mfcallbacks_pending_fuzz|mfcallbacks|KF_PLANT_COMPLETE_PENDING|flt-preop-complete-status"
  "drv_mfcallbacks_never_fuzz|mfcallbacks|KF_PLANT_PENDED_NEVER_COMPLETED|flt-pended-not-completed|40000"
  "drv_mfcallbacks_docx_fuzz|mfcallbacks|KF_PLANT_NAME_LEAK_DOCX|KF-INV-043|60000"
  "drv_mfcallbacks_dispatch_fuzz|mfcallbacks|KF_PLANT_NAME_AT_DISPATCH|IRQL_NOT_LESS_OR_EQUAL"
  "drv_mfcallbacks_twice_fuzz|mfcallbacks|KF_PLANT_CONTEXT_FREED_TWICE|pool-free-invalid"
  "drv_mfcallbacks_cbdleak_fuzz|mfcallbacks|KF_PLANT_CBD_LEAK_ON_LOWER_FAILURE|flt-callback-data-outstanding|20000"
)
foreach(row ${KFAULT_PLANTED_GENERIC})
  string(REPLACE "|" ";" f "${row}")
  list(GET f 0 name)
  list(GET f 2 definition)
  kfault_example_minifilter(${name} mf_callbacks.c ${definition})
endforeach()
list(APPEND KFAULT_PLANTED ${KFAULT_PLANTED_GENERIC})
# The port example's message length trusted, found by the generic fuzzer from the seeds it
# writes for the port it finds (corpus/mf_port_generic_fuzz/).
kfault_example_minifilter(mf_port_length_generic_fuzz mf_port.c KF_PLANT_MESSAGE_LENGTH_TRUSTED)
set(KFAULT_PLANTED_SEEDS_mf_port_length_generic_fuzz ${KFAULT_CORPUS_DIR}/mf_port_generic_fuzz)
list(APPEND KFAULT_PLANTED "mf_port_length_generic_fuzz|mfport|KF_PLANT_MESSAGE_LENGTH_TRUSTED|heap-buffer-overflow|20000")
