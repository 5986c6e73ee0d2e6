# check_inf.cmake - the loader's --inf (harness/load_main.c, SEMANTICS.md FH-13) on the example
# configured minifilter: without its INF DriverEntry finds no Parameters key and fails; with
# examples/mf_config.inf it loads and unloads leaving nothing; an INF that cannot be read is a
# usage error (exit 2) and DriverEntry never runs.
# usage: cmake -DLOADER=<program> -DINF=<mf_config.inf> -DBAD_INF=<a malformed INF> -P check_inf.cmake
function(run_loader out_var rc_var)
  execute_process(COMMAND ${LOADER} --service MfConfig ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(${out_var} "${out}${err}" PARENT_SCOPE)
  set(${rc_var} "${rc}" PARENT_SCOPE)
endfunction()

run_loader(out rc)
if(NOT rc EQUAL 1 OR NOT out MATCHES "DriverEntry: 0xC0000034")
  message(FATAL_ERROR "without its INF the driver should fail to load (0xC0000034), got exit ${rc}:\n${out}")
endif()
run_loader(out rc --inf ${INF})
if(NOT rc EQUAL 0 OR NOT out MATCHES "registry: 7 value\\(s\\) from" OR NOT out MATCHES "DriverEntry: 0x00000000"
   OR NOT out MATCHES "unload: 0x00000000 \\(ok\\)" OR NOT out MATCHES "left behind: 0 pool block\\(s\\)")
  message(FATAL_ERROR "with its INF the driver should load and unload cleanly, got exit ${rc}:\n${out}")
endif()
run_loader(out rc --inf ${INF}.missing)
if(NOT rc EQUAL 2 OR NOT out MATCHES "cannot open the INF file" OR out MATCHES "DriverEntry")
  message(FATAL_ERROR "an INF that cannot be read should be a usage error, got exit ${rc}:\n${out}")
endif()
run_loader(out rc --inf ${BAD_INF})
if(NOT rc EQUAL 2 OR NOT out MATCHES "line 3: " OR out MATCHES "DriverEntry")
  message(FATAL_ERROR "a malformed INF should be a usage error naming its line, got exit ${rc}:\n${out}")
endif()
message(STATUS "loader --inf: ok")
