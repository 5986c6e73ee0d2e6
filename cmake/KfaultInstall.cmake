# KfaultInstall.cmake - what `cmake --install` (and the Debian package, cpack) puts under a
# prefix, so that a driver's own repository can fuzz its driver with an installed kfault:
#
#   include/kfault/          the WDK-shaped headers and kfault/*.h of the model and the harness
#   lib/                     libkfault.a (model), libkfault_harness.a, libkfault_driver_env.a
#                            (a driver target's environment), libkfault_replay_main.a (the
#                            main() of replay binaries), libkfault_load_main.a (the loader),
#                            and libkfault_minifilter.a when that target exists
#   lib/cmake/kfault/        the package: kfault::model, ::harness, ::driver, ::replay_main,
#                            ::load_main (::minifilter), kfault_add_driver_fuzzer(),
#                            kfault_add_minifilter_fuzzer()
#   lib/pkgconfig/           kfault.pc (model), kfault-driver.pc, kfault-minifilter.pc
#   bin/kfault               the one command: verbs (fuzz, reproduce, minimize, coverage) and
#                            the tool (decode, encode, run, hashes, list)
#   libexec/kfault/          the verbs' scripts and the kfault tool behind bin/kfault
#   share/kfault/            the template a user copies (kfault init), the out-of-tree example
#
# Every file that names a path names it relative to itself (pkg-config's ${pcfiledir}, CMake's
# package prefix, the command's own folder), so a prefix can be moved: `cmake --install
# --prefix`, DESTDIR staging and a Debian package extracted anywhere all work.
# This file only installs and describes; it never changes how kfault itself is built.
include_guard(GLOBAL)

# ---- The flags a consumer must share with the installed libraries ---------------------------
# -fshort-wchar, the sanitizers and coverage kfault was built with (KFAULT_SANITIZE,
# KFAULT_COVERAGE), and the sanitizer and coverage flags a user gave in CMAKE_C_FLAGS (as
# OSS-Fuzz does). libFuzzer's instrumentation is never passed on: a replay binary does not
# want it, a libFuzzer binary gets it from -fsanitize=fuzzer.
set(KFAULT_CONSUMER_CFLAGS ${KFAULT_WCHAR_FLAGS} ${KFAULT_SANITIZER_FLAGS})
set(KFAULT_CONSUMER_LINK ${KFAULT_INTERFACE_LINK})
if(KFAULT_COVERAGE)
  list(APPEND KFAULT_CONSUMER_CFLAGS -fprofile-instr-generate -fcoverage-mapping)
endif()
set(KFAULT_FROM_CFLAGS_COMPILE "")
set(KFAULT_FROM_CFLAGS_LINK "")
set(KFAULT_FUZZ_INSTRUMENTED OFF)
if(KFAULT_FUZZ AND "${KFAULT_ENGINE_LINK}" STREQUAL "-fsanitize=fuzzer")
  set(KFAULT_FUZZ_INSTRUMENTED ON) # kfault added -fsanitize=fuzzer-no-link itself
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" kfault_bt)
separate_arguments(kfault_user_cflags UNIX_COMMAND "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${kfault_bt}}")
foreach(flag IN LISTS kfault_user_cflags)
  if(flag MATCHES "^-fsanitize=(.*)$")
    string(REPLACE "," ";" items "${CMAKE_MATCH_1}")
    if("fuzzer-no-link" IN_LIST items OR "fuzzer" IN_LIST items)
      set(KFAULT_FUZZ_INSTRUMENTED ON)
    endif()
    list(REMOVE_ITEM items fuzzer fuzzer-no-link)
    if(items)
      string(REPLACE ";" "," items "${items}")
      list(APPEND KFAULT_FROM_CFLAGS_COMPILE "-fsanitize=${items}")
      list(APPEND KFAULT_FROM_CFLAGS_LINK "-fsanitize=${items}")
    endif()
  elseif(flag MATCHES "^-fno-sanitize" OR flag MATCHES "^-fsanitize-")
    list(APPEND KFAULT_FROM_CFLAGS_COMPILE "${flag}")
  elseif(flag STREQUAL "-fprofile-instr-generate" OR flag STREQUAL "-fcoverage-mapping")
    list(APPEND KFAULT_FROM_CFLAGS_COMPILE "${flag}")
    if(flag STREQUAL "-fprofile-instr-generate")
      list(APPEND KFAULT_FROM_CFLAGS_LINK "${flag}")
    endif()
  endif()
endforeach()
list(APPEND KFAULT_CONSUMER_CFLAGS ${KFAULT_FROM_CFLAGS_COMPILE})
list(APPEND KFAULT_CONSUMER_LINK ${KFAULT_FROM_CFLAGS_LINK})
list(REMOVE_DUPLICATES KFAULT_CONSUMER_CFLAGS)
list(REMOVE_DUPLICATES KFAULT_CONSUMER_LINK)
# Only the installed package carries the flags taken from CMAKE_C_FLAGS (kfault's own targets
# already get CMAKE_C_FLAGS) and coverage's compile flags (kfault's own targets get them from
# add_compile_options): a consumer of a coverage build is measured too.
if(KFAULT_COVERAGE)
  list(APPEND KFAULT_FROM_CFLAGS_COMPILE -fprofile-instr-generate -fcoverage-mapping)
  list(REMOVE_DUPLICATES KFAULT_FROM_CFLAGS_COMPILE)
endif()
if(KFAULT_FROM_CFLAGS_COMPILE)
  target_compile_options(kfault_model INTERFACE "$<INSTALL_INTERFACE:${KFAULT_FROM_CFLAGS_COMPILE}>")
endif()
if(KFAULT_FROM_CFLAGS_LINK)
  target_link_options(kfault_model INTERFACE "$<INSTALL_INTERFACE:${KFAULT_FROM_CFLAGS_LINK}>")
endif()
# The model's plan=path walks the stack and names modules (backtrace, dladdr).
target_link_libraries(kfault_model PUBLIC ${CMAKE_DL_LIBS})

# ---- Libraries and headers ------------------------------------------------------------------
# The replay main as a library: a static archive whose main() the linker takes when the
# program has none (kfault's own targets keep their object library kfault_replay_main).
add_library(kfault_replay STATIC ${PROJECT_SOURCE_DIR}/harness/replay_main.c)
set_target_properties(kfault_replay PROPERTIES OUTPUT_NAME kfault_replay_main EXPORT_NAME replay_main)
target_compile_options(kfault_replay PRIVATE ${KFAULT_WARNINGS})

set(kfault_installed_targets kfault_model kfault_replay)
if(TARGET kfault_harness)
  list(APPEND kfault_installed_targets kfault_harness)
endif()
if(TARGET kfault_driver_env)
  set_target_properties(kfault_driver_env PROPERTIES EXPORT_NAME driver)
  list(APPEND kfault_installed_targets kfault_driver_env)
endif()
if(TARGET kfault_load_main)
  set_target_properties(kfault_load_main PROPERTIES EXPORT_NAME load_main)
  list(APPEND kfault_installed_targets kfault_load_main)
endif()
if(TARGET kfault_minifilter)
  set_target_properties(kfault_minifilter PROPERTIES EXPORT_NAME minifilter)
  list(APPEND kfault_installed_targets kfault_minifilter)
endif()
install(TARGETS ${kfault_installed_targets} EXPORT kfaultTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY model/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kfault)
install(DIRECTORY harness/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kfault)
install(EXPORT kfaultTargets NAMESPACE kfault:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kfault)
# What an install needs built, and nothing else (kfault's own fuzz targets and tests are not
# installed): `cmake --build B --target kfault_installable` then `cmake --install B`.
add_custom_target(kfault_installable)
add_dependencies(kfault_installable ${kfault_installed_targets})
if(TARGET kfault)
  add_dependencies(kfault_installable kfault)
endif()

# ---- The command, the verbs, the template -----------------------------------------------------
set(KFAULT_INSTALL_VERBDIR ${CMAKE_INSTALL_LIBEXECDIR}/kfault)
if(TARGET kfault)
  install(TARGETS kfault RUNTIME DESTINATION ${KFAULT_INSTALL_VERBDIR})
endif()
install(PROGRAMS scripts/fuzz.sh scripts/reproduce.sh scripts/minimize.sh scripts/coverage.sh
        DESTINATION ${KFAULT_INSTALL_VERBDIR})
install(FILES scripts/lib/common.sh DESTINATION ${KFAULT_INSTALL_VERBDIR}/lib)
# Paths between the installed folders, for files that find each other from where they are.
file(RELATIVE_PATH KFAULT_BIN_TO_VERBS "/${CMAKE_INSTALL_BINDIR}" "/${KFAULT_INSTALL_VERBDIR}")
file(RELATIVE_PATH KFAULT_VERBLIB_TO_PREFIX "/${KFAULT_INSTALL_VERBDIR}/lib" "/")
file(RELATIVE_PATH KFAULT_BIN_TO_SHARE "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_DATADIR}/kfault")
string(REGEX REPLACE "/$" "" KFAULT_VERBLIB_TO_PREFIX "${KFAULT_VERBLIB_TO_PREFIX}")
configure_file(scripts/lib/installed.sh.in ${CMAKE_CURRENT_BINARY_DIR}/installed.sh @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/installed.sh DESTINATION ${KFAULT_INSTALL_VERBDIR}/lib)
configure_file(scripts/kfault.in ${CMAKE_CURRENT_BINARY_DIR}/kfault-command @ONLY)
install(PROGRAMS ${CMAKE_CURRENT_BINARY_DIR}/kfault-command DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME kfault)
install(DIRECTORY template/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kfault/template USE_SOURCE_PERMISSIONS)
install(DIRECTORY examples/outoftree/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kfault/examples/outoftree
        USE_SOURCE_PERMISSIONS)
install(FILES README.md docs/INSTALL.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- The CMake package -------------------------------------------------------------------------
set(KFAULT_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kfault)
set(kfault_minifilter_module "")
if(EXISTS ${PROJECT_SOURCE_DIR}/cmake/KfaultMinifilter.cmake)
  install(FILES cmake/KfaultMinifilter.cmake DESTINATION ${KFAULT_PACKAGE_DIR})
endif()
set(KFAULT_PKG_VERBDIR ${KFAULT_INSTALL_VERBDIR})
set(KFAULT_PKG_BINDIR ${CMAKE_INSTALL_BINDIR})
configure_package_config_file(cmake/kfaultConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kfaultConfig.cmake
  INSTALL_DESTINATION ${KFAULT_PACKAGE_DIR}
  PATH_VARS KFAULT_PKG_VERBDIR KFAULT_PKG_BINDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kfaultConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kfaultConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/kfaultConfigVersion.cmake
              cmake/KfaultDriverFuzzer.cmake
        DESTINATION ${KFAULT_PACKAGE_DIR})

# ---- pkg-config modules: kfault (the model), kfault-driver (a driver target's harness),
# kfault-minifilter (the generic minifilter fuzzer, when it is built) ---------------------------
# Relocatable: paths from ${pcfiledir}, so `cmake --install --prefix` and DESTDIR staging both
# give working files.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KFAULT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KFAULT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH KFAULT_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" KFAULT_PC_UP "${KFAULT_PC_UP}")
  set(KFAULT_PC_PREFIX "\${pcfiledir}/${KFAULT_PC_UP}")
  set(KFAULT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KFAULT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/kfault")
else()
  set(KFAULT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}/kfault")
endif()
set(KFAULT_PC_VERBDIR "\${prefix}/${KFAULT_INSTALL_VERBDIR}")
string(JOIN " " KFAULT_PC_CFLAGS ${KFAULT_CONSUMER_CFLAGS})
set(kfault_pc_dl "")
foreach(lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND kfault_pc_dl " -l${lib}")
endforeach()
string(JOIN " " KFAULT_PC_LIBS ${KFAULT_CONSUMER_LINK})
string(APPEND KFAULT_PC_LIBS "${kfault_pc_dl}")
set(KFAULT_PC_FUZZ_INSTRUMENTED 0)
if(KFAULT_FUZZ_INSTRUMENTED)
  set(KFAULT_PC_FUZZ_INSTRUMENTED 1)
endif()
configure_file(cmake/kfault.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kfault.pc @ONLY)
configure_file(cmake/kfault-driver.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kfault-driver.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kfault.pc ${CMAKE_CURRENT_BINARY_DIR}/kfault-driver.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET kfault_minifilter)
  configure_file(cmake/kfault-minifilter.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kfault-minifilter.pc.in @ONLY)
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/kfault-minifilter.pc
       INPUT ${CMAKE_CURRENT_BINARY_DIR}/kfault-minifilter.pc.in)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kfault-minifilter.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# ---- The Debian package (cpack -G DEB) ---------------------------------------------------------
# The package holds what `cmake --install` installs, under /usr, built the way this build
# was: package a fuzz build (clang, sanitizers) to fuzz, a replay build for gcc.
if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGE_NAME kfault)
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
      "fuzzing and fault injection for Windows kernel driver code, on Linux")
  set(CPACK_PACKAGE_DESCRIPTION
      "A user-mode model of the Windows kernel behind WDK-shaped headers, a harness of fault plans, driver environments and oracles, and the kfault command that fuzzes, reproduces and minimizes findings in a driver's own repository.")
  set(KFAULT_PACKAGE_CONTACT "kfault developers" CACHE STRING "Maintainer field of the Debian package")
  set(CPACK_PACKAGE_CONTACT "${KFAULT_PACKAGE_CONTACT}")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SECTION devel)
  # Who compiles against the package needs the compiler (and its sanitizer runtimes) the
  # libraries were built with; the verbs need bash, coreutils and llvm's tools.
  string(REGEX MATCH "^[0-9]+" kfault_cc_major "${CMAKE_C_COMPILER_VERSION}")
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(kfault_deb_cc "clang-${kfault_cc_major}, libclang-rt-${kfault_cc_major}-dev | libclang-common-${kfault_cc_major}-dev")
  else()
    set(kfault_deb_cc "gcc-${kfault_cc_major}, libgcc-${kfault_cc_major}-dev")
  endif()
  set(KFAULT_PACKAGE_DEPENDS "bash, coreutils, ${kfault_deb_cc}" CACHE STRING
      "Depends field of the Debian package (default: the compiler the libraries were built with)")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${KFAULT_PACKAGE_DEPENDS}")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cmake (>= 3.20), pkg-config, make, llvm")
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gnuplot-nox")
  include(CPack)
endif()
