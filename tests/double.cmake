# double_trainer: the double-precision trainer (nngen --dtype double) beside
# the float one on models/xor.spec: NNGW versions and their refusal across
# precisions, .npz converting both ways, %.17g predictions, --info, and
# libnnrt's double objects exporting only _d names (tests/double.sh;
# docs/double.md).
if(TARGET xor AND NOT CMAKE_CROSSCOMPILING)
  nngen_add_model(xor_d SPEC ${PROJECT_SOURCE_DIR}/models/xor.spec ISA scalar DTYPE double)
  add_test(NAME double_trainer
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/double.sh $<TARGET_FILE:xor_d> $<TARGET_FILE:xor>
                   ${PROJECT_SOURCE_DIR}/data/xor.csv $<TARGET_FILE:nnrt> ${CMAKE_NM})
  set_tests_properties(double_trainer PROPERTIES LABELS "e2e" TIMEOUT 300)
  if(NNGEN_SANITIZE)
    set_property(TEST double_trainer APPEND PROPERTY ENVIRONMENT
                 "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp")
  endif()
endif()
