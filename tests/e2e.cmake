# End to end: every model of models/*.spec, built by nngen into
# build/models/<name> (models/CMakeLists.txt), trains on real data and must
# reach the accuracy of docs/trainer.md ("End-to-end results").  One ctest
# test per model, e2e_<name>, running tests/test_e2e.c with the case name.
# Labels: e2e; hdf5 for the cat data (no HDF5 in the aarch64 cross build);
# slow for the runs longer than a minute on 2 cores.
set(NNG_E2E_CASES
    logreg_cat:e2e,hdf5
    cat2:e2e,hdf5
    cat:e2e,hdf5,slow
    xor:e2e
    sex:e2e
    house:e2e
    fashion:e2e,slow)
# One case: test_e2e.c CASE, once MODEL is built (a model without a spec, or
# with the cat data but no HDF5, has no case).
function(nng_e2e case model)
  set(labels ${ARGN})
  if(NOT TARGET ${model} OR ("hdf5" IN_LIST labels AND NOT NNRT_HAVE_HDF5))
    return()
  endif()
  nng_test(e2e_${case} SOURCES test_e2e.c LIBS nnrt LABELS ${labels} ARGS ${case} TIMEOUT 1800)
  add_dependencies(e2e_${case} ${model})
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" " " emu "${CMAKE_CROSSCOMPILING_EMULATOR}")
    set_property(TEST e2e_${case} APPEND PROPERTY ENVIRONMENT "NNGEN_EMULATOR=${emu}")
  endif()
endfunction()

foreach(row ${NNG_E2E_CASES})
  string(REPLACE ":" ";" parts "${row}")
  string(REPLACE "," ";" parts "${parts}")
  list(GET parts 0 name)
  list(SUBLIST parts 1 -1 labels)
  nng_e2e(${name} ${name} ${labels})
endforeach()

# Threads: a few steps on 1, 2 and 3 threads give the same weights, byte for
# byte, and the same evaluation (docs/trainer.md, Threads): cat's full batch
# (2 chunks) and Fashion-MNIST's mini-batches of 64 and 256 (2 and 4 chunks).
# Fashion-MNIST stays x86-only, as e2e_fashion (docs/arm.md): its 70000
# images take 9 minutes under qemu-aarch64.
nng_e2e(threads_cat cat e2e hdf5)
if(NOT CMAKE_CROSSCOMPILING)
  nng_e2e(threads_fashion fashion e2e)
endif()

# The perceptron chapter (docs/perceptron.md): the gate models' truth tables
# from the weights in their specs on every path the CPU runs, the rule
# learning AND, NAND and OR from zeros, and never XOR (models/xor does).
foreach(case gates perceptron_learns perceptron_xor)
  nng_e2e(${case} gate_and e2e)
  if(TARGET e2e_${case})
    add_dependencies(e2e_${case} gate_nand gate_or gate_xor xor)
  endif()
endforeach()
