/*
 * nnrt_math_avx2.c -- libnnrt's math for AVX2+FMA (nnrt_avx2_*): the
 * algorithms of nnrt_math_impl.h over the layer of nnrt_vec_avx2.h.
 * Built with -mavx2 -mfma on x86-64 only; call only when
 * nnrt_cpu_has_avx2().
 */
#define NNRT_ISA avx2
#include "nnrt_vec_avx2.h"

#include "nnrt_math_impl.h"
