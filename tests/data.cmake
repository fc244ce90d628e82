# Data loaders and weights files (runtime/nnrt_data.c, nnrt_csv.c,
# nnrt_idx.c, nnrt_hdf5.c, nnrt_weights.c).  test_data reads the cat HDF5
# files and Fashion-MNIST when present (CI=true: must be present) and writes
# its fixtures into a fresh temporary directory; with HDF5 it also writes
# HDF5 fixtures through the HDF5 API.  test_data_memory checks that loading
# Fashion-MNIST's training images keeps one float copy (peak RSS); run it
# with a file argument to print the numbers for any data file.
nng_test(test_data SOURCES test_data.c LIBS nnrt)
nng_test(test_weights SOURCES test_weights.c LIBS nnrt)
# Peak RSS means nothing under an emulator (qemu's own memory grows too).
if(NOT CMAKE_CROSSCOMPILING)
  nng_test(test_data_memory SOURCES test_data_memory.c LIBS nnrt)
endif()
# test_data writes its HDF5 fixtures with the real API, so it links libhdf5
# itself (libnnrt only dlopen()s it; both then use the one copy loaded).
if(NNRT_HAVE_HDF5)
  target_compile_definitions(test_data PRIVATE NNG_HAVE_HDF5=1)
  target_link_libraries(test_data PRIVATE PkgConfig::HDF5)
endif()
# libhdf5 is dlopen()ed on the first .h5 read (runtime/nnrt_hdf5.c):
# test_hdf5_load links libnnrt alone, like a trainer, and checks that CSV
# loads no libhdf5, that models/xor does not need it, the one-line errors
# of NNRT_HDF5_LIB naming a missing or a non-HDF5 library, and that the
# cat data then loads it.
if(NNRT_HAVE_HDF5 AND TARGET xor)
  nng_test(test_hdf5_load SOURCES test_hdf5_load.c LIBS nnrt LABELS "unit;hdf5")
  add_dependencies(test_hdf5_load xor)
endif()
