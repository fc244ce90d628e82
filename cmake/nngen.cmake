# nngen_add_model(<target> SPEC <file.spec>
#                 [ISA all|scalar|avx2|avx512|neon] [DTYPE float|double]
#                 [NO_MAIN | LIBRARY] [NOVEC] [FLAGS <extra nngen flags>...])
# nngen_add_model(<target> SPEC <file.spec> INFERENCE WEIGHTS <weights file>
#                 [ISA ...] [LIBRARY] [FLAGS ...])
#
# Runs nngen on SPEC (relative to the current source directory) at build
# time, again whenever the spec or nngen changes, into
# ${CMAKE_CURRENT_BINARY_DIR}/<target>.c, and builds the target <target>
# from it, linked with nngen::nnrt:
#   (default)  an executable: the trainer, the generated file with its own
#              main() (the training driver in libnnrt; docs/trainer.md);
#   NO_MAIN    a static library, compiled with -DNNGEN_NO_MAIN: link it into
#              your program (target_link_libraries(app PRIVATE <target>))
#              and use NAME_model, NAME_forward, ... (docs/generated-code.md);
#   LIBRARY    the same as an OBJECT library, for several builds of one spec
#              in one program ($<TARGET_OBJECTS:<target>>, each with its own
#              FLAGS --name).
#   INFERENCE WEIGHTS <file>  the inference-only file of the trained weights
#              <file> (relative to the current source directory; nngen
#              --inference, docs/inference.md) as a static library (an
#              object library with LIBRARY) that links nothing: declare
#              NAME_predict and the rest (docs/inference.md) in your code,
#              or #include ${<target>_SOURCE} for the size macros too.
# The libraries pass nngen::nnrt on (PUBLIC): nnrt.h, SLEEF, libdeflate, zlib, libm.
# ISA all (the default) carries every path the target can have and picks
# the best at run time: no flags needed.  ISA avx2 and avx512 (one fixed
# path) are compiled with NNGEN_AVX2_FLAGS / NNGEN_AVX512_FLAGS (-mavx2
# -mfma; -mavx512f too), set below where the caller has not.  NOVEC also
# turns off the C compiler's auto-vectorisation (-fno-tree-vectorize), for
# loop-versus-vector runs.  Models are compiled with -ffp-contract=off
# (docs/floating-point.md).
# The generated file's path is left in <target>_SOURCE in the caller's scope.
#
# Which nngen runs: NNGEN_HOST_NNGEN if set (a build-machine nngen for cross
# builds, compiler/CMakeLists.txt), else the target nngen::nngen -- built
# in this build (nngen's own tree, or add_subdirectory) or imported by
# find_package(nngen CONFIG).  The same function serves all three.
#
# Reproducible builds: nngen runs in the project's source directory with
# the spec's path relative to it (the binary dir's for a spec generated
# there), so the path the model carries (--info's `spec`, --help) does not
# depend on where the tree or the build directory is.
# The flags a file of one x86-64 vector path (nngen --isa avx2 / avx512)
# needs (not -march=native, so the build is the same on every x86-64
# machine); a project may set its own before this file is included.  A file
# of every path (--isa all, the default) needs none: each path's functions
# carry their own target attribute.  NEON is part of the aarch64 baseline.
if(NOT DEFINED NNGEN_AVX2_FLAGS)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
    set(NNGEN_AVX2_FLAGS -mavx2 -mfma)
    set(NNGEN_AVX512_FLAGS -mavx512f -mavx2 -mfma)
  else()
    set(NNGEN_AVX2_FLAGS "")
    set(NNGEN_AVX512_FLAGS "")
  endif()
endif()

function(nngen_add_model target)
  cmake_parse_arguments(A "NO_MAIN;LIBRARY;NOVEC;INFERENCE" "SPEC;ISA;DTYPE;WEIGHTS" "FLAGS" ${ARGN})
  if(NOT A_SPEC)
    message(FATAL_ERROR "nngen_add_model(${target}): SPEC is required")
  endif()
  if(A_NO_MAIN AND A_LIBRARY)
    message(FATAL_ERROR "nngen_add_model(${target}): NO_MAIN (a static library) and LIBRARY "
                        "(an object library) exclude each other")
  endif()
  if(A_INFERENCE AND (NOT A_WEIGHTS OR A_NO_MAIN OR A_DTYPE STREQUAL "double"))
    message(FATAL_ERROR "nngen_add_model(${target}): INFERENCE needs WEIGHTS <file> and takes "
                        "neither NO_MAIN nor DTYPE double")
  endif()
  if(A_WEIGHTS AND NOT A_INFERENCE)
    message(FATAL_ERROR "nngen_add_model(${target}): WEIGHTS is for INFERENCE")
  endif()
  if(A_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nngen_add_model(${target}): unknown arguments ${A_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT A_DTYPE)
    set(A_DTYPE float)
  endif()
  if(NOT A_ISA AND A_DTYPE STREQUAL "double")
    set(A_ISA scalar) # the double trainer has the scalar path only (docs/double.md)
  elseif(NOT A_ISA)
    set(A_ISA all)
  endif()

  # The spec, relative to the directory nngen runs in.
  get_filename_component(spec "${A_SPEC}" ABSOLUTE)
  set(run_dir "")
  foreach(dir "${PROJECT_BINARY_DIR}" "${PROJECT_SOURCE_DIR}")
    file(RELATIVE_PATH rel "${dir}" "${spec}")
    if(NOT run_dir AND NOT rel MATCHES "^\\.\\./" AND NOT IS_ABSOLUTE "${rel}")
      set(run_dir "${dir}")
      set(spec_arg "${rel}")
    endif()
  endforeach()
  if(NOT run_dir)
    set(run_dir "${CMAKE_CURRENT_BINARY_DIR}")
    set(spec_arg "${spec}")
  endif()

  # The nngen to run and what the command depends on.  A target named in
  # COMMAND is replaced by its path (with CMAKE_CROSSCOMPILING_EMULATOR in
  # front when cross-compiling); an alias is resolved to the real target.
  if(NNGEN_HOST_NNGEN)
    set(nngen_cmd "${NNGEN_HOST_NNGEN}")
    set(nngen_dep "${NNGEN_HOST_NNGEN}")
  elseif(TARGET nngen::nngen)
    get_target_property(real nngen::nngen ALIASED_TARGET)
    get_target_property(imported nngen::nngen IMPORTED)
    if(real)
      set(nngen_cmd ${real})
      set(nngen_dep ${real})
    elseif(imported)
      set(nngen_cmd nngen::nngen)
      set(nngen_dep "$<TARGET_FILE:nngen::nngen>")
    else()
      set(nngen_cmd nngen::nngen)
      set(nngen_dep nngen::nngen)
    endif()
  else()
    message(FATAL_ERROR "nngen_add_model(${target}): no nngen to run: find_package(nngen CONFIG) "
                        "or add_subdirectory(<nngen source>) first, or set NNGEN_HOST_NNGEN")
  endif()

  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}.c")
  set(mode --dtype ${A_DTYPE})
  set(weights "")
  if(A_INFERENCE) # the weights, relative to the run directory as the spec is
    get_filename_component(weights "${A_WEIGHTS}" ABSOLUTE)
    file(RELATIVE_PATH rel "${run_dir}" "${weights}")
    if(rel MATCHES "^\\.\\./")
      set(rel "${weights}")
    endif()
    set(mode --inference --weights "${rel}")
  endif()
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${nngen_cmd} --isa ${A_ISA} ${mode} ${A_FLAGS} -o "${out}" "${spec_arg}"
    DEPENDS ${nngen_dep} "${spec}" ${weights}
    WORKING_DIRECTORY "${run_dir}"
    COMMENT "nngen ${A_SPEC} -> ${target}.c (isa ${A_ISA})"
    VERBATIM)

  if(A_INFERENCE) # no runtime: the file needs nothing but a C compiler
    if(A_LIBRARY)
      add_library(${target} OBJECT "${out}")
    else()
      add_library(${target} STATIC "${out}")
    endif()
  elseif(A_LIBRARY)
    add_library(${target} OBJECT "${out}")
  elseif(A_NO_MAIN)
    add_library(${target} STATIC "${out}")
  else()
    add_executable(${target} "${out}")
  endif()
  if(A_INFERENCE)
  elseif(A_LIBRARY OR A_NO_MAIN)
    target_compile_definitions(${target} PRIVATE NNGEN_NO_MAIN)
    target_link_libraries(${target} PUBLIC nngen::nnrt)
  else()
    target_link_libraries(${target} PRIVATE nngen::nnrt)
  endif()
  if(A_ISA STREQUAL "avx2")
    target_compile_options(${target} PRIVATE ${NNGEN_AVX2_FLAGS})
  elseif(A_ISA STREQUAL "avx512")
    target_compile_options(${target} PRIVATE ${NNGEN_AVX512_FLAGS})
  endif()
  if(A_NOVEC)
    target_compile_options(${target} PRIVATE -fno-tree-vectorize)
  endif()
  target_compile_options(${target} PRIVATE
    $<$<C_COMPILER_ID:GNU,Clang,AppleClang>:-ffp-contract=off>)
  set(${target}_SOURCE "${out}" PARENT_SCOPE)
endfunction()
