# Data loaders and weights files (runtime/nnrt_data.c, nnrt_hdf5.c,
# nnrt_weights.c).  test_data reads the cat HDF5 files and Fashion-MNIST when
# present (CI=true: must be present) and writes its fixtures into a fresh
# temporary directory; with HDF5 it also writes HDF5 fixtures through the
# HDF5 API.  test_data_memory checks that loading Fashion-MNIST's training
# images keeps one float copy (peak RSS); run it with a file argument to
# print the numbers for any data file.
nng_test(test_data SOURCES test_data.c LIBS nnrt)
nng_test(test_weights SOURCES test_weights.c LIBS nnrt)
# Peak RSS means nothing under an emulator (qemu's own memory grows too).
if(NOT CMAKE_CROSSCOMPILING)
  nng_test(test_data_memory SOURCES test_data_memory.c LIBS nnrt)
endif()
if(NNRT_HAVE_HDF5)
  target_compile_definitions(test_data PRIVATE NNG_HAVE_HDF5=1)
endif()
