/*
 * nnrt_vec_avx512.h -- the vector layer for AVX-512F: the operations that
 * nnrt_math_impl.h is written in (listed there), on vf_t = 16 floats
 * (__m512) and vd_t = 8 doubles (__m512d, for tanh_short).  Included only
 * by nnrt_math_avx512.c, which is built with -mavx512f -mavx2 -mfma on
 * x86-64.  Only AVX-512F instructions: no DQ, BW or VL (the float and
 * double bit operations go through the integer ones).
 *
 * exp/log/tanh are SLEEF's avx512f entry points (Sleef_*f16_u10avx512f: at
 * most 1.0 ulp), called directly.  Partial vectors are loads and stores
 * under a __mmask16 of their first r lanes (masked-off lanes are neither
 * read nor written, so nothing outside p[0..r) is touched); a reduction's
 * tail is folded into the lanes before the horizontal step, as on AVX2.
 */
#ifndef NNRT_VEC_AVX512_H
#define NNRT_VEC_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include <sleef.h>

/* ---- 16 floats --------------------------------------------------------- */

#define VF_LANES 16
typedef __m512 vf_t;
typedef __mmask16 vfm_t; /* a compare's result: one bit per lane */

/* The operations that are one intrinsic: their spellings.  max_ps(a, b)
 * is exactly a > b ? a : b, min_ps(a, b) a < b ? a : b (as on AVX2). */
#define vf_load _mm512_loadu_ps
#define vf_store _mm512_storeu_ps
#define vf_set _mm512_set1_ps
#define vf_zero _mm512_setzero_ps
#define vf_add _mm512_add_ps
#define vf_sub _mm512_sub_ps
#define vf_mul _mm512_mul_ps
#define vf_div _mm512_div_ps
#define vf_max _mm512_max_ps
#define vf_min _mm512_min_ps
#define vf_ge(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ)
#define vf_gt(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define vf_lt(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define vf_select(m, a, b) _mm512_mask_blend_ps(m, b, a)
#define vf_exp Sleef_expf16_u10avx512f
#define vf_expm1 Sleef_expm1f16_u10avx512f
#define vf_log Sleef_logf16_u10avx512f
#define vf_tanh Sleef_tanhf16_u10avx512f
#define vf_hsum _mm512_reduce_add_ps
#define vf_hmax _mm512_reduce_max_ps

/* Lanes 0..r-1 on, 0 <= r <= 16. */
static inline __mmask16 avx512_mask(long r)
{
    return (__mmask16)((1u << r) - 1u);
}

static inline vf_t vf_load_part(const float *p, long r, vf_t fill)
{
    return _mm512_mask_loadu_ps(fill, avx512_mask(r), p);
}

static inline void vf_store_part(float *p, long r, vf_t v)
{
    _mm512_mask_storeu_ps(p, avx512_mask(r), v);
}

static inline vf_t vf_keep_first(vf_t v, long r) { return _mm512_maskz_mov_ps(avx512_mask(r), v); }

static inline vf_t vf_neg_abs(vf_t v)
{
    return _mm512_castsi512_ps(
        _mm512_or_epi32(_mm512_castps_si512(v), _mm512_castps_si512(_mm512_set1_ps(-0.0f))));
}

/* A reduction's tail joins the lanes before the horizontal step
 * (vf_hsum_tail, vf_hmax_tail: nnrt_math_impl.h). */
#define VF_TAIL_IN_LANES 1

/* ---- 8 doubles (tanh_short) ---------------------------------------------- */

#define VD_LANES 8
typedef __m512d vd_t;
typedef __mmask8 vdm_t;

#define vd_set _mm512_set1_pd
#define vd_add _mm512_add_pd
#define vd_sub _mm512_sub_pd
#define vd_mul _mm512_mul_pd
#define vd_div _mm512_div_pd
#define vd_fma _mm512_fmadd_pd   /* (a, b, c) = a*b + c */
#define vd_fnma _mm512_fnmadd_pd /* (a, b, c) = c - a*b */
#define vd_min _mm512_min_pd
#define vd_abs _mm512_abs_pd
#define vd_lt(a, b) _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ)
#define vd_select(m, a, b) _mm512_mask_blend_pd(m, b, a)

static inline vd_t vd_load_f(const float *p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
static inline void vd_store_f(float *p, vd_t v) { _mm256_storeu_ps(p, _mm512_cvtpd_ps(v)); }

/* r < 8 floats through the 16-float masked load and store (AVX-512F has
 * no masked 8-float one without VL); idle lanes 0. */
static inline vd_t vd_load_f_part(const float *p, long r)
{
    return _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps(avx512_mask(r), p)));
}

static inline void vd_store_f_part(float *p, long r, vd_t v)
{
    _mm512_mask_storeu_ps(p, avx512_mask(r), _mm512_castps256_ps512(_mm512_cvtpd_ps(v)));
}

static inline vd_t vd_copysign(vd_t mag, vd_t sgn)
{
    const __m512i sign = _mm512_castpd_si512(_mm512_set1_pd(-0.0));
    return _mm512_castsi512_pd(_mm512_or_epi64(
        _mm512_castpd_si512(mag), _mm512_and_epi64(_mm512_castpd_si512(sgn), sign)));
}

static inline vd_t vd_scale_pow2_low(vd_t p, vd_t kf)
{
    __m512i sk = _mm512_slli_epi64(_mm512_castpd_si512(kf), 52);
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(p), sk));
}

#endif /* NNRT_VEC_AVX512_H */
