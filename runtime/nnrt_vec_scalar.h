/*
 * nnrt_vec_scalar.h -- the plain layer: the operations that
 * nnrt_math_impl.h is written in (listed there), on one float in plain C
 * and libm.  Included only by nnrt_math_scalar.c.  With one lane there is
 * never a partial vector, and a reduction's tail is always empty; the part
 * and tail operations are here for the interface and do what it says.
 */
#ifndef NNRT_VEC_SCALAR_H
#define NNRT_VEC_SCALAR_H

#include <math.h>

#define VF_LANES 1
typedef float vf_t;
typedef int vfm_t;

static inline vf_t vf_load(const float *p) { return *p; }
static inline void vf_store(float *p, vf_t v) { *p = v; }
static inline vf_t vf_set(float c) { return c; }
static inline vf_t vf_zero(void) { return 0.0f; }
static inline vf_t vf_load_part(const float *p, long r, vf_t fill) { return r > 0 ? *p : fill; }

static inline void vf_store_part(float *p, long r, vf_t v)
{
    if (r > 0)
        *p = v;
}

static inline vf_t vf_keep_first(vf_t v, long r) { return r > 0 ? v : 0.0f; }

static inline vf_t vf_add(vf_t a, vf_t b) { return a + b; }
static inline vf_t vf_sub(vf_t a, vf_t b) { return a - b; }
static inline vf_t vf_mul(vf_t a, vf_t b) { return a * b; }
static inline vf_t vf_div(vf_t a, vf_t b) { return a / b; }
static inline vf_t vf_max(vf_t a, vf_t b) { return a > b ? a : b; }
static inline vf_t vf_min(vf_t a, vf_t b) { return a < b ? a : b; }
static inline vf_t vf_neg_abs(vf_t v) { return -fabsf(v); }

static inline vfm_t vf_ge(vf_t a, vf_t b) { return a >= b; }
static inline vfm_t vf_gt(vf_t a, vf_t b) { return a > b; }
static inline vfm_t vf_lt(vf_t a, vf_t b) { return a < b; }
static inline vf_t vf_select(vfm_t m, vf_t a, vf_t b) { return m ? a : b; }

static inline vf_t vf_exp(vf_t v) { return expf(v); }
static inline vf_t vf_expm1(vf_t v) { return expm1f(v); }
static inline vf_t vf_log(vf_t v) { return logf(v); }
static inline vf_t vf_tanh(vf_t v) { return tanhf(v); }

static inline float vf_hsum(vf_t v) { return v; }
static inline float vf_hmax(vf_t v) { return v; }

static inline float vf_hsum_tail(vf_t acc, const float *p, long r)
{
    for (long i = 0; i < r; i++)
        acc += p[i];
    return acc;
}

static inline float vf_hmax_tail(vf_t acc, const float *p, long r)
{
    for (long i = 0; i < r; i++)
        acc = p[i] > acc ? p[i] : acc;
    return acc;
}

#endif /* NNRT_VEC_SCALAR_H */
