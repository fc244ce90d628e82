/*
 * test_reference.c -- generated code against values worked out by hand,
 * and training through the generated loss_grad/update alone (no driver).
 *
 * Each reference spec (tests/specs_emit/ref_*.spec) is built as float with
 * all ISAs (X, running the best path this CPU has), float scalar (X_s) and
 * double (X_d); all three must give the numbers below (float within 2e-6
 * absolute on values of order 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "specs_emit/emit_test.h"

#define REFS(X) X(ref_221) X(ref_lin) X(ref_soft) X(xor_emit) X(xor_sig) X(ref_perceptron)
ET_MODELS(ET_DECLARE)
REFS(ET_DECLARE)
static const et_model refs[] = {REFS(ET_ROW)};
enum { R_221, R_LIN, R_SOFT, R_XOR, R_XOR_SIG, R_PERCEPTRON };

/* Run a reference model all three ways: loss, gradient (n_params), outputs. */
typedef struct ref_run {
    double loss;
    double grad[64];
    double out[8];
} ref_run;

static void run3(const et_model *M, const float *params, const float *x, const float *y, long m,
                 ref_run out[3])
{
    const nnrt_model *f = M->f;
    size_t np = f->n_params, no = (size_t)(m * f->n_out);
    assert_true(np <= 64 && no <= 8);
    void *ws = nnrt_alloc(f->ws_bytes > *M->ws_bytes_d ? f->ws_bytes : *M->ws_bytes_d);
    float gf[64], of[8];
    double pd[64], xd[16], yd[16];
    assert_non_null(ws);
    for (int k = 0; k < 2; k++) {
        const nnrt_model *mm = k == 0 ? M->f : M->s;
        out[k].loss = mm->loss_grad(params, x, y, m, gf, ws);
        mm->forward(params, x, m, of, ws);
        et_to_double(gf, out[k].grad, np);
        et_to_double(of, out[k].out, no);
    }
    et_to_double(params, pd, np);
    et_to_double(x, xd, (size_t)(m * f->n_in));
    et_to_double(y, yd, no);
    out[2].loss = M->loss_grad_d(pd, xd, yd, m, out[2].grad, ws);
    M->forward_d(pd, xd, m, out[2].out, ws);
    nnrt_free(ws);
}

#define NEAR(a, b, tol)                                                                        \
    do {                                                                                       \
        double a_ = (a), b_ = (b);                                                             \
        if (!(fabs(a_ - b_) <= (tol))) {                                                       \
            print_message("%s = %.10g, expected %.10g\n", #a, a_, b_);                          \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

/*
 * 2-2-1, sigmoid hidden and output, bce, two samples.
 *   W1 = [[1, -1], [0, 2]]  b1 = [0, -1]   W2 = [[2, -1]]  b2 = [0.5]
 *   x1 = [1, 1], y1 = 1;  x2 = [0, 0.5], y2 = 0
 * Forward:
 *   z1(x1) = [1 - 1 + 0, 0 + 2 - 1] = [0, 1]     a1 = [0.5, s(1) = 0.7310585786]
 *   z1(x2) = [0 - 0.5, 0 + 1 - 1]   = [-0.5, 0]  a1 = [s(-0.5) = 0.3775406688, 0.5]
 *   z2(x1) = 2 * 0.5 - 0.7310585786 + 0.5 = 0.7689414214   a2 = s(.) = 0.6832918574
 *   z2(x2) = 2 * 0.3775406688 - 0.5 + 0.5 = 0.7550813376   a2 = s(.) = 0.6802848877
 *   L = (-log 0.6832918574 - log(1 - 0.6802848877)) / 2
 *     = (0.3808727628 + 1.1402853847) / 2 = 0.7605790737
 * Backward (dZ = (a - y) / m):
 *   dZ2 = [(0.6832918574 - 1) / 2, 0.6802848877 / 2] = [-0.1583540713, 0.3401424438]
 *   dW2 = dZ2 . A1 = [-0.1583540713 * 0.5 + 0.3401424438 * 0.3775406688,
 *                     -0.1583540713 * 0.7310585786 + 0.3401424438 * 0.5]
 *       = [0.0492405701, 0.0543051196]     db2 = -0.1583540713 + 0.3401424438 = 0.1817883726
 *   dA1 = dZ2 W2: x1 -> [-0.3167081426, 0.1583540713], x2 -> [0.6802848877, -0.3401424438]
 *   dZ1 = dA1 * a1 (1 - a1): x1 -> [-0.3167081426 * 0.25, 0.1583540713 * 0.1966119332]
 *                                = [-0.0791770356, 0.0311343001]
 *                            x2 -> [0.6802848877 * 0.2350037122, -0.3401424438 * 0.25]
 *                                = [0.1598694740, -0.0850356110]
 *   dW1 = dZ1^T X = [[-0.0791770356 * 1 + 0.1598694740 * 0, -0.0791770356 + 0.1598694740 * 0.5],
 *                    [0.0311343001, 0.0311343001 - 0.0850356110 * 0.5]]
 *       = [[-0.0791770356, 0.0007577013], [0.0311343001, -0.0113835054]]
 *   db1 = [-0.0791770356 + 0.1598694740, 0.0311343001 - 0.0850356110]
 *       = [0.0806924383, -0.0539013109]
 */
static void test_221_sigmoid_bce(void **state)
{
    (void)state;
    const et_model *M = &refs[R_221];
    const nnrt_model *f = M->f;
    float p[64] = {0};
    assert_int_equal(f->n_params, 64);
    size_t w1 = f->layers[0].w_offset, b1 = f->layers[0].b_offset;
    size_t w2 = f->layers[1].w_offset, b2 = f->layers[1].b_offset;
    assert_int_equal(w1, 0);
    assert_int_equal(b1, 16);
    assert_int_equal(w2, 32);
    assert_int_equal(b2, 48);
    p[w1 + 0] = 1, p[w1 + 1] = -1, p[w1 + 2] = 0, p[w1 + 3] = 2, p[b1] = 0, p[b1 + 1] = -1;
    p[w2 + 0] = 2, p[w2 + 1] = -1, p[b2] = 0.5f;
    const float x[4] = {1, 1, 0, 0.5f}, y[2] = {1, 0};
    ref_run r[3];
    run3(M, p, x, y, 2, r);
    for (int k = 0; k < 3; k++) {
        double tol = k == 2 ? 1e-9 : 2e-6;
        NEAR(r[k].out[0], 0.6832918574, tol);
        NEAR(r[k].out[1], 0.6802848877, tol);
        NEAR(r[k].loss, 0.7605790737, tol);
        NEAR(r[k].grad[w2 + 0], 0.0492405701, tol);
        NEAR(r[k].grad[w2 + 1], 0.0543051196, tol);
        NEAR(r[k].grad[b2], 0.1817883726, tol);
        NEAR(r[k].grad[w1 + 0], -0.0791770356, tol);
        NEAR(r[k].grad[w1 + 1], 0.0007577013, tol);
        NEAR(r[k].grad[w1 + 2], 0.0311343001, tol);
        NEAR(r[k].grad[w1 + 3], -0.0113835054, tol);
        NEAR(r[k].grad[b1 + 0], 0.0806924383, tol);
        NEAR(r[k].grad[b1 + 1], -0.0539013109, tol);
        for (int i = 0; i < 64; i++)
            if (!et_is_real_param(f, (size_t)i))
                assert_true(r[k].grad[i] == 0.0);
    }
}

/*
 * Linear regression 2 -> 1 (identity), mse.
 *   W = [2, -1], b = 0.5;  x1 = [1, 2], y1 = 1;  x2 = [3, 1], y2 = 5
 *   a = [2 - 2 + 0.5, 6 - 1 + 0.5] = [0.5, 5.5];  a - y = [-0.5, 0.5]
 *   L = mean((a - y)^2) = (0.25 + 0.25) / 2 = 0.25
 *   dL/da = 2 (a - y) / (m n_out) = [-0.5, 0.5]
 *   dW = -0.5 [1, 2] + 0.5 [3, 1] = [1, -0.5];  db = -0.5 + 0.5 = 0
 * One step of each optimizer from there (lr 0.1, beta1 0.9, beta2 0.999):
 *   sgd:      W = [2 - 0.1, -1 + 0.05] = [1.9, -0.95], b = 0.5
 *   momentum: v = 0.1 g = [0.1, -0.05];  W = [2 - 0.01, -1 + 0.005] = [1.99, -0.995]
 *   adam t=1: m^ = g, v^ = g^2, step = lr g / (|g| + eps) = lr sign(g):
 *             W = [1.9, -0.9], b = 0.5 (g = 0 moves nothing)
 */
static void test_linear_mse_and_updates(void **state)
{
    (void)state;
    const et_model *M = &refs[R_LIN];
    const nnrt_model *f = M->f;
    assert_int_equal(f->n_layers, 1);
    assert_int_equal(f->n_weights, 3);
    assert_true(f->defaults.lr == 0.1 && f->defaults.optimizer == NNRT_OPT_SGD);
    float p[32] = {0};
    size_t w = f->layers[0].w_offset, b = f->layers[0].b_offset;
    p[w] = 2, p[w + 1] = -1, p[b] = 0.5f;
    const float x[4] = {1, 2, 3, 1}, y[2] = {1, 5};
    ref_run r[3];
    run3(M, p, x, y, 2, r);
    for (int k = 0; k < 3; k++) {
        NEAR(r[k].out[0], 0.5, 1e-6);
        NEAR(r[k].out[1], 5.5, 1e-6);
        NEAR(r[k].loss, 0.25, 1e-6);
        NEAR(r[k].grad[w], 1.0, 1e-6);
        NEAR(r[k].grad[w + 1], -0.5, 1e-6);
        NEAR(r[k].grad[b], 0.0, 1e-6);
    }
    static const struct {
        nnrt_opt_kind kind;
        double w0, w1, b;
    } want[3] = {{NNRT_OPT_SGD, 1.9, -0.95, 0.5},
                 {NNRT_OPT_MOMENTUM, 1.99, -0.995, 0.5},
                 {NNRT_OPT_ADAM, 1.9, -0.9, 0.5}};
    const nnrt_model *paths[2] = {M->f, M->s};
    for (int o = 0; o < 3; o++) {
        nnrt_optim opt = {want[o].kind, 0.1f, 0.9f, 0.999f, 1e-8f};
        for (int k = 0; k < 3; k++) {
            float q[32] = {0}, g[32] = {0}, st[64] = {0};
            double qd[32] = {0}, gd[32] = {0}, std[64] = {0};
            q[w] = 2, q[w + 1] = -1, q[b] = 0.5f, g[w] = 1, g[w + 1] = -0.5f;
            et_to_double(q, qd, 32);
            et_to_double(g, gd, 32);
            if (k < 2) {
                paths[k]->update(q, g, st, &opt, 1);
                et_to_double(q, qd, 32);
            } else {
                const et_optim_d optd = {opt.kind, 0.1, 0.9, 0.999, 1e-8};
                M->update_d(qd, gd, std, &optd, 1);
            }
            NEAR(qd[w], want[o].w0, 1e-6);
            NEAR(qd[w + 1], want[o].w1, 1e-6);
            NEAR(qd[b], want[o].b, 1e-6);
        }
    }
}

/*
 * Softmax regression 2 -> 3, cce, one sample.
 *   W = 0, b = [0, ln 2, ln 5], x = [1, -1], y = class 2 = [0, 0, 1]
 *   z = b;  a = [1, 2, 5] / 8 = [0.125, 0.25, 0.625]
 *   L = -ln 0.625 = 0.4700036292
 *   dZ = a - y = [0.125, 0.25, -0.375];  dW = dZ x^T = [[0.125, -0.125],
 *        [0.25, -0.25], [-0.375, 0.375]];  db = dZ
 */
static void test_softmax_cce(void **state)
{
    (void)state;
    const et_model *M = &refs[R_SOFT];
    const nnrt_model *f = M->f;
    float p[32] = {0};
    size_t w = f->layers[0].w_offset, b = f->layers[0].b_offset;
    p[b + 1] = (float)log(2.0), p[b + 2] = (float)log(5.0);
    const float x[2] = {1, -1}, y[3] = {0, 0, 1};
    ref_run r[3];
    run3(M, p, x, y, 1, r);
    static const double a[3] = {0.125, 0.25, 0.625}, dz[3] = {0.125, 0.25, -0.375};
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < 3; j++) {
            NEAR(r[k].out[j], a[j], 1e-6);
            NEAR(r[k].grad[b + (size_t)j], dz[j], 1e-6);
            NEAR(r[k].grad[w + 2 * (size_t)j], dz[j], 1e-6);
            NEAR(r[k].grad[w + 2 * (size_t)j + 1], -dz[j], 1e-6);
        }
        NEAR(r[k].loss, 0.4700036292, 1e-6);
    }
}

/* XOR learned by the generated code alone, with the spec's train line
 * (full batch of the 4 rows, Adam): 2-4-1 tanh then sigmoid (lr 0.05, 2000
 * steps) and 2-4-1 sigmoid everywhere (lr 0.1, 3000 steps). */
static void xor_learned(const et_model *M, int seed, double max_loss)
{
    const nnrt_model *f = M->f;
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    size_t np = f->n_params;
    float *p = nnrt_alloc(np * sizeof(float)), *g = nnrt_alloc(np * sizeof(float));
    float *st = nnrt_alloc(2 * np * sizeof(float));
    void *ws = nnrt_alloc(f->ws_bytes);
    assert_true(p && g && st && ws);
    assert_true(f->defaults.iterations > 0 && f->defaults.optimizer == NNRT_OPT_ADAM);
    et_init_params(f, p, (uint64_t)seed);
    nnrt_optim opt = {f->defaults.optimizer, f->defaults.lr, f->defaults.beta1,
                      f->defaults.beta2, f->defaults.eps};
    double first = f->loss_grad(p, x, y, 4, g, ws), loss = first;
    for (long t = 1; t <= f->defaults.iterations; t++) {
        f->update(p, g, st, &opt, t);
        loss = f->loss_grad(p, x, y, 4, g, ws);
    }
    float out[4];
    f->forward(p, x, 4, out, ws);
    print_message("%s (%s): loss %.4f -> %.6f; outputs %.4f %.4f %.4f %.4f\n", M->name, f->isa,
                  first, loss, (double)out[0], (double)out[1], (double)out[2], (double)out[3]);
    for (int i = 0; i < 4; i++)
        assert_true((out[i] > 0.5f) == (y[i] > 0.5f));
    assert_true(loss < max_loss);
    nnrt_free(p), nnrt_free(g), nnrt_free(st), nnrt_free(ws);
}

static void test_xor_learned(void **state)
{
    (void)state;
    assert_int_equal(refs[R_XOR].f->defaults.iterations, 2000);
    xor_learned(&refs[R_XOR], 5, 0.01);
    xor_learned(&refs[R_XOR_SIG], 5, 0.01);
}

/* Ten sgd steps on gc_wide (17-20-9, multi-label): every step lowers the loss. */
static void test_sgd_steps_lower_loss(void **state)
{
    (void)state;
    const nnrt_model *f = &gc_wide_model;
    long m = 50;
    size_t np = f->n_params;
    float *p = nnrt_alloc(np * sizeof(float)), *g = nnrt_alloc(np * sizeof(float));
    float *x = nnrt_alloc((size_t)(m * f->n_in) * sizeof(float));
    float *y = nnrt_alloc((size_t)(m * f->n_out) * sizeof(float));
    void *ws = nnrt_alloc(f->ws_bytes);
    assert_true(p && g && x && y && ws);
    et_init_params(f, p, 41);
    et_make_data(f, m, x, y, 42);
    nnrt_optim opt = {NNRT_OPT_SGD, 0.5f, 0.9f, 0.999f, 1e-8f};
    double prev = f->loss_grad(p, x, y, m, g, ws), first = prev;
    for (long t = 1; t <= 10; t++) {
        f->update(p, g, NULL, &opt, t);
        double l = f->loss_grad(p, x, y, m, g, ws);
        assert_true(l < prev);
        prev = l;
    }
    print_message("gc_wide sgd: loss %.5f -> %.5f in 10 steps\n", first, prev);
    assert_true(prev < 0.9 * first);
    nnrt_free(p), nnrt_free(g), nnrt_free(x), nnrt_free(y), nnrt_free(ws);
}

/*
 * The AND perceptron, its weights in the spec: w = (0.5, 0.5), b = -0.7.
 *   nnrt_init_params (any rule) gives those weights; the outputs for
 *   (0,0), (1,0), (0,1), (1,1) are z = -0.7, -0.2, -0.2, 0.3: 0, 0, 0, 1.
 * One sample (1, 1) labelled 0, the rule with lr 0.1:
 *   a = 1, y - a = -1:  w += 0.1 (-1) (1, 1) = (0.4, 0.4), b = -0.8;
 *   the loss is the error rate, 1;  the signal dZ = a - y = 1, g = (1, 1, 1).
 */
static void test_perceptron_rule(void **state)
{
    (void)state;
    const et_model *M = &refs[R_PERCEPTRON];
    const nnrt_model *f = M->f;
    assert_int_equal(f->loss, NNRT_LOSS_PERCEPTRON);
    assert_int_equal(f->layers[0].act, NNRT_ACT_STEP);
    assert_int_equal(f->layers[0].literal, 1);
    assert_non_null(f->literal);
    assert_int_equal(f->defaults.batch, 1);
    size_t w = f->layers[0].w_offset, b = f->layers[0].b_offset;
    float p[32];
    for (nnrt_init init = NNRT_INIT_ZEROS; init <= NNRT_INIT_NUMPY_HE; init++) {
        memset(p, 0x7f, sizeof p);
        nnrt_init_params(f, p, init, 5);
        assert_true(p[w] == 0.5f && p[w + 1] == 0.5f && p[b] == -0.7f);
        for (size_t i = 0; i < f->n_params; i++)
            if (i != w && i != w + 1 && i != b)
                assert_true(p[i] == 0.0f);
    }
    const float x[8] = {0, 0, 1, 0, 0, 1, 1, 1}, and_y[4] = {0, 0, 0, 1};
    const float x11[2] = {1, 1}, y0[1] = {0};
    ref_run r[3];
    run3(M, p, x, and_y, 4, r);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 4; i++)
            NEAR(r[k].out[i], (double)and_y[i], 0.0);
        NEAR(r[k].loss, 0.0, 0.0);
    }
    run3(M, p, x11, y0, 1, r);
    for (int k = 0; k < 3; k++) {
        NEAR(r[k].out[0], 1.0, 0.0);
        NEAR(r[k].loss, 1.0, 0.0);
        NEAR(r[k].grad[w], 1.0, 0.0);
        NEAR(r[k].grad[w + 1], 1.0, 0.0);
        NEAR(r[k].grad[b], 1.0, 0.0);
    }
    const nnrt_optim opt = {NNRT_OPT_SGD, 0.1f, 0.9f, 0.999f, 1e-8f};
    const nnrt_model *paths[2] = {M->f, M->s};
    void *ws = nnrt_alloc(f->ws_bytes);
    assert_non_null(ws);
    for (int k = 0; k < 2; k++) {
        float q[32], g[32];
        memcpy(q, p, sizeof q);
        paths[k]->loss_grad(q, x11, y0, 1, g, ws);
        paths[k]->update(q, g, NULL, &opt, 1);
        NEAR((double)q[w], 0.4, 1e-7);
        NEAR((double)q[w + 1], 0.4, 1e-7);
        NEAR((double)q[b], -0.8, 1e-7);
    }
    nnrt_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perceptron_rule),
        cmocka_unit_test(test_221_sigmoid_bce),
        cmocka_unit_test(test_linear_mse_and_updates),
        cmocka_unit_test(test_softmax_cce),
        cmocka_unit_test(test_xor_learned),
        cmocka_unit_test(test_sgd_steps_lower_loss),
    };
    return cmocka_run_group_tests_name("reference", tests, NULL, NULL);
}
