/*
 * nnrt_vocab.c -- the rows of nngen's vocabulary (nnrt_vocab.h) and the
 * look-ups over them.  Nothing else in the project spells these words out.
 */
#include "nnrt_vocab.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The tables                                                           */
/* ------------------------------------------------------------------ */

const nnrt_act_row nnrt_act_rows[] = {
    {.name = "sigmoid", .act = NNRT_ACT_SIGMOID,
     .formula = "a = 1 / (1 + exp(-z))", .derivative = "da/dz = a * (1 - a)",
     .dact = "mul(d, mul(a, sub(1, a)))", .rt = "sigmoid",
     .help = "logistic function; outputs in (0, 1)"},
    {.name = "tanh", .act = NNRT_ACT_TANH,
     .formula = "a = tanh(z)", .derivative = "da/dz = 1 - a * a",
     .dact = "mul(d, sub(1, mul(a, a)))", .rt = "tanh", .rt_short = "tanh_short",
     .help = "hyperbolic tangent; outputs in (-1, 1)"},
    {.name = "relu", .act = NNRT_ACT_RELU,
     .formula = "a = max(z, 0)", .derivative = "da/dz = a > 0 ? 1 : 0",
     .dact = "sel_gt0(a, d, 0)", .rt = "relu",
     .help = "rectified linear unit"},
    {.name = "leaky_relu", .act = NNRT_ACT_LEAKY_RELU,
     .formula = "a = z > 0 ? z : slope * z", .derivative = "da/dz = a > 0 ? 1 : slope",
     .dact = "sel_gt0(a, d, mul(p, d))", .rt = "leaky_relu",
     .param = "slope", .param_default = 0.01f, .param_lo = 0.0, .param_hi = 1.0,
     .help = "relu with a small slope for z <= 0 (slope=F, default 0.01)"},
    {.name = "elu", .act = NNRT_ACT_ELU,
     .formula = "a = z > 0 ? z : alpha * (exp(z) - 1)",
     .derivative = "da/dz = a > 0 ? 1 : a + alpha",
     .dact = "sel_gt0(a, d, mul(d, add(a, p)))", .rt = "elu",
     .param = "alpha", .param_default = 1.0f, .param_lo = 0.0, .param_hi = 10.0,
     .help = "exponential linear unit (alpha=F, default 1)"},
    {.name = "identity", .act = NNRT_ACT_IDENTITY,
     .formula = "a = z", .derivative = "da/dz = 1",
     .help = "no activation (regression outputs)"},
    {.name = "softmax", .act = NNRT_ACT_SOFTMAX,
     .formula = "a_j = exp(z_j - max z) / sum_k exp(z_k - max z)",
     .derivative = "with cce: dL/dz = a - y", .rt = "softmax_rows",
     .help = "class probabilities of an output layer (with loss cce)"},
    {.name = "step", .act = NNRT_ACT_STEP,
     .formula = "a = z > 0 ? 1 : 0", .derivative = "da/dz = 0 (almost everywhere)",
     .rt = "step",
     .help = "the perceptron's threshold unit (trained only by loss perceptron)"},
    {.name = NULL}};

const nnrt_loss_row nnrt_loss_rows[] = {
    {"bce", "binary_cross_entropy", NNRT_LOSS_BCE,
     "L = -mean_i sum_j [y log a + (1 - y) log(1 - a)]   (sigmoid output: dL/dz = (a - y) / m)"},
    {"mse", "mean_squared_error", NNRT_LOSS_MSE,
     "L = mean_i mean_j (a - y)^2   (dL/da = 2 (a - y) / (m * n_out))"},
    {"cce", "categorical_cross_entropy", NNRT_LOSS_CCE,
     "L = -mean_i sum_j y log a   (softmax output: dL/dz = (a - y) / m)"},
    {"perceptron", NULL, NNRT_LOSS_PERCEPTRON,
     "L = mean_i sum_j |y - a|, the error rate   (step output, the perceptron rule: "
     "w += lr (y - a) x, b += lr (y - a), so dZ = a - y)"},
    {NULL, NULL, 0, NULL}};

const nnrt_word_row nnrt_opt_rows[] = {
    {"sgd", NNRT_OPT_SGD, "p -= lr * g"},
    {"momentum", NNRT_OPT_MOMENTUM, "v = beta1 v + (1 - beta1) g;  p -= lr * v"},
    {"adam", NNRT_OPT_ADAM, "Adam with bias correction (beta1, beta2, eps)"},
    {NULL, 0, NULL}};

const nnrt_word_row nnrt_init_rows[] = {
    {"zeros", NNRT_INIT_ZEROS, "W = 0"},
    {"small", NNRT_INIT_SMALL, "W ~ N(0,1) * 0.01"},
    {"course", NNRT_INIT_COURSE, "W ~ N(0,1) / sqrt(fan_in)"},
    {"xavier", NNRT_INIT_XAVIER, "W ~ N(0,1) * sqrt(2 / (fan_in + fan_out))"},
    {"he", NNRT_INIT_HE, "W ~ N(0,1) * sqrt(2 / fan_in)"},
    {"numpy", NNRT_INIT_NUMPY, "np.random.seed(seed); W = np.random.randn(n, n_prev) / "
                               "np.sqrt(n_prev)"},
    {"numpy_small", NNRT_INIT_NUMPY_SMALL, "np.random.seed(seed); W = np.random.randn(n, "
                                           "n_prev) * 0.01"},
    {"numpy_xavier", NNRT_INIT_NUMPY_XAVIER, "np.random.seed(seed); W = np.random.randn(n, "
                                             "n_prev) * np.sqrt(2. / (n_prev + n))"},
    {"numpy_he", NNRT_INIT_NUMPY_HE, "np.random.seed(seed); W = np.random.randn(n, n_prev) * "
                                     "np.sqrt(2. / n_prev)"},
    {NULL, 0, NULL}};

#define HP_AT(f) offsetof(nnrt_train_cfg, f)

/* ORDER: the order of the spec's grammar (docs/spec.md) and of --help. */
const nnrt_hparam nnrt_hparams[NNRT_N_HPARAMS + 1] = {
    {"lr", NNRT_HP_REAL, HP_AT(lr), 0.0, 100.0, 1, 0, NULL, "F", "learning rate"},
    {"epochs", NNRT_HP_COUNT, HP_AT(epochs), 1, (double)NNRT_MAX_EPOCHS, 0, 0,
     "NNRT_MAX_EPOCHS", "N", "train for N passes over the data"},
    {"iterations", NNRT_HP_COUNT, HP_AT(iterations), 1, (double)NNRT_MAX_ITERATIONS, 0, 0,
     "NNRT_MAX_ITERATIONS", "N", "train for N parameter updates"},
    {"batch", NNRT_HP_BATCH, HP_AT(batch), 1, (double)NNRT_MAX_BATCH, 0, 0, "NNRT_MAX_BATCH",
     "N|full", "samples per update (1 = per-sample SGD)"},
    {"optimizer", NNRT_HP_OPT, HP_AT(optimizer), 0, 0, 0, 0, NULL, "NAME",
     "sgd, momentum or adam"},
    {"beta1", NNRT_HP_REAL, HP_AT(beta1), 0.0, 1.0, 0, 1, NULL, "F",
     "momentum / Adam first-moment decay"},
    {"beta2", NNRT_HP_REAL, HP_AT(beta2), 0.0, 1.0, 0, 1, NULL, "F", "Adam second-moment decay"},
    {"eps", NNRT_HP_REAL, HP_AT(eps), 0.0, 1.0, 1, 0, NULL, "F", "Adam epsilon"},
    {"init", NNRT_HP_INIT, HP_AT(init), 0, 0, 0, 0, NULL, "NAME",
     "zeros, small, course, xavier, he, numpy, numpy_small, numpy_xavier or numpy_he"},
    {"seed", NNRT_HP_SEED, HP_AT(seed), 0, 0, 0, 0, NULL, "N",
     "seed of the initial weights and the shuffle"},
    {NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL}};

const nnrt_train_cfg nnrt_train_defaults = {
    .lr = 0.01,
    .epochs = 10,
    .iterations = 0,
    .batch = 0,
    .optimizer = NNRT_OPT_SGD,
    .beta1 = 0.9,
    .beta2 = 0.999,
    .eps = 1e-8,
    .init = NNRT_INIT_XAVIER,
    .seed = 1,
};

/* ------------------------------------------------------------------ */
/* Look-ups                                                             */
/* ------------------------------------------------------------------ */

const nnrt_act_row *nnrt_act_of(nnrt_act a)
{
    for (const nnrt_act_row *r = nnrt_act_rows; r->name; r++)
        if (r->act == a)
            return r;
    return NULL;
}

const nnrt_loss_row *nnrt_loss_of(nnrt_loss l)
{
    for (const nnrt_loss_row *r = nnrt_loss_rows; r->name; r++)
        if (r->loss == l)
            return r;
    return NULL;
}

const char *nnrt_word_of(const nnrt_word_row *rows, int value)
{
    for (const nnrt_word_row *r = rows; r->name; r++)
        if (r->value == value)
            return r->name;
    return NULL;
}

const char *nnrt_act_name(nnrt_act a)
{
    const nnrt_act_row *r = nnrt_act_of(a);
    return r ? r->name : "?";
}

const char *nnrt_loss_name(nnrt_loss l)
{
    const nnrt_loss_row *r = nnrt_loss_of(l);
    return r ? r->name : "?";
}

const char *nnrt_opt_name(nnrt_opt_kind k)
{
    const char *w = nnrt_word_of(nnrt_opt_rows, (int)k);
    return w ? w : "?";
}

const char *nnrt_init_name(nnrt_init i)
{
    const char *w = nnrt_word_of(nnrt_init_rows, (int)i);
    return w ? w : "?";
}

const nnrt_hparam *nnrt_hparam_find(const char *name, size_t len)
{
    for (const nnrt_hparam *h = nnrt_hparams; h->name; h++)
        if (strlen(h->name) == len && memcmp(h->name, name, len) == 0)
            return h;
    return NULL;
}

void nnrt_hparam_format(const nnrt_hparam *h, const nnrt_train_cfg *cfg, char *buf, size_t cap)
{
    const char *field = (const char *)cfg + h->offset;
    long n;
    buf[0] = '\0';
    switch (h->kind) {
    case NNRT_HP_REAL:
        snprintf(buf, cap, "%g", *(const double *)(const void *)field);
        break;
    case NNRT_HP_COUNT:
        n = *(const long *)(const void *)field;
        if (n > 0)
            snprintf(buf, cap, "%ld", n);
        break;
    case NNRT_HP_BATCH:
        n = *(const long *)(const void *)field;
        if (n > 0)
            snprintf(buf, cap, "%ld", n);
        else
            snprintf(buf, cap, "full");
        break;
    case NNRT_HP_SEED:
        snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)(const void *)field);
        break;
    case NNRT_HP_OPT:
        snprintf(buf, cap, "%s", nnrt_opt_name(*(const nnrt_opt_kind *)(const void *)field));
        break;
    case NNRT_HP_INIT:
        snprintf(buf, cap, "%s", nnrt_init_name(*(const nnrt_init *)(const void *)field));
        break;
    }
}

int nnrt_hparam_in_range(const nnrt_hparam *h, double x)
{
    if (x != x)
        return 0;
    if (h->lo_open ? x <= h->lo : x < h->lo)
        return 0;
    return h->hi_open ? x < h->hi : x <= h->hi;
}

void nnrt_hparam_range_text(const nnrt_hparam *h, char *buf, size_t cap)
{
    char lo = h->lo_open ? '(' : '[', hi = h->hi_open ? ')' : ']';
    if (h->kind == NNRT_HP_REAL)
        snprintf(buf, cap, "%c%g, %g%c", lo, h->lo, h->hi, hi);
    else /* counts in full: "[1, 1000000]", not "[1, 1e+06]" */
        snprintf(buf, cap, "%c%.0f, %.0f%c", lo, h->lo, h->hi, hi);
}

/* ------------------------------------------------------------------ */
/* Suggestions                                                          */
/* ------------------------------------------------------------------ */

/* Optimal string alignment distance, capped: the words here are short. */
static size_t vocab_edit_distance(const char *a, const char *b)
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

const char *nnrt_did_you_mean(const char *w, const char *const *words)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(w);
    for (; *words; words++) {
        size_t d = vocab_edit_distance(w, *words);
        /* a prefix of 4 characters or more ("--pred", "leak") is one edit away */
        if (d > 1 && len >= NNRT_DYM_PREFIX && strncmp(*words, w, len) == 0)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = *words;
        }
    }
    /* Close enough: at most 2 edits, and fewer than half the word. */
    if (best && best_d <= 2 && best_d * 2 < len + 1)
        return best;
    return NULL;
}
