/*
 * isa.c -- the ISA table: how each path of the generated code spells its
 * vector operations (SLEEF's per-ISA helper layer, as a table of templates
 * instead of headers).  One emitter serves every row; a row's NULL field
 * is an operation the path does without (masked tails, prefetch), and the
 * scalar row (lanes 1) is the plain loops every vector path is tested
 * against.  Adding an ISA is a row here (and its runtime math).
 *
 * A file of one path (--isa avx2) stops with an #error unless the compiler
 * targets the row's ISA (guard).  A file of several (--isa all) carries
 * every path its target can have (host), each function of a path compiled
 * for the path's ISA by a target attribute, so that no -m flag is needed,
 * and chooses one at run time.
 */
#include "emit.h"

/* AVX2's 128-bit vectors (VEX-encoded SSE with FMA3): 4 units of a layer
 * narrower than 8 (kernels.c, "over the units"). */
static const isa_row isa_avx2_half = {
    .name = "avx2",
    .bit = NNG_ISA_AVX2,
    .lanes = 4,
    .vt = "__m128",
    .zero = "_mm_setzero_ps()",
    .loadu = "_mm_loadu_ps($1)",
    .storeu = "_mm_storeu_ps($1, $2)",
    .set1 = "_mm_set1_ps($1)",
    .fma = "_mm_fmadd_ps($1, $2, $3)",
};

const isa_row isa_table[ISA_N] = {
    /* AVX-512F: 16 floats, 32 vector registers (twice AVX2's), tails under
     * a __mmask16; its half is the AVX2 row (256 bits, then 128). */
    [ISA_AVX512] = {
        .name = "avx512",
        .bit = NNG_ISA_AVX512,
        .guard = "defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)",
        .flags = "-mavx512f -mavx2 -mfma (or -march=native on a CPU with AVX-512)",
        .cflags = "-mavx512f -mavx2 -mfma",
        .header = "<immintrin.h>",
        .host = "defined(__x86_64__) && defined(__GNUC__)",
        .target_attr = "avx512f,avx2,fma",
        .cpu = "__builtin_cpu_supports(\"avx512f\") && __builtin_cpu_supports(\"avx2\") && "
               "__builtin_cpu_supports(\"fma\")",
        .lanes = 16,
        .vt = "__m512",
        .zero = "_mm512_setzero_ps()",
        .loadu = "_mm512_loadu_ps($1)",
        .storeu = "_mm512_storeu_ps($1, $2)",
        .set1 = "_mm512_set1_ps($1)",
        .add = "_mm512_add_ps($1, $2)",
        .sub = "_mm512_sub_ps($1, $2)",
        .mul = "_mm512_mul_ps($1, $2)",
        .div = "_mm512_div_ps($1, $2)",
        .sqrt = "_mm512_sqrt_ps($1)",
        .fma = "_mm512_fmadd_ps($1, $2, $3)",
        .sel_gt0 = "_mm512_mask_blend_ps(_mm512_cmp_ps_mask($1, _mm512_setzero_ps(), _CMP_GT_OQ), "
                   "$3, $2)",
        .hsum = "_mm512_reduce_add_ps($1)",
        .hsum4_helper = "avx512_hsum4",
        .mask_decl = "const __mmask16 tailmask = $2;",
        .maskload = "_mm512_maskz_loadu_ps(tailmask, $1)",
        .maskstore = "_mm512_mask_storeu_ps($1, tailmask, $2)",
        .prefetch = "_mm_prefetch((const char *)($1), _MM_HINT_T0)",
        .pack_ahead = 1,
        .fwd_r = 4, .fwd_c = 4,
        .dw_c = 4, .dw_v = 3,
        .dx_r = 4, .dx_v = 4,
        .half = &isa_table[ISA_AVX2],
    },
    [ISA_AVX2] = {
        .name = "avx2",
        .bit = NNG_ISA_AVX2,
        .guard = "defined(__AVX2__) && defined(__FMA__)",
        .flags = "-mavx2 -mfma (or -march=native)",
        .cflags = "-mavx2 -mfma",
        .header = "<immintrin.h>",
        .host = "defined(__x86_64__) && defined(__GNUC__)",
        .target_attr = "avx2,fma",
        .cpu = "__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\")",
        .lanes = 8,
        .vt = "__m256",
        .zero = "_mm256_setzero_ps()",
        .loadu = "_mm256_loadu_ps($1)",
        .storeu = "_mm256_storeu_ps($1, $2)",
        .set1 = "_mm256_set1_ps($1)",
        .add = "_mm256_add_ps($1, $2)",
        .sub = "_mm256_sub_ps($1, $2)",
        .mul = "_mm256_mul_ps($1, $2)",
        .div = "_mm256_div_ps($1, $2)",
        .sqrt = "_mm256_sqrt_ps($1)",
        .fma = "_mm256_fmadd_ps($1, $2, $3)",
        .sel_gt0 = "_mm256_blendv_ps($3, $2, _mm256_cmp_ps($1, _mm256_setzero_ps(), _CMP_GT_OQ))",
        .hsum = "$P_hsum8($1)",
        .hsum_helper = "avx2_hsum",
        .mask_decl = "const __m256i tailmask = _mm256_setr_epi32($1);",
        .maskload = "_mm256_maskload_ps($1, tailmask)",
        .maskstore = "_mm256_maskstore_ps($1, tailmask, $2)",
        .prefetch = "_mm_prefetch((const char *)($1), _MM_HINT_T0)",
        .fwd_r = 4, .fwd_c = 3,
        .dw_c = 4, .dw_v = 3,
        .dx_r = 4, .dx_v = 2,
        .half = &isa_avx2_half,
    },
    [ISA_NEON] = {
        .name = "neon",
        .bit = NNG_ISA_NEON,
        .guard = "defined(__aarch64__) && defined(__ARM_NEON)",
        .flags = "an aarch64 compiler (NEON is part of its baseline)",
        .header = "<arm_neon.h>",
        .host = "defined(__aarch64__) && defined(__ARM_NEON)",
        .lanes = 4,
        .vt = "float32x4_t",
        .zero = "vdupq_n_f32(0.0f)",
        .loadu = "vld1q_f32($1)",
        .storeu = "vst1q_f32($1, $2)",
        .set1 = "vdupq_n_f32($1)",
        .add = "vaddq_f32($1, $2)",
        .sub = "vsubq_f32($1, $2)",
        .mul = "vmulq_f32($1, $2)",
        .div = "vdivq_f32($1, $2)",
        .sqrt = "vsqrtq_f32($1)",
        .fma = "vfmaq_f32($3, $1, $2)",
        .sel_gt0 = "vbslq_f32(vcgtq_f32($1, vdupq_n_f32(0.0f)), $2, $3)",
        .hsum = "vaddvq_f32($1)",
        .fwd_r = 4, .fwd_c = 4,
        .dw_c = 4, .dw_v = 4,
        .dx_r = 4, .dx_v = 4,
    },
    [ISA_SCALAR] = {
        .name = "scalar",
        .bit = NNG_ISA_SCALAR,
        .lanes = 1,
        .fwd_r = 1, .fwd_c = 1,
        .dw_c = 1, .dw_v = 1,
        .dx_r = 1, .dx_v = 1,
    },
};
