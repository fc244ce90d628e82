# Reproducible builds: tests/repro.sh configures tests/consumer against this
# build tree in two build directories and compares the generated C and the
# trainers byte for byte.  Not in cross, sanitizer or fuzz builds (the
# consumer would need their link flags), nor without the build tree's
# package (NNGEN_INSTALL).
if(NOT CMAKE_CROSSCOMPILING AND NOT NNGEN_SANITIZE AND NOT NNGEN_TSAN AND NOT NNGEN_FUZZ
   AND NNGEN_INSTALL AND TARGET nngen)
  add_test(NAME repro COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/repro.sh ${PROJECT_SOURCE_DIR}
                                   ${PROJECT_BINARY_DIR})
  set_tests_properties(repro PROPERTIES LABELS unit TIMEOUT 300)
endif()
