/*
 * test_isa_report.c -- which path of a generated model runs, and the
 * dispatcher that chooses it, on every machine.
 *
 * Links one model that nngen_add_model built with the default ISA selection
 * (`--isa all`: every path the target can have, no -m flags) and checks:
 *   - its paths (x86-64: avx512 avx2 scalar; aarch64: neon scalar) and that
 *     the one running is the best this CPU has, as nnrt_best_isa() says
 *     (under qemu-aarch64, scripts/test-arm.sh: neon);
 *   - forcing each path the CPU has (nnrt_model_select, as the trainer's
 *     --isa does) runs that path through the model's exported functions,
 *     with the scalar path's results within test_isa_agree's tolerance;
 *     forcing one it lacks, or one the file does not have, is refused in one
 *     line and changes nothing;
 *   - the refusals and NNGEN_ISA on a dispatch table naming every path
 *     (each over the scalar functions), so that "this CPU lacks" is tested
 *     on every machine (neon on x86-64, avx2 and avx512 on aarch64);
 *   - a file of one path accepts only that path, and only if the CPU runs it.
 *
 * tests/arm.cmake builds it (nngen --name isa_report); NNG_ISA_MODEL names
 * the descriptor symbol.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"

#ifndef NNG_ISA_MODEL
#error "NNG_ISA_MODEL must name the model descriptor (tests/arm.cmake sets it)"
#endif
extern const nnrt_model NNG_ISA_MODEL;

#if defined(__aarch64__)
#define PATHS "neon scalar"
#elif defined(__x86_64__) || defined(_M_X64)
#define PATHS "avx512 avx2 scalar"
#else
#define PATHS "scalar"
#endif

/* "avx512, avx2, scalar" */
static void path_list(const nnrt_dispatch *d, const char *sep, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int k = 0; k < d->n_paths; k++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", k ? sep : "", d->paths[k].isa);
}

static void test_model_runs_the_best_path(void **state)
{
    (void)state;
    const nnrt_model *m = &NNG_ISA_MODEL;
    const char *forced = getenv("NNGEN_ISA");
    print_message("model %s (%s): isa %s (%s); runtime best %s\n", m->name, m->spec_file, m->isa,
                  nnrt_model_why(m), nnrt_best_isa());
    assert_int_equal(m->abi, NNRT_ABI_VERSION);
    assert_non_null(m->dispatch);
    char list[64];
    path_list(m->dispatch, " ", list, sizeof list);
    assert_string_equal(list, PATHS);
    if (forced && *forced) {
        print_message("NNGEN_ISA=%s is set: the choice is not the default one\n", forced);
        skip();
    }
    assert_string_equal(m->isa, nnrt_best_isa());
    assert_string_equal(nnrt_model_why(m), "best this CPU has");
    assert_ptr_equal(m->isa, m->dispatch->isa);
    assert_string_equal(m->dispatch->path->isa, m->isa);
#if defined(__aarch64__)
    assert_string_equal(m->isa, "neon");
    assert_int_equal(nnrt_cpu_has_avx2(), 0);
#endif
}

/* Outputs and gradient of the model's exported functions (whatever path
 * they run) on fixed weights and 37 samples (tails for 4, 8, 16 lanes). */
enum { N = 37 };
typedef struct run_out {
    float out[N * 4];
    float grad[4096];
    double loss;
} run_out;

static void run_model(const nnrt_model *m, run_out *r)
{
    assert_true(m->n_params <= 4096 && m->n_out <= 4 && m->n_in <= 16);
    float *params = nnrt_alloc(m->n_params * sizeof(float));
    float x[N * 16], y[N * 4];
    void *ws = nnrt_alloc(m->ws_bytes);
    assert_non_null(params);
    assert_non_null(ws);
    nnrt_init_params(m, params, NNRT_INIT_XAVIER, 42);
    nnrt_rng g;
    nnrt_rng_seed(&g, 7);
    for (long i = 0; i < N * m->n_in; i++)
        x[i] = (float)(2.0 * nnrt_rng_uniform(&g) - 1.0);
    for (long i = 0; i < N * m->n_out; i++)
        y[i] = nnrt_rng_uniform(&g) < 0.5 ? 0.0f : 1.0f;
    m->forward(params, x, N, r->out, ws);
    r->loss = m->loss_grad(params, x, y, N, r->grad, ws);
    for (long i = 0; i < N * m->n_out; i++)
        assert_true(isfinite(r->out[i]));
    nnrt_free(ws);
    nnrt_free(params);
}

/* |a - b| <= tol * max(|a|, |b|, floor) element by element. */
static void assert_close(const float *a, const float *b, size_t n, double tol, double floor)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double s = fmax(fmax(fabs((double)a[i]), fabs((double)b[i])), floor);
        if (d > tol * s)
            fail_msg("[%zu]: %a vs scalar %a", i, (double)a[i], (double)b[i]);
    }
}

/* A one-line message: no newline, not empty. */
static void assert_one_line(const char *msg)
{
    assert_true(msg[0] != '\0');
    assert_null(strchr(msg, '\n'));
}

static void test_forcing_each_path(void **state)
{
    (void)state;
    const nnrt_model *m = &NNG_ISA_MODEL;
    const nnrt_dispatch *d = m->dispatch;
    char before[16];
    snprintf(before, sizeof before, "%s", m->isa);
    nnrt_err e;
    static run_out ref, got;
    assert_int_equal(nnrt_model_select(m, "scalar", "--isa", &e), 0);
    run_model(m, &ref);
    for (int k = 0; k < d->n_paths; k++) {
        const char *isa = d->paths[k].isa, *lacks = nnrt_cpu_lacks(isa);
        if (lacks) {
            char want[128];
            snprintf(want, sizeof want, "--isa %s: this CPU lacks %s", isa, lacks);
            assert_int_equal(nnrt_model_select(m, isa, "--isa", &e), -1);
            assert_string_equal(e.msg, want);
            assert_string_equal(m->isa, "scalar"); /* unchanged */
            print_message("%s: refused, \"%s\"\n", isa, e.msg);
            continue;
        }
        assert_int_equal(nnrt_model_select(m, isa, "--isa", &e), 0);
        assert_string_equal(m->isa, isa);
        assert_string_equal(nnrt_model_why(m), "forced by --isa");
        assert_ptr_equal(d->path, &d->paths[k]);
        run_model(m, &got);
        /* test_isa_agree's bounds: forward 1e-5, gradient 1e-4, loss 1e-5 */
        assert_close(got.out, ref.out, (size_t)(N * m->n_out), 1e-5, 1e-3);
        assert_close(got.grad, ref.grad, m->n_params, 1e-4, 1e-2);
        assert_true(fabs(got.loss - ref.loss) <= 1e-5 * fabs(ref.loss));
        print_message("%s: forced, agrees with scalar (loss %.9g vs %.9g)\n", isa, got.loss,
                      ref.loss);
        assert_int_equal(nnrt_model_select(m, "scalar", "--isa", &e), 0);
    }
    char list[64], want[160];
    path_list(d, ", ", list, sizeof list);
    snprintf(want, sizeof want, "--isa sse: this model has no sse path (it has %s)", list);
    assert_int_equal(nnrt_model_select(m, "sse", "--isa", &e), -1);
    assert_string_equal(e.msg, want);
    assert_one_line(e.msg);
    assert_string_equal(m->isa, "scalar");
    assert_int_equal(nnrt_model_select(m, before, "--isa", &e), 0); /* as before */
}

/* NNGEN_ISA as it was when the program started (the tests below set it). */
static char env_kept[32];
static int env_was_set;

static void env_keep(void)
{
    const char *v = getenv("NNGEN_ISA");
    env_was_set = v != NULL;
    snprintf(env_kept, sizeof env_kept, "%s", v ? v : "");
    unsetenv("NNGEN_ISA");
}

static void env_restore(void)
{
    if (env_was_set)
        setenv("NNGEN_ISA", env_kept, 1);
    else
        unsetenv("NNGEN_ISA");
}

/* Every path's name in a table of scalar functions: on any machine some
 * name is one the CPU lacks. */
static void fake_dispatch(nnrt_dispatch *d, nnrt_path paths[4])
{
    static const char *const names[4] = {"avx512", "avx2", "neon", "scalar"};
    const nnrt_dispatch *real = NNG_ISA_MODEL.dispatch;
    for (int k = 0; k < 4; k++) {
        paths[k] = real->paths[real->n_paths - 1]; /* the scalar one */
        paths[k].isa = names[k];
    }
    memset(d, 0, sizeof *d);
    d->paths = paths;
    d->n_paths = 4;
}

static void test_refusals_and_nngen_isa(void **state)
{
    (void)state;
    nnrt_dispatch d;
    nnrt_path paths[4];
    fake_dispatch(&d, paths);
    nnrt_model m = NNG_ISA_MODEL;
    m.dispatch = &d;
    env_keep();
    int lacking = 0;
    nnrt_err e;
    for (int k = 0; k < 4; k++) {
        const char *isa = paths[k].isa, *lacks = nnrt_cpu_lacks(isa);
        char want[128];
        /* the trainer's --isa */
        unsetenv("NNGEN_ISA");
        nnrt_dispatch_init(&d);
        int rc = nnrt_model_select(&m, isa, "--isa", &e);
        if (lacks) {
            lacking++;
            snprintf(want, sizeof want, "--isa %s: this CPU lacks %s", isa, lacks);
            assert_int_equal(rc, -1);
            assert_string_equal(e.msg, want);
            assert_string_equal(d.why, "best this CPU has");
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(d.isa, isa);
            assert_string_equal(d.why, "forced by --isa");
        }
        /* NNGEN_ISA at start-up: taken, or refused with the best path kept */
        assert_int_equal(setenv("NNGEN_ISA", isa, 1), 0);
        nnrt_dispatch_init(&d);
        rc = nnrt_model_select(&m, NULL, "--isa", &e);
        if (lacks) {
            snprintf(want, sizeof want, "NNGEN_ISA=%s: this CPU lacks %s", isa, lacks);
            assert_string_equal(d.refused.msg, want);
            assert_string_equal(d.isa, nnrt_best_isa());
            assert_int_equal(rc, -1);
            assert_string_equal(e.msg, want);
            assert_int_equal(nnrt_model_select(&m, "scalar", "--isa", &e), 0); /* --isa wins */
        } else {
            assert_string_equal(d.refused.msg, "");
            assert_string_equal(d.isa, isa);
            assert_string_equal(d.why, "forced by NNGEN_ISA");
            assert_int_equal(rc, 0);
        }
    }
    assert_int_equal(setenv("NNGEN_ISA", "sse", 1), 0);
    nnrt_dispatch_init(&d);
    assert_string_equal(d.refused.msg,
                        "NNGEN_ISA=sse: this model has no sse path (it has avx512, avx2, neon, "
                        "scalar)");
    assert_int_equal(setenv("NNGEN_ISA", "", 1), 0); /* empty: as if unset */
    nnrt_dispatch_init(&d);
    assert_string_equal(d.refused.msg, "");
    assert_string_equal(d.isa, nnrt_best_isa());
    assert_string_equal(d.why, "best this CPU has");
    env_restore();
    assert_true(lacking >= 1);
}

/* A file of one path (nngen --isa X): that path or nothing. */
static void test_one_path_file(void **state)
{
    (void)state;
    nnrt_model m = NNG_ISA_MODEL;
    m.dispatch = NULL;
    m.isa = "scalar";
    nnrt_err e;
    env_keep();
    assert_string_equal(nnrt_model_why(&m), "the only path compiled in");
    assert_int_equal(nnrt_model_select(&m, "scalar", "--isa", &e), 0);
    assert_int_equal(nnrt_model_select(&m, "avx2", "--isa", &e), -1);
    assert_string_equal(e.msg, "--isa avx2: this model has only the scalar path (nngen --isa "
                               "scalar)");
    /* a path the CPU lacks */
    static const char *const names[3] = {"avx512", "avx2", "neon"};
    for (int k = 0; k < 3; k++) {
        const char *lacks = nnrt_cpu_lacks(names[k]);
        if (!lacks)
            continue;
        m.isa = names[k];
        char want[160];
        snprintf(want, sizeof want,
                 "this model has only the %s path (nngen --isa %s) and this CPU lacks %s",
                 names[k], names[k], lacks);
        assert_int_equal(nnrt_model_select(&m, NULL, "--isa", &e), -1);
        assert_string_equal(e.msg, want);
    }
    /* NNGEN_ISA naming another path */
    m.isa = "scalar";
    setenv("NNGEN_ISA", "avx2", 1);
    assert_int_equal(nnrt_model_select(&m, NULL, "--isa", &e), -1);
    assert_string_equal(e.msg, "NNGEN_ISA=avx2: this model has only the scalar path (nngen --isa "
                               "scalar)");
    env_restore();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_runs_the_best_path),
        cmocka_unit_test(test_forcing_each_path),
        cmocka_unit_test(test_refusals_and_nngen_isa),
        cmocka_unit_test(test_one_path_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
