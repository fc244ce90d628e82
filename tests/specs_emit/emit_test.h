/*
 * emit_test.h -- shared by the emitter's numerical tests (test_gradcheck.c,
 * test_isa_agree.c, test_reference.c): the models tests/emit.cmake
 * generates from the specs in tests/specs_emit/, deterministic parameters and
 * data, and comparisons.
 *
 * Every spec X in ET_MODELS is generated three times (tests/emit.cmake):
 *   X     float, --isa all (every path: AVX-512, AVX2 and scalar on x86-64,
 *         NEON and scalar on aarch64; the best one the CPU runs is X_model's,
 *         and et_paths gives each one):                           X_model
 *   X_s   float, --isa scalar:                                  X_s_model
 *   X_d   --dtype double (scalar, no descriptor):               X_d_forward, ...
 */
#ifndef EMIT_TEST_H
#define EMIT_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"

#define ET_MODELS(X) X(gc_sig) X(gc_multi) X(gc_relu) X(gc_soft) X(gc_msesig) X(gc_outact) \
    X(gc_wide) X(big) X(gc_units) X(gc_stream) X(gc_logreg) X(gc_elu) X(gc_step)

typedef void (*et_forward_d)(const double *params, const double *x, long m, double *out, void *ws);
typedef double (*et_loss_grad_d)(const double *params, const double *x, const double *y, long m,
                                 double *grad, void *ws);
/* What a double build's update takes: nnrt_optim_d (nnrt_real.h), whose
 * reals are double; this program sees nnrt.h in float, so its layout here. */
typedef struct et_optim_d {
    nnrt_opt_kind kind;
    double lr, beta1, beta2, eps;
} et_optim_d;
typedef void (*et_update_d)(double *params, const double *grad, double *state,
                            const et_optim_d *opt, long t);

#define ET_DECLARE(n)                                                                      \
    extern const nnrt_model n##_model, n##_s_model;                                        \
    void n##_d_forward(const double *params, const double *x, long m, double *out, void *ws); \
    double n##_d_loss_grad(const double *params, const double *x, const double *y, long m,  \
                           double *grad, void *ws);                                        \
    void n##_d_update(double *params, const double *grad, double *state,                   \
                      const et_optim_d *opt, long t);                                      \
    extern const size_t n##_d_n_params, n##_d_ws_bytes;

typedef struct et_model {
    const char *name;
    const nnrt_model *f; /* float, all ISAs (the best path this CPU runs; et_paths: each) */
    const nnrt_model *s; /* float, scalar */
    et_forward_d forward_d;
    et_loss_grad_d loss_grad_d;
    et_update_d update_d;
    const size_t *n_params_d, *ws_bytes_d;
} et_model;

#define ET_ROW(n) {#n, &n##_model, &n##_s_model, n##_d_forward, n##_d_loss_grad, n##_d_update, \
                   &n##_d_n_params, &n##_d_ws_bytes},


/* The paths of f that this CPU runs, best first, each as a descriptor of
 * its own (isa and functions of that path, no dispatch) in out[]: all of
 * f's paths for a file of several, else f itself.  A path the CPU lacks is
 * one line, printed once per program: "avx512: skipped, CPU lacks avx512f". */
#define ET_MAX_PATHS 4
static inline int et_paths(const nnrt_model *f, nnrt_model out[ET_MAX_PATHS])
{
    static char said[ET_MAX_PATHS][16];
    const nnrt_dispatch *d = f->dispatch;
    int n = 0;
    for (int k = 0; k < (d ? d->n_paths : 1) && k < ET_MAX_PATHS; k++) {
        const char *isa = d ? d->paths[k].isa : f->isa;
        const char *lacks = nnrt_cpu_lacks(isa);
        if (lacks) {
            if (strcmp(said[k], isa) != 0) {
                printf("%s: skipped, CPU lacks %s\n", isa, lacks);
                snprintf(said[k], sizeof said[k], "%s", isa);
            }
            continue;
        }
        out[n] = *f;
        if (d) {
            out[n].isa = isa;
            out[n].forward = d->paths[k].forward;
            out[n].loss_grad = d->paths[k].loss_grad;
            out[n].update = d->paths[k].update;
            out[n].train_samples = d->paths[k].train_samples;
            out[n].update_range = d->paths[k].update_range;
            out[n].dispatch = NULL;
        }
        n++;
    }
    return n;
}

/* check(M, path) for every path of M->f this CPU runs (et_paths); with
 * vector_only, the scalar one only when it is the only one. */
static inline void et_each_path(const et_model *M, void (*check)(const et_model *, const nnrt_model *),
                                int vector_only)
{
    nnrt_model paths[ET_MAX_PATHS];
    int n = et_paths(M->f, paths);
    for (int k = 0; k < n; k++)
        if (!vector_only || n == 1 || strcmp(paths[k].isa, "scalar") != 0)
            check(M, &paths[k]);
}

/* splitmix64: a uniform double in [-1, 1). */
static inline double et_uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* W ~ U(-1, 1) * 2 / sqrt(fan_in), b ~ U(-0.5, 0.5); padding 0. */
static inline void et_init_params(const nnrt_model *m, float *p, uint64_t seed)
{
    memset(p, 0, sizeof(float) * m->n_params);
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        double sc = 2.0 / sqrt((double)L->fan_in);
        for (long i = 0; i < (long)L->units * L->fan_in; i++)
            p[L->w_offset + (size_t)i] = (float)(et_uniform(&seed) * sc);
        for (long j = 0; j < L->units; j++)
            p[L->b_offset + (size_t)j] = (float)(et_uniform(&seed) * 0.5);
    }
}

/* x ~ U(-1, 1); y: 0/1 (bce, perceptron), one-hot (cce), U(0, 1) (mse). */
static inline void et_make_data(const nnrt_model *m, long n, float *x, float *y, uint64_t seed)
{
    for (long i = 0; i < n * m->n_in; i++)
        x[i] = (float)et_uniform(&seed);
    for (long i = 0; i < n; i++) {
        float *yi = y + i * m->n_out;
        if (m->loss == NNRT_LOSS_CCE) {
            long c = (long)((et_uniform(&seed) + 1.0) * 0.5 * m->n_out);
            for (int j = 0; j < m->n_out; j++)
                yi[j] = j == c ? 1.0f : 0.0f;
        } else {
            for (int j = 0; j < m->n_out; j++) {
                double u = (et_uniform(&seed) + 1.0) * 0.5;
                yi[j] = m->loss == NNRT_LOSS_BCE || m->loss == NNRT_LOSS_PERCEPTRON
                            ? (u < 0.5 ? 0.0f : 1.0f)
                            : (float)u;
            }
        }
    }
}

static inline void et_to_double(const float *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (double)a[i];
}

/* Is parameter index i a real parameter (not alignment padding)? */
static inline int et_is_real_param(const nnrt_model *m, size_t i)
{
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        if (i >= L->w_offset && i < L->w_offset + (size_t)L->units * (size_t)L->fan_in)
            return 1;
        if (i >= L->b_offset && i < L->b_offset + (size_t)L->units)
            return 1;
    }
    return 0;
}

/* |a - b| / max(|a|, |b|, floor) */
static inline double et_relerr(double a, double b, double floor)
{
    double d = fabs(a - b), s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return d / (s > floor ? s : floor);
}

#endif /* EMIT_TEST_H */
