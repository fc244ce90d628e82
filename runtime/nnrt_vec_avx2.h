/*
 * nnrt_vec_avx2.h -- the vector layer for AVX2+FMA: the operations that
 * nnrt_math_impl.h is written in (listed there), on vf_t = 8 floats
 * (__m256) and vd_t = 4 doubles (__m256d, for tanh_short).  Included only
 * by nnrt_math_avx2.c, which is built with -mavx2 -mfma on x86-64.
 *
 * exp/log/tanh are SLEEF's avx2 entry points (Sleef_*f8_u10avx2: at most
 * 1.0 ulp), called directly rather than through the dispatcher
 * (Sleef_expf8_u10): the same code on an AVX2 machine, one indirect jump
 * less per 8 floats.  Partial vectors are masked loads and stores, so
 * nothing outside p[0..r) is read or written; a reduction's tail is folded
 * into the lanes before the horizontal step.
 */
#ifndef NNRT_VEC_AVX2_H
#define NNRT_VEC_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include <sleef.h>

/* ---- 8 floats ---------------------------------------------------------- */

#define VF_LANES 8
typedef __m256 vf_t;
typedef __m256 vfm_t; /* a compare's result: all ones or all zeros per lane */

/* The operations that are one intrinsic: their spellings.  max_ps(a, b)
 * is exactly a > b ? a : b, min_ps(a, b) a < b ? a : b. */
#define vf_load _mm256_loadu_ps
#define vf_store _mm256_storeu_ps
#define vf_set _mm256_set1_ps
#define vf_zero _mm256_setzero_ps
#define vf_add _mm256_add_ps
#define vf_sub _mm256_sub_ps
#define vf_mul _mm256_mul_ps
#define vf_div _mm256_div_ps
#define vf_max _mm256_max_ps
#define vf_min _mm256_min_ps
#define vf_ge(a, b) _mm256_cmp_ps(a, b, _CMP_GE_OQ)
#define vf_gt(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define vf_lt(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define vf_select(m, a, b) _mm256_blendv_ps(b, a, m)
#define vf_exp Sleef_expf8_u10avx2
#define vf_expm1 Sleef_expm1f8_u10avx2
#define vf_log Sleef_logf8_u10avx2
#define vf_tanh Sleef_tanhf8_u10avx2

static const int32_t avx2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                            0,  0,  0,  0,  0,  0,  0,  0};

/* Lanes 0..r-1 on, 0 <= r <= 8. */
static inline __m256i avx2_mask(long r)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)(avx2_mask_table + 8 - r));
}

static inline vf_t vf_load_part(const float *p, long r, vf_t fill)
{
    __m256i m = avx2_mask(r);
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}

static inline void vf_store_part(float *p, long r, vf_t v)
{
    _mm256_maskstore_ps(p, avx2_mask(r), v);
}

static inline vf_t vf_keep_first(vf_t v, long r)
{
    return _mm256_and_ps(v, _mm256_castsi256_ps(avx2_mask(r)));
}

static inline vf_t vf_neg_abs(vf_t v) { return _mm256_or_ps(v, _mm256_set1_ps(-0.0f)); }

static inline float vf_hsum(vf_t v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float vf_hmax(vf_t v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* A reduction's tail joins the lanes before the horizontal step
 * (vf_hsum_tail, vf_hmax_tail: nnrt_math_impl.h). */
#define VF_TAIL_IN_LANES 1

/* ---- 4 doubles (tanh_short) ---------------------------------------------- */

#define VD_LANES 4
typedef __m256d vd_t;
typedef __m256d vdm_t;

#define vd_set _mm256_set1_pd
#define vd_add _mm256_add_pd
#define vd_sub _mm256_sub_pd
#define vd_mul _mm256_mul_pd
#define vd_div _mm256_div_pd
#define vd_fma _mm256_fmadd_pd   /* (a, b, c) = a*b + c */
#define vd_fnma _mm256_fnmadd_pd /* (a, b, c) = c - a*b */
#define vd_min _mm256_min_pd
#define vd_lt(a, b) _mm256_cmp_pd(a, b, _CMP_LT_OQ)
#define vd_select(m, a, b) _mm256_blendv_pd(b, a, m)

static inline vd_t vd_load_f(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
static inline void vd_store_f(float *p, vd_t v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }

/* Lanes 0..r-1 on of a 4-float vector, 0 <= r <= 4. */
static inline __m128i avx2_mask4(long r)
{
    return _mm_loadu_si128((const __m128i *)(const void *)(avx2_mask_table + 8 - r));
}

static inline vd_t vd_load_f_part(const float *p, long r)
{
    return _mm256_cvtps_pd(_mm_maskload_ps(p, avx2_mask4(r)));
}

static inline void vd_store_f_part(float *p, long r, vd_t v)
{
    _mm_maskstore_ps(p, avx2_mask4(r), _mm256_cvtpd_ps(v));
}

static inline vd_t vd_abs(vd_t v) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v); }

static inline vd_t vd_copysign(vd_t mag, vd_t sgn)
{
    return _mm256_or_pd(mag, _mm256_and_pd(_mm256_set1_pd(-0.0), sgn));
}

static inline vd_t vd_scale_pow2_low(vd_t p, vd_t kf)
{
    __m256i sk = _mm256_slli_epi64(_mm256_castpd_si256(kf), 52);
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p), sk));
}

#endif /* NNRT_VEC_AVX2_H */
