/*
 * nnrt_math_neon.c -- activations over arrays with Arm NEON (aarch64), 4
 * floats per step; exp/log/tanh from SLEEF (Sleef_*f4_u10: at most 1.0
 * ulp).  Built on aarch64 only.
 *
 * The formulas are those of nnrt_math_scalar.c (see there).  The last
 * n % 4 elements are copied into a 4-lane buffer, run through the same
 * kernel and copied back, so an element's result never depends on where
 * it sits in the array and nothing past x[n-1] is touched.
 *
 * NEON's FMA is vfmaq_f32(c, a, b) = c + a*b; nothing here needs one.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include <sleef.h>

#include "nnrt.h"

/* ---- the thin layer: one 4-lane kernel per function ----------------- */
/* Every kernel takes a parameter p (leaky_relu's slope); the others
 * ignore it. */

static inline float32x4_t neon_sigmoid4(float32x4_t v, float32x4_t unused)
{
    (void)unused;
    const float32x4_t one = vdupq_n_f32(1.0f);
    /* exp(-|v|), the argument held >= -104 where exp is 0 in float anyway:
     * SLEEF raises spurious overflow/invalid flags for -1000 or -FLT_MAX.
     * vmaxq_f32 passes NaN through. */
    float32x4_t a = vmaxq_f32(vdupq_n_f32(-104.0f), vnegq_f32(vabsq_f32(v)));
    float32x4_t e = Sleef_expf4_u10(a);
    float32x4_t d = vaddq_f32(one, e);
    uint32x4_t pos = vcgeq_f32(v, vdupq_n_f32(0.0f));
    return vdivq_f32(vbslq_f32(pos, one, e), d);
}

static inline float32x4_t neon_tanh4(float32x4_t v, float32x4_t unused)
{
    (void)unused;
    /* tanh is 1.0f beyond |v| = 9.01; held to [-10, 10] because SLEEF
     * raises spurious flags (it takes exp(2|v|)) for large |v|.
     * vminq/vmaxq pass NaN through. */
    v = vminq_f32(vdupq_n_f32(10.0f), vmaxq_f32(vdupq_n_f32(-10.0f), v));
    return Sleef_tanhf4_u10(v);
}

static inline float32x4_t neon_exp4(float32x4_t v, float32x4_t unused)
{
    (void)unused;
    return Sleef_expf4_u10(v);
}

static inline float32x4_t neon_log4(float32x4_t v, float32x4_t unused)
{
    (void)unused;
    return Sleef_logf4_u10(v);
}

static inline float32x4_t neon_relu4(float32x4_t v, float32x4_t unused)
{
    (void)unused;
    /* v < 0 ? 0 : v, as the scalar (vmaxq_f32 would turn -0 into +0). */
    const float32x4_t zero = vdupq_n_f32(0.0f);
    return vbslq_f32(vcltq_f32(v, zero), zero, v);
}

static inline float32x4_t neon_leaky4(float32x4_t v, float32x4_t slope)
{
    uint32x4_t pos = vcgtq_f32(v, vdupq_n_f32(0.0f));
    return vbslq_f32(pos, v, vmulq_f32(slope, v));
}

/* x[i] = KERNEL(x[i], P) over x[0..n): a vector per step, then the tail
 * through a 4-float buffer whose idle lanes hold 1.0 (no spurious log(0)
 * or overflow flags for a run with FP traps on). */
#define NEON_MAP(x, n, KERNEL, P)                                                     \
    do {                                                                              \
        long i_ = 0;                                                                  \
        for (; i_ + 4 <= (n); i_ += 4)                                                \
            vst1q_f32((x) + i_, KERNEL(vld1q_f32((x) + i_), (P)));                    \
        if (i_ < (n)) {                                                               \
            float t_[4] = {1.0f, 1.0f, 1.0f, 1.0f};                                   \
            size_t r_ = (size_t)((n) - i_) * sizeof(float);                           \
            memcpy(t_, (x) + i_, r_);                                                 \
            vst1q_f32(t_, KERNEL(vld1q_f32(t_), (P)));                                \
            memcpy((x) + i_, t_, r_);                                                 \
        }                                                                             \
    } while (0)

#define NEON_NO_PARAM vdupq_n_f32(0.0f)

/* ---- the exported functions ----------------------------------------- */

void nnrt_neon_sigmoid(float *x, long n)
{
    NEON_MAP(x, n, neon_sigmoid4, NEON_NO_PARAM);
}

void nnrt_neon_tanh(float *x, long n)
{
    NEON_MAP(x, n, neon_tanh4, NEON_NO_PARAM);
}

void nnrt_neon_relu(float *x, long n)
{
    NEON_MAP(x, n, neon_relu4, NEON_NO_PARAM);
}

void nnrt_neon_leaky_relu(float *x, long n, float slope)
{
    float32x4_t s = vdupq_n_f32(slope);
    NEON_MAP(x, n, neon_leaky4, s);
}

void nnrt_neon_exp(float *x, long n)
{
    NEON_MAP(x, n, neon_exp4, NEON_NO_PARAM);
}

void nnrt_neon_log(float *x, long n)
{
    NEON_MAP(x, n, neon_log4, NEON_NO_PARAM);
}

/* ---- tanh of a few floats, in double --------------------------------- */
/* As nnrt_avx2_tanh_short (see there): for the units of a layer narrower
 * than a vector (units < 4).  Two lanes of double per float64x2_t; the
 * same formula, constants and order of operations (vfmaq/vfmsq are the
 * AVX2 path's fmadd/fnmadd), so the two give the same bits. */

#define NEON_C(v) vdupq_n_f64(v)

static inline float64x2_t neon_exp_pd_small(float64x2_t t)
{
    const float64x2_t magic = NEON_C(0x1.8p52);
    float64x2_t kf = vfmaq_f64(magic, t, NEON_C(0x1.71547652b82fep0));
    float64x2_t k = vsubq_f64(kf, magic);
    float64x2_t r = vfmsq_f64(t, k, NEON_C(0x1.62e42fefa39efp-1));
    float64x2_t r2 = vmulq_f64(r, r), r4 = vmulq_f64(r2, r2), r8 = vmulq_f64(r4, r4);
    float64x2_t p01 = vaddq_f64(r, NEON_C(1.0));
    float64x2_t p23 = vfmaq_f64(NEON_C(0.5), r, NEON_C(1.0 / 6));
    float64x2_t p45 = vfmaq_f64(NEON_C(1.0 / 24), r, NEON_C(1.0 / 120));
    float64x2_t p67 = vfmaq_f64(NEON_C(1.0 / 720), r, NEON_C(1.0 / 5040));
    float64x2_t p89 = vfmaq_f64(NEON_C(1.0 / 40320), r, NEON_C(1.0 / 362880));
    float64x2_t q03 = vfmaq_f64(p01, p23, r2);
    float64x2_t q47 = vfmaq_f64(p45, p67, r2);
    float64x2_t q810 = vfmaq_f64(p89, NEON_C(1.0 / 3628800), r2);
    float64x2_t p = vfmaq_f64(vfmaq_f64(q03, q47, r4), q810, r8);
    int64x2_t sk = vshlq_n_s64(vreinterpretq_s64_f64(kf), 52);
    return vreinterpretq_f64_s64(vaddq_s64(vreinterpretq_s64_f64(p), sk));
}

static inline float64x2_t neon_tanh2_pd(float64x2_t v)
{
    const uint64x2_t sign = vreinterpretq_u64_f64(NEON_C(-0.0));
    /* |x| held to 9.5; vminq_f64 passes NaN */
    float64x2_t y = vminq_f64(NEON_C(9.5), vabsq_f64(v));
    float64x2_t e = neon_exp_pd_small(vaddq_f64(y, y));
    float64x2_t t = vdivq_f64(vsubq_f64(e, NEON_C(1.0)), vaddq_f64(e, NEON_C(1.0)));
    float64x2_t ts = vfmsq_f64(y, vmulq_f64(y, vmulq_f64(y, y)), NEON_C(1.0 / 3));
    t = vbslq_f64(vcltq_f64(y, NEON_C(0x1p-12)), ts, t);
    return vbslq_f64(sign, v, t); /* the sign of x */
}

static inline float32x4_t neon_tanh4_pd(float32x4_t x)
{
    float64x2_t lo = neon_tanh2_pd(vcvt_f64_f32(vget_low_f32(x)));
    float64x2_t hi = neon_tanh2_pd(vcvt_high_f64_f32(x));
    return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi);
}

void nnrt_neon_tanh_short(float *x, long n)
{
    long i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(x + i, neon_tanh4_pd(vld1q_f32(x + i)));
    if (i < n) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        size_t r = (size_t)(n - i) * sizeof(float);
        memcpy(t, x + i, r);
        vst1q_f32(t, neon_tanh4_pd(vld1q_f32(t)));
        memcpy(x + i, t, r);
    }
}

/* Largest element of row[0..cols). */
static float neon_row_max(const float *row, long cols)
{
    float32x4_t vmx = vdupq_n_f32(-INFINITY);
    long j = 0;
    for (; j + 4 <= cols; j += 4)
        vmx = vmaxq_f32(vmx, vld1q_f32(row + j));
    float mx = vmaxvq_f32(vmx);
    for (; j < cols; j++)
        mx = row[j] > mx ? row[j] : mx;
    return mx;
}

/* row[j] -= max(row).  The tail is plain C: the same IEEE subtraction. */
static void neon_row_shift(float *row, long cols)
{
    float mx = neon_row_max(row, cols);
    float32x4_t vmx = vdupq_n_f32(mx);
    long j = 0;
    for (; j + 4 <= cols; j += 4)
        vst1q_f32(row + j, vsubq_f32(vld1q_f32(row + j), vmx));
    for (; j < cols; j++)
        row[j] = row[j] - mx;
}

/* row[j] /= sum(row). */
static void neon_row_normalize(float *row, long cols)
{
    float32x4_t acc = vdupq_n_f32(0.0f);
    long j = 0;
    for (; j + 4 <= cols; j += 4)
        acc = vaddq_f32(acc, vld1q_f32(row + j));
    float sum = vaddvq_f32(acc);
    for (; j < cols; j++)
        sum += row[j];
    float32x4_t vsum = vdupq_n_f32(sum);
    for (j = 0; j + 4 <= cols; j += 4)
        vst1q_f32(row + j, vdivq_f32(vld1q_f32(row + j), vsum));
    for (; j < cols; j++)
        row[j] = row[j] / sum;
}

/* As on AVX2: groups of rows of about NEON_SOFTMAX_BLOCK floats; shift by
 * the row max, exp the whole group in one pass (short rows still fill the
 * vectors), divide by the row sums. */
#define NEON_SOFTMAX_BLOCK 1024

void nnrt_neon_softmax_rows(float *x, long rows, long cols)
{
    if (cols <= 0)
        return;
    long group = cols >= NEON_SOFTMAX_BLOCK ? 1 : NEON_SOFTMAX_BLOCK / cols;
    for (long r0 = 0; r0 < rows; r0 += group) {
        long nr = rows - r0 < group ? rows - r0 : group;
        float *blk = x + r0 * cols;
        for (long r = 0; r < nr; r++)
            neon_row_shift(blk + r * cols, cols);
        nnrt_neon_exp(blk, nr * cols);
        for (long r = 0; r < nr; r++)
            neon_row_normalize(blk + r * cols, cols);
    }
}

/* Sum of exp(row[j] - mx), for log_softmax.  The tail's idle lanes hold
 * mx (exp(0): no flags; SLEEF's exp(-inf) raises invalid) and are zeroed
 * before they reach the sum. */
static float neon_row_exp_sum(const float *row, long cols, float mx)
{
    float32x4_t vmx = vdupq_n_f32(mx), sum = vdupq_n_f32(0.0f);
    long j = 0;
    for (; j + 4 <= cols; j += 4)
        sum = vaddq_f32(sum, Sleef_expf4_u10(vsubq_f32(vld1q_f32(row + j), vmx)));
    if (j < cols) {
        float t[4] = {mx, mx, mx, mx};
        memcpy(t, row + j, (size_t)(cols - j) * sizeof(float));
        vst1q_f32(t, Sleef_expf4_u10(vsubq_f32(vld1q_f32(t), vmx)));
        for (long i = cols - j; i < 4; i++)
            t[i] = 0.0f;
        sum = vaddq_f32(sum, vld1q_f32(t));
    }
    return vaddvq_f32(sum);
}

void nnrt_neon_log_softmax_rows(float *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = neon_row_max(row, cols);
        float lse = logf(neon_row_exp_sum(row, cols, mx));
        float32x4_t vmx = vdupq_n_f32(mx), vlse = vdupq_n_f32(lse);
        long j = 0;
        for (; j + 4 <= cols; j += 4)
            vst1q_f32(row + j, vsubq_f32(vsubq_f32(vld1q_f32(row + j), vmx), vlse));
        for (; j < cols; j++)
            row[j] = (row[j] - mx) - lse;
    }
}
