/*
 * nnrt_math_scalar.c -- libnnrt's math in plain C and libm, always built:
 * nnrt_scalar_* (the algorithms of nnrt_math_impl.h over the one-float
 * layer of nnrt_vec_scalar.h), the reference the vector paths are tested
 * against; and the double versions nnrt_scalar_*_d that code nngen emits
 * with --dtype double (gradient verification) calls.
 */
#define NNRT_ISA scalar
#include "nnrt_vec_scalar.h"

#include "nnrt_math_impl.h"

/* ---- double ---------------------------------------------------------- */
/* The formulas of nnrt_math_impl.h, element by element.  No argument is
 * clamped: libm's exp and tanh in double raise no spurious flags. */

void nnrt_scalar_sigmoid_d(double *x, long n)
{
    for (long i = 0; i < n; i++) {
        double v = x[i];
        double e = exp(-fabs(v));
        double d = 1.0 + e;
        x[i] = (v >= 0.0 ? 1.0 : e) / d;
    }
}

void nnrt_scalar_tanh_d(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = tanh(x[i]);
}

void nnrt_scalar_relu_d(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] < 0.0 ? 0.0 : x[i];
}

void nnrt_scalar_leaky_relu_d(double *x, long n, double slope)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] > 0.0 ? x[i] : slope * x[i];
}

void nnrt_scalar_step_d(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] > 0.0 ? 1.0 : x[i] != x[i] ? x[i] : 0.0;
}

void nnrt_scalar_elu_d(double *x, long n, double alpha)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] > 0.0 ? x[i] : alpha * expm1(x[i]);
}

void nnrt_scalar_softmax_rows_d(double *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        double *row = x + r * cols;
        double mx = -HUGE_VAL;
        for (long j = 0; j < cols; j++)
            mx = row[j] > mx ? row[j] : mx;
        double sum = 0.0;
        for (long j = 0; j < cols; j++) {
            row[j] = exp(row[j] - mx);
            sum += row[j];
        }
        for (long j = 0; j < cols; j++)
            row[j] = row[j] / sum;
    }
}
