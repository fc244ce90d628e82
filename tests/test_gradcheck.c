/*
 * test_gradcheck.c -- the generated backward pass against central finite
 * differences of the generated loss.
 *
 * For every model of ET_MODELS (every activation, every loss, odd layer
 * sizes, multi-label bce, a 12289-wide input):
 *   1. the --dtype double build: loss_grad's gradient vs (L(p+h) - L(p-h)) / 2h
 *      with h = 1e-4 (1e-5, 1e-6 where a step crosses a relu kink) over every
 *      real parameter (a strided subset of the 61445 of `big`):
 *      max |g - fd| / max(|g|, |fd|, 1e-7) <= 1e-5 (measured 5e-9 .. 1.1e-6;
 *      the worst where the roundoff of a loss of 7 over 2h meets a gradient
 *      of 6e-5; the required bound is 1e-3);
 *   2. the float build with all ISAs, each vector path the CPU runs (AVX-512,
 *      AVX2 / NEON; the scalar path where there is none), against its own
 *      finite differences, h = 3e-3 in float: |g - fd| <= 2e-2 * max(|g|, |fd|)
 *      + 2e-4 * max|g| over the model (float rounding of the loss over 2h and
 *      the h^2 truncation dominate; docs/floating-point.md), skipping the
 *      parameters where the double build's difference at the same h shows
 *      a kink crossing (at most 10% of them);
 *   3. that float gradient against the double gradient at the same
 *      parameters: |gf - gd| <= 1e-4 * max|gd| + 1e-4 * |gd|;
 *   4. padding entries of both gradients are exactly 0.
 * A loss perceptron model (gc_step) has no gradient: nnrt_gradcheck refuses
 * it in one line, and its error signal is checked instead: 0 for every
 * layer before the output, the output biases' mean (a - y) from the
 * forward outputs, the same in the double build and on every path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "specs_emit/emit_test.h"

ET_MODELS(ET_DECLARE)
static const et_model models[] = {ET_MODELS(ET_ROW)};

/* Every real parameter for small models; ~400 evenly spread for big ones. */
static size_t step_for(const nnrt_model *m)
{
    size_t s = m->n_weights / 400;
    return s < 1 ? 1 : s;
}

/* The double check runs over more than one chunk (CH is 32..128 rows);
 * the float one over 37 samples, where its h = 3e-3 crosses few relu
 * kinks (at 133, gc_outact has 12% of its parameters at kinks). */
static long samples_for(const nnrt_model *m, int dbl)
{
    return m->n_in > 1000 ? 5 : dbl ? 133 : 37;
}

/* The perceptron rule's signal in place of a gradient (gc_step). */
static void check_perceptron(const et_model *M, const nnrt_model *f)
{
    enum { M_ROWS = 37 };
    size_t np = f->n_params;
    long no = f->n_out;
    float *p = nnrt_alloc(np * sizeof(float)), *g = nnrt_alloc(np * sizeof(float));
    float *x = nnrt_alloc((size_t)(M_ROWS * f->n_in) * sizeof(float));
    float *y = nnrt_alloc((size_t)(M_ROWS * no) * sizeof(float));
    float *a = nnrt_alloc((size_t)(M_ROWS * no) * sizeof(float));
    double *pd = nnrt_alloc(np * sizeof(double)), *gd = nnrt_alloc(np * sizeof(double));
    double *xd = nnrt_alloc((size_t)(M_ROWS * f->n_in) * sizeof(double));
    double *yd = nnrt_alloc((size_t)(M_ROWS * no) * sizeof(double));
    void *ws = nnrt_alloc(f->ws_bytes), *wsd = nnrt_alloc(*M->ws_bytes_d);
    assert_true(p && g && x && y && a && pd && gd && xd && yd && ws && wsd);
    et_init_params(f, p, 11);
    et_make_data(f, M_ROWS, x, y, 12);
    nnrt_err e = {""};
    assert_true(nnrt_gradcheck(f, p, x, y, M_ROWS, 100, 1e-3, 1e-2, &e) < 0.0);
    assert_non_null(strstr(e.msg, "learns by the perceptron rule (loss perceptron), whose error "
                                  "signal is no derivative: there is no gradient to check"));
    f->forward(p, x, M_ROWS, a, ws);
    double loss = f->loss_grad(p, x, y, M_ROWS, g, ws), wrong = 0.0;
    et_to_double(p, pd, np);
    et_to_double(x, xd, (size_t)(M_ROWS * f->n_in));
    et_to_double(y, yd, (size_t)(M_ROWS * no));
    double lossd = M->loss_grad_d(pd, xd, yd, M_ROWS, gd, wsd);
    const nnrt_layer_info *out = &f->layers[f->n_layers - 1];
    for (long i = 0; i < M_ROWS * no; i++) {
        assert_true(a[i] == 0.0f || a[i] == 1.0f);
        wrong += a[i] != y[i];
    }
    for (size_t i = 0; i < np; i++) {
        if (i < out->w_offset)
            assert_true(g[i] == 0.0f && gd[i] == 0.0); /* the layers before stay as they are */
        if (!et_is_real_param(f, i))
            assert_true(g[i] == 0.0f && gd[i] == 0.0);
        assert_true(fabs((double)g[i] - gd[i]) <= 1e-6 * (1.0 + fabs(gd[i])));
    }
    for (long j = 0; j < no; j++) {
        double s = 0.0;
        for (long i = 0; i < M_ROWS; i++)
            s += (double)a[i * no + j] - (double)y[i * no + j];
        assert_true(fabs((double)g[out->b_offset + (size_t)j] - s / M_ROWS) <= 1e-6);
    }
    assert_true(loss == wrong / M_ROWS && lossd == loss);
    print_message("%-10s %-6s perceptron rule: %g of %ld outputs wrong, signal matches the double "
                  "build; gradcheck refused\n", M->name, f->isa, wrong, M_ROWS * no);
    nnrt_free(p), nnrt_free(g), nnrt_free(x), nnrt_free(y), nnrt_free(a), nnrt_free(pd);
    nnrt_free(gd), nnrt_free(xd), nnrt_free(yd), nnrt_free(ws), nnrt_free(wsd);
}

static void check_double(void **state)
{
    const et_model *M = *state;
    const nnrt_model *f = M->f;
    if (f->loss == NNRT_LOSS_PERCEPTRON) {
        check_perceptron(M, M->s);
        return;
    }
    assert_int_equal(*M->n_params_d, f->n_params);
    long m = samples_for(f, 1);
    size_t np = f->n_params;
    float *pf = nnrt_alloc(np * sizeof(float));
    float *xf = nnrt_alloc((size_t)(m * f->n_in) * sizeof(float));
    float *yf = nnrt_alloc((size_t)(m * f->n_out) * sizeof(float));
    double *p = nnrt_alloc(np * sizeof(double)), *g = nnrt_alloc(np * sizeof(double));
    double *x = nnrt_alloc((size_t)(m * f->n_in) * sizeof(double));
    double *y = nnrt_alloc((size_t)(m * f->n_out) * sizeof(double));
    double *gs = nnrt_alloc(np * sizeof(double));
    void *ws = nnrt_alloc(*M->ws_bytes_d);
    assert_true(pf && xf && yf && p && g && x && y && gs && ws);
    et_init_params(f, pf, 11);
    et_make_data(f, m, xf, yf, 12);
    et_to_double(pf, p, np);
    et_to_double(xf, x, (size_t)(m * f->n_in));
    et_to_double(yf, y, (size_t)(m * f->n_out));

    double L = M->loss_grad_d(p, x, y, m, g, ws);
    assert_true(isfinite(L) && L > 0.0);
    double worst = 0.0;
    size_t worst_i = 0, checked = 0, step = step_for(f);
    for (size_t i = 0; i < np; i++) {
        if (!et_is_real_param(f, i)) {
            assert_true(g[i] == 0.0);
            continue;
        }
        if (i % step)
            continue;
        /* The best of three steps: a step that crosses a relu kink gives
         * a wrong difference; a smaller one does not cross it. */
        double err = HUGE_VAL;
        for (double h = 1e-4; h > 1e-7; h *= 0.1) {
            double save = p[i];
            p[i] = save + h;
            double lp = M->loss_grad_d(p, x, y, m, gs, ws);
            p[i] = save - h;
            double lm = M->loss_grad_d(p, x, y, m, gs, ws);
            p[i] = save;
            double e1 = et_relerr(g[i], (lp - lm) / (2.0 * h), 1e-7);
            err = e1 < err ? e1 : err;
            if (err <= 1e-7)
                break;
        }
        if (err > worst) {
            worst = err;
            worst_i = i;
        }
        checked++;
    }
    print_message("%-10s double: loss %.6f, %zu params checked, max rel err %.2e (param %zu)\n",
                  M->name, L, checked, worst, worst_i);
    assert_true(checked > 0);
    assert_true(worst <= 1e-5);
    nnrt_free(pf), nnrt_free(xf), nnrt_free(yf), nnrt_free(p), nnrt_free(g), nnrt_free(x);
    nnrt_free(y), nnrt_free(gs), nnrt_free(ws);
}

static void check_float_path(const et_model *M, const nnrt_model *f)
{
    if (f->loss == NNRT_LOSS_PERCEPTRON) {
        check_perceptron(M, f);
        return;
    }
    long m = samples_for(f, 0);
    size_t np = f->n_params;
    float *p = nnrt_alloc(np * sizeof(float)), *g = nnrt_alloc(np * sizeof(float));
    float *gs = nnrt_alloc(np * sizeof(float));
    float *x = nnrt_alloc((size_t)(m * f->n_in) * sizeof(float));
    float *y = nnrt_alloc((size_t)(m * f->n_out) * sizeof(float));
    double *pd = nnrt_alloc(np * sizeof(double)), *gd = nnrt_alloc(np * sizeof(double));
    double *xd = nnrt_alloc((size_t)(m * f->n_in) * sizeof(double));
    double *yd = nnrt_alloc((size_t)(m * f->n_out) * sizeof(double));
    void *ws = nnrt_alloc(f->ws_bytes), *wsd = nnrt_alloc(*M->ws_bytes_d);
    assert_true(p && g && gs && x && y && pd && gd && xd && yd && ws && wsd);
    et_init_params(f, p, 11);
    et_make_data(f, m, x, y, 12);
    et_to_double(p, pd, np);
    et_to_double(x, xd, (size_t)(m * f->n_in));
    et_to_double(y, yd, (size_t)(m * f->n_out));

    double L = f->loss_grad(p, x, y, m, g, ws);
    double Ld = M->loss_grad_d(pd, xd, yd, m, gd, wsd);
    assert_true(fabs(L - Ld) <= 1e-5 * fabs(Ld));
    double gmax = 0.0;
    for (size_t i = 0; i < np; i++)
        gmax = fabs(gd[i]) > gmax ? fabs(gd[i]) : gmax;

    const float h = 3e-3f;
    double worst_fd = 0.0, worst_d = 0.0;
    size_t step = step_for(f), kinks = 0, checked = 0;
    double *gsd = nnrt_alloc(np * sizeof(double));
    assert_non_null(gsd);
    for (size_t i = 0; i < np; i++) {
        if (!et_is_real_param(f, i)) {
            assert_true(g[i] == 0.0f);
            continue;
        }
        /* 3: float vs double, every parameter */
        double ed = fabs((double)g[i] - gd[i]) / (1e-4 * gmax + 1e-4 * fabs(gd[i]));
        worst_d = ed > worst_d ? ed : worst_d;
        if (i % step)
            continue;
        /* 2: float vs its own finite differences, except where the same
         * step in the double build crosses a relu kink (there the finite
         * difference is not the derivative, whatever the precision). */
        double sd = pd[i];
        pd[i] = sd + (double)h;
        double lpd = M->loss_grad_d(pd, xd, yd, m, gsd, wsd);
        pd[i] = sd - (double)h;
        double lmd = M->loss_grad_d(pd, xd, yd, m, gsd, wsd);
        pd[i] = sd;
        if (et_relerr(gd[i], (lpd - lmd) / (2.0 * (double)h), 1e-3 * gmax) > 1e-2) {
            kinks++;
            continue;
        }
        checked++;
        float save = p[i];
        p[i] = save + h;
        double lp = f->loss_grad(p, x, y, m, gs, ws);
        p[i] = save - h;
        double lm = f->loss_grad(p, x, y, m, gs, ws);
        p[i] = save;
        double fd = (lp - lm) / (2.0 * (double)h);
        double gi = (double)g[i];
        double big = fabs(gi) > fabs(fd) ? fabs(gi) : fabs(fd);
        double efd = fabs(gi - fd) / (2e-2 * big + 2e-4 * gmax);
        worst_fd = efd > worst_fd ? efd : worst_fd;
    }
    print_message("%-10s float (%s): fd check %.2f of tolerance (%zu params, %zu at kinks), "
                  "vs double %.2f of tolerance\n",
                  M->name, f->isa, worst_fd, checked, kinks, worst_d);
    assert_true(worst_fd <= 1.0);
    assert_true(kinks * 10 <= checked);
    nnrt_free(gsd);
    assert_true(worst_d <= 1.0);
    nnrt_free(p), nnrt_free(g), nnrt_free(gs), nnrt_free(x), nnrt_free(y), nnrt_free(pd);
    nnrt_free(gd), nnrt_free(xd), nnrt_free(yd), nnrt_free(ws), nnrt_free(wsd);
}

/* Every vector path this CPU runs (the scalar one is test_isa_agree's
 * reference), or the scalar path when it runs none. */
static void check_float(void **state)
{
    et_each_path(*state, check_float_path, 1);
}

int main(void)
{
    enum { N = sizeof models / sizeof models[0] };
    static char names[2 * N][48];
    struct CMUnitTest tests[2 * N];
    for (int i = 0; i < N; i++) {
        tests[2 * i] = (struct CMUnitTest)cmocka_unit_test_prestate(check_double, (void *)&models[i]);
        snprintf(names[2 * i], sizeof names[0], "%s_double", models[i].name);
        tests[2 * i].name = names[2 * i];
        tests[2 * i + 1] =
            (struct CMUnitTest)cmocka_unit_test_prestate(check_float, (void *)&models[i]);
        snprintf(names[2 * i + 1], sizeof names[0], "%s_float", models[i].name);
        tests[2 * i + 1].name = names[2 * i + 1];
    }
    return cmocka_run_group_tests_name("gradcheck", tests, NULL, NULL);
}
