# check_load.cmake - runs the loader linked with a minifilter-style test driver and checks
# its output and exit status (see CMakeLists.txt here).
function(run expect_rc expect_text)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${expect_rc}")
    message(FATAL_ERROR "${ARGN}: exit ${rc}, expected ${expect_rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  string(FIND "${out}${err}" "${expect_text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${ARGN}: no '${expect_text}' in\n${out}${err}")
  endif()
endfunction()

set(ENV{KFAULT_OPTIONS} "")
run(0 "DriverEntry: 0x00000000" ${LOADER} --service SyncTest)
run(0 "unload: 0x00000000 (ok)" ${LOADER})
run(0 "left behind: 0 pool block(s), 0 callback data, 0 stack segment(s)" ${LOADER})
run(0 "usage:" ${LOADER} --help)
run(2 "unknown or incomplete argument '--bogus'" ${LOADER} --bogus)
run(2 "unknown or incomplete argument '--service'" ${LOADER} --service)
# The filter object is the first allocation: DriverEntry fails as FltRegisterFilter does.
set(ENV{KFAULT_OPTIONS} "fail_nth=1")
run(1 "DriverEntry: 0xC000009A" ${LOADER})
