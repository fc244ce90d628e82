/*
 * test_isa_agree.c -- every path of generated code against the scalar
 * path, on the same weights and inputs.
 *
 * Each model of ET_MODELS is built twice from one spec: X with all ISAs
 * (every path the target can have: AVX-512, AVX2+FMA and scalar on x86-64,
 * NEON and scalar on aarch64, no -m flags) and X_s with --isa scalar.
 * Every path of X this CPU runs is under test, each against X_s; a path it
 * lacks is one line ("avx512: skipped, CPU lacks avx512f").  The model's
 * own path is the best one the CPU runs (scripts/test-arm.sh runs this
 * under qemu: neon).
 *
 * Shapes have tails everywhere (3, 5, 7, 9, 13, 17, 20 and 12289 are not
 * multiples of 4 or 8) and m = 37 rows (row tiles with remainders) and
 * m = 1; gradients and loss also at m = 133, more than one chunk (CH is 32
 * to 128 rows, docs/generated-code.md).  (The forward bound is not applied
 * at 133: over that many samples a relu input within rounding of 0 sends
 * gc_relu's outputs 3.7x past it, on the code before the narrow-layer
 * changes too.)  Bounds (max = the largest |s| of the
 * array):
 *   forward outputs   |v - s| <= 1e-5 * max(|v|, |s|, 1e-3 max)
 *   loss              |v - s| <= 1e-5 * |s|
 *   gradients         |v - s| <= 1e-4 * max(|v|, |s|, 1e-2 max)
 *                     (a dW entry is a sum over rows of dz x that can cancel
 *                     to far below its terms; the floor keeps the bound
 *                     about rounding, not about that cancellation: measured
 *                     2.7e-4 relative on a 1e-3-of-max entry of `big`)
 *   updates (sgd, momentum, adam; 3 steps from the same gradients)
 *                     |v - s| <= 1e-6 * max(|v|, |s|, 1e-3 max)  (the loops do the
 *                     same operations in the same order: in practice equal)
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

static double max_abs(const float *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fabs((double)a[i]) > m ? fabs((double)a[i]) : m;
    return m;
}

/* The largest error of v vs s in units of `tol` (pass if <= 1). */
static double worst_of(const float *v, const float *s, size_t n, double tol, double rfloor)
{
    double floor = rfloor * max_abs(s, n), w = 0.0;
    if (floor == 0.0)
        floor = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double e = et_relerr((double)v[i], (double)s[i], floor) / tol;
        w = e > w ? e : w;
    }
    return w;
}

#if defined(__x86_64__) || defined(_M_X64)
#define PATHS "avx512 avx2 scalar"
#elif defined(__aarch64__)
#define PATHS "neon scalar"
#else
#define PATHS "scalar"
#endif

static void test_isa_compiled_in(void **state)
{
    (void)state;
    const char *forced = getenv("NNGEN_ISA");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        const nnrt_model *f = models[i].f;
        assert_string_equal(models[i].s->isa, "scalar");
        assert_null(models[i].s->dispatch);
        /* every path the target can have, best first; the best one runs */
        assert_non_null(f->dispatch);
        char list[64] = "";
        for (int k = 0; k < f->dispatch->n_paths; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? " " : "",
                     f->dispatch->paths[k].isa);
        assert_string_equal(list, PATHS);
        assert_string_equal(f->isa, forced && *forced ? forced : nnrt_best_isa());
        /* one spec, one layout */
        assert_int_equal(f->n_params, models[i].s->n_params);
        assert_int_equal(f->ws_bytes, models[i].s->ws_bytes);
        assert_true(f->signature == models[i].s->signature);
    }
    print_message("paths compiled in: %s; the models run %s (%s)\n", PATHS, models[0].f->isa,
                  nnrt_model_why(models[0].f));
}

static void check_agree_path(const et_model *M, const nnrt_model *v)
{
    const nnrt_model *s = M->s;
    enum { MMAX = 133 };
    const long ms[3] = {MMAX, 37, 1};
    size_t np = v->n_params;
    float *p = nnrt_alloc(np * sizeof(float));
    float *gv = nnrt_alloc(np * sizeof(float)), *gs = nnrt_alloc(np * sizeof(float));
    float *x = nnrt_alloc((size_t)(MMAX * v->n_in) * sizeof(float));
    float *y = nnrt_alloc((size_t)(MMAX * v->n_out) * sizeof(float));
    float *ov = nnrt_alloc((size_t)(MMAX * v->n_out) * sizeof(float));
    float *os = nnrt_alloc((size_t)(MMAX * v->n_out) * sizeof(float));
    void *ws = nnrt_alloc(v->ws_bytes);
    assert_true(p && gv && gs && x && y && ov && os && ws);
    et_init_params(v, p, 21);
    et_make_data(v, MMAX, x, y, 22);
    for (int k = 0; k < 3; k++) {
        long m = ms[k];
        size_t no = (size_t)(m * v->n_out);
        v->forward(p, x, m, ov, ws);
        s->forward(p, x, m, os, ws);
        double wf = m == MMAX ? 0.0 : worst_of(ov, os, no, 1e-5, 1e-3);
        double lv = v->loss_grad(p, x, y, m, gv, ws);
        double ls = s->loss_grad(p, x, y, m, gs, ws);
        double wg = worst_of(gv, gs, np, 1e-4, 1e-2);
        print_message("%-10s %-6s m=%-3ld forward %.3f, gradient %.3f of tolerance; loss %.9g vs "
                      "%.9g\n", M->name, v->isa, m, wf, wg, lv, ls);
        assert_true(wf <= 1.0);
        assert_true(wg <= 1.0);
        assert_true(fabs(lv - ls) <= 1e-5 * fabs(ls));
    }
    nnrt_free(p), nnrt_free(gv), nnrt_free(gs), nnrt_free(x), nnrt_free(y), nnrt_free(ov);
    nnrt_free(os), nnrt_free(ws);
}

static void check_agree(void **state)
{
    et_each_path(*state, check_agree_path, 0);
}

static void check_update_path(const et_model *M, const nnrt_model *v)
{
    const nnrt_model *s = M->s;
    size_t np = v->n_params;
    float *pv = nnrt_alloc(np * sizeof(float)), *ps = nnrt_alloc(np * sizeof(float));
    float *g = nnrt_alloc(np * sizeof(float));
    float *sv = nnrt_alloc(2 * np * sizeof(float)), *ss = nnrt_alloc(2 * np * sizeof(float));
    assert_true(pv && ps && g && sv && ss);
    static const nnrt_optim opts[3] = {{NNRT_OPT_SGD, 0.1f, 0.9f, 0.999f, 1e-8f},
                                       {NNRT_OPT_MOMENTUM, 0.05f, 0.9f, 0.999f, 1e-8f},
                                       {NNRT_OPT_ADAM, 0.01f, 0.9f, 0.999f, 1e-8f}};
    for (int o = 0; o < 3; o++) {
        et_init_params(v, pv, 31);
        memcpy(ps, pv, np * sizeof(float));
        memset(sv, 0, 2 * np * sizeof(float));
        memset(ss, 0, 2 * np * sizeof(float));
        uint64_t seed = 32;
        for (long t = 1; t <= 3; t++) {
            for (size_t i = 0; i < np; i++)
                g[i] = et_is_real_param(v, i) ? (float)et_uniform(&seed) : 0.0f;
            v->update(pv, g, sv, &opts[o], t);
            s->update(ps, g, ss, &opts[o], t);
        }
        double w = worst_of(pv, ps, np, 1e-6, 1e-3);
        double wst = worst_of(sv, ss, 2 * np, 1e-6, 1e-3);
        size_t diff = 0;
        for (size_t i = 0; i < np; i++)
            diff += pv[i] != ps[i];
        print_message("%-10s %-6s %-8s params %.3f, state %.3f of tolerance (%zu of %zu "
                      "differ)\n", M->name, v->isa, o == 0 ? "sgd" : o == 1 ? "momentum" : "adam",
                      w, wst, diff, np);
        assert_true(w <= 1.0);
        assert_true(wst <= 1.0);
        /* padding stays zero */
        for (size_t i = 0; i < np; i++)
            if (!et_is_real_param(v, i))
                assert_true(pv[i] == 0.0f && ps[i] == 0.0f);
    }
    nnrt_free(pv), nnrt_free(ps), nnrt_free(g), nnrt_free(sv), nnrt_free(ss);
}

static void check_update(void **state)
{
    et_each_path(*state, check_update_path, 0);
}

int main(void)
{
    enum { N = sizeof models / sizeof models[0] };
    static char names[2 * N][48];
    struct CMUnitTest tests[2 * N + 1];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_isa_compiled_in);
    for (int i = 0; i < N; i++) {
        tests[1 + 2 * i] =
            (struct CMUnitTest)cmocka_unit_test_prestate(check_agree, (void *)&models[i]);
        snprintf(names[2 * i], sizeof names[0], "%s_forward_gradient", models[i].name);
        tests[1 + 2 * i].name = names[2 * i];
        tests[2 + 2 * i] =
            (struct CMUnitTest)cmocka_unit_test_prestate(check_update, (void *)&models[i]);
        snprintf(names[2 * i + 1], sizeof names[0], "%s_update", models[i].name);
        tests[2 + 2 * i].name = names[2 * i + 1];
    }
    return cmocka_run_group_tests_name("isa_agree", tests, NULL, NULL);
}
