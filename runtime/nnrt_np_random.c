/*
 * nnrt_np_random.c -- numpy's legacy global generator, number for number:
 * what `np.random.seed(s)` followed by `np.random.randn(...)` gives, so that
 * init=numpy (and its scales) starts from the initial weights of the
 * deeplearning.ai notebooks (docs/trainer.md, Initialisation).
 *
 * The algorithms, as numpy (numpy/random/src/mt19937/, legacy/) has them:
 *   - MT19937 (Matsumoto & Nishimura), seeded as np.random.seed(s) seeds it
 *     for an integer s in [0, 2^32): Knuth's initialisation of the 624
 *     words (the reference init_genrand), the first draw regenerating them;
 *   - a double in [0, 1) from two 32-bit draws, the first's top 27 bits
 *     and the second's top 26: (a * 2^26 + b) / 2^53;
 *   - normals by the polar method, which makes two from one accepted pair
 *     (x1, x2): it returns f*x2 and keeps f*x1 for the next call;
 *     np.random.seed forgets a kept one.  randn fills its array in C order,
 *     and the kept value carries over to the next randn call.
 *
 * Determinism: the same bits as numpy wherever numpy's own arithmetic is
 * IEEE double (+ - * / sqrt, no fused multiply-add) and its log is the C
 * library's: numpy calls libm's log(), and so does this file, so the
 * values equal numpy's on the same C library (glibc on Linux).  Every other
 * operation is exactly rounded, hence the same everywhere.
 */
#include <math.h>
#include <string.h>

#include "nnrt.h"

/* No fused multiply-add: numpy's x1*x1 + x2*x2 rounds twice. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define NP_N 624
#define NP_M 397
#define NP_MATRIX_A 0x9908b0dfu
#define NP_UPPER 0x80000000u
#define NP_LOWER 0x7fffffffu

void nnrt_np_seed(nnrt_np_rng *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (int i = 1; i < NP_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->pos = NP_N;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

/* The next 624 words of the state. */
static void np_regen(nnrt_np_rng *r)
{
    uint32_t *mt = r->mt;
    for (int i = 0; i < NP_N; i++) {
        uint32_t y = (mt[i] & NP_UPPER) | (mt[(i + 1) % NP_N] & NP_LOWER);
        mt[i] = mt[(i + NP_M) % NP_N] ^ (y >> 1) ^ ((y & 1u) ? NP_MATRIX_A : 0u);
    }
    r->pos = 0;
}

uint32_t nnrt_np_next32(nnrt_np_rng *r)
{
    if (r->pos >= NP_N)
        np_regen(r);
    uint32_t y = r->mt[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double nnrt_np_double(nnrt_np_rng *r)
{
    uint32_t a = nnrt_np_next32(r) >> 5, b = nnrt_np_next32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

double nnrt_np_gauss(nnrt_np_rng *r)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * nnrt_np_double(r) - 1.0;
        x2 = 2.0 * nnrt_np_double(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

int nnrt_init_is_numpy(nnrt_init init)
{
    return init == NNRT_INIT_NUMPY || init == NNRT_INIT_NUMPY_SMALL ||
           init == NNRT_INIT_NUMPY_XAVIER || init == NNRT_INIT_NUMPY_HE;
}

/* Each rule as its notebook writes it: the operation and its rounding are
 * numpy's (a division by np.sqrt(n_prev) is not a multiplication by its
 * reciprocal). */
double nnrt_np_init_weight(nnrt_np_rng *r, nnrt_init init, int fan_in, int fan_out)
{
    double g = nnrt_np_gauss(r);
    switch (init) {
    case NNRT_INIT_NUMPY: /* np.random.randn(n, n_prev) / np.sqrt(n_prev) */
        return g / sqrt((double)fan_in);
    case NNRT_INIT_NUMPY_SMALL: /* np.random.randn(n, n_prev) * 0.01 */
        return g * 0.01;
    case NNRT_INIT_NUMPY_XAVIER: /* ... * np.sqrt(2. / (n_prev + n)) */
        return g * sqrt(2.0 / ((double)fan_in + (double)fan_out));
    case NNRT_INIT_NUMPY_HE: /* ... * np.sqrt(2. / n_prev) */
        return g * sqrt(2.0 / (double)fan_in);
    default:
        return g;
    }
}

void nnrt_np_init_params(const nnrt_model *m, nnrt_real *params, nnrt_init init, uint64_t seed)
{
    /* np.random.seed(seed) once, then W1, W2, ... in C order from the one
     * stream; the biases are np.zeros and draw nothing. */
    memset(params, 0, m->n_params * sizeof params[0]);
    nnrt_np_rng r;
    nnrt_np_seed(&r, (uint32_t)seed);
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        nnrt_real *w = params + L->w_offset;
        size_t count = (size_t)L->units * (size_t)L->fan_in;
        for (size_t i = 0; i < count; i++)
            w[i] = (nnrt_real)nnrt_np_init_weight(&r, init, L->fan_in, L->units);
    }
}
