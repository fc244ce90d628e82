/*
 * tables.c -- one table per kind.  A row holds a kind's spec word, its
 * formula and derivative (for the generated comments and docs) and the
 * runtime symbols the emitter calls (the second for layers narrower than a
 * vector on the vector paths: NULL means the scalar routine, which on 1..7
 * floats costs less than one masked SLEEF call).  Nothing else in the compiler spells
 * these names out.
 */
#include <stdlib.h>
#include <string.h>

#include "nngen.h"

const nng_act_row nng_act_table[] = {
    /* name        kind                   formula                                derivative (in a)                      runtime         narrow layers (units < lanes) */
    {"sigmoid",    NNRT_ACT_SIGMOID,      "a = 1 / (1 + exp(-z))",               "da/dz = a * (1 - a)",                 "sigmoid",      NULL},
    {"tanh",       NNRT_ACT_TANH,         "a = tanh(z)",                         "da/dz = 1 - a * a",                   "tanh",         "tanh_short"},
    {"relu",       NNRT_ACT_RELU,         "a = max(z, 0)",                       "da/dz = a > 0 ? 1 : 0",               "relu",         NULL},
    {"leaky_relu", NNRT_ACT_LEAKY_RELU,   "a = z > 0 ? z : slope * z",           "da/dz = a > 0 ? 1 : slope",           "leaky_relu",   NULL},
    {"identity",   NNRT_ACT_IDENTITY,     "a = z",                               "da/dz = 1",                           NULL,           NULL},
    {"softmax",    NNRT_ACT_SOFTMAX,      "a_j = exp(z_j - max z) / sum_k exp(z_k - max z)",
                                          "with cce: dL/dz = a - y",             "softmax_rows", NULL},
    {NULL, 0, NULL, NULL, NULL, NULL}};

const nng_loss_row nng_loss_table[] = {
    {"bce", "binary_cross_entropy", NNRT_LOSS_BCE,
     "L = -mean_i sum_j [y log a + (1 - y) log(1 - a)]   (sigmoid output: dL/dz = (a - y) / m)"},
    {"mse", "mean_squared_error", NNRT_LOSS_MSE,
     "L = mean_i mean_j (a - y)^2   (dL/da = 2 (a - y) / (m * n_out))"},
    {"cce", "categorical_cross_entropy", NNRT_LOSS_CCE,
     "L = -mean_i sum_j y log a   (softmax output: dL/dz = (a - y) / m)"},
    {NULL, NULL, 0, NULL}};

const nng_named_int nng_opt_table[] = {
    {"sgd", NNRT_OPT_SGD, "p -= lr * g"},
    {"momentum", NNRT_OPT_MOMENTUM, "v = beta1 v + (1 - beta1) g;  p -= lr * v"},
    {"adam", NNRT_OPT_ADAM, "Adam with bias correction (beta1, beta2, eps)"},
    {NULL, 0, NULL}};

const nng_named_int nng_init_table[] = {
    {"zeros", NNRT_INIT_ZEROS, "W = 0"},
    {"small", NNRT_INIT_SMALL, "W ~ N(0,1) * 0.01"},
    {"course", NNRT_INIT_COURSE, "W ~ N(0,1) / sqrt(fan_in)"},
    {"xavier", NNRT_INIT_XAVIER, "W ~ N(0,1) * sqrt(2 / (fan_in + fan_out))"},
    {"he", NNRT_INIT_HE, "W ~ N(0,1) * sqrt(2 / fan_in)"},
    {NULL, 0, NULL}};

const nng_act_row *nng_act_by_kind(nnrt_act a)
{
    for (const nng_act_row *r = nng_act_table; r->name; r++)
        if (r->act == a)
            return r;
    return NULL;
}

const nng_loss_row *nng_loss_by_kind(nnrt_loss l)
{
    for (const nng_loss_row *r = nng_loss_table; r->name; r++)
        if (r->loss == l)
            return r;
    return NULL;
}

/* Edit distance with adjacent transpositions counting as one edit
 * ("sigmiod", "bec"), capped: strings here are short spec words. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t prev2[64], prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        memcpy(prev2, prev, (lb + 1) * sizeof prev[0]);
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *nng_did_you_mean(const char *w, const char *const *words)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (; *words; words++) {
        size_t d = edit_distance(w, *words);
        if (d < best_d) {
            best_d = d;
            best = *words;
        }
    }
    /* Close enough: at most 2 edits, and fewer than half the word. */
    size_t len = strlen(w);
    if (best && best_d <= 2 && best_d * 2 < len + 1)
        return best;
    return NULL;
}
