/*
 * nnrt_math_scalar.c -- activations over arrays in plain C (libm), in
 * float and in double (the *_d twins, for generated code built with
 * --dtype double).  This is the reference the vector paths (avx2, neon)
 * are tested against, and they compute the same formulas:
 *
 *   sigmoid(x)    e = exp(-|x|), d = 1 + e;  x >= 0 ? 1/d : e/d
 *                 (no overflow either way: -1000 -> 0, 1000 -> 1)
 *   tanh(x)       libm tanh
 *   relu(x)       x < 0 ? 0 : x             (NaN stays NaN)
 *   leaky_relu(x) x > 0 ? x : slope * x
 *   softmax row   e_j = exp(x_j - max), e_j / sum e
 *   log_softmax   x_j - max - log(sum exp(x_k - max))
 */
#include <math.h>

#include "nnrt.h"

void nnrt_scalar_sigmoid(float *x, long n)
{
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float e = expf(-fabsf(v));
        float d = 1.0f + e;
        x[i] = (v >= 0.0f ? 1.0f : e) / d;
    }
}

void nnrt_scalar_tanh(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = tanhf(x[i]);
}

void nnrt_scalar_relu(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void nnrt_scalar_leaky_relu(float *x, long n, float slope)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

void nnrt_scalar_exp(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = expf(x[i]);
}

void nnrt_scalar_log(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = logf(x[i]);
}

void nnrt_scalar_softmax_rows(float *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = -INFINITY;
        for (long j = 0; j < cols; j++)
            mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (long j = 0; j < cols; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        for (long j = 0; j < cols; j++)
            row[j] = row[j] / sum;
    }
}

void nnrt_scalar_log_softmax_rows(float *x, long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = -INFINITY;
        for (long j = 0; j < cols; j++)
            mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (long j = 0; j < cols; j++)
            sum += expf(row[j] - mx);
        float lse = logf(sum);
        for (long j = 0; j < cols; j++)
            row[j] = (row[j] - mx) - lse;
    }
}

/* ---- double twins -------------------------------------------------- */

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
