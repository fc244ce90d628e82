# nngen-compare (compare/): tests/test_compare.py runs the build tree's copy
# as a user runs it, a few steps at a time, one ctest test per case
# (compare_<case>): the table's shape, the loss check (also on made-up
# numbers that must fail), --dot, --plot, --json and the usage errors; never
# a timing.
# Not in a cross build (the tool runs the target's compiler and programs) and
# not without /usr/bin/python3.
# Labels: e2e (builds and trains models); hdf5 for the cat data.
if(CMAKE_CROSSCOMPILING OR NOT EXISTS /usr/bin/python3 OR NOT TARGET nngen)
  message(STATUS "tests/compare.cmake: nngen-compare tests skipped")
  return()
endif()
set(nng_compare_cases xor_synthetic:e2e xor_csv:e2e dot:e2e usage:unit check:unit)
if(NNRT_HAVE_HDF5)
  list(APPEND nng_compare_cases cat:e2e,hdf5)
endif()
foreach(row ${nng_compare_cases})
  string(REPLACE ":" ";" parts "${row}")
  list(GET parts 0 case)
  list(GET parts 1 labels)
  string(REPLACE "," ";" labels "${labels}")
  add_test(NAME compare_${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_compare.py ${case})
  set(env "NNGEN_COMPARE=${PROJECT_BINARY_DIR}/compare/nngen-compare"
          "NNGEN_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "NNGEN_DATA_DIR=${NNGEN_DATA_DIR}")
  if(NNGEN_SANITIZE)
    list(APPEND env "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp")
  endif()
  set_tests_properties(compare_${case} PROPERTIES LABELS "${labels}" TIMEOUT 600
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${env}")
endforeach()
