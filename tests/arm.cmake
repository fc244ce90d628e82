# The ISA report (tests/test_isa_report.c): one model built by
# nngen_add_model with the default ISA selection, and a test that its
# descriptor's `isa` is the path this target should run ("neon" on aarch64,
# "avx2" on x86-64) and that nnrt_best_isa() agrees.  scripts/test-arm.sh
# also disassembles this model's object (fmla v.4s, calls to nnrt_neon_*).
#
# The model is models/xor.spec (small, always present); its C symbol is
# <name>_model, <name> from the spec's `model` line or the file's base name.
set(NNG_ISA_SPEC "${PROJECT_SOURCE_DIR}/models/xor.spec")
if((TARGET nngen OR NNGEN_HOST_NNGEN) AND EXISTS "${NNG_ISA_SPEC}")
  file(STRINGS "${NNG_ISA_SPEC}" nng_isa_model_line REGEX "^[ \t]*model[ \t]+[A-Za-z_]")
  if(nng_isa_model_line)
    string(REGEX REPLACE "^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*).*" "\\1"
           nng_isa_name "${nng_isa_model_line}")
  else()
    get_filename_component(nng_isa_name "${NNG_ISA_SPEC}" NAME_WE)
  endif()
  nngen_add_model(isa_report_model SPEC "${NNG_ISA_SPEC}" LIBRARY)
  nng_test(test_isa_report SOURCES test_isa_report.c $<TARGET_OBJECTS:isa_report_model>
           LIBS nnrt LABELS "unit;arm")
  target_compile_definitions(test_isa_report PRIVATE NNG_ISA_MODEL=${nng_isa_name}_model)
else()
  message(STATUS "tests/arm.cmake: no nngen or no ${NNG_ISA_SPEC} yet; test_isa_report skipped")
endif()
