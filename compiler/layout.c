/*
 * layout.c -- where every number of a model lives, and what it costs:
 * parameter offsets with their padding, the workspace of one chunk of rows
 * and how many rows a chunk holds, FLOPs per sample, and the signature of
 * the shape.  The emitter writes these into the generated file; `nngen
 * --summary` prints them; nothing else computes them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nngen.h"

/* Rows per chunk: loss_grad and forward walk the m samples in chunks of
 * ch rows, so the workspace is a constant.  ch is LAYOUT_CH, doubled up to
 * LAYOUT_CH_MAX while the workspace of a chunk stays within
 * LAYOUT_WS_BUDGET reals: a narrow network gets longer chunks, so that its
 * first layer's W blocks (forward) and dW tiles (dW) serve more rows per
 * trip through the cache. */
#define LAYOUT_CH 32
#define LAYOUT_CH_MAX 128
#define LAYOUT_WS_BUDGET (16 * 1024)

static size_t layout_round(size_t n)
{
    return (n + NNRT_ALIGN_FLOATS - 1) / NNRT_ALIGN_FLOATS * NNRT_ALIGN_FLOATS;
}

long nng_fan_in(const nng_spec *s, int layer)
{
    return layer == 0 ? s->n_in : s->layers[layer - 1].units;
}

long long nng_layer_weights(const nng_spec *s, int layer)
{
    return (long long)s->layers[layer].units * ((long long)nng_fan_in(s, layer) + 1);
}

/* ------------------------------------------------------------------ */
/* Parameters                                                           */
/* ------------------------------------------------------------------ */

/* Layer l (0-based): W at offset_w, b right after W (rounded up to 16). */
size_t nng_param_offset_w(const nng_spec *s, int layer)
{
    size_t off = 0;
    for (int l = 0; l < layer && l < s->n_layers; l++) {
        size_t units = (size_t)s->layers[l].units;
        off += layout_round(units * (size_t)nng_fan_in(s, l)) + layout_round(units);
    }
    return off;
}

size_t nng_param_offset_b(const nng_spec *s, int layer)
{
    size_t units = (size_t)s->layers[layer].units;
    return nng_param_offset_w(s, layer) + layout_round(units * (size_t)nng_fan_in(s, layer));
}

size_t nng_param_count_padded(const nng_spec *s)
{
    return nng_param_offset_w(s, s->n_layers);
}

/* ------------------------------------------------------------------ */
/* The workspace of a chunk                                             */
/* ------------------------------------------------------------------ */

/* The layout for chunks of ch rows; returns its size in reals. */
static size_t layout_ws_ch(const nng_spec *s, size_t ch, nng_ws *ws)
{
    size_t off = 0;
    int maxu = 0;
    for (int l = 0; l < s->n_layers; l++) {
        ws->a[l] = off;
        off += layout_round(ch * (size_t)s->layers[l].units);
        if (s->layers[l].units > maxu)
            maxu = s->layers[l].units;
    }
    ws->need_zl = s->loss == NNRT_LOSS_BCE || s->loss == NNRT_LOSS_CCE; /* their logits */
    ws->zl = off;
    if (ws->need_zl)
        off += layout_round(ch * (size_t)s->layers[s->n_layers - 1].units);
    ws->d0 = off;
    off += layout_round(ch * (size_t)maxu);
    ws->d1 = off;
    off += layout_round(ch * (size_t)maxu);
    ws->total = off;
    ws->ch = (int)ch;
    return off;
}

void nng_ws_layout(const nng_spec *s, nng_ws *ws)
{
    size_t ch = LAYOUT_CH;
    while (ch < LAYOUT_CH_MAX && layout_ws_ch(s, 2 * ch, ws) <= LAYOUT_WS_BUDGET)
        ch *= 2;
    layout_ws_ch(s, ch, ws);
}

/* ------------------------------------------------------------------ */
/* Cost                                                                 */
/* ------------------------------------------------------------------ */

/* FLOPs: 2 per multiply-add of the matrix products only (bias adds,
 * activations, the loss and the update are not counted). */
double nng_flops_fwd_layer(const nng_spec *s, int layer)
{
    return 2.0 * (double)s->layers[layer].units * (double)nng_fan_in(s, layer);
}

/* Forward + backward: dW for every layer, dA_prev for every layer but the
 * first (the input needs no gradient). */
double nng_flops_train_layer(const nng_spec *s, int layer)
{
    /* loss perceptron trains the output layer alone (emit.c): no backward
     * before it, and no dA_prev from it */
    int first = s->loss == NNRT_LOSS_PERCEPTRON ? s->n_layers - 1 : 0;
    return (layer > first ? 3.0 : layer == first ? 2.0 : 1.0) * nng_flops_fwd_layer(s, layer);
}

double nng_flops_fwd(const nng_spec *s)
{
    double f = 0.0;
    for (int l = 0; l < s->n_layers; l++)
        f += nng_flops_fwd_layer(s, l);
    return f;
}

double nng_flops_train(const nng_spec *s)
{
    double f = 0.0;
    for (int l = 0; l < s->n_layers; l++)
        f += nng_flops_train_layer(s, l);
    return f;
}

/* ------------------------------------------------------------------ */
/* Signature                                                            */
/* ------------------------------------------------------------------ */

/* 64-bit FNV-1a over the canonical text of the shape (endian-independent):
 *   "nngen-shape-1 in=N dense=U:act ... loss=L"
 * where a layer whose activation has a parameter (leaky_relu's slope)
 * reads "dense=U:act:slope=V", V in %.9g (which tells floats apart): a
 * weights file trained with one slope does not load into a model with
 * another, and layers without a parameter hash as they always have. */
unsigned long long nng_signature(const nng_spec *s)
{
    char buf[128];
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int part = -1; part <= s->n_layers; part++) {
        if (part < 0) {
            snprintf(buf, sizeof buf, "nngen-shape-1 in=%d", s->n_in);
        } else if (part < s->n_layers) {
            const nng_layer *L = &s->layers[part];
            const nnrt_act_row *row = nnrt_act_of(L->act);
            int n = snprintf(buf, sizeof buf, " dense=%d:%s", L->units, nnrt_act_name(L->act));
            if (row && row->param && n > 0 && (size_t)n < sizeof buf)
                snprintf(buf + n, sizeof buf - (size_t)n, ":%s=%.9g", row->param,
                         (double)L->param);
        } else {
            snprintf(buf, sizeof buf, " loss=%s", nnrt_loss_name(s->loss));
        }
        for (const char *c = buf; *c; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ULL;
        }
    }
    return (unsigned long long)h;
}

/* The weights the spec writes, at their places in a parameter array of
 * nng_param_count_padded(s) floats (the other layers and the padding 0);
 * malloc'ed, NULL when out of memory. */
float *nng_literal_params(const nng_spec *s)
{
    size_t n = nng_param_count_padded(s);
    float *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return NULL;
    for (int l = 0; l < s->n_layers; l++) {
        const nng_layer *L = &s->layers[l];
        if (!L->w || !L->b)
            continue;
        size_t nw = (size_t)L->units * (size_t)nng_fan_in(s, l);
        memcpy(v + nng_param_offset_w(s, l), L->w, nw * sizeof *v);
        memcpy(v + nng_param_offset_b(s, l), L->b, (size_t)L->units * sizeof *v);
    }
    return v;
}
