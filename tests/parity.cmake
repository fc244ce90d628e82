# The course, number for number (issue 12; docs/notebook.md).
# parity_cat, parity_cat2: models/cat.spec and cat2.spec built in double
# (nngen --dtype double) and as the float trainers, trained on the cat
# images from the notebooks' initial weights (init=numpy / numpy_small,
# seed 1): tests/parity.sh against tests/fixtures/course_parity_*.txt,
# which scripts/course_parity.py (the notebooks' code in float64 numpy)
# wrote.  Under ASan+UBSan a short run (300 iterations), said in the
# test's output.  parity_numpy: the script itself, run again where numpy
# and h5py are installed (skipped otherwise, failed when CI=true).
if(TARGET cat AND TARGET cat2 AND NOT CMAKE_CROSSCOMPILING)
  set(parity_iterations 2500)
  if(NNGEN_SANITIZE)
    set(parity_iterations 300)
  endif()
  foreach(m cat cat2)
    nngen_add_model(${m}_d SPEC ${PROJECT_SOURCE_DIR}/models/${m}.spec ISA scalar DTYPE double)
    set(init numpy)
    if(m STREQUAL "cat2")
      set(init numpy_small)
    endif()
    add_test(NAME parity_${m}
             COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/parity.sh $<TARGET_FILE:${m}_d>
                     $<TARGET_FILE:${m}> ${NNGEN_DATA_DIR}
                     ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/course_parity_${m}.txt ${init}
                     ${parity_iterations})
    set_tests_properties(parity_${m} PROPERTIES LABELS "e2e;slow" TIMEOUT 1200)
    if(NNGEN_SANITIZE)
      set_property(TEST parity_${m} APPEND PROPERTY ENVIRONMENT
                   "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp")
    endif()
  endforeach()
  find_program(NNG_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NNG_PYTHON3)
    add_test(NAME parity_numpy
             COMMAND sh -c "if ! \"$0\" -c 'import numpy, h5py' 2>/dev/null; then echo 'parity_numpy: SKIPPED: no numpy or h5py for '\"$0\"; [ \"$CI\" = true ] && exit 1; exit 77; fi; for m in cat cat2; do \"$0\" \"$1\" \"$2\" --model $m > \"$3/parity_$m.txt\" && cmp \"$3/parity_$m.txt\" \"$4/course_parity_$m.txt\" || exit 1; done"
                     ${NNG_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/course_parity.py
                     ${NNGEN_DATA_DIR}/cat ${CMAKE_CURRENT_BINARY_DIR}
                     ${CMAKE_CURRENT_SOURCE_DIR}/fixtures)
    set_tests_properties(parity_numpy PROPERTIES LABELS "e2e;slow;numpy" SKIP_RETURN_CODE 77
                         TIMEOUT 1200 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  endif()
endif()
