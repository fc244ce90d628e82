/*
 * test_driver_model.h -- hand-written tiny models (plain C, no nngen) that
 * fill an nnrt_model exactly as generated code does, so that the training
 * driver (nnrt_main) and nnrt_gradcheck can be tested on their own.
 *
 * One generic dense network, one sample at a time (ws holds one sample's
 * activations, so any m works with a constant ws_bytes).  The models:
 *   tm_blob   2 -> 3 tanh -> 1 sigmoid, bce
 *   tm_tri    2 -> 3 softmax, cce
 *   tm_lin    2 -> 1 identity, mse (loss summed in float: overflows to inf)
 *   tm_broken tm_blob with a wrong bias gradient (for --gradcheck)
 *   tm_poison tm_blob whose update sets one parameter to a given value
 *             (NaN, inf) at a given step (for divergence)
 *   tm_pair   2 -> 2 identity, mse (as many inputs as label columns)
 *   tm_one    1 -> 3 softmax, cce (one input)
 */
#ifndef TEST_DRIVER_MODEL_H
#define TEST_DRIVER_MODEL_H

#include <math.h>
#include <string.h>

#include "nnrt.h"

#define TM_MAXL 2
#define TM_MAXU 8

typedef struct tm_def {
    int n_in, n_layers;
    int units[TM_MAXL];
    nnrt_act act[TM_MAXL];
    nnrt_loss loss;
    int broken;
    size_t w_off[TM_MAXL], b_off[TM_MAXL];
    long poison_step; /* update t == poison_step sets params[poison_at] = poison_val */
    size_t poison_at;
    float poison_val;
} tm_def;

static size_t tm_round(size_t n)
{
    return (n + NNRT_ALIGN_FLOATS - 1) / NNRT_ALIGN_FLOATS * NNRT_ALIGN_FLOATS;
}

static float tm_act(nnrt_act a, float z)
{
    switch (a) {
    case NNRT_ACT_SIGMOID:
        return 1.0f / (1.0f + expf(-z));
    case NNRT_ACT_TANH:
        return tanhf(z);
    case NNRT_ACT_RELU:
        return z > 0.0f ? z : 0.0f;
    default:
        return z;
    }
}

/* da/dz in terms of a (and z for relu) */
static float tm_dact(nnrt_act a, float act, float z)
{
    switch (a) {
    case NNRT_ACT_SIGMOID:
        return act * (1.0f - act);
    case NNRT_ACT_TANH:
        return 1.0f - act * act;
    case NNRT_ACT_RELU:
        return z > 0.0f ? 1.0f : 0.0f;
    default:
        return 1.0f;
    }
}

/* Forward one sample: z[l], a[l] per layer (TM_MAXU each). */
static void tm_fwd1(const tm_def *d, const float *p, const float *x, float z[][TM_MAXU],
                    float a[][TM_MAXU])
{
    const float *in = x;
    int n_in = d->n_in;
    for (int l = 0; l < d->n_layers; l++) {
        const float *W = p + d->w_off[l], *b = p + d->b_off[l];
        for (int j = 0; j < d->units[l]; j++) {
            float s = b[j];
            for (int k = 0; k < n_in; k++)
                s += W[j * n_in + k] * in[k];
            z[l][j] = s;
        }
        if (d->act[l] == NNRT_ACT_SOFTMAX) {
            float mx = z[l][0], se = 0.0f;
            for (int j = 1; j < d->units[l]; j++)
                mx = z[l][j] > mx ? z[l][j] : mx;
            for (int j = 0; j < d->units[l]; j++)
                se += (a[l][j] = expf(z[l][j] - mx));
            for (int j = 0; j < d->units[l]; j++)
                a[l][j] /= se;
        } else {
            for (int j = 0; j < d->units[l]; j++)
                a[l][j] = tm_act(d->act[l], z[l][j]);
        }
        in = a[l];
        n_in = d->units[l];
    }
}

static void tm_forward(const tm_def *d, const float *p, const float *x, long m, float *out)
{
    float z[TM_MAXL][TM_MAXU], a[TM_MAXL][TM_MAXU];
    int L = d->n_layers - 1, no = d->units[L];
    for (long i = 0; i < m; i++) {
        tm_fwd1(d, p, x + i * d->n_in, z, a);
        memcpy(out + i * no, a[L], (size_t)no * sizeof(float));
    }
}

static double tm_loss_grad(const tm_def *d, size_t n_params, const float *p, const float *x,
                           const float *y, long m, float *g)
{
    float z[TM_MAXL][TM_MAXU], a[TM_MAXL][TM_MAXU], dz[TM_MAXL][TM_MAXU];
    int L = d->n_layers - 1, no = d->units[L];
    double loss = 0.0;
    float floss = 0.0f;
    memset(g, 0, n_params * sizeof(float));
    for (long i = 0; i < m; i++) {
        const float *xi = x + i * d->n_in, *yi = y + i * no;
        tm_fwd1(d, p, xi, z, a);
        for (int j = 0; j < no; j++) {
            float zj = z[L][j], aj = a[L][j], t = yi[j];
            switch (d->loss) {
            case NNRT_LOSS_BCE:
                loss += (double)(zj > 0.0f ? zj : 0.0f) - (double)zj * (double)t +
                        log1p(exp(-fabs((double)zj)));
                dz[L][j] = aj - t;
                break;
            case NNRT_LOSS_CCE:
                loss -= (double)t * log((double)aj + 1e-30);
                dz[L][j] = aj - t;
                break;
            default:
                floss += (aj - t) * (aj - t);
                dz[L][j] = 2.0f * (aj - t) / (float)no * tm_dact(d->act[L], aj, zj);
                break;
            }
        }
        for (int l = L; l >= 0; l--) {
            int n_in = l ? d->units[l - 1] : d->n_in;
            const float *in = l ? a[l - 1] : xi;
            float *gW = g + d->w_off[l], *gb = g + d->b_off[l];
            const float *W = p + d->w_off[l];
            for (int j = 0; j < d->units[l]; j++) {
                gb[j] += d->broken ? 2.0f * dz[l][j] : dz[l][j];
                for (int k = 0; k < n_in; k++)
                    gW[j * n_in + k] += dz[l][j] * in[k];
            }
            if (l > 0)
                for (int k = 0; k < n_in; k++) {
                    float s = 0.0f;
                    for (int j = 0; j < d->units[l]; j++)
                        s += W[j * n_in + k] * dz[l][j];
                    dz[l - 1][k] = s * tm_dact(d->act[l - 1], a[l - 1][k], z[l - 1][k]);
                }
        }
    }
    for (size_t k = 0; k < n_params; k++)
        g[k] /= (float)m;
    if (d->loss == NNRT_LOSS_MSE)
        return (double)(floss / ((float)m * (float)no));
    return loss / (double)m;
}

static void tm_update(const tm_def *d, size_t n, float *p, const float *g, float *st,
                      const nnrt_optim *o, long t)
{
    float lr = o->lr, b1 = o->beta1, b2 = o->beta2;
    if (o->kind == NNRT_OPT_SGD) {
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * g[i];
    } else if (o->kind == NNRT_OPT_MOMENTUM) {
        for (size_t i = 0; i < n; i++) {
            st[i] = b1 * st[i] + (1.0f - b1) * g[i];
            p[i] -= lr * st[i];
        }
    } else {
        float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
        for (size_t i = 0; i < n; i++) {
            st[i] = b1 * st[i] + (1.0f - b1) * g[i];
            st[n + i] = b2 * st[n + i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= lr * (st[i] / c1) / (sqrtf(st[n + i] / c2) + o->eps);
        }
    }
    if (d->poison_step > 0 && t == d->poison_step)
        p[d->poison_at] = d->poison_val;
}

/* Fill offsets; returns n_params. */
static size_t tm_layout(tm_def *d, nnrt_layer_info *info, size_t *n_weights)
{
    size_t off = 0, nw = 0;
    int fan = d->n_in;
    for (int l = 0; l < d->n_layers; l++) {
        d->w_off[l] = off;
        off += tm_round((size_t)d->units[l] * (size_t)fan);
        d->b_off[l] = off;
        off += tm_round((size_t)d->units[l]);
        nw += (size_t)d->units[l] * ((size_t)fan + 1);
        info[l].units = d->units[l];
        info[l].fan_in = fan;
        info[l].act = d->act[l];
        info[l].slope = 0.0f;
        info[l].w_offset = d->w_off[l];
        info[l].b_offset = d->b_off[l];
        info[l].spec_line = l + 3;
        fan = d->units[l];
    }
    *n_weights = nw;
    return off;
}

/* Rows run through any model's forward (the driver's evaluations and
 * --predict; training uses loss_grad). */
static long tm_forward_rows;

/* One model: its def, its layer rows, its descriptor and three wrappers. */
#define TM_MODEL(NAME)                                                                     \
    static tm_def NAME##_def;                                                              \
    static nnrt_layer_info NAME##_layers[TM_MAXL];                                         \
    static nnrt_model NAME;                                                                \
    static void NAME##_fwd(const float *p, const float *x, long m, float *out, void *ws)  \
    {                                                                                      \
        (void)ws;                                                                          \
        tm_forward_rows += m;                                                              \
        tm_forward(&NAME##_def, p, x, m, out);                                             \
    }                                                                                      \
    static double NAME##_lg(const float *p, const float *x, const float *y, long m,        \
                            float *g, void *ws)                                            \
    {                                                                                      \
        (void)ws;                                                                          \
        return tm_loss_grad(&NAME##_def, NAME.n_params, p, x, y, m, g);                    \
    }                                                                                      \
    static void NAME##_upd(float *p, const float *g, float *st, const nnrt_optim *o, long t) \
    {                                                                                      \
        tm_update(&NAME##_def, NAME.n_params, p, g, st, o, t);                             \
    }

TM_MODEL(tm_blob)
TM_MODEL(tm_tri)
TM_MODEL(tm_lin)
TM_MODEL(tm_broken)
TM_MODEL(tm_poison)
TM_MODEL(tm_pair)
TM_MODEL(tm_one)

static void tm_fill(nnrt_model *m, tm_def *d, nnrt_layer_info *info, const char *name,
                    uint64_t sig, float lr, long epochs, long batch, nnrt_opt_kind opt,
                    nnrt_init init,
                    void (*fwd)(const float *, const float *, long, float *, void *),
                    double (*lg)(const float *, const float *, const float *, long, float *,
                                 void *),
                    void (*upd)(float *, const float *, float *, const nnrt_optim *, long))
{
    memset(m, 0, sizeof *m);
    m->abi = NNRT_ABI_VERSION;
    m->name = name;
    m->spec_file = "tests/test_driver_model.h";
    m->isa = "scalar";
    m->nngen_version = "hand";
    m->n_in = d->n_in;
    m->n_out = d->units[d->n_layers - 1];
    m->n_layers = d->n_layers;
    m->input_rank = 1;
    m->input_shape[0] = d->n_in;
    m->n_params = tm_layout(d, info, &m->n_weights);
    m->layers = info;
    m->loss = d->loss;
    m->ws_bytes = 64;
    m->signature = sig;
    m->flops_fwd = 1.0;
    m->flops_train = 3.0;
    m->defaults.lr = (double)lr;
    m->defaults.epochs = epochs;
    m->defaults.iterations = 0;
    m->defaults.batch = batch;
    m->defaults.optimizer = opt;
    m->defaults.beta1 = 0.9;
    m->defaults.beta2 = 0.999;
    m->defaults.eps = 1e-8;
    m->defaults.init = init;
    m->defaults.seed = 1;
    m->forward = fwd;
    m->loss_grad = lg;
    m->update = upd;
}

static void tm_setup(void)
{
    tm_blob_def = (tm_def){2, 2, {3, 1}, {NNRT_ACT_TANH, NNRT_ACT_SIGMOID}, NNRT_LOSS_BCE, 0,
                           {0}, {0}, 0, 0, 0.0f};
    tm_fill(&tm_blob, &tm_blob_def, tm_blob_layers, "blob", 0xb10bull, 0.5f, 200, 0,
            NNRT_OPT_SGD, NNRT_INIT_XAVIER, tm_blob_fwd, tm_blob_lg, tm_blob_upd);
    tm_broken_def = tm_blob_def;
    tm_broken_def.broken = 1;
    tm_fill(&tm_broken, &tm_broken_def, tm_broken_layers, "blob", 0xb10bull, 0.5f, 200, 0,
            NNRT_OPT_SGD, NNRT_INIT_XAVIER, tm_broken_fwd, tm_broken_lg, tm_broken_upd);
    tm_poison_def = tm_blob_def;
    tm_fill(&tm_poison, &tm_poison_def, tm_poison_layers, "blob", 0xb10bull, 0.5f, 200, 0,
            NNRT_OPT_SGD, NNRT_INIT_XAVIER, tm_poison_fwd, tm_poison_lg, tm_poison_upd);
    tm_tri_def = (tm_def){2, 1, {3, 0}, {NNRT_ACT_SOFTMAX, NNRT_ACT_IDENTITY}, NNRT_LOSS_CCE, 0,
                          {0}, {0}, 0, 0, 0.0f};
    tm_fill(&tm_tri, &tm_tri_def, tm_tri_layers, "tri", 0x7a1ull, 0.5f, 100, 16, NNRT_OPT_ADAM,
            NNRT_INIT_SMALL, tm_tri_fwd, tm_tri_lg, tm_tri_upd);
    tm_lin_def = (tm_def){2, 1, {1, 0}, {NNRT_ACT_IDENTITY, NNRT_ACT_IDENTITY}, NNRT_LOSS_MSE, 0,
                          {0}, {0}, 0, 0, 0.0f};
    tm_fill(&tm_lin, &tm_lin_def, tm_lin_layers, "lin", 0x11eull, 0.1f, 100, 0, NNRT_OPT_SGD,
            NNRT_INIT_ZEROS, tm_lin_fwd, tm_lin_lg, tm_lin_upd);
    tm_pair_def = (tm_def){2, 1, {2, 0}, {NNRT_ACT_IDENTITY, NNRT_ACT_IDENTITY}, NNRT_LOSS_MSE,
                           0, {0}, {0}, 0, 0, 0.0f};
    tm_fill(&tm_pair, &tm_pair_def, tm_pair_layers, "pair", 0x9a12ull, 0.1f, 100, 0,
            NNRT_OPT_SGD, NNRT_INIT_ZEROS, tm_pair_fwd, tm_pair_lg, tm_pair_upd);
    tm_one_def = (tm_def){1, 1, {3, 0}, {NNRT_ACT_SOFTMAX, NNRT_ACT_IDENTITY}, NNRT_LOSS_CCE, 0,
                          {0}, {0}, 0, 0, 0.0f};
    tm_fill(&tm_one, &tm_one_def, tm_one_layers, "one", 0x0eull, 0.5f, 10, 0, NNRT_OPT_SGD,
            NNRT_INIT_SMALL, tm_one_fwd, tm_one_lg, tm_one_upd);
}

#endif /* TEST_DRIVER_MODEL_H */
