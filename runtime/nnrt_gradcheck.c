/*
 * nnrt_gradcheck.c -- compare a model's backprop gradient with finite
 * differences of its loss (docs/trainer.md, "--gradcheck").
 *
 * For each checked parameter p, with the loss L0 at the given parameters
 * and L+ = L(p + s), L- = L(p - s) for the steps s = h and s = h/4:
 *     central  (L+ - L-) / (p_plus - p_minus)
 *     forward  (L+ - L0) / (p_plus - p)
 *     backward (L0 - L-) / (p - p_minus)
 * where p_plus and p_minus are the float values actually stored (so the
 * step is exact), and the losses are the doubles loss_grad returns (the
 * generated code accumulates them in double); differences are taken in
 * double.  The error of one estimate is
 *     |g - fd| / max(|g| + |fd|, floor)
 * and a parameter's error is the smallest over its six estimates: a ReLU
 * kink within s of p spoils the central difference (and the one-sided
 * difference on its side), but not all six, while a wrong gradient
 * disagrees with every one of them.  The function returns the largest
 * error over the checked parameters.  Parameters are chosen evenly over the
 * real parameters of all layers (W then b of layer 1, then layer 2, ...),
 * never padding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"

#define GC_SCALES 2 /* steps h and h/4 */

/* Real parameter number r (0 .. n_weights-1, layer by layer, W then b)
 * -> its index in the parameter array. */
static size_t gc_param_index(const nnrt_model *m, size_t r)
{
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        size_t nw = (size_t)L->units * (size_t)L->fan_in, nb = (size_t)L->units;
        if (r < nw)
            return L->w_offset + r;
        r -= nw;
        if (r < nb)
            return L->b_offset + r;
        r -= nb;
    }
    return 0; /* not reached for r < n_weights */
}

static size_t gc_real_params(const nnrt_model *m)
{
    size_t n = 0;
    for (int l = 0; l < m->n_layers; l++)
        n += (size_t)m->layers[l].units * ((size_t)m->layers[l].fan_in + 1);
    return n;
}

double nnrt_gradcheck(const nnrt_model *m, const nnrt_real *params, const nnrt_real *x, const nnrt_real *y,
                      long n, long max_params, double h, double floor, nnrt_err *e)
{
    if (m->loss == NNRT_LOSS_PERCEPTRON) {
        nnrt_errorf(e, "gradcheck: model '%s' learns by the perceptron rule (loss perceptron), "
                       "whose error signal is no derivative: there is no gradient to check",
                    m->name ? m->name : "?");
        return -1.0;
    }
    if (n <= 0) {
        nnrt_errorf(e, "gradcheck: no samples");
        return -1.0;
    }
    if (!(h > 0.0) || !(floor > 0.0)) {
        nnrt_errorf(e, "gradcheck: step h and floor must be positive");
        return -1.0;
    }
    size_t total = gc_real_params(m);
    if (total == 0 || max_params <= 0) {
        nnrt_errorf(e, "gradcheck: no parameters to check");
        return -1.0;
    }
    size_t k = (size_t)max_params < total ? (size_t)max_params : total;
    nnrt_real *p = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    nnrt_real *g = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    nnrt_real *scratch = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    void *ws = nnrt_alloc(m->ws_bytes);
    if (!p || !g || !scratch || !ws) {
        nnrt_free(p);
        nnrt_free(g);
        nnrt_free(scratch);
        nnrt_free(ws);
        nnrt_errorf(e, "gradcheck: out of memory");
        return -1.0;
    }
    memcpy(p, params, m->n_params * sizeof(nnrt_real));
    double worst = 0.0;
    double l0 = m->loss_grad(p, x, y, n, g, ws);
    if (!isfinite(l0)) {
        nnrt_errorf(e, "gradcheck: the loss is %s at these parameters", isnan(l0) ? "NaN" : "inf");
        worst = -1.0;
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        /* evenly spread: the middle of each of k equal slices */
        size_t r = (size_t)(((double)i + 0.5) * (double)total / (double)k);
        if (r >= total)
            r = total - 1;
        size_t j = gc_param_index(m, r);
        double gj = (double)g[j], err = HUGE_VAL;
        nnrt_real orig = p[j];
        for (int sc = 0; sc < GC_SCALES; sc++) {
            double hs = h / (double)(1 << (2 * sc)); /* h, h/4 */
            nnrt_real plus = (nnrt_real)((double)orig + hs);
            nnrt_real minus = (nnrt_real)((double)orig - hs);
            p[j] = plus;
            double lp = m->loss_grad(p, x, y, n, scratch, ws);
            p[j] = minus;
            double lm = m->loss_grad(p, x, y, n, scratch, ws);
            p[j] = orig;
            /* central, forward and backward differences */
            double fd[3] = {(lp - lm) / ((double)plus - (double)minus),
                            (lp - l0) / ((double)plus - (double)orig),
                            (l0 - lm) / ((double)orig - (double)minus)};
            for (int q = 0; q < 3; q++) {
                double den = fabs(gj) + fabs(fd[q]);
                if (den < floor)
                    den = floor;
                double eq = fabs(gj - fd[q]) / den;
                if (isnan(eq)) {
                    err = HUGE_VAL;
                    sc = GC_SCALES;
                    break;
                }
                if (eq < err)
                    err = eq;
            }
        }
        if (!(err <= worst)) /* NaN counts as the worst */
            worst = isnan(err) ? HUGE_VAL : err;
    }
done:
    nnrt_free(p);
    nnrt_free(g);
    nnrt_free(scratch);
    nnrt_free(ws);
    return worst;
}
