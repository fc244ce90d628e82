/*
 * nnrt_train_internal.h -- what the files of the training driver share:
 * the parsed command line, the evaluation buffers, the progress state, and
 * each file's entry points.  Never installed.
 *
 *   nnrt_train.c    nnrt_main, the state, the loop, divergence replay, and
 *                   the trainer's one message routine (nnrt_train_msg)
 *   nnrt_flags.c    the flag table: parsing, --help, --info
 *   nnrt_report.c   the live line, evaluation lines, the --log CSV, the
 *                   summary and its JSON line
 *   nnrt_predict.c  --predict: the samples in, one line per sample out
 *   nnrt_threads.c  the threads: a step in chunks with a fixed reduction,
 *                   jobs of tasks for the evaluation, the pool
 *   nnrt_plot.c     --plot: curves as a standalone SVG
 *
 * Each file exports through its own prefix (nnrt_train_, nnrt_flags_,
 * nnrt_report_, nnrt_predict_, nnrt_threads_, nnrt_plot_); the types here are the
 * trainer's (tr_).
 */
#ifndef NNRT_TRAIN_INTERNAL_H
#define NNRT_TRAIN_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "nnrt.h"
#include "nnrt_file.h"

/* Exit statuses of nnrt_main. */
enum {
    TR_EXIT_OK = 0,
    TR_EXIT_DATA = 1,
    TR_EXIT_USAGE = 2,
    TR_EXIT_DIVERGED = 3,
    TR_EXIT_INTERRUPTED = 130
};

#define TR_EVAL_CHUNK 4096L /* rows of the evaluation buffer; per forward call predicting */
#define TR_GC_LIMIT 1e-2    /* --gradcheck: pass if the error is at most this */
#define TR_MAX_THREADS 256  /* --threads: at most this many */

/* The command line, parsed (nnrt_flags.c). */
typedef struct tr_opts {
    const char *train, *test, *train_labels, *test_labels, *x_name, *y_name;
    long label_col;
    nnrt_real scale;
    nnrt_train_cfg cfg; /* --lr ... --seed: the spec's defaults, or the flags */
    long eval_every;
    const char *save, *load, *resume, *predict, *out, *log;
    const char *plot;   /* --plot FILE.svg */
    const char *format; /* --format: a word of nnrt_flags_format, or NULL (by content) */
    const char *isa; /* --isa: the path to run (nnrt_model_select) */
    long threads;       /* --threads; 0 = every CPU the process may run on */
    long gradcheck, quiet, json, help, info, version;
    unsigned long long given; /* bit i: flag i of --help's list was given */
} tr_opts;

/* Loss and accuracy of the parameters on one data set. */
typedef struct tr_metrics {
    double loss; /* mean, as loss_grad defines it */
    double acc;  /* bce/cce: fraction right; mse: RMSE */
    long right, total;
} tr_metrics;

/* The threads (nnrt_threads.c). */
typedef struct tr_par tr_par;

/* What a forward pass over a data set needs. */
typedef struct tr_ctx {
    const nnrt_model *m;
    void *ws;    /* thread 0's workspace */
    tr_par *par; /* the threads */
    nnrt_real *ebuf; /* outputs: echunk x n_out */
    nnrt_real *ybuf; /* targets: same */
    long echunk;
} tr_ctx;

/* The progress of a training run, for the lines and files nnrt_report.c
 * writes. */
typedef struct tr_run {
    const nnrt_model *m;
    const tr_opts *o;
    int tty;        /* stderr is a terminal: live line */
    int live_shown; /* a live line is on screen */
    double t0, last_live;
    long step0, total, spe; /* first step, last step, steps per epoch */
    long mtrain;
    int threads;       /* the threads a step runs on */
    double samples;    /* trained since t0 */
    double train_secs; /* inside loss_grad + update */
    double run_loss;   /* batch losses since the last live refresh */
    long run_n;
    tr_metrics tr, te;
    int have_eval, have_test;
    nnrt_afile log; /* --log, while open (log.buf != NULL) */
    double t_steps;     /* when the steps began (after loading and the first evaluation) */
    double *plot;       /* --plot: step, train loss, acc, test loss, acc per evaluation */
    long plot_n, plot_cap;
    int plot_oom;       /* a point could not be kept */
} tr_run;

/* nnrt_train.c: one line on stderr, "PROG: message"; every message of the
 * trainer goes through it. */
void nnrt_train_msg(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The program's name, as messages show it. */
const char *nnrt_train_prog(void);

/* nnrt_flags.c */
/* 0, or TR_EXIT_USAGE on a bad command line (message printed). */
int nnrt_flags_parse(tr_opts *o, const nnrt_model *m, int argc, char **argv);
/* Was flag `name` ("--optimizer") on the command line? */
int nnrt_flags_given(const tr_opts *o, const char *name);
/* The loader's options for a data file, from --x-name, --scale, ... */
void nnrt_flags_load_opts(const tr_opts *o, const nnrt_model *m, const char *labels,
                          nnrt_load_opts *lo);
void nnrt_flags_help(const nnrt_model *m, FILE *out);
void nnrt_flags_info(const nnrt_model *m);
/* --version: nngen's version, the model's name and signature. */
void nnrt_flags_version(const nnrt_model *m);
/* The labels file the data file `data` implies when `labels` (its
 * --*-labels flag) is NULL: an IDX file's, derived from its name, into
 * buf; NULL if none. */
const char *nnrt_flags_implied_labels(const tr_opts *o, const char *data, const char *labels,
                                      char *buf, size_t cap);

/* nnrt_report.c */
/* --log: open the CSV and write its header; 0 or -1 (message printed). */
int nnrt_report_log_open(tr_run *r, const char *path);
/* --log: the file complete, renamed into place; 0 or -1 (message printed). */
int nnrt_report_log_close(tr_run *r);
void nnrt_report_log_row(tr_run *r, long step, double now);
void nnrt_report_live(tr_run *r, long step, double now);
void nnrt_report_clear(tr_run *r);
void nnrt_report_eval(tr_run *r, long step, double now);
/* The summary (and --json's line) for `status` "ok", "diverged", ... */
void nnrt_report_summary(FILE *out, tr_run *r, const char *status, long step, double wall);
/* --plot: the evaluations so far (nnrt_report_log_row keeps them) as an
 * SVG; 0 or -1 (message printed).  Frees the points. */
int nnrt_report_plot(tr_run *r, const char *path);
/* The live line's time left: "--" until the steps since t_steps have taken
 * TR_ETA_SECS or are TR_ETA_SHARE of the run, then "M:SS" or "H:MM:SS". */
void nnrt_report_eta(char *buf, size_t cap, long done, long left, long total, double secs);
#define TR_ETA_SECS 1.0
#define TR_ETA_SHARE 0.05

/* nnrt_plot.c: curves against x as an SVG.  pts holds n rows of `stride`
 * doubles, x in column 0; a panel draws up to TR_PLOT_CURVES columns.
 * Writes into f (the caller commits it). */
#define TR_PLOT_CURVES 2
typedef struct tr_plot_panel {
    const char *ylabel;
    int n_curves;
    struct {
        const char *label;
        size_t col;
    } curve[TR_PLOT_CURVES];
    int from_zero; /* the axis starts at 0 (a loss) */
    int upto_one;  /* the axis ends at 1 (an accuracy) */
} tr_plot_panel;
void nnrt_plot_svg(nnrt_afile *f, const char *title, const char *xlabel, const double *pts,
                   long n, size_t stride, const tr_plot_panel *panels, int n_panels);

/* nnrt_predict.c: --predict; 0 or an exit status (message printed). */
int nnrt_predict_run(const tr_opts *o, const tr_ctx *c, const nnrt_real *params);

/* nnrt_threads.c: training and evaluation on several threads with the
 * same bits as on one (docs/trainer.md, Threads). */
/* The CPUs this process may run on (sched_getaffinity), 1 to TR_MAX_THREADS. */
int nnrt_threads_available(void);
/* The chunks a loss_grad over n rows runs as: 1 (the plain call), or a
 * power of two, from the model's FLOPs and parameters and n alone. */
long nnrt_threads_chunks(const nnrt_model *m, long n);
/* The fewest rows that make more than one chunk (LONG_MAX: never). */
long nnrt_threads_split_rows(const nnrt_model *m);
/* Up to `threads` threads for model m; ws0 is the caller's workspace.  No
 * thread starts before a job worth it.  NULL when out of memory. */
tr_par *nnrt_threads_new(const nnrt_model *m, int threads, void *ws0);
/* The gradient buffers of steps of up to `rows` rows; 0 or -1 (memory). */
int nnrt_threads_reserve(tr_par *p, long rows);
void nnrt_threads_free(tr_par *p);
/* The threads a step of n rows runs on. */
int nnrt_threads_for(const tr_par *p, long n);
/* m->loss_grad over n rows in nnrt_threads_chunks(m, n) chunks, each
 * chunk's gradient into its own buffer (chunk 0's into grad); returns the
 * mean loss.  The sum of the buffers into grad, in a fixed order, is left
 * to nnrt_threads_update(..., chunked = 1), which must follow before grad
 * is read.  The rows are x/y (ix NULL), or rows ix[0..n) of x/y, gathered
 * chunk by chunk into xb/yb (n rows each). */
double nnrt_threads_loss_grad(tr_par *p, const nnrt_real *params, const nnrt_real *x, const nnrt_real *y,
                              const long *ix, long n, nnrt_real *xb, nnrt_real *yb, nnrt_real *grad);
/* A job: tasks 0..ntasks-1 of fn, each run once, on the threads when its
 * `flops` are worth it, else one after the other on the caller.  `thread`
 * (0 = the caller) names the workspace a task may use. */
/* The optimizer's step: m->update, or for a model of 32768 parameters or
 * more with threads, m->update_range over ranges of 16384 on the threads:
 * the same bits (each parameter's step is its own).  chunked: grad came
 * from nnrt_threads_loss_grad, whose chunks' sum each range takes first. */
void nnrt_threads_update(tr_par *p, nnrt_real *params, const nnrt_real *grad, nnrt_real *state,
                         const nnrt_optim *opt, long t, int chunked);
typedef void (*tr_task_fn)(void *arg, long task, int thread);
void nnrt_threads_run(tr_par *p, tr_task_fn fn, void *arg, long ntasks, double flops);
void *nnrt_threads_ws(const tr_par *p, int thread);
/* fn(arg) on a thread of its own, every signal blocked there (so SIGINT
 * and SIGTERM reach the caller), while the caller goes on: a handle for
 * nnrt_threads_join, or NULL when no thread could start (then fn has run
 * on the caller before this returns). */
typedef struct tr_bg tr_bg;
tr_bg *nnrt_threads_spawn(void (*fn)(void *), void *arg);
/* Wait for it to finish (NULL: nothing to wait for). */
void nnrt_threads_join(tr_bg *bg);

#endif /* NNRT_TRAIN_INTERNAL_H */
