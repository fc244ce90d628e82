/*
 * nnrt_report.c -- what the trainer tells while and after it trains: the
 * live line on a terminal, one line per evaluation, the --log CSV, and the
 * summary with its --json line (formats: docs/trainer.md, Output).
 */
#include <stdio.h>
#include <string.h>

#include "nnrt_train_internal.h"
#include "nnrt_vocab.h"

/* ------------------------------------------------------------------ */
/* Progress lines                                                       */
/* ------------------------------------------------------------------ */

/* Epochs done after `step` updates: "12" on an epoch boundary, else "12.34". */
static void rp_fmt_epoch(long step, long spe, char *buf, size_t cap)
{
    if (step % spe == 0)
        snprintf(buf, cap, "%ld", step / spe);
    else
        snprintf(buf, cap, "%.2f", (double)step / (double)spe);
}

static void rp_fmt_eta(double s, char *buf, size_t cap)
{
    if (!(s >= 0.0) || s > 1e8) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

void nnrt_report_clear(tr_run *r)
{
    if (r->live_shown) {
        fputs("\r\033[K", stderr);
        r->live_shown = 0;
    }
}

void nnrt_report_live(tr_run *r, long step, double now)
{
    char eta[32];
    double done = (double)(step - r->step0);
    double el = now - r->t0;
    rp_fmt_eta(done > 0 ? el / done * (double)(r->total - step) : -1.0, eta, sizeof eta);
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char acc[48] = "";
    if (r->have_eval)
        snprintf(acc, sizeof acc, r->m->loss == NNRT_LOSS_MSE ? "  rmse %.4f" : "  acc %.4f",
                 r->tr.acc);
    fprintf(stderr, "\r\033[Kepoch %ld/%ld  step %ld/%ld  loss %.4f%s  %.0f samples/s  ETA %s",
            step / r->spe + (step % r->spe != 0), (r->total + r->spe - 1) / r->spe, step,
            r->total, r->run_n ? r->run_loss / (double)r->run_n : 0.0, acc, sps, eta);
    fflush(stderr);
    r->live_shown = 1;
    r->run_loss = 0.0;
    r->run_n = 0;
    r->last_live = now;
}

void nnrt_report_eval(tr_run *r, long step, double now)
{
    const char *an = r->m->loss == NNRT_LOSS_MSE ? "rmse" : "acc";
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char test[96] = "";
    if (r->have_test)
        snprintf(test, sizeof test, "  test loss %.4f %s %.4f", r->te.loss, an, r->te.acc);
    char ep[32];
    rp_fmt_epoch(step, r->spe, ep, sizeof ep);
    nnrt_report_clear(r);
    fprintf(stderr, "epoch %s  step %ld/%ld  train loss %.4f %s %.4f%s  %.0f samples/s  %.1f s\n",
            ep, step, r->total, r->tr.loss, an, r->tr.acc, test, sps, now - r->t0);
}

/* ------------------------------------------------------------------ */
/* --log: one CSV row per evaluation                                    */
/* ------------------------------------------------------------------ */

int nnrt_report_log_open(tr_run *r, const char *path)
{
    nnrt_err e = {""};
    if (nnrt_afile_open(&r->log, path, &e)) {
        nnrt_train_msg("%s", e.msg);
        return -1;
    }
    nnrt_afile_printf(&r->log, "step,epoch,train_loss,train_acc,test_loss,test_acc,seconds\n");
    return 0;
}

int nnrt_report_log_close(tr_run *r)
{
    nnrt_err e = {""};
    if (!r->log.buf)
        return 0;
    if (nnrt_afile_commit(&r->log, &e)) {
        nnrt_train_msg("%s", e.msg);
        return -1;
    }
    return 0;
}

void nnrt_report_log_row(tr_run *r, long step, double now)
{
    nnrt_afile *f = &r->log;
    if (!f->buf)
        return;
    int mse = r->m->loss == NNRT_LOSS_MSE;
    nnrt_afile_printf(f, "%ld,%.6g,%.*g,", step, (double)step / (double)r->spe, NNRT_REAL_DIG,
                      r->tr.loss);
    if (!mse)
        nnrt_afile_printf(f, "%.*g", NNRT_REAL_DIG, r->tr.acc);
    nnrt_afile_printf(f, ",");
    if (r->have_test) {
        nnrt_afile_printf(f, "%.*g,", NNRT_REAL_DIG, r->te.loss);
        if (!mse)
            nnrt_afile_printf(f, "%.*g", NNRT_REAL_DIG, r->te.acc);
    } else {
        nnrt_afile_printf(f, ",");
    }
    nnrt_afile_printf(f, ",%.3f\n", now - r->t0);
    nnrt_afile_flush(f);
}

/* ------------------------------------------------------------------ */
/* Summary                                                              */
/* ------------------------------------------------------------------ */

static void rp_metrics_line(FILE *out, const nnrt_model *m, const char *what,
                            const tr_metrics *t)
{
    if (m->loss == NNRT_LOSS_MSE)
        fprintf(out, "  %-5s  mse %.6g  rmse %.6g\n", what, t->loss, t->acc);
    else
        fprintf(out, "  %-5s  loss %.6f  accuracy %.4f (%ld/%ld)\n", what, t->loss, t->acc,
                t->right, t->total);
}

static void rp_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

void nnrt_report_summary(FILE *out, tr_run *r, const char *status, long step, double wall)
{
    const nnrt_model *m = r->m;
    const tr_opts *o = r->o;
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char batch[32];
    if (o->cfg.batch > 0)
        snprintf(batch, sizeof batch, "batch %ld", o->cfg.batch);
    else
        snprintf(batch, sizeof batch, "full batch");
    char ep[32];
    rp_fmt_epoch(step, r->spe, ep, sizeof ep);
    fprintf(out, "%s: %ld steps (%s epochs, %s, %s lr %g) in %.2f s, %.0f samples/s, %s (%s), "
                 "%d thread%s\n",
            m->name, step, ep, batch, nnrt_opt_name(o->cfg.optimizer), (double)o->cfg.lr, wall,
            sps, m->isa, nnrt_model_why(m), r->threads, r->threads == 1 ? "" : "s");
    if (r->have_eval) {
        rp_metrics_line(out, m, "train", &r->tr);
        if (r->have_test)
            rp_metrics_line(out, m, "test", &r->te);
    }
    if (o->json) {
        int mse = m->loss == NNRT_LOSS_MSE;
        fputs("{\"model\":", out);
        rp_json_str(out, m->name);
        fputs(",\"isa\":", out);
        rp_json_str(out, m->isa);
        fprintf(out, ",\"status\":\"%s\",\"steps\":%ld,\"epochs\":%.6g,\"seconds\":%.3f,"
                     "\"samples_per_s\":%.1f,\"train_seconds\":%.9g,\"threads\":%d",
                status, step, (double)step / (double)r->spe, wall, sps, r->train_secs, r->threads);
        if (r->have_eval) {
            fprintf(out, ",\"train_loss\":%.9g,\"train_%s\":%.9g", r->tr.loss,
                    mse ? "rmse" : "acc", r->tr.acc);
            if (r->have_test)
                fprintf(out, ",\"test_loss\":%.9g,\"test_%s\":%.9g", r->te.loss,
                        mse ? "rmse" : "acc", r->te.acc);
        }
        fputs("}\n", out);
    }
    fflush(out);
}

