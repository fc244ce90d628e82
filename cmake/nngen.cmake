# nngen_add_model(<target> SPEC <file.spec>
#                 [ISA all|scalar|avx2|avx512|neon] [DTYPE float|double]
#                 [NO_MAIN] [LIBRARY] [NOVEC] [FLAGS <extra nngen flags>...])
#
# Runs nngen on SPEC at build time (re-run when the spec or nngen changes)
# into ${CMAKE_CURRENT_BINARY_DIR}/<target>.c, then
#   - by default builds the executable <target>: the generated file with its
#     own main() (the training driver), linked with libnnrt;
#   - with LIBRARY, builds an OBJECT library <target> compiled with
#     -DNNGEN_NO_MAIN, for tests and benchmarks that call the model directly.
# ISA all (the default) carries every path the target can have and picks
# the best at run time: no flags needed.  ISA avx2 and avx512 are compiled
# with NNGEN_AVX2_FLAGS / NNGEN_AVX512_FLAGS (-mavx2 -mfma; -mavx512f too).
# NOVEC also turns off the C compiler's
# auto-vectorisation (-fno-tree-vectorize), for loop-versus-vector runs.
# The generated file's path is left in <target>_SOURCE in the caller's scope.
function(nngen_add_model target)
  cmake_parse_arguments(A "NO_MAIN;LIBRARY;NOVEC" "SPEC;ISA;DTYPE" "FLAGS" ${ARGN})
  if(NOT A_SPEC)
    message(FATAL_ERROR "nngen_add_model(${target}): SPEC is required")
  endif()
  if(NOT A_ISA)
    set(A_ISA all)
  endif()
  if(NOT A_DTYPE)
    set(A_DTYPE float)
  endif()
  get_filename_component(spec "${A_SPEC}" ABSOLUTE)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}.c")
  # NNGEN_HOST_NNGEN (compiler/CMakeLists.txt): a build-machine nngen for
  # cross builds; otherwise the nngen target built here.
  if(NNGEN_HOST_NNGEN)
    set(nngen_exe "${NNGEN_HOST_NNGEN}")
  else()
    set(nngen_exe nngen)
  endif()
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${nngen_exe} --isa ${A_ISA} --dtype ${A_DTYPE} ${A_FLAGS} -o "${out}" "${spec}"
    DEPENDS ${nngen_exe} "${spec}"
    COMMENT "nngen ${A_SPEC} -> ${target}.c (isa ${A_ISA})"
    VERBATIM)
  if(A_LIBRARY)
    add_library(${target} OBJECT "${out}")
    target_compile_definitions(${target} PRIVATE NNGEN_NO_MAIN)
  else()
    add_executable(${target} "${out}")
  endif()
  target_link_libraries(${target} PRIVATE nnrt)
  if(A_ISA STREQUAL "avx2")
    target_compile_options(${target} PRIVATE ${NNGEN_AVX2_FLAGS})
  elseif(A_ISA STREQUAL "avx512")
    target_compile_options(${target} PRIVATE ${NNGEN_AVX512_FLAGS})
  endif()
  if(A_NOVEC)
    target_compile_options(${target} PRIVATE -fno-tree-vectorize)
  endif()
  set(${target}_SOURCE "${out}" PARENT_SCOPE)
endfunction()
