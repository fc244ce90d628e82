# nngen --inference (docs/inference.md): one ctest per spec, infer_<name>,
# running tests/infer.sh: train 3 steps, save, --predict, then the
# inference file (gcc and clang, warning-free, freestanding) on every path
# the CPU has against those outputs to 1e-6 relative.  Specs: every
# models/*.spec (their trainers are the models' targets), the gradient-check
# specs of tests/specs_emit (the same list as test_gradcheck's ET_MODELS)
# and tests/specs_infer/math.spec, whose run also sweeps the activations
# against libm.  Native builds only (the driver runs on the build machine).
if(NOT TARGET nngen OR CMAKE_CROSSCOMPILING OR NOT CMAKE_HOST_UNIX)
  return()
endif()
set(NNG_INFER_SH ${CMAKE_CURRENT_SOURCE_DIR}/infer.sh)
set(NNG_INFER_DRIVER ${CMAKE_CURRENT_SOURCE_DIR}/infer_driver.c)
function(nng_infer_test name spec trainer)
  add_test(NAME infer_${name}
           COMMAND bash ${NNG_INFER_SH} $<TARGET_FILE:nngen> $<TARGET_FILE:${trainer}> ${spec}
                   ${NNG_INFER_DRIVER} ${CMAKE_CURRENT_BINARY_DIR}/infer/${name} ${ARGN})
  set_tests_properties(infer_${name} PROPERTIES LABELS unit TIMEOUT 600 SKIP_RETURN_CODE 77)
endfunction()

file(GLOB nng_infer_models CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/models/*.spec)
foreach(spec ${nng_infer_models})
  get_filename_component(m ${spec} NAME_WE)
  if(TARGET ${m})
    nng_infer_test(${m} ${spec} ${m})
  endif()
endforeach()
file(GLOB nng_infer_gc CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/specs_emit/gc_*.spec
     ${CMAKE_CURRENT_SOURCE_DIR}/specs_emit/big.spec)
foreach(spec ${nng_infer_gc} ${CMAKE_CURRENT_SOURCE_DIR}/specs_infer/math.spec)
  get_filename_component(m ${spec} NAME_WE)
  nngen_add_model(infer_train_${m} SPEC "${spec}")
  if(m STREQUAL "math")
    nng_infer_test(${m} ${spec} infer_train_${m} math)
  else()
    nng_infer_test(${m} ${spec} infer_train_${m})
  endif()
endforeach()

# Bad command lines and weights: one line each, exit 1 or 2, no output file.
add_test(NAME infer_errors
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/infer_errors.sh $<TARGET_FILE:nngen>
                 $<TARGET_FILE:infer_train_gc_sig> ${CMAKE_CURRENT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/infer/errors)
set_tests_properties(infer_errors PROPERTIES LABELS unit TIMEOUT 120)

# docs/inference.md's example, as the page has it, built and run.
if(TARGET xor)
  add_test(NAME infer_example
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/infer_example.sh $<TARGET_FILE:nngen>
                   $<TARGET_FILE:xor> ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/infer/example)
  set_tests_properties(infer_example PROPERTIES LABELS unit TIMEOUT 120)
endif()

# nngen_add_model's INFERENCE WEIGHTS form: a library with no runtime.
nngen_add_model(infer_xor_lib SPEC ${PROJECT_SOURCE_DIR}/models/xor.spec INFERENCE
                WEIGHTS ${CMAKE_CURRENT_SOURCE_DIR}/specs_infer/xor.nngw)
add_executable(infer_cmake_xor infer_cmake_xor.c)
target_link_libraries(infer_cmake_xor PRIVATE infer_xor_lib)
add_test(NAME infer_cmake COMMAND infer_cmake_xor)
set_tests_properties(infer_cmake PROPERTIES LABELS unit TIMEOUT 60)
