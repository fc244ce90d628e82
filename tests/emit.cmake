# The emitter's tests (compiler/emit.c and the modules behind compiler/emit.h):
#   test_gradcheck   backward pass vs finite differences (double and float builds)
#   test_isa_agree   the vector path (AVX2 / NEON, whichever this build compiles in) vs scalar
#   test_reference   hand-computed networks; XOR and sgd steps through loss_grad/update
#   test_fused       the fused per-sample step against loss_grad + sgd, bit for bit,
#                    on every path with one, directly and through the trainer
#   test_golden      determinism, what each --isa emits, warning-free with gcc/clang/aarch64
#   test_golden_files  nngen's output for the rows of tests/golden/MANIFEST is
#                    byte for byte tests/golden/<name>.c (scripts/regen-golden.sh)
#
# Every spec in tests/specs_emit used by the numerical tests is generated three
# times (see tests/specs_emit/emit_test.h): X (float, --isa all), X_s (float,
# --isa scalar) and X_d (--dtype double).
set(NNG_EMIT_MODELS gc_sig gc_multi gc_relu gc_soft gc_msesig gc_outact gc_wide big gc_units
    gc_stream gc_logreg gc_elu gc_step)
set(NNG_EMIT_REFS ref_221 ref_lin ref_soft xor_emit xor_sig ref_perceptron)
# the models test_fused runs (besides gc_msesig and gc_outact, and the refs)
set(NNG_FUSED_MODELS fu_elu fu_soft)

if(TARGET nngen OR NNGEN_HOST_NNGEN)
  set(nng_emit_objs_models "")
  set(nng_emit_objs_refs "")
  set(nng_emit_objs_fused "")
  foreach(m ${NNG_FUSED_MODELS})
    nngen_add_model(emit_${m} SPEC "${CMAKE_CURRENT_SOURCE_DIR}/specs_emit/${m}.spec" LIBRARY
                    FLAGS --name ${m})
    list(APPEND nng_emit_objs_fused $<TARGET_OBJECTS:emit_${m}>)
  endforeach()
  foreach(m ${NNG_EMIT_MODELS} ${NNG_EMIT_REFS})
    set(spec "${CMAKE_CURRENT_SOURCE_DIR}/specs_emit/${m}.spec")
    nngen_add_model(emit_${m} SPEC "${spec}" LIBRARY FLAGS --name ${m})
    nngen_add_model(emit_${m}_s SPEC "${spec}" ISA scalar LIBRARY FLAGS --name ${m}_s)
    nngen_add_model(emit_${m}_d SPEC "${spec}" ISA scalar DTYPE double LIBRARY FLAGS --name ${m}_d)
    set(objs $<TARGET_OBJECTS:emit_${m}> $<TARGET_OBJECTS:emit_${m}_s>
             $<TARGET_OBJECTS:emit_${m}_d>)
    if(m IN_LIST NNG_EMIT_MODELS)
      list(APPEND nng_emit_objs_models ${objs})
    else()
      list(APPEND nng_emit_objs_refs ${objs})
    endif()
  endforeach()
  # about 3 s natively, about a minute under qemu-aarch64
  nng_test(test_gradcheck SOURCES test_gradcheck.c ${nng_emit_objs_models} LIBS nnrt TIMEOUT 900)
  nng_test(test_isa_agree SOURCES test_isa_agree.c ${nng_emit_objs_models} LIBS nnrt
           LABELS "unit;arm")
  nng_test(test_reference SOURCES test_reference.c ${nng_emit_objs_models} ${nng_emit_objs_refs}
           LIBS nnrt)
  nng_test(test_fused SOURCES test_fused.c ${nng_emit_objs_models} ${nng_emit_objs_refs}
           ${nng_emit_objs_fused} LIBS nnrt LABELS "unit;arm")
else()
  message(STATUS "tests/emit.cmake: no nngen yet; numerical emitter tests skipped")
endif()

# The golden test runs host compilers on what nng_emit writes; not under
# emulation (cross builds).
if(NOT CMAKE_CROSSCOMPILING)
  nng_test(test_golden SOURCES test_golden.c LIBS nngen_core nnrt)
  if(TARGET nngen)
    nng_test(test_golden_files SOURCES test_golden_files.c ARGS $<TARGET_FILE:nngen>)
    add_dependencies(test_golden_files nngen)
  endif()
endif()
