/*
 * nnrt_math_neon.c -- libnnrt's math for Arm NEON (nnrt_neon_*): the
 * algorithms of nnrt_math_impl.h over the layer of nnrt_vec_neon.h.
 * Built on aarch64 only.
 */
#define NNRT_ISA neon
#include "nnrt_vec_neon.h"

#include "nnrt_math_impl.h"
