/*
 * test_isa_report.c -- which vector path did a generated model compile in?
 *
 * Links one model that nngen_add_model built with the default ISA selection
 * (`--isa all`: the C compiler's predefined macros pick AVX2+FMA, NEON or
 * scalar) and checks that its descriptor says the path this target should
 * get, and that the runtime's nnrt_best_isa() agrees:
 *   aarch64  "neon"  (NEON is in the aarch64 baseline; no flags needed)
 *   x86-64   "avx2"  (nngen_add_model compiles models with -mavx2 -mfma)
 *   other    "scalar"
 * Under qemu-aarch64 (scripts/test-arm.sh) this is the proof that the NEON
 * path is what ran; the forward pass below runs it once.
 *
 * tests/arm.cmake builds it (nngen --name isa_report); NNG_ISA_MODEL names
 * the descriptor symbol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "nnrt.h"

#ifndef NNG_ISA_MODEL
#error "NNG_ISA_MODEL must name the model descriptor (tests/arm.cmake sets it)"
#endif
extern const nnrt_model NNG_ISA_MODEL;

#if defined(__aarch64__)
#define EXPECTED_ISA "neon"
#elif defined(__x86_64__) || defined(_M_X64)
#define EXPECTED_ISA "avx2"
#else
#define EXPECTED_ISA "scalar"
#endif

/* The model's path can run here (an x86-64 CPU without AVX2 cannot). */
static int runnable(void)
{
    return strcmp(NNG_ISA_MODEL.isa, "avx2") != 0 || nnrt_cpu_has_avx2();
}

static void test_model_isa_is_the_targets(void **state)
{
    (void)state;
    const nnrt_model *m = &NNG_ISA_MODEL;
    print_message("model %s (%s): isa %s; runtime best %s\n", m->name, m->spec_file, m->isa,
                  nnrt_best_isa());
    assert_int_equal(m->abi, NNRT_ABI_VERSION);
    assert_non_null(m->isa);
    assert_string_equal(m->isa, EXPECTED_ISA);
}

static void test_runtime_agrees(void **state)
{
    (void)state;
    if (!runnable()) {
        print_message("no AVX2+FMA on this CPU: nnrt_best_isa() is %s\n", nnrt_best_isa());
        skip();
    }
    assert_string_equal(nnrt_best_isa(), NNG_ISA_MODEL.isa);
#if defined(__aarch64__)
    assert_int_equal(nnrt_cpu_has_avx2(), 0);
#endif
}

/* Runs the compiled-in path once: 7 samples (not a multiple of 4 or 8, so
 * the vector tails run too); every output must be finite. */
static void test_forward_runs(void **state)
{
    (void)state;
    if (!runnable())
        skip();
    const nnrt_model *m = &NNG_ISA_MODEL;
    const long n = 7;
    float *params = nnrt_alloc(m->n_params * sizeof(float));
    float *x = nnrt_alloc((size_t)n * (size_t)m->n_in * sizeof(float));
    float *out = nnrt_alloc((size_t)n * (size_t)m->n_out * sizeof(float));
    void *ws = nnrt_alloc(m->ws_bytes > 0 ? m->ws_bytes : 1);
    assert_non_null(params);
    assert_non_null(x);
    assert_non_null(out);
    assert_non_null(ws);

    nnrt_init_params(m, params, NNRT_INIT_XAVIER, 42);
    nnrt_rng r;
    nnrt_rng_seed(&r, 7);
    for (long i = 0; i < n * m->n_in; i++)
        x[i] = (float)(2.0 * nnrt_rng_uniform(&r) - 1.0);
    m->forward(params, x, n, out, ws);
    for (long i = 0; i < n * m->n_out; i++)
        assert_true(isfinite(out[i]));

    nnrt_free(ws);
    nnrt_free(out);
    nnrt_free(x);
    nnrt_free(params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_isa_is_the_targets),
        cmocka_unit_test(test_runtime_agrees),
        cmocka_unit_test(test_forward_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
