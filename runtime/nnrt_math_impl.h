/*
 * nnrt_math_impl.h -- the activations over arrays (nnrt.h, section 2),
 * written once over a vector layer.  Each nnrt_math_<isa>.c is
 *
 *     #define NNRT_ISA avx2            (the <isa> of the names defined here)
 *     #include "nnrt_vec_avx2.h"       (its layer)
 *     #include "nnrt_math_impl.h"
 *
 * and gets nnrt_<isa>_{sigmoid, tanh, relu, leaky_relu, elu, step, exp, log,
 * softmax_rows, log_softmax_rows}, plus nnrt_<isa>_tanh_short when the
 * layer has double vectors.  A new ISA is a layer header, those lines, its
 * prototypes in nnrt.h and its compile flags in runtime/CMakeLists.txt.
 *
 * The formulas (the _d doubles of nnrt_math_scalar.c compute the same):
 *
 *   sigmoid(x)    e = exp(-|x|), d = 1 + e;  x >= 0 ? 1/d : e/d
 *                 (no overflow either way: -1000 -> 0, 1000 -> 1)
 *   tanh(x)       SLEEF or libm tanh
 *   relu(x)       0 > x ? 0 : x             (NaN stays NaN, -0 stays -0)
 *   leaky_relu(x) x > 0 ? x : slope * x
 *   elu(x)        x > 0 ? x : alpha * expm1(x)
 *   step(x)       x > 0 ? 1 : 0             (NaN stays NaN)
 *   softmax row   e_j = exp(x_j - max), e_j / sum e
 *   log_softmax   x_j - max - log(sum exp(x_k - max))
 *
 * The last n % lanes elements go through the same kernel as a partial
 * vector whose idle lanes hold 1.0 (no spurious log(0) or overflow flags
 * for a run with FP traps on), so an element's result never depends on
 * where it sits in the array, and nothing past x[n-1] is touched.
 *
 * ---- The layer: what nnrt_vec_<isa>.h defines --------------------------
 * Each as a static inline function or, where one intrinsic does it, as a
 * macro spelling that intrinsic; nnrt_vec_scalar.h is the plain version of
 * each.  p is a float *, r a lane count: 0 < r < VF_LANES for the part
 * operations, 0 <= r < VF_LANES for the tails.
 *
 *   VF_LANES, vf_t         a vector of VF_LANES floats
 *   vfm_t                  a lane mask, from a compare
 *   vf_load(p), vf_store(p, v), vf_set(c), vf_zero()
 *   vf_load_part(p, r, fill)   p[0..r) in lanes 0..r-1, fill's lanes above;
 *                              reads nothing past p[r-1]
 *   vf_store_part(p, r, v)     lanes 0..r-1 to p[0..r); writes nothing else
 *   vf_keep_first(v, r)        v with lanes r and above set to +0
 *   vf_add, vf_sub, vf_mul, vf_div
 *   vf_max(a, b), vf_min(a, b) exactly a > b ? a : b and a < b ? a : b per
 *                              lane: a NaN in b comes out, -0 and +0 as written
 *   vf_neg_abs(v)              -|v| (the sign bit set)
 *   vf_ge, vf_gt, vf_lt        (a, b) -> vfm_t, ordered (false for NaN)
 *   vf_select(m, a, b)         m ? a : b per lane
 *   vf_exp, vf_expm1, vf_log, vf_tanh
 *                              SLEEF's _u10 functions (libm on scalar)
 *   vf_hsum(v), vf_hmax(v)     over the lanes
 *   vf_hsum_tail(acc, p, r)    the sum of acc's lanes and p[0..r);
 *   vf_hmax_tail(acc, p, r)    the largest of them.  How the tail joins,
 *                              hence a sum's rounding order, is the layer's
 *                              and part of its results; a layer that joins
 *                              it to the lanes first (a partial vector with
 *                              idle lanes 0, or acc's for the max) defines
 *                              VF_TAIL_IN_LANES instead, and gets them here.
 *
 * and, for tanh_short, VD_LANES doubles (undefined: no tanh_short):
 *
 *   VD_LANES, vd_t, vdm_t
 *   vd_load_f(p), vd_store_f(p, v)    VD_LANES floats widened to double,
 *                                     and rounded back to float once
 *   vd_load_f_part(p, r) (idle lanes 0), vd_store_f_part(p, r, v)
 *   vd_set, vd_add, vd_sub, vd_mul, vd_div, vd_abs, vd_lt, vd_select
 *   vd_min(a, b)                      exactly a < b ? a : b
 *   vd_fma(a, b, c) = a*b + c, vd_fnma(a, b, c) = c - a*b, one rounding
 *     (the layer maps the order: AVX2 fmadd(a, b, c), NEON vfmaq(c, a, b))
 *   vd_copysign(mag, sgn)             mag, whose sign bit is clear, with sgn's
 *   vd_scale_pow2_low(p, kf)          p * 2^k for kf = k + 1.5 * 2^52, by
 *                                     adding k to p's exponent field
 */
#include <math.h>

#include "nnrt.h"

#if !defined(NNRT_ISA) || !defined(VF_LANES)
#error "nnrt_math_impl.h: define NNRT_ISA and include a nnrt_vec_<isa>.h first"
#endif

#ifdef VF_TAIL_IN_LANES
static inline float vf_hsum_tail(vf_t acc, const float *p, long r)
{
    if (r > 0)
        acc = vf_add(acc, vf_load_part(p, r, vf_zero()));
    return vf_hsum(acc);
}

static inline float vf_hmax_tail(vf_t acc, const float *p, long r)
{
    if (r > 0)
        acc = vf_max(acc, vf_load_part(p, r, acc));
    return vf_hmax(acc);
}
#endif

#define MATH_NAME_(isa, fn) nnrt_##isa##_##fn
#define MATH_NAME(isa, fn) MATH_NAME_(isa, fn)
#define MATH_FN(fn) MATH_NAME(NNRT_ISA, fn)

/* ---- one vector of each function ------------------------------------- */
/* Each takes a parameter p (leaky_relu's slope, elu's alpha); the others
 * ignore it. */

static inline vf_t math_sigmoid(vf_t v, vf_t unused)
{
    (void)unused;
    const vf_t one = vf_set(1.0f);
    /* exp(-|v|), the argument held >= -104 where exp is 0 in float anyway:
     * SLEEF raises spurious overflow/invalid flags for -1000 or -FLT_MAX.
     * vf_max(c, a) is c > a ? c : a, so NaN passes through. */
    vf_t e = vf_exp(vf_max(vf_set(-104.0f), vf_neg_abs(v)));
    vf_t d = vf_add(one, e);
    return vf_div(vf_select(vf_ge(v, vf_zero()), one, e), d);
}

static inline vf_t math_tanh(vf_t v, vf_t unused)
{
    (void)unused;
    /* tanh is 1.0f beyond |v| = 9.01; held to [-10, 10] because SLEEF
     * raises spurious flags (it takes exp(2|v|)) for large |v|.  NaN
     * passes: vf_min/vf_max(c, v) return v when the compare fails. */
    return vf_tanh(vf_min(vf_set(10.0f), vf_max(vf_set(-10.0f), v)));
}

static inline vf_t math_exp(vf_t v, vf_t unused)
{
    (void)unused;
    return vf_exp(v);
}

static inline vf_t math_log(vf_t v, vf_t unused)
{
    (void)unused;
    return vf_log(v);
}

static inline vf_t math_relu(vf_t v, vf_t unused)
{
    (void)unused;
    return vf_max(vf_zero(), v);
}

static inline vf_t math_leaky(vf_t v, vf_t slope)
{
    return vf_select(vf_gt(v, vf_zero()), v, vf_mul(slope, v));
}

static inline vf_t math_elu(vf_t v, vf_t alpha)
{
    /* expm1's argument held to [-104, 0]: the lanes that keep v would
     * overflow it, and it is -1.0f below -17 anyway.  NaN passes: vf_min
     * and vf_max(c, v) return v when the compare fails. */
    vf_t e = vf_expm1(vf_max(vf_set(-104.0f), vf_min(vf_zero(), v)));
    return vf_select(vf_gt(v, vf_zero()), v, vf_mul(alpha, e));
}

static inline vf_t math_step(vf_t v, vf_t unused)
{
    (void)unused;
    /* the perceptron's threshold unit; a NaN lane (v >= v fails) passes
     * through, as it does for relu */
    vf_t a = vf_select(vf_gt(v, vf_zero()), vf_set(1.0f), vf_zero());
    return vf_select(vf_ge(v, v), a, v);
}

/* x[i] = KERNEL(x[i], P) over x[0..n): a vector per step, then the tail as
 * a partial vector with 1.0 in its idle lanes.  (Unrolled twice it
 * measured no faster on AVX2: the SLEEF call dominates.) */
#define MATH_MAP(x, n, KERNEL, P)                                                      \
    do {                                                                               \
        long i_ = 0;                                                                   \
        for (; i_ + VF_LANES <= (n); i_ += VF_LANES)                                   \
            vf_store((x) + i_, KERNEL(vf_load((x) + i_), (P)));                        \
        if (i_ < (n)) {                                                                \
            vf_t t_ = vf_load_part((x) + i_, (n) - i_, vf_set(1.0f));                  \
            vf_store_part((x) + i_, (n) - i_, KERNEL(t_, (P)));                        \
        }                                                                              \
    } while (0)

void MATH_FN(sigmoid)(float *x, long n)
{
    MATH_MAP(x, n, math_sigmoid, vf_zero());
}

void MATH_FN(tanh)(float *x, long n)
{
    MATH_MAP(x, n, math_tanh, vf_zero());
}

void MATH_FN(relu)(float *x, long n)
{
    MATH_MAP(x, n, math_relu, vf_zero());
}

void MATH_FN(leaky_relu)(float *x, long n, float slope)
{
    vf_t s = vf_set(slope);
    MATH_MAP(x, n, math_leaky, s);
}

void MATH_FN(elu)(float *x, long n, float alpha)
{
    vf_t a = vf_set(alpha);
    MATH_MAP(x, n, math_elu, a);
}

void MATH_FN(step)(float *x, long n)
{
    MATH_MAP(x, n, math_step, vf_zero());
}

void MATH_FN(exp)(float *x, long n)
{
    MATH_MAP(x, n, math_exp, vf_zero());
}

void MATH_FN(log)(float *x, long n)
{
    MATH_MAP(x, n, math_log, vf_zero());
}

/* ---- rows: softmax and log-softmax ------------------------------------ */

/* Largest element of row[0..cols). */
static float math_row_max(const float *row, long cols)
{
    vf_t mx = vf_set(-INFINITY);
    long j = 0;
    for (; j + VF_LANES <= cols; j += VF_LANES)
        mx = vf_max(mx, vf_load(row + j));
    return vf_hmax_tail(mx, row + j, cols - j);
}

/* row[j] -= max(row).  Rows shorter than a vector take plain loops: a
 * partial load, store and horizontal max cost more than 7 compares. */
static void math_row_shift(float *row, long cols)
{
    if (cols < VF_LANES) {
        float mx = -INFINITY;
        for (long j = 0; j < cols; j++)
            mx = row[j] > mx ? row[j] : mx;
        for (long j = 0; j < cols; j++)
            row[j] = row[j] - mx;
        return;
    }
    vf_t vmx = vf_set(math_row_max(row, cols));
    long j = 0;
    for (; j + VF_LANES <= cols; j += VF_LANES)
        vf_store(row + j, vf_sub(vf_load(row + j), vmx));
    if (j < cols)
        vf_store_part(row + j, cols - j, vf_sub(vf_load_part(row + j, cols - j, vf_zero()), vmx));
}

/* row[j] /= sum(row). */
static void math_row_normalize(float *row, long cols)
{
    if (cols < VF_LANES) {
        float sum = 0.0f;
        for (long j = 0; j < cols; j++)
            sum += row[j];
        for (long j = 0; j < cols; j++)
            row[j] = row[j] / sum;
        return;
    }
    vf_t acc = vf_zero();
    long j = 0;
    for (; j + VF_LANES <= cols; j += VF_LANES)
        acc = vf_add(acc, vf_load(row + j));
    vf_t sum = vf_set(vf_hsum_tail(acc, row + j, cols - j));
    for (j = 0; j + VF_LANES <= cols; j += VF_LANES)
        vf_store(row + j, vf_div(vf_load(row + j), sum));
    if (j < cols)
        vf_store_part(row + j, cols - j, vf_div(vf_load_part(row + j, cols - j, vf_zero()), sum));
}

/* Softmax works on groups of rows of about MATH_SOFTMAX_BLOCK floats (4 KB,
 * in L1): shift every row by its max, exp the whole group in one pass (so
 * short rows such as 10 classes still fill the vectors), then divide every
 * row by its sum.  On AVX2, 3.4 -> 1.9 ns per float at 10 columns, 14 ->
 * 2.1 at 3; the same bits as row by row. */
#define MATH_SOFTMAX_BLOCK 1024

void MATH_FN(softmax_rows)(float *x, long rows, long cols)
{
    if (cols <= 0)
        return;
    long group = cols >= MATH_SOFTMAX_BLOCK ? 1 : MATH_SOFTMAX_BLOCK / cols;
    for (long r0 = 0; r0 < rows; r0 += group) {
        long nr = rows - r0 < group ? rows - r0 : group;
        float *blk = x + r0 * cols;
        for (long r = 0; r < nr; r++)
            math_row_shift(blk + r * cols, cols);
        MATH_FN(exp)(blk, nr * cols);
        for (long r = 0; r < nr; r++)
            math_row_normalize(blk + r * cols, cols);
    }
}

/* Sum of exp(row[j] - mx), for log_softmax.  The tail's idle lanes hold
 * mx (exp(0): no flags; SLEEF's exp(-inf) raises invalid) and are zeroed
 * before they reach the sum. */
static float math_row_exp_sum(const float *row, long cols, float mx)
{
    vf_t vmx = vf_set(mx), acc = vf_zero();
    long j = 0;
    for (; j + VF_LANES <= cols; j += VF_LANES)
        acc = vf_add(acc, vf_exp(vf_sub(vf_load(row + j), vmx)));
    if (j < cols) {
        vf_t e = vf_exp(vf_sub(vf_load_part(row + j, cols - j, vmx), vmx));
        acc = vf_add(acc, vf_keep_first(e, cols - j));
    }
    return vf_hsum(acc);
}

void MATH_FN(log_softmax_rows)(float *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = math_row_max(row, cols);
        float lse = logf(math_row_exp_sum(row, cols, mx));
        vf_t vmx = vf_set(mx), vlse = vf_set(lse);
        long j = 0;
        for (; j + VF_LANES <= cols; j += VF_LANES)
            vf_store(row + j, vf_sub(vf_sub(vf_load(row + j), vmx), vlse));
        if (j < cols) {
            vf_t v = vf_sub(vf_load_part(row + j, cols - j, vf_zero()), vmx);
            vf_store_part(row + j, cols - j, vf_sub(v, vlse));
        }
    }
}

/* ---- tanh of a few floats, in double --------------------------------- */
/* For the units of a layer narrower than a vector (generated code calls it
 * when units < lanes): SLEEF's tanhf works in double-float arithmetic and
 * is a long chain (~43 ns for one AVX2 call, whatever n <= 8).  Here the
 * floats are widened to doubles and tanh(|x|) = (e - 1) / (e + 1),
 * e = exp(2|x|), is evaluated with a degree-10 Taylor exp after a k ln2
 * reduction (|r| <= ln2/2: truncation 2e-13 relative); below |x| = 2^-12,
 * where e - 1 cancels, x - x^3/3 (error below 1e-15 relative there).  The
 * double result is rounded to float once: every float in [0, 10] measured
 * within 0.50000866 ulp (docs/runtime-math.md).  Every ISA performs the
 * same operations, so all give the same bits.  On AVX2 ~27 ns for up to 8
 * floats, 1.3 ns per float on long arrays (SLEEF: 2.3); no flags for
 * finite input, NaN propagates; the tail's idle lanes hold 0. */
#ifdef VD_LANES

/* exp(t) for t in [0, 19]: t = k ln2 + r, exp(r) by Estrin, times 2^k. */
static inline vd_t math_exp_small_d(vd_t t)
{
    /* k = rint(t / ln2) in the low bits of kf (the 1.5 * 2^52 trick) */
    const vd_t magic = vd_set(0x1.8p52);
    vd_t kf = vd_fma(t, vd_set(0x1.71547652b82fep0), magic);
    vd_t k = vd_sub(kf, magic);
    /* one-constant reduction: k <= 28, so the error of ln2 in double
     * (2.3e-17) moves exp by < 1e-15 relative, far below what float needs */
    vd_t r = vd_fnma(k, vd_set(0x1.62e42fefa39efp-1), t);
    vd_t r2 = vd_mul(r, r), r4 = vd_mul(r2, r2), r8 = vd_mul(r4, r4);
    vd_t p01 = vd_add(r, vd_set(1.0));
    vd_t p23 = vd_fma(r, vd_set(1.0 / 6), vd_set(0.5));
    vd_t p45 = vd_fma(r, vd_set(1.0 / 120), vd_set(1.0 / 24));
    vd_t p67 = vd_fma(r, vd_set(1.0 / 5040), vd_set(1.0 / 720));
    vd_t p89 = vd_fma(r, vd_set(1.0 / 362880), vd_set(1.0 / 40320));
    vd_t q03 = vd_fma(p23, r2, p01);
    vd_t q47 = vd_fma(p67, r2, p45);
    vd_t q810 = vd_fma(vd_set(1.0 / 3628800), r2, p89);
    vd_t p = vd_fma(q810, r8, vd_fma(q47, r4, q03));
    /* times 2^k: k (0..28) added to the exponent field */
    return vd_scale_pow2_low(p, kf);
}

static inline vd_t math_tanh_d(vd_t v)
{
    const vd_t one = vd_set(1.0);
    /* |x| held to 9.5 (tanh is 1.0f beyond 9.01); vd_min(c, y) passes NaN */
    vd_t y = vd_min(vd_set(9.5), vd_abs(v));
    vd_t e = math_exp_small_d(vd_add(y, y));
    /* e - 1 is exact for e in [1, 2] (Sterbenz) */
    vd_t t = vd_div(vd_sub(e, one), vd_add(e, one));
    vd_t ts = vd_fnma(vd_mul(y, vd_mul(y, y)), vd_set(1.0 / 3), y);
    t = vd_select(vd_lt(y, vd_set(0x1p-12)), ts, t);
    return vd_copysign(t, v);
}

void MATH_FN(tanh_short)(float *x, long n)
{
    long i = 0;
    for (; i + VD_LANES <= n; i += VD_LANES)
        vd_store_f(x + i, math_tanh_d(vd_load_f(x + i)));
    if (i < n)
        vd_store_f_part(x + i, n - i, math_tanh_d(vd_load_f_part(x + i, n - i)));
}

#endif /* VD_LANES */
