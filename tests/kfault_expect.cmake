# kfault_expect.cmake - the checks the `kfault` command-line tests share (included by
# kfault_cli.cmake and kfault_hashes.cmake, which get KFAULT from ctest):
#   expect(CODE ARGS...)      runs `kfault ARGS...`; fails unless it exits with CODE; keeps
#                             its output in last_out and last_err
#   expect_text(VAR TEXT)     fails unless the variable VAR holds TEXT
function(expect code)
  execute_process(COMMAND ${KFAULT} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${code}")
    message(FATAL_ERROR "kfault ${ARGN}: exit ${rc}, expected ${code}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
  set(last_err "${err}" PARENT_SCOPE)
endfunction()

function(expect_text where text)
  string(FIND "${${where}}" "${text}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "expected '${text}' in ${where}:\n${${where}}")
  endif()
endfunction()
