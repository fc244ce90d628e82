/*
 * test_fused.c -- the fused per-sample step (compiler/fused.c, the
 * generated <name>_train_samples) against the ordinary step, loss_grad over
 * one row and the sgd update, on every path of each model that has one and
 * that this CPU runs: the weights after hundreds of updates and the sum of
 * the losses are the same bits.  The models cover every form the step
 * repeats: units in fma chains over a full vector and its halves, plain
 * loops, both together in one layer, every activation (identity, sigmoid,
 * tanh, relu, leaky_relu, elu, softmax) and loss (bce, cce, mse, with one
 * and several outputs).  Then the step's stop before a sample whose loss
 * is inf, and the trainer (nnrt_main) with and without NNGEN_FUSED=0: the
 * same weights file, also for a run that diverges.  And update_range: its
 * ranges make update's step (the trainer splits a big model's update).
 *
 * A model's path without a fused step (a layer whose kernels run over
 * fan_in in vectors: on NEON from a fan_in of 4) is one line, not a
 * failure; the scalar path always has one.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nng_tmpdir.h"
#include "specs_emit/emit_test.h"

extern const nnrt_model gc_msesig_model, gc_outact_model, ref_221_model, ref_lin_model,
    ref_soft_model, xor_emit_model, xor_sig_model, fu_elu_model, fu_soft_model;

static const nnrt_model *const fu_models[] = {
    &gc_msesig_model, &gc_outact_model, &ref_221_model, &ref_lin_model, &ref_soft_model,
    &xor_emit_model,  &xor_sig_model,   &fu_elu_model,  &fu_soft_model,
};
#define FU_N_MODELS (sizeof fu_models / sizeof fu_models[0])

#define FU_ROWS 7     /* samples in the data set */
#define FU_EPOCHS 300 /* 2100 updates */
#define FU_LR 0.05f

/* Epoch after epoch of FU_ROWS samples, each epoch in its own order. */
static void fu_order(long *idx, long epochs, uint64_t seed)
{
    nnrt_rng r;
    nnrt_rng_seed(&r, seed);
    for (long e = 0; e < epochs; e++) {
        long *o = idx + e * FU_ROWS;
        for (long i = 0; i < FU_ROWS; i++)
            o[i] = i;
        nnrt_rng_shuffle(&r, o, FU_ROWS);
    }
}

/* The ordinary steps and the fused step over the same samples, from the
 * same weights: the same bits.  The fused step runs in calls of 1, 6 and
 * the rest, so that it picks up from its own weights. */
static void fu_check_path(const nnrt_model *m, const nnrt_model *p)
{
    const long total = FU_ROWS * FU_EPOCHS;
    const size_t np = m->n_params;
    float *x = nnrt_alloc(FU_ROWS * (size_t)m->n_in * sizeof(float));
    float *y = nnrt_alloc(FU_ROWS * (size_t)m->n_out * sizeof(float));
    float *p1 = nnrt_alloc(np * sizeof(float)), *p2 = nnrt_alloc(np * sizeof(float));
    float *g = nnrt_alloc(np * sizeof(float));
    void *ws = nnrt_alloc(m->ws_bytes);
    long *idx = malloc((size_t)total * sizeof(long));
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(g);
    assert_non_null(ws);
    assert_non_null(idx);
    et_make_data(m, FU_ROWS, x, y, 11);
    et_init_params(m, p1, 5);
    memcpy(p2, p1, np * sizeof(float));
    fu_order(idx, FU_EPOCHS, 3);

    const nnrt_optim sgd = {NNRT_OPT_SGD, FU_LR, 0.9f, 0.999f, 1e-8f};
    double sum1 = 0.0, sum2 = 0.0;
    for (long s = 0; s < total; s++) {
        const long i = idx[s];
        double loss = p->loss_grad(p1, x + i * m->n_in, y + i * m->n_out, 1, g, ws);
        assert_true(isfinite(loss));
        sum1 += loss;
        p->update(p1, g, NULL, &sgd, s + 1);
    }
    long done = p->train_samples(p2, x, y, idx, 1, FU_LR, &sum2);
    done += p->train_samples(p2, x, y, idx + 1, 6, FU_LR, &sum2);
    done += p->train_samples(p2, x, y, idx + 7, total - 7, FU_LR, &sum2);
    assert_int_equal(done, total);
    if (memcmp(p1, p2, np * sizeof(float)) != 0) {
        for (size_t k = 0; k < np; k++)
            if (memcmp(p1 + k, p2 + k, sizeof(float)) != 0)
                print_error("%s %s: parameter %zu: ordinary %.9g, fused %.9g\n", m->name, p->isa,
                            k, (double)p1[k], (double)p2[k]);
        fail();
    }
    assert_memory_equal(&sum1, &sum2, sizeof sum1);
    printf("%s %s: %ld updates, the same weights and loss sum (%.9g)\n", m->name, p->isa, total,
           sum2);
    nnrt_free(x);
    nnrt_free(y);
    nnrt_free(p1);
    nnrt_free(p2);
    nnrt_free(g);
    nnrt_free(ws);
    free(idx);
}

static void test_fused_equals_ordinary(void **state)
{
    (void)state;
    for (size_t i = 0; i < FU_N_MODELS; i++) {
        const nnrt_model *m = fu_models[i];
        assert_non_null(m->train_samples);
        nnrt_model paths[ET_MAX_PATHS];
        int n = et_paths(m, paths), tested = 0;
        for (int k = 0; k < n; k++) {
            if (!paths[k].train_samples) {
                assert_string_not_equal(paths[k].isa, "scalar");
                printf("%s %s: no fused step on this path\n", m->name, paths[k].isa);
                continue;
            }
            fu_check_path(m, &paths[k]);
            tested++;
        }
        assert_true(tested > 0);
    }
}

/* update_range over ranges of 16 parameters, last range first, makes
 * exactly update's step, for every optimizer and path (the trainer runs
 * the ranges of a big model's update on its threads). */
static void test_update_range(void **state)
{
    (void)state;
    const nnrt_model *ms[] = {&gc_msesig_model, &fu_soft_model};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        const nnrt_model *m = ms[i];
        nnrt_model paths[ET_MAX_PATHS];
        int n = et_paths(m, paths);
        size_t np = m->n_params;
        for (int k = 0; k < n; k++) {
            for (int o = NNRT_OPT_SGD; o <= NNRT_OPT_ADAM; o++) {
                const nnrt_optim opt = {(nnrt_opt_kind)o, 0.01f, 0.9f, 0.999f, 1e-8f};
                float p1[512], p2[512], g[512], s1[1024] = {0}, s2[1024] = {0};
                assert_true(np <= 512);
                et_init_params(m, p1, 7);
                et_init_params(m, g, 8);
                memcpy(p2, p1, np * sizeof(float));
                for (long t = 1; t <= 3; t++) {
                    paths[k].update(p1, g, s1, &opt, t);
                    for (long a = (long)np - 16; a >= 0; a -= 16)
                        paths[k].update_range(p2, g, s2, &opt, t, a, a + 16);
                }
                assert_memory_equal(p1, p2, np * sizeof(float));
                assert_memory_equal(s1, s2, 2 * np * sizeof(float));
            }
        }
    }
}

/* A sample whose loss is inf stops the step before its update: the
 * samples before it are applied, it and those after are not. */
static void test_fused_stops_at_bad_loss(void **state)
{
    (void)state;
    const nnrt_model *m = &ref_lin_model; /* 2 -> 1 identity, mse */
    float p[64] = {0}, q[64];
    assert_true(m->n_params <= 64);
    /* z = 3e38 (x1 + x2): inf for x = (1, 1) */
    p[m->layers[0].w_offset] = p[m->layers[0].w_offset + 1] = 3e38f;
    float x[3 * 2] = {0.0f, 0.5f, 1.0f, 1.0f, 0.0f, 1.0f}, y[3] = {0.5f, 0.25f, 1.0f};
    long idx[3] = {0, 1, 2};
    memcpy(q, p, sizeof p);
    double sum = 0.0;
    long done = m->train_samples(p, x, y, idx, 3, 0.0f, &sum);
    assert_int_equal(done, 1); /* row 0 is fine, row 1 is not */
    assert_memory_equal(p, q, sizeof p); /* lr 0: nothing moved */
    assert_true(isfinite(sum));
}

/* nnrt_main, argv as NULL-terminated strings after the program's name,
 * stdout to /dev/null; returns its exit status. */
static int fu_main(const nnrt_model *m, const char *fused, ...)
{
    const char *argv[32] = {"fu_trainer"};
    int argc = 1;
    va_list ap;
    va_start(ap, fused);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    if (fused)
        setenv("NNGEN_FUSED", fused, 1);
    else
        unsetenv("NNGEN_FUSED");
    fflush(stdout);
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    assert_non_null(null);
    int rc = nnrt_main(m, argc, (char **)argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    unsetenv("NNGEN_FUSED");
    return rc;
}

static size_t fu_slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* The trainer takes the fused step for batch 1 and sgd; NNGEN_FUSED=0 the
 * ordinary one: the same weights file.  So also for a run whose weights
 * blow up (the check, the replay and the weights it keeps), and a bad
 * NNGEN_FUSED is a usage error. */
static void test_trainer_fused(void **state)
{
    (void)state;
    const char *csv = nng_tmpdir_path("xor.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("0,0,0\n0,1,1\n1,0,1\n1,1,0\n", f);
    fclose(f);
    /* ref_lin (2 -> 1 identity, mse) on features in the thousands: lr 1
     * sends its weights to inf within a few updates */
    const char *big = nng_tmpdir_path("big.csv");
    f = fopen(big, "w");
    assert_non_null(f);
    fputs("1000,2000,5\n-3000,1000,2\n2500,-1500,-1\n", f);
    fclose(f);
    static unsigned char a[65536], b[65536];
    const struct {
        const nnrt_model *m;
        const char *data, *lr;
        int rc;
    } runs[] = {{&xor_emit_model, csv, "0.1", 0}, {&ref_lin_model, big, "1", 3 /* diverged */}};
    for (int k = 0; k < 2; k++) {
        int rc[2];
        const char *out[2] = {nng_tmpdir_path("fused.nngw"), nng_tmpdir_path("plain.nngw")};
        for (int v = 0; v < 2; v++)
            rc[v] = fu_main(runs[k].m, v ? "0" : NULL, "--train", runs[k].data, "--batch", "1",
                            "--optimizer", "sgd", "--lr", runs[k].lr, "--epochs", "3000",
                            "--quiet", "--threads", "1", "--save", out[v], (const char *)NULL);
        assert_int_equal(rc[0], rc[1]);
        assert_int_equal(rc[0], runs[k].rc);
        size_t na = fu_slurp(out[0], a, sizeof a), nb = fu_slurp(out[1], b, sizeof b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        printf("%s, lr %s: exit %d, the same weights file with and without the fused step\n",
               runs[k].m->name, runs[k].lr, rc[0]);
    }
    assert_int_equal(fu_main(&xor_emit_model, "2", "--train", csv, (const char *)NULL), 2);
}

static int fu_setup(void **state)
{
    (void)state;
    return nng_tmpdir_make("fused");
}

static int fu_teardown(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_equals_ordinary),
        cmocka_unit_test(test_fused_stops_at_bad_loss),
        cmocka_unit_test(test_update_range),
        cmocka_unit_test(test_trainer_fused),
    };
    return cmocka_run_group_tests(tests, fu_setup, fu_teardown);
}
