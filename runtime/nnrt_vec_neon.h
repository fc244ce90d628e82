/*
 * nnrt_vec_neon.h -- the vector layer for Arm NEON (aarch64): the
 * operations that nnrt_math_impl.h is written in (listed there), on
 * vf_t = 4 floats (float32x4_t) and vd_t = 2 doubles (float64x2_t, for
 * tanh_short).  Included only by nnrt_math_neon.c, built on aarch64.
 *
 * exp/log/tanh are SLEEF's Sleef_*f4_u10 (an alias of the advsimd
 * variant: at most 1.0 ulp).  NEON has no masked load or store: a partial
 * vector goes through a 4-float stack buffer, so nothing outside p[0..r)
 * is read or written.  A reduction's tail is added after the horizontal
 * step, in order.  NEON's FMA is vfmaq(c, a, b) = c + a*b; vd_fma(a, b, c)
 * maps the common order onto it.
 */
#ifndef NNRT_VEC_NEON_H
#define NNRT_VEC_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include <sleef.h>

/* ---- 4 floats ---------------------------------------------------------- */

#define VF_LANES 4
typedef float32x4_t vf_t;
typedef uint32x4_t vfm_t;

/* The operations that are one intrinsic: their spellings. */
#define vf_load vld1q_f32
#define vf_store vst1q_f32
#define vf_set vdupq_n_f32
#define vf_add vaddq_f32
#define vf_sub vsubq_f32
#define vf_mul vmulq_f32
#define vf_div vdivq_f32
#define vf_ge vcgeq_f32
#define vf_gt vcgtq_f32
#define vf_lt vcltq_f32
#define vf_select vbslq_f32
#define vf_exp Sleef_expf4_u10
#define vf_expm1 Sleef_expm1f4_u10
#define vf_log Sleef_logf4_u10
#define vf_tanh Sleef_tanhf4_u10
#define vf_hsum vaddvq_f32
#define vf_hmax vmaxvq_f32

static inline vf_t vf_zero(void) { return vdupq_n_f32(0.0f); }

static inline vf_t vf_load_part(const float *p, long r, vf_t fill)
{
    float t[4];
    vst1q_f32(t, fill);
    memcpy(t, p, (size_t)r * sizeof(float));
    return vld1q_f32(t);
}

static inline void vf_store_part(float *p, long r, vf_t v)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)r * sizeof(float));
}

static inline vf_t vf_keep_first(vf_t v, long r)
{
    static const uint32_t lane[4] = {0, 1, 2, 3};
    uint32x4_t on = vcltq_u32(vld1q_u32(lane), vdupq_n_u32((uint32_t)r));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), on));
}

/* Compare and select, not vmaxq/vminq, which return a NaN from either
 * operand and order -0 below +0. */
static inline vf_t vf_max(vf_t a, vf_t b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline vf_t vf_min(vf_t a, vf_t b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline vf_t vf_neg_abs(vf_t v) { return vnegq_f32(vabsq_f32(v)); }

/* The horizontal sum, then the tail added in order. */
static inline float vf_hsum_tail(vf_t acc, const float *p, long r)
{
    float s = vaddvq_f32(acc);
    for (long i = 0; i < r; i++)
        s += p[i];
    return s;
}

/* The horizontal max, then the tail compared in order. */
static inline float vf_hmax_tail(vf_t acc, const float *p, long r)
{
    float m = vmaxvq_f32(acc);
    for (long i = 0; i < r; i++)
        m = p[i] > m ? p[i] : m;
    return m;
}

/* ---- 2 doubles (tanh_short) ---------------------------------------------- */

#define VD_LANES 2
typedef float64x2_t vd_t;
typedef uint64x2_t vdm_t;

#define vd_set vdupq_n_f64
#define vd_add vaddq_f64
#define vd_sub vsubq_f64
#define vd_mul vmulq_f64
#define vd_div vdivq_f64
#define vd_fma(a, b, c) vfmaq_f64(c, a, b)  /* a*b + c */
#define vd_fnma(a, b, c) vfmsq_f64(c, a, b) /* c - a*b */
#define vd_abs vabsq_f64
#define vd_lt vcltq_f64
#define vd_select vbslq_f64

static inline vd_t vd_load_f(const float *p) { return vcvt_f64_f32(vld1_f32(p)); }
static inline void vd_store_f(float *p, vd_t v) { vst1_f32(p, vcvt_f32_f64(v)); }

static inline vd_t vd_load_f_part(const float *p, long r)
{
    float t[2] = {0.0f, 0.0f};
    memcpy(t, p, (size_t)r * sizeof(float));
    return vcvt_f64_f32(vld1_f32(t));
}

static inline void vd_store_f_part(float *p, long r, vd_t v)
{
    float t[2];
    vst1_f32(t, vcvt_f32_f64(v));
    memcpy(p, t, (size_t)r * sizeof(float));
}

static inline vd_t vd_min(vd_t a, vd_t b) { return vbslq_f64(vcltq_f64(a, b), a, b); }

static inline vd_t vd_copysign(vd_t mag, vd_t sgn)
{
    return vbslq_f64(vreinterpretq_u64_f64(vdupq_n_f64(-0.0)), sgn, mag);
}

static inline vd_t vd_scale_pow2_low(vd_t p, vd_t kf)
{
    int64x2_t sk = vshlq_n_s64(vreinterpretq_s64_f64(kf), 52);
    return vreinterpretq_f64_s64(vaddq_s64(vreinterpretq_s64_f64(p), sk));
}

#endif /* NNRT_VEC_NEON_H */
