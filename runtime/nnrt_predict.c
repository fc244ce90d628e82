/*
 * nnrt_predict.c -- --predict: read the samples of a data file (labels
 * optional) and write one line per sample, the model's outputs and its
 * decision (docs/trainer.md, Predict).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt_train_internal.h"

/* Samples to predict: labels optional.  A CSV of exactly n_in columns is
 * all features, whatever the model's shape (unless --label-col says where
 * its label is). */
static int pr_load_inputs(const tr_opts *o, const nnrt_model *m, nnrt_dataset *d)
{
    nnrt_load_opts lo;
    nnrt_err e = {""};
    nnrt_flags_load_opts(o, m, NULL, &lo);
    lo.features = m->n_in;
    if (nnrt_load(o->predict, &lo, d, &e)) {
        nnrt_train_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    if (d->m <= 0) {
        nnrt_train_msg("%s: no samples", o->predict);
        nnrt_dataset_free(d);
        return TR_EXIT_DATA;
    }
    if (d->n_features != m->n_in) {
        nnrt_train_msg("%s: %d features per sample, but model '%s' takes %d", o->predict,
                       d->n_features, m->name, m->n_in);
        nnrt_dataset_free(d);
        return TR_EXIT_DATA;
    }
    size_t n = (size_t)d->m * (size_t)d->n_features;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d->x[i])) {
            nnrt_train_msg("%s: sample %zu, feature %zu is %s", o->predict,
                           i / (size_t)d->n_features, i % (size_t)d->n_features,
                           isnan(d->x[i]) ? "NaN" : "inf");
            nnrt_dataset_free(d);
            return TR_EXIT_DATA;
        }
    return 0;
}


int nnrt_predict_run(const tr_opts *o, const tr_ctx *c, const nnrt_real *params)
{
    const nnrt_model *m = c->m;
    nnrt_dataset d;
    int rc = pr_load_inputs(o, m, &d);
    if (rc)
        return rc;
    /* --out FILE (atomically, or in place when it is no regular file), else
     * stdout */
    nnrt_afile f;
    nnrt_err e = {""};
    if (nnrt_afile_open(&f, o->out ? o->out : "-", &e)) {
        nnrt_train_msg("%s", e.msg);
        nnrt_dataset_free(&d);
        return TR_EXIT_DATA;
    }
    fflush(stdout);
    long no = m->n_out;
    for (long i0 = 0; i0 < d.m; i0 += c->echunk) {
        long rows = d.m - i0 < c->echunk ? d.m - i0 : c->echunk;
        m->forward(params, d.x + (size_t)i0 * (size_t)d.n_features, rows, c->ebuf, c->ws);
        for (long i = 0; i < rows; i++) {
            const nnrt_real *p = c->ebuf + i * no;
            for (long j = 0; j < no; j++)
                nnrt_afile_printf(&f, "%s%.*g", j ? "," : "", NNRT_REAL_DIG, (double)p[j]); /* round-trips a real */
            if (m->loss == NNRT_LOSS_CCE) {
                long best = 0;
                for (long j = 1; j < no; j++)
                    if (p[j] > p[best])
                        best = j;
                nnrt_afile_printf(&f, ",%ld", best);
            } else if (m->loss == NNRT_LOSS_BCE) {
                for (long j = 0; j < no; j++)
                    nnrt_afile_printf(&f, ",%d", p[j] >= (nnrt_real)0.5);
            }
            nnrt_afile_write(&f, "\n", 1);
        }
    }
    nnrt_dataset_free(&d);
    if (nnrt_afile_commit(&f, &e)) {
        nnrt_train_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    return 0;
}

