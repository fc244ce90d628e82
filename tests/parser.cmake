# The front end (compiler/spec.c, diag.c) and the nngen command line.
nng_test(test_parser SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_parser.c LIBS nngen_core)
