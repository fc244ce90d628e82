# Vector math, losses, random numbers and the runtime's common utilities
# (runtime/nnrt_common.c, nnrt_math_*.c, nnrt_loss.c).
nng_test(test_math SOURCES test_math.c LIBS nnrt)
nng_test(test_rng SOURCES test_rng.c LIBS nnrt)
