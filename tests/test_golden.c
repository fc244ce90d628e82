/*
 * test_golden.c -- what nng_emit writes: deterministic, the right
 * intrinsics on each path, the documented header, and C that gcc, clang
 * and aarch64-linux-gnu-gcc compile warning-free (-Werror) for every --isa.
 *
 * The compilers run through system(); a missing compiler skips its part,
 * except when CI=true (then it fails).  NNGEN_SOURCE_DIR locates nnrt.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nngen.h"

static const char cat_text[] =
    "# the course's 4-layer cat classifier\n"
    "model cat\n"
    "input 64x64x3\n"
    "dense 20 relu\n"
    "dense 7 relu   # a comment after a statement\n"
    "dense 5 relu\n"
    "dense 1 sigmoid\n"
    "loss bce\n"
    "train lr=0.0075 iterations=2500 init=course\n";

/* Every activation and loss, sizes with tails for 4 and 8 lanes, narrow layers. */
static const char *const compile_texts[] = {
    ("model tails\ninput 13\ndense 7 leaky_relu slope=0.2\ndense 5 tanh\ndense 3 relu\n"
     "dense 3 sigmoid\nloss bce\n"),
    "model soft\ninput 3x3\ndense 17 identity\ndense 9 sigmoid\ndense 4 softmax\nloss cce\n",
    "model reg\ninput 1\ndense 12 tanh\ndense 2 tanh\nloss mse\n",
    "model wide\ninput 12289\ndense 8 relu\ndense 8 relu\ndense 1 identity\nloss mse\n",
    /* every layer narrower than a vector: no vector kernel at all */
    "model tiny\ninput 2\ndense 4 tanh\ndense 1 sigmoid\nloss bce\n",
    /* narrow fan_in, wide layer: kernels over the units, blocks and tails */
    "model units\ninput 3\ndense 60 relu\ndense 6 tanh\ndense 2 sigmoid\nloss bce\n",
    /* loss perceptron: step layers, only the output trained, weights in the spec */
    ("model percep\ninput 19\ndense 17 step\ndense 9 sigmoid\ndense 3 step\n"
     "weights 1 -2 3 -4 5 -6 7 -8 0.125\nweights 0 0 0 0 0 0 0 0 -0\nweights 9 8 7 6 5 4 3 2 1\n"
     "bias 0.5 -1e-3 2\nloss perceptron\n"),
};

static void parse(const char *text, nng_spec *s)
{
    nng_diag d;
    nng_diag_init(&d, "golden.spec", stderr);
    assert_int_equal(nng_parse_text(text, strlen(text), "golden.spec", s, &d), 0);
}

/* nng_emit into a malloc'ed string. */
static char *emit(const nng_spec *s, int isas, int dbl)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    nng_emit_opts o = {isas, dbl, "nngen --test golden.spec"};
    assert_int_equal(nng_emit(s, &o, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

static void test_layout_and_flops(void **state)
{
    (void)state;
    nng_spec s;
    parse(cat_text, &s);
    /* W1 20 x 12288 = 245760 floats, b1 20 -> 32; W2 7 x 20 = 140 -> 144 ... */
    assert_int_equal(nng_param_offset_w(&s, 0), 0);
    assert_int_equal(nng_param_offset_b(&s, 0), 245760);
    assert_int_equal(nng_param_offset_w(&s, 1), 245792);
    assert_int_equal(nng_param_offset_b(&s, 1), 245936);
    assert_int_equal(nng_param_offset_w(&s, 2), 245952);
    assert_int_equal(nng_param_offset_b(&s, 2), 245952 + 48);
    assert_int_equal(nng_param_offset_w(&s, 3), 246016);
    assert_int_equal(nng_param_offset_b(&s, 3), 246032);
    assert_int_equal(nng_param_count_padded(&s), 246048);
    for (int l = 0; l < s.n_layers; l++)
        assert_int_equal(nng_param_offset_w(&s, l) % NNRT_ALIGN_FLOATS, 0);
    /* 2 FLOPs per multiply-add: 2 (12288*20 + 20*7 + 7*5 + 5*1) = 491880;
     * training adds dW (the same again) and dA_prev for layers 2..4
     * (2 (140 + 35 + 5) = 360). */
    assert_true(nng_flops_fwd(&s) == 491880.0);
    assert_true(nng_flops_train(&s) == 984120.0);

    /* The signature depends on the shape, not on names or training. */
    nng_spec t, u;
    parse("model other\ninput 12288\ndense 20 relu\ndense 7 relu\ndense 5 relu\n"
          "dense 1 sigmoid\nloss bce\ntrain lr=0.5\n",
          &t);
    parse("model cat\ninput 64x64x3\ndense 20 relu\ndense 7 tanh\ndense 5 relu\n"
          "dense 1 sigmoid\nloss bce\n",
          &u);
    assert_true(nng_signature(&s) == nng_signature(&t));
    assert_true(nng_signature(&s) != nng_signature(&u));
    /* Layers without an activation parameter hash as they always have
     * (weights files saved before still load). */
    assert_true(nng_signature(&s) == 0x8d01064a5c62849dULL);
    nng_spec_free(&s);
    nng_spec_free(&t);
    nng_spec_free(&u);
}

/* An activation's parameter is part of the shape: weights trained with
 * slope 0.2 do not match a model with slope 0.5. */
static void test_signature_param(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "model a\ninput 4\ndense 3 leaky_relu slope=0.2\ndense 1 sigmoid\nloss bce\n",
        "model b\ninput 4\ndense 3 leaky_relu slope=0.2\ndense 1 sigmoid\nloss bce\n",
        "model c\ninput 4\ndense 3 leaky_relu slope=0.5\ndense 1 sigmoid\nloss bce\n",
        /* the default slope is 0.01: the same as writing it */
        "model d\ninput 4\ndense 3 leaky_relu\ndense 1 sigmoid\nloss bce\n",
        "model e\ninput 4\ndense 3 leaky_relu slope=0.01\ndense 1 sigmoid\nloss bce\n",
        /* a slope that differs in the last bit of the float */
        "model f\ninput 4\ndense 3 leaky_relu slope=0.20000002\ndense 1 sigmoid\nloss bce\n",
    };
    unsigned long long sig[6];
    for (int i = 0; i < 6; i++) {
        nng_spec s;
        parse(texts[i], &s);
        sig[i] = nng_signature(&s);
        nng_spec_free(&s);
    }
    assert_true(sig[0] == sig[1]);
    assert_true(sig[0] != sig[2]);
    assert_true(sig[3] == sig[4]);
    assert_true(sig[3] != sig[0]);
    assert_true(sig[5] != sig[0]);
}

static void test_deterministic(void **state)
{
    (void)state;
    nng_spec s;
    parse(cat_text, &s);
    static const int isas[5] = {NNG_ISA_ALL, NNG_ISA_AVX2, NNG_ISA_AVX512, NNG_ISA_NEON,
                                NNG_ISA_SCALAR};
    for (int i = 0; i < 6; i++) {
        char *a = emit(&s, i < 5 ? isas[i] : NNG_ISA_SCALAR, i == 5);
        char *b = emit(&s, i < 5 ? isas[i] : NNG_ISA_SCALAR, i == 5);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    nng_spec_free(&s);
}

static void test_what_each_isa_emits(void **state)
{
    (void)state;
    nng_spec s;
    parse(cat_text, &s);
    char *all = emit(&s, NNG_ISA_ALL, 0), *avx = emit(&s, NNG_ISA_AVX2, 0);
    char *neon = emit(&s, NNG_ISA_NEON, 0), *sc = emit(&s, NNG_ISA_SCALAR, 0);
    char *dbl = emit(&s, NNG_ISA_SCALAR, 1), *a512 = emit(&s, NNG_ISA_AVX512, 0);

    /* AVX2: FMA in the matrix loops, SLEEF-backed runtime activations. */
    assert_non_null(strstr(avx, "_mm256_fmadd_ps("));
    assert_non_null(strstr(avx, "_mm256_maskload_ps(")); /* fan_in 20 has a tail */
    assert_non_null(strstr(avx, "nnrt_avx2_relu(ws + CAT_A1, rows * 20);"));
    assert_non_null(strstr(avx, "#error \"this file was generated with --isa avx2"));
    assert_null(strstr(avx, "vfmaq_f32"));
    /* Narrow layers (units or fan_in < 8 lanes): the scalar path's code. */
    assert_non_null(strstr(avx, "nnrt_scalar_relu(ws + CAT_A2, rows * 7);"));
    assert_non_null(strstr(avx, "nnrt_scalar_sigmoid(ws + CAT_A4, rows);"));
    assert_null(strstr(avx, "nnrt_avx2_sigmoid("));
    assert_non_null(strstr(avx, "/* fan_in 7 < 8 lanes: plain loops */"));
    assert_non_null(strstr(avx, "s += x[i * 7 + k] * W[4 * 7 + k];")); /* unit 4 of 5 */
    /* AVX-512: 16 lanes, tails under a __mmask16, the reduction intrinsic. */
    assert_non_null(strstr(a512, "acc0_0 = _mm512_fmadd_ps(x0, w0, acc0_0);"));
    assert_non_null(strstr(a512, "const __mmask16 tailmask = 0xf;")); /* fan_in 20 = 16 + 4 */
    assert_non_null(strstr(a512, "_mm512_maskz_loadu_ps(tailmask, "));
    assert_non_null(strstr(a512, "_mm512_reduce_add_ps(acc0_0)"));
    assert_non_null(strstr(a512, "nnrt_avx512_relu(ws + CAT_A1, rows * 20);"));
    assert_non_null(strstr(a512, "nnrt_scalar_relu(ws + CAT_A2, rows * 7);"));
    assert_non_null(strstr(a512, "#error \"this file was generated with --isa avx512"));
    assert_null(strstr(a512, "_mm256_fmadd_ps("));
    /* NEON: vfmaq_f32(c, a, b) = c + a*b. */
    assert_non_null(strstr(neon, "acc0_0 = vfmaq_f32(acc0_0, x0, w0);"));
    assert_non_null(strstr(neon, "nnrt_neon_relu(ws + CAT_A2, rows * 7);")); /* 7 >= 4 lanes */
    assert_non_null(strstr(neon, "nnrt_scalar_sigmoid(ws + CAT_A4, rows);"));
    assert_null(strstr(neon, "fan_in 7 < "));
    assert_null(strstr(neon, "_mm256"));
    /* Scalar: plain loops, no intrinsics. */
    assert_null(strstr(sc, "_mm"));
    assert_null(strstr(sc, "__m256"));
    assert_null(strstr(sc, "float32x4_t"));
    assert_null(strstr(sc, "vld1q"));
    assert_null(strstr(sc, "#include <immintrin.h>"));
    assert_non_null(strstr(sc, "s += x[i * 12288 + k] * W[j * 12288 + k];"));
    assert_non_null(strstr(sc, "nnrt_scalar_relu("));
    /* all: every path the target can have, each function with its target
     * attribute, under its own prefix; the scalar loops always; chosen at
     * start-up through a table of the paths. */
    assert_non_null(strstr(all, "#if defined(__x86_64__) && defined(__GNUC__)\n"
                                "#include <immintrin.h>\n"
                                "#define CAT_PATH_AVX512 __attribute__((target(\"avx512f,avx2,fma\")))\n"
                                "#define CAT_PATH_AVX2 __attribute__((target(\"avx2,fma\")))\n"
                                "#endif\n"
                                "#if defined(__aarch64__) && defined(__ARM_NEON)\n"
                                "#include <arm_neon.h>\n"
                                "#define CAT_PATH_NEON 1\n"
                                "#endif\n"));
    assert_non_null(strstr(all, "#if defined(CAT_PATH_AVX512)\n"));
    assert_non_null(strstr(all, "CAT_PATH_AVX512 static void cat_avx512_fwd_12288x20("));
    assert_non_null(strstr(all, "CAT_PATH_AVX2 static void cat_avx2_dw_12288x20("));
    assert_non_null(strstr(all, "\nstatic void cat_neon_fwd_12288x20("));
    assert_non_null(strstr(all, "\nstatic void cat_scalar_fwd_12288x20("));
    assert_non_null(strstr(all, "CAT_PATH_AVX512 static double cat_avx512_loss_grad("));
    assert_non_null(strstr(all, "_mm512_fmadd_ps("));
    assert_non_null(strstr(all, "_mm256_fmadd_ps("));
    assert_non_null(strstr(all, "vfmaq_f32("));
    assert_non_null(strstr(all, "nnrt_scalar_relu("));
    assert_null(strstr(all, "#error"));
    assert_null(strstr(all, "-march=native"));
    assert_non_null(strstr(all, "    {\"avx512\", cat_avx512_forward, cat_avx512_loss_grad, "
                                "cat_avx512_update, NULL, cat_avx512_update_range},\n"));
    assert_non_null(strstr(all, "#endif\n    {\"scalar\", cat_scalar_forward, "
                                "cat_scalar_loss_grad, cat_scalar_update, NULL, "
                                "cat_scalar_update_range},\n};"));
    assert_non_null(strstr(all, "__attribute__((constructor)) static void cat_choose_path(void)\n"
                                "{\n    nnrt_dispatch_init(&cat_dispatch);\n}\n"));
    assert_non_null(strstr(all, "void cat_forward(const float *params, const float *x, long m, "
                                "float *out, void *ws)\n{\n    cat_dispatch.path->forward(params, "
                                "x, m, out, ws);\n}\n"));
    /* one path: no dispatch, its functions the exported ones */
    assert_null(strstr(avx, "nnrt_dispatch"));
    assert_null(strstr(avx, "__attribute__"));
    assert_non_null(strstr(avx, "\ndouble cat_loss_grad(const float *params"));
    /* Identical kernels once: 3 distinct relu-layer shapes, one dact_relu. */
    const char *p = strstr(avx, "static void cat_dact_relu(");
    assert_non_null(p);
    assert_null(strstr(p + 1, "static void cat_dact_relu("));
    /* Double: a trainer over the _d runtime, descriptor and main. */
    assert_non_null(strstr(dbl, "double cat_loss_grad(const double *params"));
    assert_non_null(strstr(dbl, "nnrt_scalar_relu_d("));
    assert_non_null(strstr(dbl, "const size_t cat_n_params = CAT_N_PARAMS;"));
    assert_non_null(strstr(dbl, "#define NNRT_DOUBLE 1"));
    assert_non_null(strstr(dbl, "const nnrt_model cat_model = {"));
    assert_non_null(strstr(dbl, "sizeof(double) * CAT_WS_REALS"));
    assert_non_null(strstr(dbl, ".lr = 0.0075,"));
    assert_non_null(strstr(dbl, "int main("));
    assert_null(strstr(dbl, "float *"));
    assert_null(strstr(dbl, "(float)"));
    assert_null(strstr(dbl, "0f"));

    /* The header: origin, build line, the spec, layer table, FLOPs. */
    assert_non_null(strstr(all, " *   spec:    golden.spec\n"));
    assert_non_null(strstr(all, " *   command: nngen --test golden.spec\n"));
    assert_non_null(strstr(all, "pkg-config --cflags --libs nnrt"));
    assert_non_null(strstr(all, " *   | dense 7 relu   # a comment after a statement\n"));
    assert_non_null(strstr(all, "Parameters: 245973 (246048 floats"));
    assert_non_null(strstr(all, "forward 491880, forward + backward 984120."));
    assert_non_null(strstr(all, "/* layer 2, spec line 5: \"dense 7 relu   # a comment after a "
                                "statement\" */\n"));
    /* Samples are rows; the course's column form beside it. */
    assert_non_null(
        strstr(all, "/*   Z4 = A3 W4^T + b4 (course: Z4 = W4 A3 + b4);  a = 1 / (1 + exp(-z)) */"));
    assert_non_null(strstr(all, "/*   dW4 += dZ4^T A3 (course: dW4 = (1/m) dZ4 A3^T) */"));
    assert_non_null(strstr(all, "/*   dA3 = dZ4 W4 (course: dA3 = W4^T dZ4) */"));
    /* The descriptor. */
    assert_non_null(strstr(all, "const nnrt_model cat_model = {"));
    assert_non_null(strstr(all, ".isa = cat_dispatch.isa, /* the path chosen at start-up */"));
    assert_non_null(strstr(all, ".dispatch = &cat_dispatch,"));
    assert_non_null(strstr(avx, ".isa = CAT_ISA,"));
    assert_non_null(strstr(all, ".flops_fwd = 491880.0,"));
    assert_non_null(strstr(all, ".input_shape = {64, 64, 3, 0},"));
    assert_non_null(strstr(all, ".iterations = 2500,"));
    assert_non_null(strstr(all, ".init = NNRT_INIT_COURSE,"));
    /* The defaults as written: nnrt_train_cfg keeps them as double. */
    assert_non_null(strstr(all, ".lr = 0.0075,"));
    assert_non_null(strstr(all, ".beta2 = 0.999,"));
    assert_non_null(strstr(all, ".eps = 1e-08,"));
    assert_non_null(strstr(all, "{20, 12288, NNRT_ACT_RELU, 0.0f, CAT_W1, CAT_B1, 4, 0},"));
    p = strstr(all, "#ifndef NNGEN_NO_MAIN\n");
    assert_non_null(p);
    assert_non_null(strstr(p, "int main(int argc, char **argv)\n{\n    return nnrt_main(&cat_model, "
                              "argc, argv);\n}\n#endif\n"));
    /* Template holes are all filled. */
    assert_null(strstr(all, "@"));
    assert_null(strstr(dbl, "@"));
    free(all), free(avx), free(neon), free(sc), free(dbl), free(a512);
    nng_spec_free(&s);
}

/* models/xor.spec's shape: every layer is narrower than 8 lanes, so the
 * AVX2 path runs the 2x4 layer over its 4 units with 128-bit vectors, the
 * 4x1 layer as plain loops, the double-precision short tanh and the scalar
 * sigmoid; on NEON (4 lanes) the 2x4 layer runs over its units and the 4x1
 * layer over fan_in.  A wide layer after a narrow input runs over its
 * units. */
static void test_narrow_layers(void **state)
{
    (void)state;
    nng_spec s;
    parse("model xor\ninput 2\ndense 4 tanh\ndense 1 sigmoid\nloss bce\n", &s);
    char *avx = emit(&s, NNG_ISA_AVX2, 0), *neon = emit(&s, NNG_ISA_NEON, 0);
    char *sc = emit(&s, NNG_ISA_SCALAR, 0);
    assert_non_null(strstr(avx, "nnrt_avx2_tanh_short(ws + XOR_A1, rows * 4);"));
    assert_non_null(strstr(avx, "nnrt_scalar_sigmoid(ws + XOR_A2, rows);"));
    /* 2x4: over the 4 units with AVX2's 128-bit vectors; 4x1: plain */
    assert_non_null(strstr(avx, "/* fan_in 2 < 8 lanes: over the units, W^T of each block in wt */"));
    assert_non_null(strstr(avx, "{ /* units 0..3, __m128 */"));
    assert_non_null(strstr(avx, "acc0 = _mm_fmadd_ps(x1, _mm_loadu_ps(wt + 4), acc0);"));
    assert_non_null(strstr(avx, "acc1 = _mm_fmadd_ps(_mm_set1_ps(a[i * 2 + 1]), d, acc1);"));
    assert_non_null(strstr(avx, "/* fan_in 4 < 8 lanes: plain loops */"));
    assert_null(strstr(avx, "_mm256_fmadd_ps("));
    assert_null(strstr(avx, "_mm256_maskload_ps("));
    assert_non_null(strstr(neon, "nnrt_neon_tanh(ws + XOR_A1, rows * 4);"));
    assert_non_null(strstr(neon, "/* fan_in 2 < 4 lanes: over the units, W^T of each block in wt */"));
    assert_null(strstr(neon, "__m128"));
    assert_non_null(strstr(neon, "acc0 = vfmaq_f32(acc0, x1, vld1q_f32(wt + 4));"));
    assert_non_null(strstr(neon, "acc1 = vfmaq_f32(acc1, vdupq_n_f32(a[i * 2 + 1]), d);"));
    assert_non_null(strstr(sc, "nnrt_scalar_tanh(ws + XOR_A1, rows * 4);"));
    assert_null(strstr(sc, "lanes: plain loops"));
    /* fan_in 3 < 8 <= 16 units: forward and dW over the units on AVX2. */
    nng_spec h;
    parse("model house\ninput 3\ndense 16 relu\ndense 1 identity\nloss mse\n", &h);
    char *hx = emit(&h, NNG_ISA_AVX2, 0);
    assert_non_null(strstr(hx, "{ /* units 0..15 */")); /* one block of 16: no loop */
    assert_non_null(strstr(hx, "acc1 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(wt + 40), acc1);"));
    assert_non_null(strstr(hx, "/* fan_in 3 < 8 lanes: over the units */"));
    assert_non_null(strstr(hx, "dW[(j0 + v) * 3 + k] += t[k * 8 + v];"));
    free(hx);
    nng_spec_free(&h);
    /* AVX-512 (16 lanes): 2x4 over the units with AVX2's 128-bit vectors, its
     * half's half, and AVX2's short tanh (up to 8 units); 12 units are a
     * 256-bit and a 128-bit vector, and AVX-512's short tanh. */
    char *x512 = emit(&s, NNG_ISA_AVX512, 0);
    assert_non_null(strstr(x512, "{ /* units 0..3, __m128 */"));
    assert_non_null(strstr(x512, "nnrt_avx2_tanh_short(ws + XOR_A1, rows * 4);"));
    free(x512);
    parse("model u12\ninput 3\ndense 12 tanh\ndense 1 identity\nloss mse\n", &h);
    x512 = emit(&h, NNG_ISA_AVX512, 0);
    assert_non_null(strstr(x512, "/* fan_in 3 < 16 lanes: over the units, W^T of each block in wt */"));
    assert_non_null(strstr(x512, "{ /* units 0..7, __m256 */"));
    assert_non_null(strstr(x512, "{ /* units 8..11, __m128 */"));
    assert_non_null(strstr(x512, "/* fan_in 3 < 16 lanes: over the units */"));
    assert_non_null(strstr(x512, "nnrt_avx512_tanh_short(ws + U12_A1, rows * 12);"));
    free(x512);
    nng_spec_free(&h);
    /* The loss in float from the logits; one sample skips the 1/m scale. */
    assert_non_null(strstr(avx, "const float l1p = u == 1.0f ? ez : logf(u) * (ez / (u - 1.0f));"));
    assert_non_null(strstr(avx, "if (m > 1) {"));
    free(avx), free(neon), free(sc);
    nng_spec_free(&s);
}

/* The excerpt in docs/generated-code.md is what the emitter writes: every
 * line of its code blocks (indented 4) is a line of models/xor.spec or
 * models/cat.spec emitted for AVX2, except "..." elisions. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* text holds `line` as a whole line, whatever its indentation. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *q = strstr(text, line); q; q = strstr(q + 1, line))
        if ((q == text || q[-1] == ' ' || q[-1] == '\n') && q[n] == '\n')
            return 1;
    return 0;
}

static void test_doc_excerpt(void **state)
{
    (void)state;
    const char *srcdir = getenv("NNGEN_SOURCE_DIR");
    assert_non_null(srcdir);
    char path[4096];
    char *code[2];
    static const char *const models[2] = {"xor", "cat"};
    for (int m = 0; m < 2; m++) {
        snprintf(path, sizeof path, "%s/models/%s.spec", srcdir, models[m]);
        nng_spec s;
        nng_diag d;
        nng_diag_init(&d, path, stderr);
        assert_int_equal(nng_parse_file(path, &s, &d), 0);
        code[m] = emit(&s, NNG_ISA_AVX2, 0);
        nng_spec_free(&s);
    }
    snprintf(path, sizeof path, "%s/docs/generated-code.md", srcdir);
    const char *doc = slurp(path);
    assert_non_null(doc);
    const char *p = strstr(doc, "## An excerpt (models/xor.spec, AVX2 path)");
    assert_non_null(p);
    const char *end = strstr(p, "\n## ");
    assert_non_null(end);
    int checked = 0;
    while (p < end) {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, "    ", 4) == 0) {
            const char *t = p + 4;
            while (*t == ' ')
                t++;
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(eol - t), t);
            if (strcmp(line, "...") != 0) {
                if (!has_line(code[0], line) && !has_line(code[1], line))
                    fail_msg("docs/generated-code.md excerpt line not emitted: \"%s\"", line);
                checked++;
            }
        }
        p = eol + 1;
    }
    assert_true(checked > 20);
    free(code[0]), free(code[1]);
}

static int have(const char *cc);
static int compile(const char *code, const char *cc, const char *flags, char *log, size_t cap);

/* Write errors and impossible specs are reported, not ignored. */
static void test_emit_failures(void **state)
{
    (void)state;
    nng_spec s;
    parse(cat_text, &s);
    nng_emit_opts o = {NNG_ISA_ALL, 0, NULL};
    /* only the device: fopen(.., "w") would create a file where it is missing */
    struct stat st;
    FILE *full = stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode) ? fopen("/dev/full", "w") : NULL;
    if (full) {
        assert_int_equal(nng_emit(&s, &o, full), -1);
        fclose(full);
    }
    nng_spec bad = s;
    bad.n_layers = 0;
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(nng_emit(&bad, &o, null), -1);
    assert_int_equal(nng_emit(&s, &o, null), 0);
    fclose(null);
    nng_spec_free(&s);
}

/* A spec whose text holds comment delimiters and odd bytes stays valid C. */
static void test_hostile_comment_text(void **state)
{
    (void)state;
    nng_spec s;
    parse("# ends a comment */ and opens one /* and \"quotes\" \\ \t tab, trigraph ?" "?/\n"
          "model h\ninput 2\ndense 1 sigmoid # */\nloss bce\n",
          &s);
    s.path = "odd \"dir\"/x?" "?=.spec";
    char *c = emit(&s, NNG_ISA_SCALAR, 0);
    assert_non_null(strstr(c, ".spec_file = \"odd \\\"dir\\\"/x\\?\\?=.spec\","));
    assert_null(strstr(c, "??"));
    /* The only comment closers are our own: none inside the spec lines. */
    const char *p = strstr(c, "ends a comment");
    assert_non_null(p);
    const char *eol = strchr(p, '\n');
    for (const char *q = p; q < eol; q++)
        assert_false(q[0] == '*' && q[1] == '/');
    if (have("gcc")) {
        static char log[8192];
        int rc = compile(c, "gcc", "", log, sizeof log);
        if (rc != 0)
            print_message("%s\n", log);
        assert_int_equal(rc, 0);
        assert_string_equal(log, "");
    }
    free(c);
    nng_spec_free(&s);
}

/* ---- compiling the output ---------------------------------------------- */

static int ci(void)
{
    const char *v = getenv("CI");
    return v && strcmp(v, "true") == 0;
}

static int have(const char *cc)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", cc);
    return system(cmd) == 0;
}

static char tmpdir[256];

static int setup_tmp(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/nngen-golden-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Compile `code` with `cc flags`; returns the exit status, log in *out. */
static int compile(const char *code, const char *cc, const char *flags, char *log, size_t cap)
{
    char src[320], lg[320], cmd[2048];
    snprintf(src, sizeof src, "%s/g.c", tmpdir);
    snprintf(lg, sizeof lg, "%s/g.log", tmpdir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    assert_int_equal(fputs(code, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    const char *srcdir = getenv("NNGEN_SOURCE_DIR");
    assert_non_null(srcdir);
    snprintf(cmd, sizeof cmd,
             "%s -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wdouble-promotion "
             "-Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror -O1 -DNNGEN_NO_MAIN "
             "-I'%s/runtime' %s -c '%s' -o '%s/g.o' >'%s' 2>&1",
             cc, srcdir, flags, src, tmpdir, lg);
    int rc = system(cmd);
    log[0] = '\0';
    f = fopen(lg, "r");
    if (f) {
        size_t n = fread(log, 1, cap - 1, f);
        log[n] = '\0';
        fclose(f);
    }
    return rc;
}

static void test_compiles_warning_free(void **state)
{
    (void)state;
    /* Variants: 1 all, 2 avx2, 4 neon, 8 scalar, 16 double, 32 avx512. */
    static const struct {
        const char *cc, *flags;
        int variants;
    } ccs[] = {
        {"gcc", "", 1 | 8 | 16},
        {"gcc", "-mavx2 -mfma", 1 | 2},
        {"gcc", "-mavx512f -mavx2 -mfma", 32},
        {"clang", "", 1 | 8 | 16},
        {"clang", "-mavx2 -mfma", 1 | 2},
        {"clang", "-mavx512f -mavx2 -mfma", 32},
        {"aarch64-linux-gnu-gcc", "", 1 | 4 | 8 | 16},
    };
    static const int isa_of[6] = {NNG_ISA_ALL,    NNG_ISA_AVX2,   NNG_ISA_NEON,
                                  NNG_ISA_SCALAR, NNG_ISA_SCALAR, NNG_ISA_AVX512};
    static char log[8192];
    int compiled = 0;
    for (size_t c = 0; c < sizeof ccs / sizeof ccs[0]; c++) {
        if (!have(ccs[c].cc)) {
            print_message("%s not found%s\n", ccs[c].cc, ci() ? " (CI: failure)" : ", skipped");
            assert_false(ci());
            continue;
        }
        for (size_t t = 0; t < sizeof compile_texts / sizeof compile_texts[0]; t++) {
            nng_spec s;
            parse(compile_texts[t], &s);
            for (int v = 0; v < 6; v++) {
                if (!(ccs[c].variants & (1 << v)))
                    continue;
                int isa = isa_of[v];
                char *code = emit(&s, isa, v == 4);
                int rc = compile(code, ccs[c].cc, ccs[c].flags, log, sizeof log);
                if (rc != 0)
                    print_message("%s %s, %s, isa bits %d%s:\n%s\n", ccs[c].cc, ccs[c].flags,
                                  s.name, isa, v == 4 ? " double" : "", log);
                assert_int_equal(rc, 0);
                assert_string_equal(log, "");
                compiled++;
                free(code);
            }
            nng_spec_free(&s);
        }
    }
    print_message("%d emitted files compiled warning-free\n", compiled);
}

/* --isa avx2 compiled without -mavx2 -mfma stops with our message, and
 * --isa avx512 without -mavx512f. */
static void test_isa_error_message(void **state)
{
    (void)state;
    if (!have("gcc")) {
        assert_false(ci());
        skip();
    }
    nng_spec s;
    parse(compile_texts[0], &s);
    char *code = emit(&s, NNG_ISA_AVX2, 0);
    static char log[8192];
    int rc = compile(code, "gcc", "-mno-avx2", log, sizeof log);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(log, "this file was generated with --isa avx2: compile it with -mavx2 "
                                "-mfma (or -march=native)"));
    free(code);
    code = emit(&s, NNG_ISA_AVX512, 0);
    rc = compile(code, "gcc", "-mavx2 -mfma", log, sizeof log);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(log, "this file was generated with --isa avx512: compile it with "
                                "-mavx512f -mavx2 -mfma"));
    free(code);
    nng_spec_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_flops),
        cmocka_unit_test(test_signature_param),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_what_each_isa_emits),
        cmocka_unit_test(test_narrow_layers),
        cmocka_unit_test(test_doc_excerpt),
        cmocka_unit_test(test_emit_failures),
        cmocka_unit_test(test_hostile_comment_text),
        cmocka_unit_test(test_compiles_warning_free),
        cmocka_unit_test(test_isa_error_message),
    };
    return cmocka_run_group_tests_name("golden", tests, setup_tmp, teardown_tmp);
}
