/*
 * nnrt_loss.c -- loss sums over arrays (the caller divides by the number
 * of samples).  Accumulated in double: a float running sum over 60000 x 10
 * terms would lose several digits.
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

static double loss_cce1(double p, double y)
{
    /* 0 * log(p) is 0 for every clamped p: skip the log. */
    return y == 0.0 ? 0.0 : -y * log(loss_clamp(p));
}

double nnrt_bce_sum(const float *p, const float *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += loss_bce1((double)p[i], (double)y[i]);
    return s;
}

double nnrt_bce_logits_sum(const float *z, const float *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double zi = (double)z[i];
        s += (zi > 0.0 ? zi : 0.0) - (double)y[i] * zi + log1p(exp(-fabs(zi)));
    }
    return s;
}

double nnrt_mse_sum(const float *p, const float *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double d = (double)p[i] - (double)y[i];
        s += d * d;
    }
    return s;
}

double nnrt_cce_sum(const float *p, const float *y, long rows, long cols)
{
    double s = 0.0;
    long n = rows * cols;
    for (long i = 0; i < n; i++)
        s += loss_cce1((double)p[i], (double)y[i]);
    return s;
}

double nnrt_bce_sum_d(const double *p, const double *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += loss_bce1(p[i], y[i]);
    return s;
}

double nnrt_mse_sum_d(const double *p, const double *y, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double d = p[i] - y[i];
        s += d * d;
    }
    return s;
}

double nnrt_cce_sum_d(const double *p, const double *y, long rows, long cols)
{
    double s = 0.0;
    long n = rows * cols;
    for (long i = 0; i < n; i++)
        s += loss_cce1(p[i], y[i]);
    return s;
}
