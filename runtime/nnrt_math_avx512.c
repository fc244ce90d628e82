/*
 * nnrt_math_avx512.c -- libnnrt's math for AVX-512F (nnrt_avx512_*): the
 * algorithms of nnrt_math_impl.h over the layer of nnrt_vec_avx512.h.
 * Built with -mavx512f -mavx2 -mfma on x86-64 only; call only when
 * nnrt_cpu_has("avx512").
 */
#define NNRT_ISA avx512
#include "nnrt_vec_avx512.h"

#include "nnrt_math_impl.h"
