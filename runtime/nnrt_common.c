/*
 * nnrt_common.c -- the runtime's small shared pieces: aligned allocation,
 * optimizer state sizes, the random number generator, weight
 * initialisation.  (Error messages: nnrt_err.c; CPU features: nnrt_isa.c.)
 *
 * Determinism: nnrt_rng_* and nnrt_init_params give the same bits for the
 * same seed on every platform and compiler.  They use only integer
 * arithmetic and the exactly rounded IEEE operations + - * / sqrt on
 * doubles (no libm log/sin/cos, whose last bit varies between libms), and
 * FP contraction is off so no compiler fuses a*b+c behind our back.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"

/* No fused multiply-add here, whatever the flags (-std=gnu11 implies
 * -ffp-contract=fast in GCC): a fused a*b+c rounds once, not twice, and
 * the RNG's normals would differ in the last bit between machines. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ------------------------------------------------------------------ */
/* Memory                                                               */
/* ------------------------------------------------------------------ */

void *nnrt_alloc(size_t bytes)
{
    /* aligned_alloc wants a size that is a multiple of the alignment;
     * 0 bytes still gives a unique block so NULL always means failure. */
    if (bytes > (size_t)PTRDIFF_MAX - NNRT_ALIGN_BYTES)
        return NULL;
    size_t size = (bytes + NNRT_ALIGN_BYTES - 1) / NNRT_ALIGN_BYTES * NNRT_ALIGN_BYTES;
    if (size == 0)
        size = NNRT_ALIGN_BYTES;
    void *p = aligned_alloc(NNRT_ALIGN_BYTES, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void nnrt_free(void *p)
{
    free(p);
}

size_t nnrt_state_floats(const nnrt_model *m, nnrt_opt_kind kind)
{
    switch (kind) {
    case NNRT_OPT_MOMENTUM:
        return m->n_params;
    case NNRT_OPT_ADAM:
        return 2 * m->n_params;
    case NNRT_OPT_SGD:
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256** (Blackman & Vigna), seeded by splitmix64 */
/* ------------------------------------------------------------------ */

static uint64_t rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void nnrt_rng_seed(nnrt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&x);
    /* splitmix64 is a bijection of its counter, so four consecutive
     * outputs are never all zero; xoshiro's one bad state cannot occur. */
}

uint64_t nnrt_rng_next(nnrt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

double nnrt_rng_uniform(nnrt_rng *r)
{
    /* The top 53 bits scaled by 2^-53: exact, uniform on [0, 1). */
    return (double)(nnrt_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Natural log of x > 0 (finite, normal) using only exactly rounded
 * operations, so that every platform gets the same bits.  x = m * 2^k with
 * m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1), |s| <
 * 0.1716, by its odd series to s^25 (truncation below 1e-19 relative). */
static double rng_log(double x)
{
    int k;
    double m = frexp(x, &k); /* exact: m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        k -= 1;
    }
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 25.0;
    for (int d = 23; d >= 1; d -= 2)
        p = p * s2 + 1.0 / (double)d;
    /* ln 2 split so that k * LN2_HI is exact for |k| < 2^11. */
    const double LN2_HI = 0x1.62e42fee00000p-1;
    const double LN2_LO = 0x1.a39ef35793c76p-33;
    return (double)k * LN2_HI + ((double)k * LN2_LO + 2.0 * s * p);
}

double nnrt_rng_normal(nnrt_rng *r)
{
    /* Marsaglia's polar method; the second deviate is discarded (the
     * generator state is only the four words of xoshiro). */
    for (;;) {
        double u = 2.0 * nnrt_rng_uniform(r) - 1.0;
        double v = 2.0 * nnrt_rng_uniform(r) - 1.0;
        double q = u * u + v * v;
        if (q < 1.0 && q > 0.0)
            return u * sqrt(-2.0 * rng_log(q) / q);
    }
}

long nnrt_rng_below(nnrt_rng *r, long n)
{
    if (n <= 1)
        return 0;
    /* Reject the lowest 2^64 mod n values so that every residue has the
     * same number of preimages.  That threshold is below n, so it takes a
     * division only when x < n (almost never for a small n). */
    uint64_t un = (uint64_t)n;
    for (;;) {
        uint64_t x = nnrt_rng_next(r);
        if (x >= un || x >= (0 - un) % un)
            return (long)(x % un);
    }
}

void nnrt_rng_shuffle(nnrt_rng *r, long *idx, long n)
{
    for (long i = n - 1; i > 0; i--) {
        long j = nnrt_rng_below(r, i + 1);
        long t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* ------------------------------------------------------------------ */
/* Weight initialisation                                                */
/* ------------------------------------------------------------------ */

/* Standard deviation of W for a rule; 0 for zeros. */
static double init_scale(nnrt_init init, int fan_in, int fan_out)
{
    switch (init) {
    case NNRT_INIT_SMALL:
        return 0.01;
    case NNRT_INIT_COURSE:
        return 1.0 / sqrt((double)fan_in);
    case NNRT_INIT_XAVIER:
        return sqrt(2.0 / ((double)fan_in + (double)fan_out));
    case NNRT_INIT_HE:
        return sqrt(2.0 / (double)fan_in);
    case NNRT_INIT_ZEROS:
    default:
        return 0.0;
    }
}

/* The layers whose weights the spec writes: W and b from m->literal. */
static void init_literal(const nnrt_model *m, nnrt_real *params)
{
    if (!m->literal)
        return;
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        if (!L->literal)
            continue;
        size_t nw = (size_t)L->units * (size_t)L->fan_in;
        memcpy(params + L->w_offset, m->literal + L->w_offset, nw * sizeof params[0]);
        memcpy(params + L->b_offset, m->literal + L->b_offset, (size_t)L->units * sizeof params[0]);
    }
}

void nnrt_init_params(const nnrt_model *m, nnrt_real *params, nnrt_init init, uint64_t seed)
{
    /* Biases and padding: zero.  W: one stream for the whole model, layer
     * by layer, row-major, so a seed names one set of weights (a layer the
     * spec writes draws its numbers too, then takes the spec's). */
    if (nnrt_init_is_numpy(init)) { /* numpy's generator: nnrt_np_random.c */
        nnrt_np_init_params(m, params, init, seed);
        init_literal(m, params);
        return;
    }
    memset(params, 0, m->n_params * sizeof params[0]);
    if (init != NNRT_INIT_ZEROS) {
        nnrt_rng r;
        nnrt_rng_seed(&r, seed);
        for (int l = 0; l < m->n_layers; l++) {
            const nnrt_layer_info *L = &m->layers[l];
            double scale = init_scale(init, L->fan_in, L->units);
            nnrt_real *w = params + L->w_offset;
            size_t count = (size_t)L->units * (size_t)L->fan_in;
            for (size_t i = 0; i < count; i++)
                w[i] = (nnrt_real)(nnrt_rng_normal(&r) * scale);
        }
    }
    init_literal(m, params);
}
