/*
 * fused.c -- the fused per-sample step of a tiny network: for one ISA row,
 * <F>_train_samples(params, x, y, idx, n, lr, loss_sum) runs n updates of
 * per-sample SGD, sample idx[s] of x and y each, with the parameters in
 * local variables from the first sample to the last: forward, loss,
 * backward and update of one sample as straight-line code, no workspace,
 * no gradient array, no call but the activations' runtime routines
 * (docs/generated-code.md, "The fused step").
 *
 * Each update does, number for number, what loss_grad over that one row
 * and the sgd update of the same path do: the forward sums as the path's
 * forward kernel computes one row (an fma chain from b for the units its
 * vectors over the units hold, the plain loops' s += x w otherwise), the
 * same activation routine, the same loss code (emit.c's), dW and db as
 * 0 + d a and 0 + d (what the kernels add into the zeroed gradient), dA as
 * the plain dA_prev loops, the derivative from the same expression, and
 * p - lr g.  So the weights are the same to the last bit; tests/
 * test_fused.c holds every path to that.
 *
 * A path has the step when the model has at most FU_MAX_PARAMS real
 * parameters and no layer's kernels on the path run over fan_in in
 * vectors (whose horizontal sums the step does not repeat: on x86-64 a
 * fan_in of 8 or more, on NEON 4 or more); a double build and a model of
 * loss perceptron (whose rule trains the output layer alone) have none.
 */
#include <stdio.h>

#include "emit.h"

/* The largest model with a fused step: its weights and biases, each a
 * local variable, fit in the vector registers (32 on AVX-512 and NEON,
 * 16 on AVX2: the rest stay on the stack, as cheap as the workspace). */
#define FU_MAX_PARAMS 128

int fu_path_has(const emitter *e, const isa_row *I)
{
    const nng_spec *s = e->s;
    if (e->dbl || e->infer || s->loss == NNRT_LOSS_PERCEPTRON || s->n_weights > FU_MAX_PARAMS)
        return 0;
    for (int l = 0; l < s->n_layers; l++)
        if (kn_vector_fan_in(I, nng_fan_in(s, l)))
            return 0;
    return 1;
}

int fu_any(const emitter *e)
{
    for (int i = 0; i < ISA_N; i++)
        if ((e->isas & isa_table[i].bit) && fu_path_has(e, &isa_table[i]))
            return 1;
    return 0;
}

/* Input k of layer l: the sample's feature or the previous layer's output. */
static const char *fu_in(emitter *e, int l, long k)
{
    return l == 0 ? S(e, "xs[%ld]", k) : S(e, "a%d[%ld]", l, k);
}

/* The parameters of every layer into locals (load) or back (!load). */
static void fu_params(emitter *e, int load)
{
    const nng_spec *s = e->s;
    for (int l = 0; l < s->n_layers; l++) {
        long K = nng_fan_in(s, l), N = s->layers[l].units;
        for (long j = 0; j < N; j++) {
            for (long k = 0; k < K; k++) {
                const char *at = j * K + k ? S(e, "params[%s_W%d + %ld]", e->U, l + 1, j * K + k)
                                           : S(e, "params[%s_W%d]", e->U, l + 1);
                if (load)
                    tx_line(e, "%s w%d_%ld_%ld = %s;", e->real, l + 1, j, k, at);
                else
                    tx_line(e, "%s = w%d_%ld_%ld;", at, l + 1, j, k);
            }
        }
        for (long j = 0; j < N; j++) {
            const char *at = j ? S(e, "params[%s_B%d + %ld]", e->U, l + 1, j)
                               : S(e, "params[%s_B%d]", e->U, l + 1);
            if (load)
                tx_line(e, "%s b%d_%ld = %s;", e->real, l + 1, j, at);
            else
                tx_line(e, "%s = b%d_%ld;", at, l + 1, j);
        }
    }
}

/* d *= f'(a) over the n elements of arrays A and D, from the activation's
 * expression (the same operations as its dact kernel). */
static void fu_dact(emitter *e, int l, const char *A, const char *D, long n)
{
    const nng_layer *L = &e->s->layers[l];
    const nnrt_act_row *row = em_dact_of(e, l);
    if (!row)
        return;
    char stmt[128];
    snprintf(stmt, sizeof stmt, "d = %s", row->dact);
    const ex_loop body = {.arrays = "a d",
                          .loads = "a d",
                          .p = row->param ? tx_lit(e, (double)L->param) : NULL,
                          .stmts = {stmt, NULL}};
    tx_open(e, "{ /* %s *= g'(Z%d), %s */", D, l + 1, row->derivative);
    tx_line(e, "const %s *a = %s;", e->real, A);
    tx_line(e, "%s *d = %s;", e->real, D);
    tx_open(e, "for (long i = 0; i < %ld; i++) {", n);
    ex_body(e, &isa_table[ISA_SCALAR], &body);
    tx_close(e, "}");
    tx_close(e, "}");
}

/* Layer l's forward pass for the sample, into a<l+1>. */
static void fu_forward(emitter *e, const isa_row *I, int l)
{
    const nng_spec *s = e->s;
    long K = nng_fan_in(s, l), N = s->layers[l].units;
    long nf = kn_fma_units(I, K, N);
    em_layer_comment(e, l);
    if (nf == N)
        tx_line(e, "/*   z = b + a W^T, fma chains from b (%s_fwd_%ldx%ld's vectors over the units) */",
                e->F, K, N);
    else if (nf > 0)
        tx_line(e, "/*   z = b + a W^T: units 0..%ld fma chains from b (%s_fwd_%ldx%ld's vectors),",
                nf - 1, e->F, K, N);
    else
        tx_line(e, "/*   z = b + a W^T as %s_fwd_%ldx%ld's plain loops: b + (0 + a w + a w ...) */",
                e->F, K, N);
    if (nf > 0 && nf < N)
        tx_line(e, " *   the others as its plain loops */");
    tx_line(e, "%s a%d[%ld];", e->real, l + 1, N);
    for (long j = 0; j < N; j++) {
        if (j < nf) {
            tx_line(e, "a%d[%ld] = b%d_%ld;", l + 1, j, l + 1, j);
            for (long k = 0; k < K; k++)
                tx_line(e, "a%d[%ld] = fmaf(%s, w%d_%ld_%ld, a%d[%ld]);", l + 1, j, fu_in(e, l, k),
                        l + 1, j, k, l + 1, j);
            continue;
        }
        tx_open(e, "{");
        tx_line(e, "%s acc = %s;", e->real, tx_lit(e, 0));
        for (long k = 0; k < K; k++)
            tx_line(e, "acc += %s * w%d_%ld_%ld;", fu_in(e, l, k), l + 1, j, k);
        tx_line(e, "a%d[%ld] = b%d_%ld + acc;", l + 1, j, l + 1, j);
        tx_close(e, "}");
    }
    if (l == s->n_layers - 1 && e->ws.need_zl)
        tx_line(e, "memcpy(zl, a%d, sizeof zl);", l + 1);
    const char *call = em_act_call_at(e, I, l, S(e, "a%d", l + 1));
    if (call)
        tx_line(e, "%s", call);
}

/* Layer l's backward pass and update: dA of the layer below (with its
 * weights before the update), then W and b. */
static void fu_backward(emitter *e, int l)
{
    const nng_spec *s = e->s;
    long K = nng_fan_in(s, l), N = s->layers[l].units;
    em_layer_comment(e, l);
    if (l > 0) {
        tx_line(e, "/*   dA%d = dZ%d W%d (%s_dx_%ldx%ld's plain loops), with W%d before its update */",
                l, l + 1, l + 1, e->F, K, N, l + 1);
        tx_line(e, "%s d%d[%ld];", e->real, l, K);
        for (long k = 0; k < K; k++) {
            tx_line(e, "d%d[%ld] = %s + d%d[0] * w%d_0_%ld;", l, k, tx_lit(e, 0), l + 1, l + 1, k);
            for (long j = 1; j < N; j++)
                tx_line(e, "d%d[%ld] += d%d[%ld] * w%d_%ld_%ld;", l, k, l + 1, j, l + 1, j, k);
        }
        fu_dact(e, l - 1, S(e, "a%d", l), S(e, "d%d", l), K);
    }
    tx_line(e, "/*   W%d -= lr dW%d, b%d -= lr db%d: dW = 0 + dZ^T A%d and db = 0 + dZ, as loss_grad",
            l + 1, l + 1, l + 1, l + 1, l);
    tx_line(e, " *   adds them into its zeroed gradient */");
    for (long j = 0; j < N; j++) {
        for (long k = 0; k < K; k++)
            tx_line(e, "w%d_%ld_%ld = w%d_%ld_%ld - lr * (%s + d%d[%ld] * %s);", l + 1, j, k, l + 1,
                    j, k, tx_lit(e, 0), l + 1, j, fu_in(e, l, k));
        tx_line(e, "b%d_%ld = b%d_%ld - lr * (%s + d%d[%ld]);", l + 1, j, l + 1, j, tx_lit(e, 0),
                l + 1, j);
    }
}

void fu_step(emitter *e, const isa_row *I)
{
    const nng_spec *s = e->s;
    const char *R = e->real, *U = e->U;
    int last = s->n_layers - 1;
    tx_blank(e);
    if (!fu_path_has(e, I)) {
        if (s->n_weights <= FU_MAX_PARAMS)
            tx_line(e, "/* No fused step on this path: a layer's kernels run over fan_in in vectors. */");
        return;
    }
    tx_line(e, "/* The fused step (docs/generated-code.md): n updates of per-sample SGD, the");
    tx_line(e, " * sample idx[s] of x and y for update s, the parameters in locals meanwhile.");
    tx_line(e, " * Each update is loss_grad over that one row and %s_sgd, operation for", e->F);
    tx_line(e, " * operation, so the weights are the same to the last bit.  Returns the");
    tx_line(e, " * updates done: n, or s when the loss of sample idx[s] is NaN or inf (that");
    tx_line(e, " * sample is not applied); each update's loss is added to *loss_sum in turn. */");
    tx_line(e, "%s%slong %s_train_samples(%s *params, const %s *x, const %s *y, const long *idx,",
            e->tgt, e->exp, e->F, R, R, R);
    tx_cont(e, "long n, %s lr, double *loss_sum)", R);
    tx_open(e, "{");
    fu_params(e, 1);
    tx_line(e, "double sum = *loss_sum;");
    tx_line(e, "long s = 0;");
    tx_open(e, "for (; s < n; s++) {");
    tx_line(e, "const %s *xs = x + idx[s] * %s_N_IN, *yc = y + idx[s] * %s_N_OUT;", R, U, U);
    tx_line(e, "const long rows = 1, m = 1; /* as loss_grad(m = 1) says them */");
    if (e->ws.need_zl)
        tx_line(e, "%s zl[%s_N_OUT]; /* the output layer's logits, for the loss */", R, U);
    for (int l = 0; l <= last; l++)
        fu_forward(e, I, l);
    tx_line(e, "/* the loss and dZ%d (dA%d for mse) */", last + 1, last + 1);
    tx_line(e, "double loss = 0.0;");
    tx_line(e, "%s d%d[%s_N_OUT];", R, last + 1, U);
    tx_open(e, "{");
    tx_line(e, "const %s *a = a%d;", R, last + 1);
    tx_line(e, "%s *d = d%d;", R, last + 1);
    em_loss_rows(e, "zl");
    tx_close(e, "}");
    tx_line(e, "loss = loss / %s;", e->loss_denom);
    tx_open(e, "if (!isfinite(loss)) {");
    tx_line(e, "break;");
    tx_close(e, "}");
    tx_line(e, "sum += loss;");
    fu_dact(e, last, S(e, "a%d", last + 1), S(e, "d%d", last + 1), s->layers[last].units);
    for (int l = last; l >= 0; l--)
        fu_backward(e, l);
    tx_close(e, "}");
    fu_params(e, 0);
    tx_line(e, "*loss_sum = sum;");
    tx_line(e, "return s;");
    tx_close(e, "}");
}
