/*
 * test_parser.c -- the front end: every diagnostic's exact text and place,
 * the values the parser fills in, defaults, default names, canonical
 * printing (round trips), and the models/ specs.
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

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Parses text[0..len) as "t.spec"; returns the result and leaves what the
 * diagnostics printed in *msgs (malloc'd). */
static int parse_n(const char *text, size_t len, nng_spec *s, char **msgs)
{
    size_t mlen = 0;
    FILE *f = open_memstream(msgs, &mlen);
    assert_non_null(f);
    nng_diag d;
    nng_diag_init(&d, "t.spec", f);
    int r = nng_parse_text(text, len, "t.spec", s, &d);
    fclose(f);
    assert_int_equal(r == 0, d.errors == 0);
    return r;
}

static int parse(const char *text, nng_spec *s, char **msgs)
{
    return parse_n(text, strlen(text), s, msgs);
}

/* The spec must fail with exactly `expected` (all lines) on stderr. */
static void fails_n(const char *text, size_t len, const char *expected)
{
    nng_spec s;
    char *msgs = NULL;
    int r = parse_n(text, len, &s, &msgs);
    if (strcmp(msgs, expected) != 0)
        fail_msg("spec:\n%s\nexpected:\n%sgot:\n%s", text ? text : "(null)", expected, msgs);
    assert_int_equal(r, -1);
    assert_null(s.source); /* freed on failure */
    free(msgs);
}

static void fails(const char *text, const char *expected)
{
    fails_n(text, strlen(text), expected);
}

/* The spec must parse without a message. */
static void parses(const char *text, nng_spec *s)
{
    char *msgs = NULL;
    int r = parse(text, s, &msgs);
    if (r != 0 || msgs[0])
        fail_msg("spec:\n%s\nunexpected errors:\n%s", text, msgs);
    free(msgs);
}

/* A valid body, so that each test adds one problem. */
#define OK_HEAD "input 4\ndense 3 relu\ndense 1 sigmoid\nloss bce\n"

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

static void test_values(void **state)
{
    (void)state;
    nng_spec s;
    parses("# the course's 4-layer network\n"
           "model cat_net\n"
           "input 64x64x3   # RGB\n"
           "dense 20 relu\n"
           "dense 7 leaky_relu slope=0.2\n"
           "\tdense\t5 tanh\n"
           "dense 1 sigmoid\n"
           "loss bce\n"
           "train lr=0.0075 iterations=2500 batch=64 optimizer=adam beta1=.5 beta2=0.99 "
           "eps=1e-3 init=course seed=18446744073709551615\n",
           &s);
    assert_string_equal(s.name, "cat_net");
    assert_int_equal(s.name_pos.line, 2);
    assert_int_equal(s.name_pos.col, 7);
    assert_int_equal(s.n_in, 12288);
    assert_int_equal(s.input_rank, 3);
    assert_int_equal(s.input_shape[0], 64);
    assert_int_equal(s.input_shape[1], 64);
    assert_int_equal(s.input_shape[2], 3);
    assert_int_equal(s.input_pos.line, 3);
    assert_int_equal(s.n_layers, 4);
    assert_int_equal(s.layers[0].units, 20);
    assert_int_equal(s.layers[0].act, NNRT_ACT_RELU);
    assert_true(s.layers[0].param == 0.0f);
    assert_int_equal(s.layers[1].act, NNRT_ACT_LEAKY_RELU);
    assert_true(s.layers[1].param == 0.2f);
    assert_int_equal(s.layers[2].act, NNRT_ACT_TANH);
    assert_int_equal(s.layers[2].pos.line, 6);
    assert_int_equal(s.layers[2].pos.col, 2);
    assert_int_equal(s.layers[3].units, 1);
    assert_int_equal(s.layers[3].act, NNRT_ACT_SIGMOID);
    assert_int_equal(s.loss, NNRT_LOSS_BCE);
    assert_int_equal(s.loss_pos.line, 8);
    assert_true(s.train.lr == 0.0075);
    assert_int_equal(s.train.iterations, 2500);
    assert_int_equal(s.train.epochs, 0);
    assert_int_equal(s.train.batch, 64);
    assert_int_equal(s.train.optimizer, NNRT_OPT_ADAM);
    assert_true(s.train.beta1 == 0.5);
    assert_true(s.train.beta2 == 0.99);
    assert_true(s.train.eps == 1e-3);
    assert_int_equal(s.train.init, NNRT_INIT_COURSE);
    assert_true(s.train.seed == UINT64_MAX);
    assert_int_equal(s.train_pos.line, 9);
    /* 20*(12288+1) + 7*21 + 5*8 + 1*6 */
    assert_int_equal(s.n_weights, 245780 + 147 + 40 + 6);
    assert_non_null(s.source);
    assert_non_null(strstr(s.source, "model cat_net\n"));
    nng_spec_free(&s);
    nng_spec_free(&s); /* twice is harmless */
}

static void test_defaults(void **state)
{
    (void)state;
    nng_spec s;
    parses("input 28x28\ndense 10 softmax\nloss cce\n", &s);
    assert_string_equal(s.name, "t");
    assert_int_equal(s.name_pos.line, 0);
    assert_int_equal(s.n_in, 784);
    assert_int_equal(s.input_rank, 2);
    assert_true(s.train.lr == 0.01);
    assert_int_equal(s.train.epochs, 10);
    assert_int_equal(s.train.iterations, 0);
    assert_int_equal(s.train.batch, 0);
    assert_int_equal(s.train.optimizer, NNRT_OPT_SGD);
    assert_true(s.train.beta1 == 0.9);
    assert_true(s.train.beta2 == 0.999);
    assert_true(s.train.eps == 1e-8);
    assert_int_equal(s.train.init, NNRT_INIT_XAVIER);
    assert_true(s.train.seed == 1);
    assert_int_equal(s.train_pos.line, 0);
    assert_int_equal(s.n_weights, 7850);
    nng_spec_free(&s);

    /* leaky_relu's default slope; epochs then batch=full; long loss names */
    parses("input 2\ndense 2 leaky_relu\ndense 1 identity\nloss mean_squared_error\n"
           "train epochs=3 batch=full\n",
           &s);
    assert_true(s.layers[0].param == 0.01f);
    assert_int_equal(s.loss, NNRT_LOSS_MSE);
    assert_int_equal(s.train.epochs, 3);
    assert_int_equal(s.train.iterations, 0);
    assert_int_equal(s.train.batch, 0);
    nng_spec_free(&s);

    /* an empty train line keeps the defaults; directives in any order */
    parses("loss bce\ntrain\ndense 1 sigmoid\ninput 1\nmodel late\n", &s);
    assert_string_equal(s.name, "late");
    assert_int_equal(s.n_weights, 2);
    assert_int_equal(s.train.epochs, 10);
    nng_spec_free(&s);
}

static void test_multilabel_and_mse(void **state)
{
    (void)state;
    nng_spec s;
    /* bce over several sigmoid units: multi-label */
    parses("input 8\ndense 5 sigmoid\nloss bce\n", &s);
    assert_int_equal(s.layers[0].units, 5);
    nng_spec_free(&s);
    /* mse with any output but softmax */
    parses("input 8\ndense 2 sigmoid\ndense 3 tanh\nloss mse\n", &s);
    nng_spec_free(&s);
    parses("input 8\ndense 2 relu\nloss mse\n", &s);
    nng_spec_free(&s);
}

static void test_numbers(void **state)
{
    (void)state;
    nng_spec s;
    parses(OK_HEAD "train lr=0.0075\n", &s);
    assert_true(s.train.lr == 0.0075);
    nng_spec_free(&s);
    parses(OK_HEAD "train lr=1e-3\n", &s);
    assert_true(s.train.lr == 1e-3);
    nng_spec_free(&s);
    parses(OK_HEAD "train lr=.5\n", &s);
    assert_true(s.train.lr == 0.5);
    nng_spec_free(&s);
    parses(OK_HEAD "train lr=2.\n", &s);
    assert_true(s.train.lr == 2.0);
    nng_spec_free(&s);
    parses(OK_HEAD "train lr=1E+1 beta1=0 seed=0\n", &s);
    assert_true(s.train.lr == 10.0);
    assert_true(s.train.beta1 == 0.0);
    assert_true(s.train.seed == 0);
    nng_spec_free(&s);
    parses("input 007\ndense 01 sigmoid\nloss bce\n", &s);
    assert_int_equal(s.n_in, 7);
    nng_spec_free(&s);

    fails(OK_HEAD "train lr=abc\n", "t.spec:5:10: error: lr: expected a number, got 'abc'\n");
    fails(OK_HEAD "train lr=\n", "t.spec:5:10: error: lr: missing value\n");
    fails(OK_HEAD "train lr=0\n", "t.spec:5:10: error: lr must be in (0, 100], got 0\n");
    fails(OK_HEAD "train lr=-0.1\n", "t.spec:5:10: error: lr must be in (0, 100], got -0.1\n");
    fails(OK_HEAD "train lr=101\n", "t.spec:5:10: error: lr must be in (0, 100], got 101\n");
    fails(OK_HEAD "train lr=nan\n", "t.spec:5:10: error: lr: expected a number, got 'nan'\n");
    fails(OK_HEAD "train lr=inf\n", "t.spec:5:10: error: lr: expected a number, got 'inf'\n");
    fails(OK_HEAD "train lr=1e999\n", "t.spec:5:10: error: lr must be in (0, 100], got 1e999\n");
    fails(OK_HEAD "train lr=1e\n", "t.spec:5:10: error: lr: expected a number, got '1e'\n");
    fails(OK_HEAD "train lr=0x10\n", "t.spec:5:10: error: lr: expected a number, got '0x10'\n");
    fails(OK_HEAD "train lr=0.1.2\n", "t.spec:5:10: error: lr: expected a number, got '0.1.2'\n");
    fails(OK_HEAD "train lr=.\n", "t.spec:5:10: error: lr: expected a number, got '.'\n");
    fails(OK_HEAD "train beta1=1\n", "t.spec:5:13: error: beta1 must be in [0, 1), got 1\n");
    fails(OK_HEAD "train beta2=-0.5\n",
          "t.spec:5:13: error: beta2 must be in [0, 1), got -0.5\n");
    fails(OK_HEAD "train eps=0\n", "t.spec:5:11: error: eps must be in (0, 1], got 0\n");
    fails(OK_HEAD "train eps=1e-50\n", "t.spec:5:11: error: eps must be in (0, 1], got 1e-50\n");
    fails(OK_HEAD "train epochs=0\n", "t.spec:5:14: error: epochs must be at least 1, got 0\n");
    fails(OK_HEAD "train epochs=20x\n",
          "t.spec:5:14: error: epochs: expected a positive integer, got '20x'\n");
    fails(OK_HEAD "train epochs=1.5\n",
          "t.spec:5:14: error: epochs: expected a positive integer, got '1.5'\n");
    fails(OK_HEAD "train epochs=1000001\n",
          "t.spec:5:14: error: epochs: 1000001 is over the limit of 1000000 (NNRT_MAX_EPOCHS)\n");
    fails(OK_HEAD "train iterations=99999999999999999999999\n",
          "t.spec:5:18: error: iterations: 99999999999999999999999 is over the limit of "
          "1000000000 (NNRT_MAX_ITERATIONS)\n");
    fails(OK_HEAD "train seed=-1\n",
          "t.spec:5:12: error: seed: expected a non-negative integer, got '-1'\n");
    fails(OK_HEAD "train seed=18446744073709551616\n",
          "t.spec:5:12: error: seed: 18446744073709551616 is over the limit of "
          "18446744073709551615\n");
}

/* ------------------------------------------------------------------ */
/* Syntax errors                                                        */
/* ------------------------------------------------------------------ */

static void test_unknown_words(void **state)
{
    (void)state;
    fails(OK_HEAD "dens 3 relu\n",
          "t.spec:5:1: error: unknown directive 'dens' (did you mean 'dense'?)\n");
    fails(OK_HEAD "layer 3 relu\n", "t.spec:5:1: error: unknown directive 'layer' (expected "
                                    "model, input, dense, weights, bias, loss or train)\n");
    fails("input 4\ndense 3 sigmod\nloss bce\n",
          "t.spec:2:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n");
    /* a prefix of 4 characters or more is close (nnrt_did_you_mean) */
    fails("input 4\ndense 3 leak\nloss bce\n",
          "t.spec:2:9: error: unknown activation 'leak' (did you mean 'leaky_relu'?)\n");
    fails("input 4\ndense 3 gaussian\nloss bce\n",
          "t.spec:2:9: error: unknown activation 'gaussian' (expected sigmoid, tanh, relu, "
          "leaky_relu, elu, identity, softmax or step)\n");
    fails("input 4\ndense 3 sigmoid\nloss bec\n",
          "t.spec:3:6: error: unknown loss 'bec' (did you mean 'bce'?)\n");
    fails("input 4\ndense 3 sigmoid\nloss mean_square_error\n",
          "t.spec:3:6: error: unknown loss 'mean_square_error' (did you mean "
          "'mean_squared_error'?)\n");
    fails("input 4\ndense 3 sigmoid\nloss hinge\n",
          "t.spec:3:6: error: unknown loss 'hinge' (expected bce, mse, cce or perceptron)\n");
    fails(OK_HEAD "train lrate=0.1\n",
          "t.spec:5:7: error: unknown train key 'lrate' (expected lr, epochs, iterations, "
          "batch, optimizer, beta1, beta2, eps, init or seed)\n");
    fails(OK_HEAD "train epoch=5\n",
          "t.spec:5:7: error: unknown train key 'epoch' (did you mean 'epochs'?)\n");
    fails(OK_HEAD "train optimizer=adamm\n",
          "t.spec:5:17: error: unknown optimizer 'adamm' (did you mean 'adam'?)\n");
    fails(OK_HEAD "train optimizer=rmsprop\n",
          "t.spec:5:17: error: unknown optimizer 'rmsprop' (expected sgd, momentum or adam)\n");
    fails(OK_HEAD "train init=xaviar\n",
          "t.spec:5:12: error: unknown init 'xaviar' (did you mean 'xavier'?)\n");
    fails(OK_HEAD "train init=glorot\n", "t.spec:5:12: error: unknown init 'glorot' (expected "
                                         "zeros, small, course, xavier, he, numpy, numpy_small, "
                                         "numpy_xavier or numpy_he)\n");
    fails(OK_HEAD "train init=\n",
          "t.spec:5:12: error: init: missing value (zeros, small, course, xavier, he, numpy, "
          "numpy_small, numpy_xavier or numpy_he)\n");
    fails("input 4\ndense 3 leaky_relu slop=0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:20: error: unknown dense option 'slop' (did you mean 'slope'?)\n");
    fails("input 4\ndense 3 leaky_relu gamma=0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:20: error: unknown dense option 'gamma' (the options are slope=, for "
          "leaky_relu; alpha=, for elu)\n");
    /* an activation's parameter belongs to its activation */
    fails("input 4\ndense 3 leaky_relu alpha=0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:20: error: alpha is only for elu, not leaky_relu\n");
    fails("input 4\ndense 3 elu slope=0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:13: error: slope is only for leaky_relu, not elu\n");
    fails("input 4\ndense 3 elu alpha=10\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:19: error: alpha must be in [0, 10), got 10\n");
    /* case matters */
    fails("input 4\ndense 3 Sigmoid\nloss bce\n",
          "t.spec:2:9: error: unknown activation 'Sigmoid' (did you mean 'sigmoid'?)\n");
    /* a long word is quoted shortened */
    fails("input 4\ndense 3 "
          "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\nloss bce\n",
          "t.spec:2:9: error: unknown activation 'abcdefghijabcdefghijabcdefghijabcdefghij...' "
          "(expected sigmoid, tanh, relu, leaky_relu, elu, identity, softmax or step)\n");
}

static void test_missing_and_extra(void **state)
{
    (void)state;
    fails("input 4\ndense\nloss bce\n", "t.spec:2:6: error: dense: missing the number of units\n");
    fails("input 4\ndense   # units?\nloss bce\n",
          "t.spec:2:9: error: dense: missing the number of units\n");
    fails("input 4\ndense relu\nloss bce\n",
          "t.spec:2:7: error: dense units: expected a positive integer, got 'relu'\n");
    fails("input 4\ndense 3\nloss bce\n",
          "t.spec:2:8: error: dense: missing activation (sigmoid, tanh, relu, leaky_relu, "
          "elu, identity, softmax or step)\n");
    fails("input\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:6: error: input: missing size (e.g. 'input 784' or 'input 64x64x3')\n");
    fails("input 4\ndense 1 sigmoid\nloss\n",
          "t.spec:3:5: error: loss: missing name (bce, mse, cce or perceptron)\n");
    fails(OK_HEAD "model\n", "t.spec:5:6: error: model: missing name\n");
    fails(OK_HEAD "train lr\n", "t.spec:5:7: error: train: expected lr=VALUE, got 'lr'\n");
    fails(OK_HEAD "train lr = 0.1\n", "t.spec:5:7: error: train: expected lr=VALUE, got 'lr'\n");
    fails(OK_HEAD "train fast\n", "t.spec:5:7: error: train: expected key=value, got 'fast'\n");

    fails("input 4\ndense 1 sigmoid\nloss bce extra\n",
          "t.spec:3:10: error: unexpected 'extra' after the loss\n");
    fails("input 4\ndense 1 sigmoid extra\nloss bce\n",
          "t.spec:2:17: error: unexpected 'extra' after the activation\n");
    fails("input 4 5\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:9: error: unexpected '5' after the input size (write sizes like 64x64x3, "
          "without spaces)\n");
    fails("input 64 x 64\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:10: error: unexpected 'x' after the input size (write sizes like 64x64x3, "
          "without spaces)\n");
    fails(OK_HEAD "model a b\n", "t.spec:5:9: error: unexpected 'b' after the model name\n");
    /* a comment right after a token ends the line */
    nng_spec s;
    parses("input 4#four\ndense 1 sigmoid# out\nloss bce #\n", &s);
    assert_int_equal(s.n_in, 4);
    nng_spec_free(&s);
}

static void test_sizes(void **state)
{
    (void)state;
    fails("input 4\ndense 0 sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units must be at least 1, got 0\n");
    fails("input 4\ndense -3 sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units: expected a positive integer, got '-3'\n");
    fails("input 4\ndense 20x sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units: expected a positive integer, got '20x'\n");
    fails("input 4\ndense 2.5 sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units: expected a positive integer, got '2.5'\n");
    fails("input 4\ndense 1000001 sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units: 1000001 is over the limit of 1000000 "
          "(NNG_MAX_UNITS)\n");
    fails("input 4\ndense 99999999999999999999999999 sigmoid\nloss bce\n",
          "t.spec:2:7: error: dense units: 99999999999999999999999999 is over the limit of "
          "1000000 (NNG_MAX_UNITS)\n");
    fails("input 0\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input size must be at least 1, got 0\n");
    fails("input 64x0x3\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input size must be at least 1, got 64x0x3\n");
    fails("input -4\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: expected a size like 784, 28x28 or 64x64x3, got '-4'\n");
    fails("input four\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: expected a size like 784, 28x28 or 64x64x3, got 'four'\n");
    fails("input 64x\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: expected a size like 784, 28x28 or 64x64x3, got '64x'\n");
    fails("input 64X64\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: expected a size like 784, 28x28 or 64x64x3, got '64X64'\n");
    fails("input 1x2x3x4x5\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: at most 4 dimensions, got '1x2x3x4x5'\n");
    fails("input 1001x1000\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: 1001x1000 is over the limit of 1000000 features "
          "(NNG_MAX_UNITS)\n");
    fails("input 1000001\ndense 1 sigmoid\nloss bce\n",
          "t.spec:1:7: error: input: 1000001 is over the limit of 1000000 features "
          "(NNG_MAX_UNITS)\n");
    nng_spec s;
    parses("input 1000x1000\ndense 1 sigmoid\nloss bce\n", &s);
    assert_int_equal(s.n_in, 1000000);
    nng_spec_free(&s);
    parses("input 2x3x4x5\ndense 1 sigmoid\nloss bce\n", &s);
    assert_int_equal(s.n_in, 120);
    assert_int_equal(s.input_rank, 4);
    nng_spec_free(&s);

    /* total parameters: 100 * (1000000 + 1) = 100000100 > 10^8 */
    fails("input 1000x1000\ndense 100 relu\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:1: error: too many parameters: 100000100 up to this layer, over the limit "
          "of 100000000 (NNG_MAX_PARAMS)\n");
    parses("input 1000x1000\ndense 99 relu\ndense 1 sigmoid\nloss bce\n", &s);
    assert_int_equal(s.n_weights, 99L * 1000001 + 100);
    nng_spec_free(&s);
    fails("input 10000\ndense 10000 relu\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:1: error: too many parameters: 100010000 up to this layer, over the limit "
          "of 100000000 (NNG_MAX_PARAMS)\n");

    /* layers: 64 fit, the 65th does not */
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "input 2\n");
    for (int i = 0; i < NNG_MAX_LAYERS - 1; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "dense 2 tanh\n");
    snprintf(text + n, sizeof text - n, "dense 1 sigmoid\nloss bce\n");
    parses(text, &s);
    assert_int_equal(s.n_layers, NNG_MAX_LAYERS);
    nng_spec_free(&s);
    snprintf(text + n, sizeof text - n, "dense 2 tanh\ndense 1 sigmoid\nloss bce\n");
    fails(text, "t.spec:66:1: error: too many dense layers (the limit is 64, NNG_MAX_LAYERS)\n");
}

static void test_slope(void **state)
{
    (void)state;
    nng_spec s;
    parses("input 4\ndense 3 leaky_relu slope=0.3\ndense 1 sigmoid\nloss bce\n", &s);
    assert_true(s.layers[0].param == 0.3f);
    nng_spec_free(&s);
    parses("input 4\ndense 3 leaky_relu slope=0\ndense 1 sigmoid\nloss bce\n", &s);
    assert_true(s.layers[0].param == 0.0f);
    nng_spec_free(&s);
    /* elu's alpha: its row's default, or given */
    parses("input 4\ndense 3 elu\ndense 2 elu alpha=0.5\ndense 1 sigmoid\nloss bce\n", &s);
    assert_true(s.layers[0].act == NNRT_ACT_ELU && s.layers[0].param == 1.0f);
    assert_true(s.layers[1].act == NNRT_ACT_ELU && s.layers[1].param == 0.5f);
    nng_spec_free(&s);
    fails("input 4\ndense 3 relu slope=0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:14: error: slope is only for leaky_relu, not relu\n");
    fails("input 4\ndense 3 leaky_relu slope=1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:26: error: slope must be in [0, 1), got 1\n");
    fails("input 4\ndense 3 leaky_relu slope=-0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:26: error: slope must be in [0, 1), got -0.1\n");
    fails("input 4\ndense 3 leaky_relu slope = 0.1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:20: error: dense: expected slope=VALUE, got 'slope'\n");
    fails("input 4\ndense 3 leaky_relu slope=\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:26: error: slope: missing value\n");
    fails("input 4\ndense 3 leaky_relu slope=0.1 slope=0.2\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:30: error: duplicate 'slope'\n");
}

static void test_duplicates(void **state)
{
    (void)state;
    fails("model a\n" OK_HEAD "model b\n", "t.spec:6:1: error: duplicate 'model' (first at line 1)\n");
    fails(OK_HEAD "input 4\n", "t.spec:5:1: error: duplicate 'input' (first at line 1)\n");
    fails("input 4\ndense 1 sigmoid\nloss bce\n\n  loss bce\n",
          "t.spec:5:3: error: duplicate 'loss' (first at line 3)\n");
    fails(OK_HEAD "train lr=0.1\ntrain epochs=3\n",
          "t.spec:6:1: error: duplicate 'train' (first at line 5)\n");
    fails(OK_HEAD "train lr=0.1 epochs=3 lr=0.2\n",
          "t.spec:5:23: error: duplicate train key 'lr' (first at column 7)\n");
    fails(OK_HEAD "train epochs=3 lr=0.1 iterations=100\n",
          "t.spec:5:23: error: both epochs and iterations given (epochs at column 7); use one\n");
    fails(OK_HEAD "train iterations=100 epochs=3\n",
          "t.spec:5:22: error: both epochs and iterations given (iterations at column 7); use "
          "one\n");
}

static void test_batch(void **state)
{
    (void)state;
    nng_spec s;
    parses(OK_HEAD "train batch=1\n", &s);
    assert_int_equal(s.train.batch, 1);
    nng_spec_free(&s);
    parses(OK_HEAD "train batch=full\n", &s);
    assert_int_equal(s.train.batch, 0);
    nng_spec_free(&s);
    fails(OK_HEAD "train batch=0\n",
          "t.spec:5:13: error: batch must be at least 1 (or 'full'), got 0\n");
    fails(OK_HEAD "train batch=all\n",
          "t.spec:5:13: error: batch: expected 'full' or a positive integer, got 'all'\n");
    fails(OK_HEAD "train batch=-1\n",
          "t.spec:5:13: error: batch: expected 'full' or a positive integer, got '-1'\n");
    fails(OK_HEAD "train batch=\n", "t.spec:5:13: error: batch: missing value\n");
    fails(OK_HEAD "train batch=1000000001\n",
          "t.spec:5:13: error: batch: 1000000001 is over the limit of 1000000000 "
          "(NNRT_MAX_BATCH)\n");
}

/* ------------------------------------------------------------------ */
/* Semantic errors                                                      */
/* ------------------------------------------------------------------ */

static void test_semantics(void **state)
{
    (void)state;
    fails("input 4\ndense 3 softmax\ndense 3 softmax\nloss cce\n",
          "t.spec:2:1: error: softmax must be the last layer (another dense layer follows at "
          "line 3)\n");
    fails("input 4\ndense 3 softmax\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:1: error: softmax must be the last layer (another dense layer follows at "
          "line 3)\n");
    fails("input 4\ndense 3 softmax\nloss bce\n",
          "t.spec:3:1: error: a softmax output (line 2) needs loss 'cce', not 'bce'\n");
    fails("input 4\ndense 3 softmax\nloss mse\n",
          "t.spec:3:1: error: a softmax output (line 2) needs loss 'cce', not 'mse'\n");
    fails("input 4\ndense 3 sigmoid\nloss cce\n",
          "t.spec:3:1: error: loss 'cce' needs a softmax output layer (line 2 is sigmoid)\n");
    fails("input 4\ndense 1 relu\nloss bce\n",
          "t.spec:3:1: error: loss 'bce' needs a sigmoid output layer (line 2 is relu)\n");
    fails("input 4\ndense 1 tanh\nloss binary_cross_entropy\n",
          "t.spec:3:1: error: loss 'bce' needs a sigmoid output layer (line 2 is tanh)\n");
    fails("input 4\ndense 1 softmax\nloss cce\n",
          "t.spec:2:1: error: softmax needs at least 2 units (for one output use sigmoid with "
          "bce)\n");
    fails("dense 1 sigmoid\nloss bce\n",
          "t.spec: error: missing 'input' directive (e.g. 'input 64x64x3')\n");
    fails("input 4\ndense 1 sigmoid\n",
          "t.spec: error: missing 'loss' directive (bce, mse, cce or perceptron)\n");
    fails("input 4\nloss bce\n", "t.spec: error: no 'dense' layer\n");
    fails("model x\n", "t.spec: error: missing 'input' directive (e.g. 'input 64x64x3')\n"
                       "t.spec: error: no 'dense' layer\n"
                       "t.spec: error: missing 'loss' directive (bce, mse, cce or perceptron)\n");
}

/* Errors on several lines are all reported, in order, and a bad line does
 * not make the whole-file checks repeat it. */
static void test_recovery(void **state)
{
    (void)state;
    fails("inptu 4\n"
          "dense 3 sigmod\n"
          "dense 0 relu\n"
          "dense 1 sigmoid extra\n"
          "loss bce\n"
          "train lr=0 epochs=x\n"
          "train seed=3\n",
          "t.spec:1:1: error: unknown directive 'inptu' (did you mean 'input'?)\n"
          "t.spec:2:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n"
          "t.spec:3:7: error: dense units must be at least 1, got 0\n"
          "t.spec:4:17: error: unexpected 'extra' after the activation\n"
          "t.spec:6:10: error: lr must be in (0, 100], got 0\n"
          "t.spec:7:1: error: duplicate 'train' (first at line 6)\n");
    /* a bad output layer: no loss-versus-output message about an older layer */
    fails("input 4\ndense 3 relu\ndense 1 sigmod\nloss bce\n",
          "t.spec:3:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n");
    /* a bad loss line: no "missing 'loss'" */
    fails("input 4\ndense 1 sigmoid\nloss bec\n",
          "t.spec:3:6: error: unknown loss 'bec' (did you mean 'bce'?)\n");

    /* many bad lines: 20 errors, then the parser gives up */
    char text[2048] = "";
    for (int i = 0; i < 30; i++)
        strcat(text, "bad\n");
    char expected[4096] = "";
    for (int i = 1; i <= 20; i++) {
        char line[160];
        snprintf(line, sizeof line,
                 "t.spec:%d:1: error: unknown directive 'bad' (expected model, input, dense, "
                 "weights, bias, loss or train)\n",
                 i);
        strcat(expected, line);
    }
    strcat(expected, "t.spec:20: error: too many errors; stopping here\n");
    fails(text, expected);
}

/* ------------------------------------------------------------------ */
/* Bytes, lines and files                                               */
/* ------------------------------------------------------------------ */

static void test_bytes(void **state)
{
    (void)state;
    fails("", "t.spec: error: empty spec (expected 'input', 'dense' and 'loss' lines)\n");
    fails_n(NULL, 0, "t.spec: error: empty spec (expected 'input', 'dense' and 'loss' lines)\n");
    fails("# only a comment\n\n   \n\t# another\n",
          "t.spec: error: no directives, only comments and blank lines (expected 'input', "
          "'dense' and 'loss' lines)\n");
    fails(OK_HEAD "# caf\xc3\xa9 \xff\n", "t.spec:5:8: error: invalid UTF-8 byte 0xff\n");
    fails(OK_HEAD "train lr=0.1\xe2\x82\n",
          "t.spec:5:13: error: invalid UTF-8 byte 0xe2\n"); /* truncated sequence */
    fails(OK_HEAD "# \xc0\xaf\n", "t.spec:5:3: error: invalid UTF-8 byte 0xc0\n"); /* overlong */
    fails(OK_HEAD "# \xed\xa0\x80\n", "t.spec:5:3: error: invalid UTF-8 byte 0xed\n"); /* surrogate */
    fails_n(OK_HEAD "loss\0 bce\n", sizeof(OK_HEAD "loss\0 bce\n") - 1,
            "t.spec:5:5: error: NUL byte in the spec (is this a text file?)\n");
    fails_n("\0\0\0\0", 4, "t.spec:1:1: error: NUL byte in the spec (is this a text file?)\n");
    fails(OK_HEAD "# bell \a\n", "t.spec:5:8: error: control character 0x07 in the spec\n");
    fails("input 4\rdense 1 sigmoid\rloss bce\r",
          "t.spec:1:8: error: carriage return not followed by a newline (lines must end with "
          "\\n or \\r\\n)\n");
    /* an error column after multi-byte characters counts characters */
    fails("input 4\ndense 1 sigmoid\nloss bce\nmodel \xc3\xa9t\xc3\xa9 x\n",
          "t.spec:4:7: error: model name '\xc3\xa9t\xc3\xa9' is not a C identifier\n");
    fails("input 4\ndense 1 sigmoid\nloss bce\n# \xc3\xa9\xc3\xa9\n\xe2\x80\x83 foo\n",
          "t.spec:5:1: error: unknown directive '\xe2\x80\x83' (expected model, input, dense, "
          "weights, bias, loss or train)\n");

    nng_spec s;
    /* \r\n line ends, a byte order mark, no final newline, UTF-8 in comments */
    parses("\xef\xbb\xbfinput 4\r\ndense 1 sigmoid # \xe2\x9c\x93 sortie\r\nloss bce", &s);
    assert_int_equal(s.n_in, 4);
    assert_int_equal(s.loss_pos.line, 3);
    nng_spec_free(&s);
    fails("\xef\xbb\xbf" "input x\r\ndense 1 sigmoid\r\nloss bce\r\n",
          "t.spec:1:7: error: input: expected a size like 784, 28x28 or 64x64x3, got 'x'\n");
}

static void test_names(void **state)
{
    (void)state;
    nng_spec s;
    fails(OK_HEAD "model my-net\n", "t.spec:5:7: error: model name 'my-net' is not a C identifier\n");
    fails(OK_HEAD "model 2layer\n", "t.spec:5:7: error: model name '2layer' is not a C identifier\n");
    fails(OK_HEAD "model int\n", "t.spec:5:7: error: model name 'int' is a C keyword\n");
    fails(OK_HEAD "model _Bool\n", "t.spec:5:7: error: model name '_Bool' is a C keyword\n");
    fails(OK_HEAD "model __x\n", "t.spec:5:7: error: model name '__x' is reserved in C (it "
                                 "starts with '__' or '_' and a capital)\n");
    fails(OK_HEAD "model nnrt_x\n", "t.spec:5:7: error: model name 'nnrt_x' starts with 'nnrt' "
                                    "(reserved for the runtime)\n");
    /* 63 characters are fine, 64 are not */
    char text[256];
    char name[NNG_MAX_NAME + 2];
    memset(name, 'n', sizeof name - 1);
    name[NNG_MAX_NAME] = '\0';
    snprintf(text, sizeof text, OK_HEAD "model %s\n", name);
    parses(text, &s);
    assert_string_equal(s.name, name);
    nng_spec_free(&s);
    name[NNG_MAX_NAME] = 'n';
    name[NNG_MAX_NAME + 1] = '\0';
    snprintf(text, sizeof text, OK_HEAD "model %s\n", name);
    fails(text, "t.spec:5:7: error: model name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is "
                "too long (the limit is 63 characters)\n");

    assert_null(nng_name_problem("cat", 3));
    assert_null(nng_name_problem("_cat9", 5));
    assert_string_equal(nng_name_problem("", 0), "is empty");
    assert_string_equal(nng_name_problem("a b", 3), "is not a C identifier");
}

/* The default name comes from the file name. */
static void default_name_is(const char *path, const char *name)
{
    nng_spec s;
    nng_diag d;
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msgs, &mlen);
    nng_diag_init(&d, path, f);
    const char *text = "input 1\ndense 1 sigmoid\nloss bce\n";
    int r = nng_parse_text(text, strlen(text), path, &s, &d);
    fclose(f);
    assert_int_equal(r, 0);
    assert_string_equal(msgs, "");
    assert_string_equal(s.name, name);
    assert_null(nng_name_problem(s.name, strlen(s.name)));
    nng_spec_free(&s);
    free(msgs);
}

static void test_default_names(void **state)
{
    (void)state;
    default_name_is("models/cat.spec", "cat");
    default_name_is("/a/b.c/xor", "xor");
    default_name_is("dir/2-layer.net.spec", "m_2_layer_net");
    default_name_is("int.spec", "m_int");
    default_name_is("nnrt.spec", "m_nnrt");
    default_name_is("__x.spec", "m___x");
    default_name_is("caf\xc3\xa9.spec", "caf__");
    default_name_is(".spec", "_spec");
    default_name_is("a/", "model");
    default_name_is(NULL, "model");
    /* cut to 61 characters, so that "m_" still fits */
    default_name_is("x23456789x123456789x123456789x123456789x123456789x123456789x123456789.spec",
                    "x23456789x123456789x123456789x123456789x123456789x123456789x1");
    default_name_is("9x3456789x123456789x123456789x123456789x123456789x123456789x123456789.spec",
                    "m_9x3456789x123456789x123456789x123456789x123456789x123456789x1");
}

/* Writes text into a fresh temp dir; returns the file path (static). */
static char tmpdir[64];
static const char *write_tmp(const char *name, const char *text, size_t len)
{
    static char path[128];
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/nng_parser_XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void file_fails(const char *path, const char *expected)
{
    nng_spec s;
    nng_diag d;
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msgs, &mlen);
    nng_diag_init(&d, path, f);
    int r = nng_parse_file(path, &s, &d);
    fclose(f);
    assert_int_equal(r, -1);
    assert_string_equal(msgs, expected);
    free(msgs);
}

static void test_files(void **state)
{
    (void)state;
    file_fails("/nonexistent/dir/x.spec",
               "/nonexistent/dir/x.spec: error: cannot open: No such file or directory\n");
    file_fails("/tmp", "/tmp: error: is a directory, not a spec file\n");

    const char *p = write_tmp("bad.spec", "input 4\ndense 1 sigmod\nloss bce\n", 32);
    assert_int_equal(strlen("input 4\ndense 1 sigmod\nloss bce\n"), 32);
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s:2:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n", p);
    file_fails(p, expected);

    /* over 1 MiB */
    size_t big = (1u << 20) + 10;
    char *text = malloc(big);
    memset(text, '\n', big);
    p = write_tmp("big.spec", text, big);
    free(text);
    snprintf(expected, sizeof expected,
             "%s: error: too large for a spec (over 1048576 bytes)\n", p);
    file_fails(p, expected);
    unlink(p);

    p = write_tmp("my-net.v2.spec", "input 3\ndense 1 sigmoid\nloss bce\n", 33);
    nng_spec s;
    nng_diag d;
    nng_diag_init(&d, p, stderr);
    assert_int_equal(nng_parse_file(p, &s, &d), 0);
    assert_string_equal(s.name, "my_net_v2");
    assert_string_equal(s.path, p);
    assert_string_equal(s.source, "input 3\ndense 1 sigmoid\nloss bce\n");
    nng_spec_free(&s);
    unlink(p);
    unlink(write_tmp("bad.spec", "", 0));
    rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                          */
/* ------------------------------------------------------------------ */

static void test_diag(void **state)
{
    (void)state;
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msgs, &mlen);
    nng_diag d;
    nng_diag_init(&d, "x.spec", f);
    nng_error(&d, (nng_pos){3, 7}, "bad %s %d", "thing", 42);
    nng_error(&d, (nng_pos){3, 0}, "whole line");
    nng_error(&d, (nng_pos){0, 0}, "whole file");
    fclose(f);
    assert_string_equal(msgs, "x.spec:3:7: error: bad thing 42\n"
                              "x.spec:3: error: whole line\n"
                              "x.spec: error: whole file\n");
    assert_int_equal(d.errors, 3);
    free(msgs);

    /* a very long message stays one line */
    msgs = NULL;
    f = open_memstream(&msgs, &mlen);
    nng_diag_init(&d, "x.spec", f);
    char longw[3000];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    nng_error(&d, (nng_pos){1, 1}, "%s", longw);
    fclose(f);
    assert_non_null(strchr(msgs, '\n'));
    assert_int_equal(strchr(msgs, '\n')[1], '\0');
    free(msgs);
}

/* ------------------------------------------------------------------ */
/* Canonical printing                                                   */
/* ------------------------------------------------------------------ */

static void assert_same_spec(const nng_spec *a, const nng_spec *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->n_in, b->n_in);
    assert_int_equal(a->input_rank, b->input_rank);
    assert_memory_equal(a->input_shape, b->input_shape, sizeof(int) * (size_t)a->input_rank);
    assert_int_equal(a->n_layers, b->n_layers);
    for (int l = 0; l < a->n_layers; l++) {
        assert_int_equal(a->layers[l].units, b->layers[l].units);
        assert_int_equal(a->layers[l].act, b->layers[l].act);
        assert_true(a->layers[l].param == b->layers[l].param);
        assert_int_equal(a->layers[l].w == NULL, b->layers[l].w == NULL);
        assert_int_equal(a->layers[l].b == NULL, b->layers[l].b == NULL);
        if (a->layers[l].w) {
            size_t nw = (size_t)a->layers[l].units * (size_t)nng_fan_in(a, l);
            assert_memory_equal(a->layers[l].w, b->layers[l].w, nw * sizeof(float));
            assert_memory_equal(a->layers[l].b, b->layers[l].b,
                                (size_t)a->layers[l].units * sizeof(float));
        }
    }
    assert_int_equal(a->n_literal, b->n_literal);
    assert_int_equal(a->loss, b->loss);
    assert_true(a->train.lr == b->train.lr);
    assert_int_equal(a->train.epochs, b->train.epochs);
    assert_int_equal(a->train.iterations, b->train.iterations);
    assert_int_equal(a->train.batch, b->train.batch);
    assert_int_equal(a->train.optimizer, b->train.optimizer);
    assert_true(a->train.beta1 == b->train.beta1);
    assert_true(a->train.beta2 == b->train.beta2);
    assert_true(a->train.eps == b->train.eps);
    assert_int_equal(a->train.init, b->train.init);
    assert_true(a->train.seed == b->train.seed);
    assert_int_equal(a->n_weights, b->n_weights);
}

/* parse(print(parse(x))) == parse(x), and print is a fixed point. */
static void round_trip(const char *text, const char *canonical)
{
    nng_spec a, b;
    parses(text, &a);
    char *out1 = NULL, *out2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f = open_memstream(&out1, &n1);
    nng_spec_print(&a, f);
    fclose(f);
    if (canonical)
        assert_string_equal(out1, canonical);
    parses(out1, &b);
    assert_same_spec(&a, &b);
    f = open_memstream(&out2, &n2);
    nng_spec_print(&b, f);
    fclose(f);
    assert_string_equal(out1, out2);
    nng_spec_free(&a);
    nng_spec_free(&b);
    free(out1);
    free(out2);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip("input 28x28\ndense 10 softmax\nloss cce\n",
               "model t\ninput 28x28\ndense 10 softmax\nloss cce\n"
               "train lr=0.01 epochs=10 batch=full optimizer=sgd beta1=0.9 beta2=0.999 "
               "eps=1e-08 init=xavier seed=1\n");
    round_trip("model cat_net # c\ninput 64x64x3\ndense 20 relu\ndense 7 leaky_relu slope=0.2\n"
               "dense 5 tanh\ndense 3 identity\ndense 1 sigmoid\nloss binary_cross_entropy\n"
               "train lr=0.0075 iterations=2500 batch=64 optimizer=adam beta1=.5 beta2=0.99 "
               "eps=1e-3 init=course seed=18446744073709551615\n",
               "model cat_net\ninput 64x64x3\ndense 20 relu\ndense 7 leaky_relu slope=0.2\n"
               "dense 5 tanh\ndense 3 identity\ndense 1 sigmoid\nloss bce\n"
               "train lr=0.0075 iterations=2500 batch=64 optimizer=adam beta1=0.5 beta2=0.99 "
               "eps=0.001 init=course seed=18446744073709551615\n");
    round_trip("input 2x3x4x5\ndense 3 leaky_relu\ndense 2 relu\nloss mse\n"
               "train optimizer=momentum beta1=0 init=zeros batch=1 epochs=1000 lr=0.1 seed=0\n",
               NULL);
    round_trip("input 3\ndense 4 tanh\ndense 4 sigmoid\nloss mse\n"
               "train init=small lr=1e-7 eps=0.3 beta2=0.123456789\n",
               NULL);
    round_trip("input 3\ndense 4 sigmoid\nloss bce\ntrain init=he lr=100 beta1=0.99999994\n",
               NULL);
    round_trip("input 3\ndense 2 softmax\nloss categorical_cross_entropy\ntrain init=xavier\n",
               NULL);
    /* weights written in the spec: every float back, bit for bit */
    round_trip("input 2\ndense 2 step\nweights -0.5 -0.5 # NAND\nweights 1.0 1e0\nbias .7 -0.5\n"
               "dense 1 step\nweights 0.5 0.5\nbias -0.7\nloss perceptron\n",
               "model t\ninput 2\ndense 2 step\nweights -0.5 -0.5\nweights 1 1\nbias 0.7 -0.5\n"
               "dense 1 step\nweights 0.5 0.5\nbias -0.7\nloss perceptron\n"
               "train lr=0.01 epochs=10 batch=1 optimizer=sgd beta1=0.9 beta2=0.999 eps=1e-08 "
               "init=xavier seed=1\n");
    round_trip("input 2\ndense 1 tanh\nweights 0.1 -3e38\nbias 1.17549435e-38\n"
               "dense 1 sigmoid\nloss bce\n",
               NULL);
}

/* ------------------------------------------------------------------ */
/* The perceptron chapter: weights in the spec, step, loss perceptron   */
/* ------------------------------------------------------------------ */

static void test_literal_weights(void **state)
{
    (void)state;
    nng_spec s;
    /* stored in the layout's order: W row-major (row j = unit j), then b */
    parses("input 2\ndense 2 step\n  weights -0.5 -0.5   # unit 1\n\n# unit 2:\n"
           "weights 1.0 1.0\nbias 0.7 -0.5\ndense 1 step\nloss perceptron\n",
           &s);
    assert_int_equal(s.n_literal, 1);
    assert_non_null(s.layers[0].w);
    const float w[4] = {-0.5f, -0.5f, 1.0f, 1.0f}, b[2] = {0.7f, -0.5f};
    assert_memory_equal(s.layers[0].w, w, sizeof w);
    assert_memory_equal(s.layers[0].b, b, sizeof b);
    assert_int_equal(s.layers[0].w_pos.line, 3);
    assert_int_equal(s.layers[0].w_pos.col, 3);
    assert_null(s.layers[1].w);
    assert_null(s.layers[1].b);
    nng_spec_free(&s);
    nng_spec_free(&s); /* twice is harmless */
    /* the input may come after the weights of the first layer */
    parses("dense 1 sigmoid\nweights 1 2 3\nbias 0\ninput 3\nloss bce\n", &s);
    assert_int_equal(s.n_literal, 1);
    nng_spec_free(&s);

    /* counts */
    fails("input 2\ndense 1 step\nweights 0.5 0.5 0.1\nbias -0.7\nloss perceptron\n",
          "t.spec:3:1: error: weights: 3 numbers, but each unit of layer 1 takes 2 inputs (its "
          "fan_in)\n");
    fails("input 2\ndense 3 relu\ndense 1 sigmoid\nweights 1 2\nbias 0\nloss bce\n",
          "t.spec:4:1: error: weights: 2 numbers, but each unit of layer 2 takes 3 inputs (its "
          "fan_in)\n");
    fails("input 2\ndense 2 step\nweights 0.5 0.5\nbias -0.7 1\nloss perceptron\n",
          "t.spec:3:1: error: weights: layer 1 (line 2) has 1 row, but 2 units (one 'weights' "
          "line per unit)\n");
    fails("input 2\ndense 1 step\nweights 1 1\nweights 1 1\nbias 1\nloss perceptron\n",
          "t.spec:4:1: error: weights: layer 1 (line 2) has 1 unit; this is row 2 (one 'weights' "
          "line per unit)\n");
    fails("input 2\ndense 1 step\nweights 0.5 0.5\nbias 1 2\nloss perceptron\n",
          "t.spec:4:1: error: bias: 2 numbers, but layer 1 has 1 unit (one bias each)\n");
    fails("input 2\ndense 1 step\nweights 0.5 0.5\nloss perceptron\n",
          "t.spec:3:1: error: weights: layer 1 (line 2) has no 'bias' line after its rows\n");
    fails("dense 1 step\nweights 1 1 1\nbias 1\ninput 2\nloss perceptron\n",
          "t.spec:2:1: error: weights: rows of 3 numbers, but layer 1 takes the input's 2 features "
          "(its fan_in)\n");
    fails("dense 2 step\nweights 1 1\nweights 1 1 1\nbias 1 1\ninput 2\nloss perceptron\n",
          "t.spec:3:1: error: weights: 3 numbers, but the layer's first row (line 2) has 2\n");
    fails("input 2\ndense 1 step\nweights\nbias 1\nloss perceptron\n",
          "t.spec:3:8: error: weights: missing numbers\n");
    fails("input 2\ndense 1 step\nweights 1 1\nbias\nloss perceptron\n",
          "t.spec:4:5: error: bias: missing numbers\n");

    /* numbers: finite as floats */
    fails("input 2\ndense 1 step\nweights 0.5 nan\nbias -0.7\nloss perceptron\n",
          "t.spec:3:13: error: weights: 'nan' is not a finite number (as a float)\n");
    fails("input 2\ndense 1 step\nweights -inf 0.5\nbias -0.7\nloss perceptron\n",
          "t.spec:3:9: error: weights: '-inf' is not a finite number (as a float)\n");
    fails("input 2\ndense 1 step\nweights 0.5 1e39\nbias -0.7\nloss perceptron\n",
          "t.spec:3:13: error: weights: '1e39' is not a finite number (as a float)\n");
    fails("input 2\ndense 1 step\nweights 0.5 0.5\nbias Infinity\nloss perceptron\n",
          "t.spec:4:6: error: bias: 'Infinity' is not a finite number (as a float)\n");
    fails("input 2\ndense 1 step\nweights 0.5 abc\nbias -0.7\nloss perceptron\n",
          "t.spec:3:13: error: weights: expected a number, got 'abc'\n");
    fails("input 2\ndense 1 step\nweights 0.5 0x1p-1\nbias -0.7\nloss perceptron\n",
          "t.spec:3:13: error: weights: expected a number, got '0x1p-1'\n");

    /* placement */
    fails("input 2\nweights 0.5 0.5\ndense 1 step\nloss perceptron\n",
          "t.spec:2:1: error: misplaced 'weights': it goes right under its 'dense' line (line 1 "
          "is 'input')\n");
    fails("weights 0.5 0.5\ninput 2\ndense 1 step\nloss perceptron\n",
          "t.spec:1:1: error: misplaced 'weights': no 'dense' line above it\n");
    fails("input 2\ndense 1 step\nloss perceptron\nbias 0.5\n",
          "t.spec:4:1: error: misplaced 'bias': it goes right under its 'dense' line (line 3 is "
          "'loss')\n");
    fails("input 2\ndense 1 step\nbias 1\nloss perceptron\n",
          "t.spec:3:1: error: 'bias' without 'weights': give layer 1's rows first (one 'weights' "
          "line per unit)\n");
    fails("input 2\ndense 1 step\nweights 1 1\nbias 1\nbias 1\nloss perceptron\n",
          "t.spec:5:1: error: duplicate 'bias' for layer 1 (first at line 4)\n");
    fails("input 2\ndense 1 step\nweights 1 1\nbias 1\nweights 1 1\nloss perceptron\n",
          "t.spec:5:1: error: 'weights' after the layer's 'bias' (line 4): give the rows first\n");
    /* a dense line with an error: its weights are not reported again */
    fails("input 2\ndense x step\nweights 1 1\nbias 1\nloss perceptron\n",
          "t.spec:2:7: error: dense units: expected a positive integer, got 'x'\n");
}

static void test_step_perceptron(void **state)
{
    (void)state;
    nng_spec s;
    /* loss perceptron: batch 1 unless the spec says otherwise */
    parses("input 2\ndense 1 step\nloss perceptron\ntrain lr=0.1 init=zeros\n", &s);
    assert_int_equal(s.loss, NNRT_LOSS_PERCEPTRON);
    assert_int_equal(s.layers[0].act, NNRT_ACT_STEP);
    assert_int_equal(s.train.batch, 1);
    assert_int_equal(s.train.optimizer, NNRT_OPT_SGD);
    nng_spec_free(&s);
    /* hidden layers of any activation stay as they are under the rule */
    parses("input 2\ndense 2 step\ndense 3 sigmoid\ndense 1 step\nloss perceptron\n"
           "train batch=1 optimizer=sgd\n",
           &s);
    nng_spec_free(&s);
    /* gradient training through step is refused, with the reason */
    fails("input 2\ndense 1 step\nloss bce\n",
          "t.spec:2:1: error: step cannot be trained by loss 'bce': its derivative is zero almost "
          "everywhere, so no gradient reaches the weights (a step output learns by 'loss "
          "perceptron')\n");
    fails("input 2\ndense 1 step\nloss mse\n",
          "t.spec:2:1: error: step cannot be trained by loss 'mse': its derivative is zero almost "
          "everywhere, so no gradient reaches the weights (a step output learns by 'loss "
          "perceptron')\n");
    fails("input 2\ndense 3 step\ndense 2 softmax\nloss cce\n",
          "t.spec:2:1: error: step cannot be trained by loss 'cce': its derivative is zero almost "
          "everywhere, so no gradient passes it (with 'loss perceptron' a hidden step layer keeps "
          "its weights)\n");
    /* ... even when the weights are written in the spec */
    fails("input 2\ndense 1 step\nweights 1 1\nbias 1\ndense 1 sigmoid\nloss bce\n",
          "t.spec:2:1: error: step cannot be trained by loss 'bce': its derivative is zero almost "
          "everywhere, so no gradient passes it (with 'loss perceptron' a hidden step layer keeps "
          "its weights)\n");
    fails("input 2\ndense 1 sigmoid\nloss perceptron\n",
          "t.spec:3:1: error: loss 'perceptron' needs a step output layer (line 2 is sigmoid)\n");
    fails("input 2\ndense 1 step\nloss perceptron\ntrain batch=4 optimizer=adam\n",
          "t.spec:4:7: error: loss 'perceptron' updates after every sample: batch=1, not batch=4\n"
          "t.spec:4:15: error: loss 'perceptron' is the perceptron rule, sgd's step w -= lr (a - y) "
          "x: optimizer=adam does not apply\n");
    fails("input 2\ndense 1 step\nloss perceptron\ntrain batch=full\n",
          "t.spec:4:7: error: loss 'perceptron' updates after every sample: batch=1, not "
          "batch=full\n");
}

/* ------------------------------------------------------------------ */
/* The specs in models/                                                    */
/* ------------------------------------------------------------------ */

static void model_is(const char *file, int n_in, int n_layers, const int *units, nnrt_loss loss,
                     nng_spec *s)
{
    const char *src = getenv("NNGEN_SOURCE_DIR");
    if (!src)
        fail_msg("NNGEN_SOURCE_DIR is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", src, file);
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msgs, &mlen);
    nng_diag d;
    nng_diag_init(&d, path, f);
    int r = nng_parse_file(path, s, &d);
    fclose(f);
    if (r != 0)
        fail_msg("%s", msgs);
    free(msgs);
    assert_int_equal(s->n_in, n_in);
    assert_int_equal(s->n_layers, n_layers);
    for (int l = 0; l < n_layers; l++)
        assert_int_equal(s->layers[l].units, units[l]);
    assert_int_equal(s->loss, loss);
}

static void test_models(void **state)
{
    (void)state;
    nng_spec s;
    model_is("logreg_cat.spec", 12288, 1, (const int[]){1}, NNRT_LOSS_BCE, &s);
    assert_int_equal(s.train.init, NNRT_INIT_ZEROS);
    assert_int_equal(s.train.iterations, 2000);
    assert_true(s.train.lr == 0.005);
    nng_spec_free(&s);
    model_is("cat2.spec", 12288, 2, (const int[]){7, 1}, NNRT_LOSS_BCE, &s);
    assert_int_equal(s.layers[0].act, NNRT_ACT_RELU);
    assert_int_equal(s.train.iterations, 2500);
    assert_int_equal(s.train.init, NNRT_INIT_COURSE);
    nng_spec_free(&s);
    model_is("cat.spec", 12288, 4, (const int[]){20, 7, 5, 1}, NNRT_LOSS_BCE, &s);
    assert_int_equal(s.n_weights, 245973);
    assert_true(s.train.lr == 0.0075);
    assert_int_equal(s.train.init, NNRT_INIT_COURSE);
    nng_spec_free(&s);
    model_is("xor.spec", 2, 2, (const int[]){4, 1}, NNRT_LOSS_BCE, &s);
    nng_spec_free(&s);
    model_is("sex.spec", 2, 2, (const int[]){2, 1}, NNRT_LOSS_MSE, &s);
    assert_int_equal(s.train.batch, 1);
    assert_int_equal(s.layers[0].act, NNRT_ACT_SIGMOID);
    assert_int_equal(s.layers[1].act, NNRT_ACT_SIGMOID);
    nng_spec_free(&s);
    model_is("house.spec", 3, 2, (const int[]){16, 1}, NNRT_LOSS_MSE, &s);
    assert_int_equal(s.train.optimizer, NNRT_OPT_ADAM);
    assert_int_equal(s.layers[1].act, NNRT_ACT_IDENTITY);
    nng_spec_free(&s);
    /* the perceptron chapter's gates, with the tutorial's weights */
    static const struct {
        const char *file;
        float w1, w2, b;
    } gates[] = {{"gate_and.spec", 0.5f, 0.5f, -0.7f},
                 {"gate_nand.spec", -0.5f, -0.5f, 0.7f},
                 {"gate_or.spec", 1.0f, 1.0f, -0.5f}};
    for (size_t g = 0; g < sizeof gates / sizeof gates[0]; g++) {
        model_is(gates[g].file, 2, 1, (const int[]){1}, NNRT_LOSS_PERCEPTRON, &s);
        assert_int_equal(s.layers[0].act, NNRT_ACT_STEP);
        assert_int_equal(s.n_literal, 1);
        assert_true(s.layers[0].w[0] == gates[g].w1 && s.layers[0].w[1] == gates[g].w2);
        assert_true(s.layers[0].b[0] == gates[g].b);
        assert_int_equal(s.train.batch, 1);
        nng_spec_free(&s);
    }
    model_is("gate_xor.spec", 2, 2, (const int[]){2, 1}, NNRT_LOSS_PERCEPTRON, &s);
    assert_int_equal(s.n_literal, 2);
    const float xw1[4] = {-0.5f, -0.5f, 1.0f, 1.0f}, xb1[2] = {0.7f, -0.5f};
    const float xw2[2] = {0.5f, 0.5f}, xb2[1] = {-0.7f};
    assert_memory_equal(s.layers[0].w, xw1, sizeof xw1);
    assert_memory_equal(s.layers[0].b, xb1, sizeof xb1);
    assert_memory_equal(s.layers[1].w, xw2, sizeof xw2);
    assert_memory_equal(s.layers[1].b, xb2, sizeof xb2);
    nng_spec_free(&s);
    model_is("fashion.spec", 784, 3, (const int[]){256, 128, 10}, NNRT_LOSS_CCE, &s);
    assert_int_equal(s.train.optimizer, NNRT_OPT_ADAM);
    assert_int_equal(s.train.batch, 64);
    assert_int_equal(s.train.init, NNRT_INIT_HE);
    nng_spec_free(&s);
}

/* ------------------------------------------------------------------ */
/* Mutations                                                            */
/* ------------------------------------------------------------------ */

static uint64_t fuzz_state = 0x9E3779B97F4A7C15ULL;

static uint64_t fuzz_next(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return fuzz_state;
}

/* Every message is one line "t.spec:...: error: ...\n", as many lines as
 * errors counted; a spec that parses prints canonically and round-trips. */
static int check_mutant(const char *text, size_t len)
{
    nng_spec s;
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msgs, &mlen);
    nng_diag d;
    nng_diag_init(&d, "t.spec", f);
    int r = nng_parse_text(text, len, "t.spec", &s, &d);
    fclose(f);
    int lines = 0;
    for (char *p = msgs; *p; lines++) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_memory_equal(p, "t.spec:", 7);
        *nl = '\0';
        assert_non_null(strstr(p, ": error: "));
        p = nl + 1;
    }
    assert_int_equal(lines, d.errors);
    assert_int_equal(r == 0, d.errors == 0);
    free(msgs);
    if (r != 0)
        return 0;
    char *canon = NULL;
    size_t clen = 0;
    f = open_memstream(&canon, &clen);
    nng_spec_print(&s, f);
    fclose(f);
    nng_spec t;
    parses(canon, &t);
    assert_same_spec(&s, &t);
    nng_spec_free(&s);
    nng_spec_free(&t);
    free(canon);
    return 1;
}

/* Thousands of random edits of a valid spec: no crash (the sanitizer
 * builds run this too), messages well-formed, round trips exact. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *const bases[2] = {
        "# base\nmodel m\ninput 8x2\ndense 4 leaky_relu slope=0.1\ndense 3 tanh\n"
        "dense 2 softmax\nloss cce\ntrain lr=0.5 epochs=3 batch=4 optimizer=adam "
        "beta1=0.8 beta2=0.99 eps=1e-6 init=he seed=7\n",
        /* weights and bias lines, step, loss perceptron */
        "model g\ninput 2\ndense 2 step\nweights -0.5 -0.5 # s1\nweights 1.0 1.0\n"
        "bias 0.7 -0.5\ndense 1 step\nweights 0.5 0.5\nbias -0.7\nloss perceptron\n"
        "train lr=0.1 init=zeros\n"};
    static const char *const words[] = {
        "dense", "input", "loss", "train", "model", "sigmoid", "relu", "softmax", "bce",
        "mse", "cce", "x", "=", "#", "\n", "\r\n", " ", "\t", "0", "1", "9", ".", "e",
        "-", "slope=", "lr=", "epochs=", "iterations=", "batch=full", "\xc3\xa9", "\xff",
        "\xe2\x82", "99999999999999999999", "1e999", "leaky_relu", "identity", "weights",
        "bias", "step", "perceptron", "nan", "-inf", " 0.25"};
    char buf[1024];
    int parsed = 0;
    for (int iter = 0; iter < 40000; iter++) {
        const char *base = bases[iter % 2];
        size_t len = strlen(base);
        memcpy(buf, base, len);
        int edits = 1 + (int)(fuzz_next() % 2);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(fuzz_next() % (len + 1));
            switch (fuzz_next() % 4) {
            case 0: /* replace a byte */
                if (at < len)
                    buf[at] = (char)(fuzz_next() & 0xFF);
                break;
            case 1: /* delete a few bytes */
            {
                size_t k = 1 + (size_t)(fuzz_next() % 8);
                if (at + k > len)
                    k = len - at;
                memmove(buf + at, buf + at + k, len - at - k);
                len -= k;
                break;
            }
            default: /* insert a word */
            {
                const char *w = words[fuzz_next() % (sizeof words / sizeof words[0])];
                size_t k = strlen(w);
                if (len + k >= sizeof buf)
                    break;
                memmove(buf + at + k, buf + at, len - at);
                memcpy(buf + at, w, k);
                len += k;
                break;
            }
            }
        }
        parsed += check_mutant(buf, len);
    }
    /* the mutants are not all rejected: the round trip was exercised */
    printf("mutations: %d of 40000 parsed\n", parsed);
    assert_true(parsed > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_multilabel_and_mse), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_unknown_words), cmocka_unit_test(test_missing_and_extra),
        cmocka_unit_test(test_sizes),         cmocka_unit_test(test_slope),
        cmocka_unit_test(test_duplicates),    cmocka_unit_test(test_batch),
        cmocka_unit_test(test_semantics),     cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_bytes),         cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_names), cmocka_unit_test(test_files),
        cmocka_unit_test(test_diag),          cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_models),        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_literal_weights), cmocka_unit_test(test_step_perceptron),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
