# The ISA report and the dispatcher (tests/test_isa_report.c): one model
# built by nngen_add_model with the default ISA selection (every path the
# target can have), and a test that its descriptor runs the best path this
# CPU has ("neon" on aarch64; "avx512" or "avx2" on x86-64), that forcing
# each path it has agrees with scalar and forcing one it lacks is refused in
# one line.  scripts/test-arm.sh also disassembles this model's object
# (fmla v.4s, calls to nnrt_neon_*, no x86 dispatch).
# The model is models/xor.spec (tests/specs_emit/xor_emit.spec until that
# exists), generated with --name isa_report: its descriptor is isa_report_model.
set(NNG_ISA_SPEC "${PROJECT_SOURCE_DIR}/models/xor.spec")
if(NOT EXISTS "${NNG_ISA_SPEC}")
  set(NNG_ISA_SPEC "${CMAKE_CURRENT_SOURCE_DIR}/specs_emit/xor_emit.spec")
endif()
if((TARGET nngen OR NNGEN_HOST_NNGEN) AND EXISTS "${NNG_ISA_SPEC}")
  nngen_add_model(isa_report_model SPEC "${NNG_ISA_SPEC}" LIBRARY FLAGS --name isa_report)
  nng_test(test_isa_report SOURCES test_isa_report.c $<TARGET_OBJECTS:isa_report_model>
           LIBS nnrt LABELS "unit;arm")
  target_compile_definitions(test_isa_report PRIVATE NNG_ISA_MODEL=isa_report_model)
else()
  message(STATUS "tests/arm.cmake: no nngen or no ${NNG_ISA_SPEC}; test_isa_report skipped")
endif()
