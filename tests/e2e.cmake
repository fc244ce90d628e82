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
foreach(row ${NNG_E2E_CASES})
  string(REPLACE ":" ";" parts "${row}")
  string(REPLACE "," ";" parts "${parts}")
  list(GET parts 0 name)
  list(SUBLIST parts 1 -1 labels)
  if(NOT TARGET ${name})
    continue() # no models/${name}.spec
  endif()
  if("hdf5" IN_LIST labels AND NOT NNRT_HAVE_HDF5)
    continue()
  endif()
  nng_test(e2e_${name} SOURCES test_e2e.c LIBS nnrt LABELS ${labels} ARGS ${name} TIMEOUT 1800)
  add_dependencies(e2e_${name} ${name})
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" " " emu "${CMAKE_CROSSCOMPILING_EMULATOR}")
    set_property(TEST e2e_${name} APPEND PROPERTY ENVIRONMENT "NNGEN_EMULATOR=${emu}")
  endif()
endforeach()

# Threads: a few steps on 1, 2 and 3 threads give the same weights, byte for
# byte, and the same evaluation (docs/trainer.md, Threads): cat's full batch
# (4 chunks) and Fashion-MNIST's mini-batches of 64 and 256 (2 and 8 chunks).
foreach(row threads_cat:cat:e2e,hdf5 threads_fashion:fashion:e2e)
  string(REPLACE ":" ";" parts "${row}")
  list(GET parts 0 case)
  list(GET parts 1 model)
  list(GET parts 2 labels)
  string(REPLACE "," ";" labels "${labels}")
  if(NOT TARGET ${model} OR ("hdf5" IN_LIST labels AND NOT NNRT_HAVE_HDF5))
    continue()
  endif()
  nng_test(e2e_${case} SOURCES test_e2e.c LIBS nnrt LABELS ${labels} ARGS ${case} TIMEOUT 900)
  add_dependencies(e2e_${case} ${model})
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" " " emu "${CMAKE_CROSSCOMPILING_EMULATOR}")
    set_property(TEST e2e_${case} APPEND PROPERTY ENVIRONMENT "NNGEN_EMULATOR=${emu}")
  endif()
endforeach()
