# The training driver (runtime/nnrt_train.c, nnrt_flags.c, nnrt_report.c,
# nnrt_predict.c) and nnrt_gradcheck, on
# hand-written tiny models (tests/test_driver_model.h): flags, messages,
# data errors, determinism, save/load/resume, predict, log, divergence.
nng_test(test_driver SOURCES test_driver.c LIBS nnrt LABELS unit)
