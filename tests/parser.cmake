# The front end (compiler/spec.c, diag.c) and the nngen command line
# (compiler/main.c).
nng_test(test_parser SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_parser.c LIBS nngen_core)

# test_cli runs the nngen program.  In a cross build the nngen built here
# is for the target; the one for the build machine (NNGEN_HOST_NNGEN) is
# run instead, since test_cli itself runs under the emulator.
if(CMAKE_CROSSCOMPILING AND NNGEN_HOST_NNGEN)
  set(nng_cli_exe "${NNGEN_HOST_NNGEN}")
elseif(TARGET nngen AND NOT CMAKE_CROSSCOMPILING)
  set(nng_cli_exe "$<TARGET_FILE:nngen>")
else()
  set(nng_cli_exe "")
endif()
if(nng_cli_exe)
  nng_test(test_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.c LIBS nngen_core)
  if(TARGET nngen)
    add_dependencies(test_cli nngen)
  endif()
  set_property(TEST test_cli APPEND PROPERTY ENVIRONMENT "NNGEN_EXE=${nng_cli_exe}")
else()
  message(STATUS "tests/parser.cmake: no nngen to run; test_cli skipped")
endif()
