# numpy interchange (issue 12).
# test_np_random: numpy's legacy generator against a fixture numpy produced
# (tests/fixtures/numpy_random.py writes numpy_random.txt).
# test_npy: .npy/.npz data and weights files written and read by libnnrt,
# and every bad input (truncated, damaged, wrong dtype or shape, Fortran
# order, pickles, zip bombs) refused with one line.
nng_test(test_np_random SOURCES test_np_random.c LIBS nnrt)
nng_test(test_npy SOURCES test_npy.c LIBS nnrt)
# numpy_interop: tests/numpy_check.py against numpy itself (python3-numpy,
# installed by scripts/install-deps.sh): init=numpy* equal to numpy's draws,
# .npz weights that np.load reads and a numpy forward pass reproduces, and
# numpy's own .npy/.npz files trained and predicted on.  Without numpy it
# is skipped, or fails when CI=true.  np_tool is its helper.
add_executable(np_tool np_tool.c)
target_link_libraries(np_tool PRIVATE nnrt)
target_include_directories(np_tool PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
find_program(NNG_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NNG_PYTHON3 AND TARGET xor AND TARGET house AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME numpy_interop
           COMMAND ${NNG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/numpy_check.py
                   ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${NNGEN_DATA_DIR})
  set_tests_properties(numpy_interop PROPERTIES LABELS "unit;numpy" SKIP_RETURN_CODE 77
                       TIMEOUT 300)
  if(NNGEN_SANITIZE)
    set_property(TEST numpy_interop APPEND PROPERTY ENVIRONMENT
                 "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp")
  endif()
endif()
