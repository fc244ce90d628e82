/*
 * nnrt_report.c -- what the trainer tells while and after it trains: the
 * live line on a terminal, one line per evaluation, the --log CSV, the
 * points of --plot (drawn by nnrt_plot.c), and the summary with its --json
 * line (formats: docs/trainer.md, Output).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The rate of the steps so far says little about the rest until they are
 * enough: before TR_ETA_SECS of them (or TR_ETA_SHARE of the run) the
 * first steps' warm-up and the clock's granularity dominate. */
void nnrt_report_eta(char *buf, size_t cap, long done, long left, long total, double secs)
{
    if (done <= 0 || !(secs >= 0.0) ||
        (secs < TR_ETA_SECS && (double)done < TR_ETA_SHARE * (double)total)) {
        snprintf(buf, cap, "--");
        return;
    }
    rp_fmt_eta(secs / (double)done * (double)left, buf, cap);
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
    /* from the first step on: the time of loading and of the first
     * evaluation says nothing of the steps' */
    double t = r->t_steps > 0.0 ? r->t_steps : r->t0;
    nnrt_report_eta(eta, sizeof eta, step - r->step0, r->total - step, r->total - r->step0,
                    now - t);
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
/* --log: one CSV row per evaluation (and --plot's points)              */
/* ------------------------------------------------------------------ */

#define RP_PLOT_COLS 5 /* step, train loss, train acc, test loss, test acc */

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

/* --plot: keeps the point of this evaluation (x is the step). */
static void rp_plot_point(tr_run *r, long step)
{
    if (r->plot_n == r->plot_cap) {
        long cap = r->plot_cap ? 2 * r->plot_cap : 64;
        double *p = realloc(r->plot, (size_t)cap * RP_PLOT_COLS * sizeof(double));
        if (!p) {
            r->plot_oom = 1;
            return;
        }
        r->plot = p;
        r->plot_cap = cap;
    }
    double *q = r->plot + (size_t)r->plot_n++ * RP_PLOT_COLS;
    q[0] = (double)step;
    q[1] = r->tr.loss;
    q[2] = r->tr.acc;
    q[3] = r->have_test ? r->te.loss : (double)NAN;
    q[4] = r->have_test ? r->te.acc : (double)NAN;
}

void nnrt_report_log_row(tr_run *r, long step, double now)
{
    nnrt_afile *f = &r->log;
    if (r->o->plot && !r->plot_oom)
        rp_plot_point(r, step);
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


/* ------------------------------------------------------------------ */
/* --plot                                                               */
/* ------------------------------------------------------------------ */

int nnrt_report_plot(tr_run *r, const char *path)
{
    const nnrt_model *m = r->m;
    nnrt_err e = {""};
    nnrt_afile f;
    int rc = 0;
    if (r->plot_oom) {
        nnrt_train_msg("%s: out of memory for the points of the plot", path);
        rc = -1;
    } else if (nnrt_afile_open(&f, path, &e) == 0) {
        /* x: epochs when the run counts them and an epoch is several steps */
        int by_epoch = r->o->cfg.epochs > 0 && r->spe > 1;
        for (long i = 0; by_epoch && i < r->plot_n; i++)
            r->plot[(size_t)i * RP_PLOT_COLS] /= (double)r->spe;
        int mse = m->loss == NNRT_LOSS_MSE;
        tr_plot_panel p[2] = {
            {mse ? "loss (mse)" : "loss", 1 + r->have_test,
             {{"train", 1}, {"test", 3}}, 1, 0},
            {mse ? "rmse" : "accuracy", 1 + r->have_test,
             {{"train", 2}, {"test", 4}}, mse, !mse},
        };
        char title[160];
        snprintf(title, sizeof title, "%s: %s%s against %s", m->name ? m->name : "model",
                 mse ? "loss and RMSE" : "loss and accuracy",
                 r->have_test ? ", train and test" : "", by_epoch ? "epoch" : "step");
        nnrt_plot_svg(&f, title, by_epoch ? "epoch" : "step", r->plot, r->plot_n, RP_PLOT_COLS,
                      p, 2);
        if (nnrt_afile_commit(&f, &e)) {
            nnrt_train_msg("%s", e.msg);
            rc = -1;
        }
    } else {
        nnrt_train_msg("%s", e.msg);
        rc = -1;
    }
    free(r->plot);
    r->plot = NULL;
    r->plot_n = r->plot_cap = 0;
    return rc;
}
