# kfault_hashes.cmake - `kfault hashes` on a scratch corpus: it records, checks, and fails
# with the regeneration command when a file has no record, a record has no file, or a hash
# differs; --write never replaces the record when a file failed, and never leaves a
# temporary file behind. Run by ctest with -DKFAULT=<tool> -DSRC=<source dir> -DOUT=<scratch>.
set(C ${OUT}/hashes_corpus)
set(R ${OUT}/hashes_record)
file(REMOVE_RECURSE ${C} ${R})
file(MAKE_DIRECTORY ${C}/t/src ${C}/regressions/t ${R})
file(COPY ${SRC}/corpus/scenarios/expand_paths.bin ${SRC}/corpus/scenarios/flt_stops.txt DESTINATION ${C}/t)
file(COPY ${SRC}/corpus/scenarios/bad_version.bin DESTINATION ${C}/regressions/t)
file(WRITE ${C}/t/src/ignored.txt "not a scenario, and skipped\n")
file(WRITE ${C}/regressions/t/bad_version.verdict "skipped too\n")

include(${CMAKE_CURRENT_LIST_DIR}/kfault_expect.cmake)

expect(0 hashes --help)
expect_text(last_out "usage: kfault hashes")
# Printing: the recorded hash of corpus/scenarios/HASHES, a refused file, skipped files.
expect(0 hashes ${C})
expect_text(last_out "t/expand_paths.bin 0xc0d76f7262f03fa0")
expect_text(last_out "t/flt_stops.txt 0x0ea987d8836e3e77")
expect_text(last_out "regressions/t/bad_version.bin refused")
foreach(skip ignored.txt .verdict)
  string(FIND "${last_out}" "${skip}" pos)
  if(NOT pos EQUAL -1)
    message(FATAL_ERROR "${skip} should be skipped:\n${last_out}")
  endif()
endforeach()

# Recording, then checking: as recorded.
expect(0 hashes --write ${R}/TRACE_HASHES ${C})
expect(0 hashes --check ${R}/TRACE_HASHES ${C})
expect_text(last_out "3 file(s): 2 hashed, 1 refused; all as recorded")
file(READ ${R}/TRACE_HASHES good)

# A new file without a record fails, naming the regeneration command.
file(COPY ${SRC}/corpus/scenarios/nesting_and_pool.bin DESTINATION ${C}/t)
expect(1 hashes --check ${R}/TRACE_HASHES ${C})
expect_text(last_err "nesting_and_pool.bin has no recorded hash")
expect_text(last_err "kfault hashes --write corpus/TRACE_HASHES corpus")
file(REMOVE ${C}/t/nesting_and_pool.bin)
# A record without its file fails.
file(REMOVE ${C}/t/flt_stops.txt)
expect(1 hashes --check ${R}/TRACE_HASHES ${C})
expect_text(last_err "records t/flt_stops.txt, which is not under")
file(COPY ${SRC}/corpus/scenarios/flt_stops.txt DESTINATION ${C}/t)
# A different hash fails: the same name, another scenario.
file(COPY ${SRC}/corpus/scenarios/nesting_and_pool.bin DESTINATION ${R})
file(RENAME ${R}/nesting_and_pool.bin ${C}/t/expand_paths.bin)
expect(1 hashes --check ${R}/TRACE_HASHES ${C})
expect_text(last_err "expand_paths.bin gives 0x26a462c3bfa403ac")
file(REMOVE ${C}/t/expand_paths.bin)
file(COPY ${SRC}/corpus/scenarios/expand_paths.bin DESTINATION ${C}/t)
expect(0 hashes --check ${R}/TRACE_HASHES ${C})

# --update: a new file is added, a vanished one dropped, and the record is then as --write
# would make it; a changed hash is still an error and leaves the record as it was.
file(COPY ${SRC}/corpus/scenarios/nesting_and_pool.bin DESTINATION ${C}/t)
file(REMOVE ${C}/t/flt_stops.txt)
expect(0 hashes --update ${R}/TRACE_HASHES ${C})
expect_text(last_out "added t/nesting_and_pool.bin 0x26a462c3bfa403ac")
expect_text(last_out "dropped t/flt_stops.txt")
expect_text(last_out "record updated")
expect(0 hashes --check ${R}/TRACE_HASHES ${C})
file(READ ${R}/TRACE_HASHES updated)
expect(0 hashes --write ${R}/WRITTEN ${C})
file(READ ${R}/WRITTEN written)
if(NOT updated STREQUAL written)
  message(FATAL_ERROR "--update and --write disagree:\n${updated}\n---\n${written}")
endif()
file(REMOVE ${C}/t/expand_paths.bin)
file(COPY ${SRC}/corpus/scenarios/nesting_and_pool.bin DESTINATION ${R}/swap)
file(RENAME ${R}/swap/nesting_and_pool.bin ${C}/t/expand_paths.bin)
expect(1 hashes --update ${R}/TRACE_HASHES ${C})
expect_text(last_err "expand_paths.bin gives 0x26a462c3bfa403ac")
file(READ ${R}/TRACE_HASHES after)
if(NOT after STREQUAL updated)
  message(FATAL_ERROR "--update changed the record although a hash differed")
endif()
# Back to the recorded corpus.
file(REMOVE ${C}/t/expand_paths.bin ${C}/t/nesting_and_pool.bin)
file(COPY ${SRC}/corpus/scenarios/expand_paths.bin ${SRC}/corpus/scenarios/flt_stops.txt DESTINATION ${C}/t)
file(WRITE ${R}/TRACE_HASHES "${good}")
expect(0 hashes --check ${R}/TRACE_HASHES ${C})

# A malformed record, a missing record, a missing directory: errors (exit 2).
file(WRITE ${R}/BROKEN "t/expand_paths.bin 0x1234\n")
expect(2 hashes --check ${R}/BROKEN ${C})
expect_text(last_err "BROKEN:1: expected")
expect(2 hashes --check ${R}/NONE ${C})
expect_text(last_err "cannot open")
expect(2 hashes ${C}/no-such-dir)
expect(2 hashes --check)
expect(2 hashes --bogus ${C})
expect(2 hashes ${C} ${C})

# --write into a directory it cannot create files in: an error, the old record kept.
if(EXISTS /proc/self)
  file(CHMOD ${R} PERMISSIONS OWNER_READ OWNER_EXECUTE)
  execute_process(COMMAND ${KFAULT} hashes --write ${R}/TRACE_HASHES ${C} RESULT_VARIABLE rc ERROR_VARIABLE err)
  file(CHMOD ${R} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  file(READ ${R}/TRACE_HASHES now)
  # root may write anyway: then the write must have succeeded with the same content.
  if(NOT (rc STREQUAL "2" OR rc STREQUAL "0") OR NOT now STREQUAL good)
    message(FATAL_ERROR "--write into a read-only directory: exit ${rc}, record changed or lost\n${err}")
  endif()
endif()
file(GLOB leftovers ${R}/.TRACE_HASHES.*)
if(leftovers)
  message(FATAL_ERROR "temporary files left behind: ${leftovers}")
endif()
