/*
 * nnrt_loss.c -- loss sums over float arrays, and over double arrays for
 * --dtype double code (the _d twins, the same source); the caller divides
 * by the number of samples.  Accumulated in double: a float running sum
 * over 60000 x 10 terms would lose several digits.
 *
 *   bce          -[y log p + (1-y) log(1-p)],  p clamped to [1e-7, 1-1e-7]
 *   bce_logits   max(z,0) - y z + log1p(exp(-|z|))  (= log(1+e^z) - y z)
 *   mse          (p - y)^2
 *   cce          -y log p,  p clamped to [1e-7, 1-1e-7]
 *
 * The clamp keeps the loss finite when a sigmoid or softmax output
 * saturates to exactly 0 or 1 in float; it is the same bound Keras uses.
 */
#include <math.h>

#include "nnrt.h"

#define LOSS_EPS 1e-7

static double loss_clamp(double p)
{
    /* Written so that NaN passes through unchanged. */
    if (p < LOSS_EPS)
        return LOSS_EPS;
    if (p > 1.0 - LOSS_EPS)
        return 1.0 - LOSS_EPS;
    return p;
}

static double loss_bce1(double p, double y)
{
    double pc = loss_clamp(p);
    return -(y * log(pc) + (1.0 - y) * log1p(-pc));
}

static double loss_mse1(double p, double y)
{
    double d = p - y;
    return d * d;
}

static double loss_cce1(double p, double y)
{
    /* 0 * log(p) is 0 for every clamped p: skip the log. */
    return y == 0.0 ? 0.0 : -y * log(loss_clamp(p));
}

/* nnrt_{bce,mse,cce}_sum<SFX> over arrays of T: each element converted to
 * double, each term computed and summed in double.  Instantiated for float
 * (no suffix) and double (_d). */
#define LOSS_SUMS(T, SFX)                                                               \
    static double loss_sum##SFX(double (*term)(double, double), const T *p, const T *y, \
                                long n)                                                 \
    {                                                                                   \
        double s = 0.0;                                                                 \
        for (long i = 0; i < n; i++)                                                    \
            s += term((double)p[i], (double)y[i]);                                      \
        return s;                                                                       \
    }                                                                                   \
    double nnrt_bce_sum##SFX(const T *p, const T *y, long n)                            \
    {                                                                                   \
        return loss_sum##SFX(loss_bce1, p, y, n);                                       \
    }                                                                                   \
    double nnrt_mse_sum##SFX(const T *p, const T *y, long n)                            \
    {                                                                                   \
        return loss_sum##SFX(loss_mse1, p, y, n);                                       \
    }                                                                                   \
    double nnrt_cce_sum##SFX(const T *p, const T *y, long rows, long cols)              \
    {                                                                                   \
        return loss_sum##SFX(loss_cce1, p, y, rows * cols);                             \
    }

LOSS_SUMS(float, )
LOSS_SUMS(double, _d)

/* From logits; float arrays only (nnrt.h declares no double twin). */
double nnrt_bce_logits_sum(const float *z, const float *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double zi = (double)z[i];
        s += (zi > 0.0 ? zi : 0.0) - (double)y[i] * zi + log1p(exp(-fabs(zi)));
    }
    return s;
}

