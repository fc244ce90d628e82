/*
 * nnrt_math_avx2.c -- activations over arrays with AVX2+FMA, 8 floats per
 * step, exp/log/tanh from SLEEF (Sleef_*f8_u10avx2: at most 1.0 ulp).
 * Built with -mavx2 -mfma on x86-64 only; call only when
 * nnrt_cpu_has_avx2().
 *
 * The formulas are those of nnrt_math_scalar.c (see there).  The last
 * n % 8 elements go through the same 8-lane kernel with a masked load and
 * store, so an element's result never depends on where it sits in the
 * array, and nothing past x[n-1] is read or written.
 *
 * We call the avx2 entry points of SLEEF directly rather than its
 * dispatcher (Sleef_expf8_u10): same code on an AVX2 machine, one
 * indirect jump less per 8 floats.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include <sleef.h>

#include "nnrt.h"

/* ---- the thin layer: one 8-lane kernel per function ----------------- */

static const int32_t avx2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                            0,  0,  0,  0,  0,  0,  0,  0};

/* Lanes 0..r-1 on, 0 <= r <= 8. */
static inline __m256i avx2_mask(long r)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)(avx2_mask_table + 8 - r));
}

static inline __m256 avx2_sigmoid8(__m256 v, __m256 unused)
{
    (void)unused;
    const __m256 one = _mm256_set1_ps(1.0f);
    /* exp(-|v|), the argument held >= -104 where exp is 0 in float anyway:
     * SLEEF raises spurious overflow/invalid flags for -1000 or -FLT_MAX.
     * max_ps(c, a) is c > a ? c : a, so NaN passes through. */
    __m256 a = _mm256_max_ps(_mm256_set1_ps(-104.0f), _mm256_or_ps(v, _mm256_set1_ps(-0.0f)));
    __m256 e = Sleef_expf8_u10avx2(a);
    __m256 d = _mm256_add_ps(one, e);
    __m256 pos = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_div_ps(_mm256_blendv_ps(e, one, pos), d);
}

static inline __m256 avx2_tanh8(__m256 v, __m256 unused)
{
    (void)unused;
    /* tanh is 1.0f beyond |v| = 9.01; held to [-10, 10] because SLEEF
     * raises spurious flags (it takes exp(2|v|)) for large |v|.  NaN
     * passes: min/max_ps(c, v) return v when the compare fails. */
    v = _mm256_min_ps(_mm256_set1_ps(10.0f), _mm256_max_ps(_mm256_set1_ps(-10.0f), v));
    return Sleef_tanhf8_u10avx2(v);
}

static inline __m256 avx2_exp8(__m256 v, __m256 unused)
{
    (void)unused;
    return Sleef_expf8_u10avx2(v);
}

static inline __m256 avx2_log8(__m256 v, __m256 unused)
{
    (void)unused;
    return Sleef_logf8_u10avx2(v);
}

static inline __m256 avx2_relu8(__m256 v, __m256 unused)
{
    (void)unused;
    /* max_ps(a, b) is a > b ? a : b: here 0 > v ? 0 : v, as the scalar. */
    return _mm256_max_ps(_mm256_setzero_ps(), v);
}

static inline __m256 avx2_leaky8(__m256 v, __m256 slope)
{
    __m256 pos = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(slope, v), v, pos);
}

static inline float avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float avx2_hmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* x[i] = KERNEL(x[i], P) over x[0..n): a vector per step, then a masked
 * tail whose idle lanes hold 1.0 (no spurious log(0) or overflow flags for
 * a run with FP traps on).  P is the kernel's parameter (leaky_relu's slope); the others
 * ignore it.  (Unrolled twice it measured no faster: the SLEEF call
 * dominates.) */
#define AVX2_MAP(x, n, KERNEL, P)                                                     \
    do {                                                                              \
        long i_ = 0;                                                                  \
        for (; i_ + 8 <= (n); i_ += 8)                                                \
            _mm256_storeu_ps((x) + i_, KERNEL(_mm256_loadu_ps((x) + i_), (P)));       \
        if (i_ < (n)) {                                                               \
            __m256i m_ = avx2_mask((n) - i_);                                         \
            __m256 t_ = _mm256_blendv_ps(_mm256_set1_ps(1.0f),                        \
                                         _mm256_maskload_ps((x) + i_, m_),            \
                                         _mm256_castsi256_ps(m_));                    \
            _mm256_maskstore_ps((x) + i_, m_, KERNEL(t_, (P)));                       \
        }                                                                             \
    } while (0)

/* ---- the exported functions ----------------------------------------- */

#define AVX2_NO_PARAM _mm256_setzero_ps()

void nnrt_avx2_sigmoid(float *x, long n)
{
    AVX2_MAP(x, n, avx2_sigmoid8, AVX2_NO_PARAM);
}

void nnrt_avx2_tanh(float *x, long n)
{
    AVX2_MAP(x, n, avx2_tanh8, AVX2_NO_PARAM);
}

void nnrt_avx2_relu(float *x, long n)
{
    AVX2_MAP(x, n, avx2_relu8, AVX2_NO_PARAM);
}

void nnrt_avx2_leaky_relu(float *x, long n, float slope)
{
    __m256 s = _mm256_set1_ps(slope);
    AVX2_MAP(x, n, avx2_leaky8, s);
}

void nnrt_avx2_exp(float *x, long n)
{
    AVX2_MAP(x, n, avx2_exp8, AVX2_NO_PARAM);
}

void nnrt_avx2_log(float *x, long n)
{
    AVX2_MAP(x, n, avx2_log8, AVX2_NO_PARAM);
}

/* ---- tanh of a few floats, in double --------------------------------- */
/* For the units of a layer narrower than a vector (generated code calls it
 * when units < 8): SLEEF's tanhf8 works in double-float arithmetic and is
 * a long chain (~43 ns for one call, whatever n <= 8).  Here 4 floats are
 * widened to doubles and tanh(|x|) = (e - 1) / (e + 1), e = exp(2|x|), is
 * evaluated with a degree-10 Taylor exp after a k ln2 reduction (|r| <=
 * ln2/2: truncation 2e-13 relative); below |x| = 2^-12, where e - 1
 * cancels, x - x^3/3 (error below 1e-15 relative there).  The double
 * result is rounded to float once: every float in [0, 10] measured within
 * 0.50000866 ulp (docs/runtime-math.md).  ~27 ns for up to 8 floats (one
 * chain each half), 1.3 ns per float on long arrays (SLEEF: 2.3); no flags
 * for finite input, NaN propagates. */

#define AVX2_C(v) _mm256_set1_pd(v)

/* exp(t) for t in [0, 19]: t = k ln2 + r, exp(r) by Estrin, times 2^k. */
static inline __m256d avx2_exp_pd_small(__m256d t)
{
    /* k = rint(t / ln2) in the low bits of kf (the 1.5 * 2^52 trick) */
    const __m256d magic = AVX2_C(0x1.8p52);
    __m256d kf = _mm256_fmadd_pd(t, AVX2_C(0x1.71547652b82fep0), magic);
    __m256d k = _mm256_sub_pd(kf, magic);
    /* one-constant reduction: k <= 28, so the error of ln2 in double
     * (2.3e-17) moves exp by < 1e-15 relative, far below what float needs */
    __m256d r = _mm256_fnmadd_pd(k, AVX2_C(0x1.62e42fefa39efp-1), t);
    __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2), r8 = _mm256_mul_pd(r4, r4);
    __m256d p01 = _mm256_add_pd(r, AVX2_C(1.0));
    __m256d p23 = _mm256_fmadd_pd(r, AVX2_C(1.0 / 6), AVX2_C(0.5));
    __m256d p45 = _mm256_fmadd_pd(r, AVX2_C(1.0 / 120), AVX2_C(1.0 / 24));
    __m256d p67 = _mm256_fmadd_pd(r, AVX2_C(1.0 / 5040), AVX2_C(1.0 / 720));
    __m256d p89 = _mm256_fmadd_pd(r, AVX2_C(1.0 / 362880), AVX2_C(1.0 / 40320));
    __m256d q03 = _mm256_fmadd_pd(p23, r2, p01);
    __m256d q47 = _mm256_fmadd_pd(p67, r2, p45);
    __m256d q810 = _mm256_fmadd_pd(AVX2_C(1.0 / 3628800), r2, p89);
    __m256d p = _mm256_fmadd_pd(q810, r8, _mm256_fmadd_pd(q47, r4, q03));
    /* times 2^k: k (0..28) added to the exponent field */
    __m256i sk = _mm256_slli_epi64(_mm256_castpd_si256(kf), 52);
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p), sk));
}

static inline __m128 avx2_tanh4_pd(__m128 x)
{
    const __m256d sign = AVX2_C(-0.0);
    __m256d v = _mm256_cvtps_pd(x);
    /* |x| held to 9.5 (tanh is 1.0f beyond 9.01); min_pd(c, y) passes NaN */
    __m256d y = _mm256_min_pd(AVX2_C(9.5), _mm256_andnot_pd(sign, v));
    __m256d e = avx2_exp_pd_small(_mm256_add_pd(y, y));
    /* e - 1 is exact for e in [1, 2] (Sterbenz) */
    __m256d t = _mm256_div_pd(_mm256_sub_pd(e, AVX2_C(1.0)), _mm256_add_pd(e, AVX2_C(1.0)));
    __m256d ts = _mm256_fnmadd_pd(_mm256_mul_pd(y, _mm256_mul_pd(y, y)), AVX2_C(1.0 / 3), y);
    t = _mm256_blendv_pd(t, ts, _mm256_cmp_pd(y, AVX2_C(0x1p-12), _CMP_LT_OQ));
    return _mm256_cvtpd_ps(_mm256_or_pd(t, _mm256_and_pd(sign, v)));
}

void nnrt_avx2_tanh_short(float *x, long n)
{
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(x + i, avx2_tanh4_pd(_mm_loadu_ps(x + i)));
    if (i < n) {
        /* lanes 0..n-i-1 on; idle lanes load 0 (tanh(0): no flags) */
        const int32_t *mt = avx2_mask_table + 8 - (n - i);
        __m128i m = _mm_loadu_si128((const __m128i *)(const void *)mt);
        _mm_maskstore_ps(x + i, m, avx2_tanh4_pd(_mm_maskload_ps(x + i, m)));
    }
}

/* Largest element of row[0..cols). */
static float avx2_row_max(const float *row, long cols)
{
    __m256 mx = _mm256_set1_ps(-INFINITY);
    long j = 0;
    for (; j + 8 <= cols; j += 8)
        mx = _mm256_max_ps(mx, _mm256_loadu_ps(row + j));
    if (j < cols) {
        __m256i m = avx2_mask(cols - j);
        __m256 t = _mm256_maskload_ps(row + j, m);
        mx = _mm256_max_ps(mx, _mm256_blendv_ps(mx, t, _mm256_castsi256_ps(m)));
    }
    return avx2_hmax(mx);
}

/* row[j] -= max(row).  Rows shorter than a vector take plain loops: a
 * masked load, store and horizontal max cost more than 7 compares. */
static void avx2_row_shift(float *row, long cols)
{
    if (cols < 8) {
        float mx = -INFINITY;
        for (long j = 0; j < cols; j++)
            mx = row[j] > mx ? row[j] : mx;
        for (long j = 0; j < cols; j++)
            row[j] = row[j] - mx;
        return;
    }
    __m256 vmx = _mm256_set1_ps(avx2_row_max(row, cols));
    long j = 0;
    for (; j + 8 <= cols; j += 8)
        _mm256_storeu_ps(row + j, _mm256_sub_ps(_mm256_loadu_ps(row + j), vmx));
    if (j < cols) {
        __m256i m = avx2_mask(cols - j);
        _mm256_maskstore_ps(row + j, m, _mm256_sub_ps(_mm256_maskload_ps(row + j, m), vmx));
    }
}

/* row[j] /= sum(row). */
static void avx2_row_normalize(float *row, long cols)
{
    if (cols < 8) {
        float sum = 0.0f;
        for (long j = 0; j < cols; j++)
            sum += row[j];
        for (long j = 0; j < cols; j++)
            row[j] = row[j] / sum;
        return;
    }
    __m256 acc = _mm256_setzero_ps();
    long j = 0;
    for (; j + 8 <= cols; j += 8)
        acc = _mm256_add_ps(acc, _mm256_loadu_ps(row + j));
    __m256i m = avx2_mask(cols - j);
    if (j < cols)
        acc = _mm256_add_ps(acc, _mm256_maskload_ps(row + j, m));
    __m256 sum = _mm256_set1_ps(avx2_hsum(acc));
    for (j = 0; j + 8 <= cols; j += 8)
        _mm256_storeu_ps(row + j, _mm256_div_ps(_mm256_loadu_ps(row + j), sum));
    if (j < cols)
        _mm256_maskstore_ps(row + j, m, _mm256_div_ps(_mm256_maskload_ps(row + j, m), sum));
}

/* Softmax works on groups of rows of about AVX2_SOFTMAX_BLOCK floats (4 KB,
 * in L1): shift every row by its max, exp the whole group in one pass (so
 * short rows such as 10 classes still fill the vectors), then divide every
 * row by its sum.  3.4 -> 1.9 ns per float at 10 columns, 14 -> 2.1 at 3. */
#define AVX2_SOFTMAX_BLOCK 1024

void nnrt_avx2_softmax_rows(float *x, long rows, long cols)
{
    if (cols <= 0)
        return;
    long group = cols >= AVX2_SOFTMAX_BLOCK ? 1 : AVX2_SOFTMAX_BLOCK / cols;
    for (long r0 = 0; r0 < rows; r0 += group) {
        long nr = rows - r0 < group ? rows - r0 : group;
        float *blk = x + r0 * cols;
        for (long r = 0; r < nr; r++)
            avx2_row_shift(blk + r * cols, cols);
        nnrt_avx2_exp(blk, nr * cols);
        for (long r = 0; r < nr; r++)
            avx2_row_normalize(blk + r * cols, cols);
    }
}

/* Sum of exp(row[j] - mx), for log_softmax. */
static float avx2_row_exp_sum(const float *row, long cols, float mx)
{
    __m256 vmx = _mm256_set1_ps(mx);
    __m256 sum = _mm256_setzero_ps();
    long j = 0;
    for (; j + 8 <= cols; j += 8)
        sum = _mm256_add_ps(sum, Sleef_expf8_u10avx2(_mm256_sub_ps(_mm256_loadu_ps(row + j), vmx)));
    if (j < cols) {
        __m256i m = avx2_mask(cols - j);
        /* Idle lanes hold mx: exp(0), then masked out of the sum. */
        __m256 t = _mm256_blendv_ps(vmx, _mm256_maskload_ps(row + j, m), _mm256_castsi256_ps(m));
        __m256 e = Sleef_expf8_u10avx2(_mm256_sub_ps(t, vmx));
        sum = _mm256_add_ps(sum, _mm256_and_ps(e, _mm256_castsi256_ps(m)));
    }
    return avx2_hsum(sum);
}

void nnrt_avx2_log_softmax_rows(float *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = avx2_row_max(row, cols);
        float lse = logf(avx2_row_exp_sum(row, cols, mx));
        __m256 vmx = _mm256_set1_ps(mx), vlse = _mm256_set1_ps(lse);
        long j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_sub_ps(_mm256_loadu_ps(row + j), vmx);
            _mm256_storeu_ps(row + j, _mm256_sub_ps(v, vlse));
        }
        if (j < cols) {
            __m256i m = avx2_mask(cols - j);
            __m256 v = _mm256_sub_ps(_mm256_maskload_ps(row + j, m), vmx);
            _mm256_maskstore_ps(row + j, m, _mm256_sub_ps(v, vlse));
        }
    }
}
