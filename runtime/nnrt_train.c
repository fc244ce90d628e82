/*
 * nnrt_train.c -- nnrt_main, the command-line program every generated
 * model becomes, and its training: the state, the loop of steps,
 * divergence replay, evaluation, save/load/resume, gradcheck, and the
 * trainer's one message routine.  The other files of the trainer
 * (nnrt_train_internal.h): the flags (nnrt_flags.c), what is printed and
 * logged (nnrt_report.c), --predict (nnrt_predict.c).
 * The user's guide is docs/trainer.md; `PROG --help` lists every flag.
 *
 * Flow:  parse flags -> load weights (--load/--resume) or initialise ->
 *        load data -> train (full batch straight from the data set, or
 *        shuffled mini-batches gathered into one batch buffer) with
 *        evaluations every --eval-every -> summary -> --save -> --predict.
 *
 * Exit status: 0 ok, 1 data or file error (and a failed --gradcheck),
 * 2 usage error, 3 training diverged, 130 interrupted (SIGINT/SIGTERM).
 *
 * Memory: the data sets' one float copy each, the training targets (built
 * once), a batch buffer (mini-batches of 2 or more), parameters and
 * optimizer state twice (the last checked copy, for divergence), gradient,
 * the model's workspace and an evaluation buffer of at most TR_EVAL_CHUNK
 * rows; with threads, a gradient per chunk and a workspace per thread.
 *
 * Threads (nnrt_threads.c): a step big enough runs loss_grad in chunks on
 * the threads, an evaluation its blocks of rows; the partition and the
 * order of the sums never depend on the number of threads, so neither do
 * the weights.
 *
 * Per step the loop does no more than it must: the batch is a pointer into
 * the data set (full batch, batch 1) or rows gathered from it, the clock is
 * read once per chunk of steps (TR_CHUNK_SECS), and the parameters are
 * checked for NaN/inf only every so often (tr_train explains why that
 * reports exactly what a check after every step would).
 *
 * Determinism: the initial weights come from nnrt_init_params(seed), and
 * the order of epoch e from a generator seeded by (seed, e) alone, so the
 * same flags give the same weights bit for bit, and a run resumed from a
 * checkpoint continues exactly as the uninterrupted run would have.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nnrt_train_internal.h"
#include "nnrt_vocab.h"

#define TR_GC_SAMPLES 16L        /* --gradcheck: the first this many samples */
#define TR_GC_PARAMS 200L        /* --gradcheck: at most this many parameters */
#define TR_GC_H 1e-3             /* --gradcheck: finite-difference step */
#define TR_GC_FLOOR 1e-2         /* --gradcheck: denominator floor */
#define TR_LIVE_PERIOD 0.1       /* seconds between live-line refreshes */
#define TR_CHUNK_SECS 0.01       /* seconds of steps between clock readings */
#define TR_CHECK_SHARE 0.01      /* at most this share of training time checks parameters */

#if defined(__GNUC__)
#define TR_NOINLINE __attribute__((noinline))
#else
#define TR_NOINLINE
#endif

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

static const char *tr_prog = "nnrt";

void nnrt_train_msg(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", tr_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *nnrt_train_prog(void)
{
    return tr_prog;
}

static const char *tr_basename(const char *p)
{
    if (!p || !*p)
        return "nnrt";
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

/* ------------------------------------------------------------------ */
/* Time, signals                                                        */
/* ------------------------------------------------------------------ */

static double tr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile sig_atomic_t tr_stop;

/* While training: the first SIGINT/SIGTERM stops the run at the next step
 * (the weights are then evaluated and saved); a second one ends it at
 * once, as the default action would, removing the temporary of --log. */
static void tr_on_signal(int sig)
{
    if (tr_stop)
        nnrt_afile_on_signal(sig);
    else
        tr_stop = sig;
}

/* The signals nnrt_main handles: outside the training loop each removes
 * the temporaries of outputs being written (nnrt_afile_on_signal) and
 * ends the run; the old actions come back when nnrt_main returns. */
static const int tr_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define TR_NSIGS (sizeof tr_sigs / sizeof tr_sigs[0])

/* Installs fn for the first n of tr_sigs, keeping the old actions in old
 * (if not NULL). */
static void tr_catch(void (*fn)(int), size_t n, struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < n; i++)
        sigaction(tr_sigs[i], &sa, old ? &old[i] : NULL);
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */
/* ------------------------------------------------------------------ */

/* A labelled data set to load and check: what and where, and how it went
 * (rc 0, or TR_EXIT_DATA with the one line in e). */
typedef struct tr_set_load {
    const tr_opts *o;
    const nnrt_model *m;
    const char *path, *labels;
    nnrt_dataset *d;
    int threads; /* the loader may use this many (nnrt_load_opts.threads) */
    int rc;
    nnrt_err e;
} tr_set_load;

static void tr_load_job(void *arg)
{
    tr_set_load *j = arg;
    nnrt_load_opts lo;
    nnrt_flags_load_opts(j->o, j->m, j->labels, &lo);
    lo.threads = j->threads;
    j->e.msg[0] = '\0';
    j->rc = 0;
    if (nnrt_load(j->path, &lo, j->d, &j->e) || nnrt_dataset_check(j->d, j->m, &j->e)) {
        nnrt_dataset_free(j->d);
        j->rc = TR_EXIT_DATA;
    }
}

/* Load and check a labelled data set; 0 or TR_EXIT_DATA (message printed). */
static int tr_load_set(const tr_opts *o, const nnrt_model *m, const char *path,
                       const char *labels, nnrt_dataset *d)
{
    tr_set_load j = {o, m, path, labels, d, 1, 0, {""}};
    tr_load_job(&j);
    if (j.rc)
        nnrt_train_msg("%s", j.e.msg);
    return j.rc;
}

/* Does the file start as an HDF5 file does?  libhdf5 (nnrt_hdf5.c) is
 * not thread-safe: two such files are never loaded at once. */
static int tr_maybe_hdf5(const char *path)
{
    static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    return n == sizeof b && memcmp(b, magic, sizeof b) == 0;
}

/* The training set, and the test set (if any) on a thread of its own
 * meanwhile when the run has two threads or more and neither is HDF5;
 * with two threads or more the IDX loader also turns bytes into floats
 * beside zlib's inflating (nnrt_load_opts.threads).  Loading is otherwise
 * one core's work (Fashion-MNIST: 0.3 s, the test set a sixth of it).  The
 * messages are those of loading one after the other: the training set's
 * failure, else the test set's.  0 or TR_EXIT_DATA. */
static int tr_load_sets(const tr_opts *o, const nnrt_model *m, int threads, nnrt_dataset *train,
                        nnrt_dataset *test)
{
    tr_set_load t = {o, m, o->test, o->test_labels, test, threads, 0, {""}};
    tr_set_load r = {o, m, o->train, o->train_labels, train, threads, 0, {""}};
    int beside = o->test && threads > 1 && !tr_maybe_hdf5(o->train) && !tr_maybe_hdf5(o->test);
    tr_bg *bg = beside ? nnrt_threads_spawn(tr_load_job, &t) : NULL;
    tr_load_job(&r);
    nnrt_threads_join(bg);
    if (r.rc)
        nnrt_train_msg("%s", r.e.msg);
    else if (o->test && !beside)
        tr_load_job(&t);
    if (r.rc == 0 && t.rc)
        nnrt_train_msg("%s", t.e.msg);
    return r.rc ? r.rc : t.rc; /* tr_free frees both sets */
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */
/* ------------------------------------------------------------------ */

/* Rows per task of an evaluation: a multiple of the generated code's
 * rows per chunk (CH: 32 to 128), so every row is computed as by one
 * forward call over the whole chunk of the data set. */
#define TR_EVAL_BLOCK 512L

/* The tasks of one chunk of a data set (rows i0 .. i0+rows), each a block
 * of TR_EVAL_BLOCK rows with its own loss sum and count of right answers,
 * added up in block order afterwards: the same sums on any thread count. */
typedef struct tr_eval_job {
    const tr_ctx *c;
    const nnrt_dataset *d;
    const nnrt_real *params;
    long i0, rows;
    double sum[TR_EVAL_CHUNK / TR_EVAL_BLOCK];
    long right[TR_EVAL_CHUNK / TR_EVAL_BLOCK];
} tr_eval_job;

static void tr_eval_block(void *arg, long b, int thread)
{
    tr_eval_job *j = arg;
    const tr_ctx *c = j->c;
    const nnrt_model *m = c->m;
    long no = m->n_out, r0 = b * TR_EVAL_BLOCK;
    long rows = j->rows - r0 < TR_EVAL_BLOCK ? j->rows - r0 : TR_EVAL_BLOCK;
    nnrt_dataset view = *j->d;
    view.x = j->d->x + (size_t)(j->i0 + r0) * (size_t)j->d->n_features;
    view.y = j->d->y + (size_t)(j->i0 + r0) * (size_t)j->d->label_cols;
    view.m = rows;
    nnrt_real *p = c->ebuf + (size_t)r0 * (size_t)no, *y = c->ybuf + (size_t)r0 * (size_t)no;
    m->forward(j->params, view.x, rows, p, nnrt_threads_ws(c->par, thread));
    nnrt_make_targets(&view, m, NULL, rows, y);
    double sum = 0.0;
    long right = 0;
    switch (m->loss) {
    case NNRT_LOSS_BCE:
        sum = nnrt_bce_sum(p, y, rows * no);
        for (long k = 0; k < rows * no; k++)
            right += (p[k] >= (nnrt_real)0.5) == (y[k] >= (nnrt_real)0.5);
        break;
    case NNRT_LOSS_PERCEPTRON: /* step outputs: the loss counts the wrong ones */
        for (long k = 0; k < rows * no; k++) {
            sum += fabs((double)p[k] - (double)y[k]);
            right += (p[k] >= (nnrt_real)0.5) == (y[k] >= (nnrt_real)0.5);
        }
        break;
    case NNRT_LOSS_CCE:
        sum = nnrt_cce_sum(p, y, rows, no);
        for (long i = 0; i < rows; i++) {
            long best = 0;
            for (long k = 1; k < no; k++)
                if (p[i * no + k] > p[i * no + best])
                    best = k;
            right += y[i * no + best] >= (nnrt_real)0.5;
        }
        break;
    default:
        sum = nnrt_mse_sum(p, y, rows * no);
        break;
    }
    j->sum[b] = sum;
    j->right[b] = right;
}

static void tr_eval(const tr_ctx *c, const nnrt_dataset *d, const nnrt_real *params, tr_metrics *r)
{
    const nnrt_model *m = c->m;
    double sum = 0.0;
    long right = 0;
    tr_eval_job j = {c, d, params, 0, 0, {0.0}, {0}};
    for (long i0 = 0; i0 < d->m; i0 += c->echunk) {
        j.i0 = i0;
        j.rows = d->m - i0 < c->echunk ? d->m - i0 : c->echunk;
        long nb = (j.rows + TR_EVAL_BLOCK - 1) / TR_EVAL_BLOCK;
        nnrt_threads_run(c->par, tr_eval_block, &j, nb, (double)j.rows * m->flops_fwd);
        for (long b = 0; b < nb; b++) {
            sum += j.sum[b];
            right += j.right[b];
        }
    }
    r->right = right;
    r->total = m->loss == NNRT_LOSS_CCE ? d->m : d->m * (long)m->n_out;
    if (m->loss == NNRT_LOSS_MSE) {
        r->loss = sum / (double)r->total;
        r->acc = sqrt(r->loss);
    } else {
        r->loss = sum / (double)d->m;
        r->acc = (double)right / (double)r->total;
    }
}

/* ------------------------------------------------------------------ */
/* The driver                                                           */
/* ------------------------------------------------------------------ */

typedef struct tr_state {
    nnrt_real *params, *grad, *state;
    size_t state_floats;
    nnrt_real *good, *good_state; /* the last checked parameters and optimizer state */
    long good_step;           /* ... and their step */
    nnrt_real *xb, *yb;           /* batch buffers (batch >= 2) */
    nnrt_real *ytrain;            /* target rows of the training set, m x n_out */
    long *idx;
    nnrt_dataset train, test;
    tr_ctx c;
    long step;               /* updates done */
} tr_state;

static void tr_free(tr_state *s)
{
    nnrt_threads_free(s->c.par); /* stops its threads first */
    nnrt_free(s->params);
    nnrt_free(s->good);
    nnrt_free(s->good_state);
    nnrt_free(s->grad);
    nnrt_free(s->state);
    nnrt_free(s->xb);
    nnrt_free(s->yb);
    nnrt_free(s->ytrain);
    nnrt_free(s->idx);
    nnrt_free(s->c.ws);
    nnrt_free(s->c.ebuf);
    nnrt_free(s->c.ybuf);
    nnrt_dataset_free(&s->train);
    nnrt_dataset_free(&s->test);
}

/* 1 if no float of p[0..n) is NaN or inf.  On the bits: NaN and inf are
 * the floats whose magnitude bits are 0x7f800000 or more, and adding
 * 0x00800000 to those (and only those) sets bit 31.  Integer and, add and
 * or vectorise on any x86-64 or Arm; a float sum could not be reordered. */
static int tr_all_finite(const nnrt_real *p, size_t n)
{
#if NNRT_REAL_IS_DOUBLE /* the same on a double's bits */
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, p + i, sizeof u);
        acc |= (u & 0x7fffffffffffffffu) + 0x0010000000000000u;
    }
    return (acc >> 63) == 0;
#else
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, p + i, sizeof u);
        acc |= (u & 0x7fffffffu) + 0x00800000u;
    }
    return (acc & 0x80000000u) == 0;
#endif
}

/* The order of epoch e: a permutation from (seed, e) alone.  Once an
 * epoch, so kept out of the loop of steps. */
static TR_NOINLINE void tr_epoch_order(long *idx, long n, uint64_t seed, long epoch)
{
    nnrt_rng g;
    nnrt_rng_seed(&g, seed ^ (0x9E3779B97F4A7C15ull * ((uint64_t)epoch + 1u)) ^
                          0x53485546464C45ull);
    for (long i = 0; i < n; i++)
        idx[i] = i;
    nnrt_rng_shuffle(&g, idx, n);
}

static int tr_save(const tr_opts *o, const nnrt_model *m, const nnrt_real *params, long step,
                   long spe, const nnrt_real *state, size_t sf)
{
    nnrt_checkpoint ck = {step, step / spe, o->cfg.optimizer, state,
                          state ? sf : 0};
    nnrt_err e = {""};
    if (nnrt_weights_save(o->save, m, params, &ck, &e)) {
        nnrt_train_msg("%s", e.msg);
        return -1;
    }
    return 0;
}

static int tr_oom(const char *what)
{
    nnrt_train_msg("out of memory (%s)", what);
    return TR_EXIT_DATA;
}

/* A weights file may hold NaN or inf (nnrt_weights_load keeps every bit);
 * the trainer never saves such parameters, and none can be trained or used,
 * so name the first one and its layer.  Returns 0 if all are finite. */
static int tr_check_finite(const char *path, const nnrt_model *m, const nnrt_real *p)
{
    for (size_t i = 0; i < m->n_params; i++) {
        if (isfinite(p[i]))
            continue;
        int l = 0;
        while (l + 1 < m->n_layers && m->layers[l + 1].w_offset <= i)
            l++;
        const nnrt_layer_info *L = &m->layers[l];
        int in_b = i >= L->b_offset;
        size_t k = i - (in_b ? L->b_offset : L->w_offset);
        char where[64];
        if (k >= (in_b ? (size_t)L->units : (size_t)L->units * (size_t)L->fan_in))
            snprintf(where, sizeof where, "padding after %s", in_b ? "b" : "W");
        else if (in_b)
            snprintf(where, sizeof where, "b[%zu]", k);
        else
            snprintf(where, sizeof where, "W[%zu][%zu]", k / (size_t)L->fan_in,
                     k % (size_t)L->fan_in);
        nnrt_train_msg("%s: parameter %zu (layer %d %s) is %s; these weights cannot be used",
                       path, i, l + 1, where, isnan(p[i]) ? "NaN" : "infinite");
        return TR_EXIT_DATA;
    }
    return 0;
}

/* Load --load / --resume into s->params (and state, step). */
static int tr_load_weights(tr_opts *o, const nnrt_model *m, tr_state *s)
{
    const char *path = o->load ? o->load : o->resume;
    nnrt_err e = {""};
    nnrt_checkpoint ck;
    /* the weights first; the file's state is copied only if its size is
     * what the optimizer keeps: read again below, when resuming */
    if (nnrt_weights_load(path, m, s->params, NULL, 0, &ck, &e)) {
        nnrt_train_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    if (tr_check_finite(path, m, s->params))
        return TR_EXIT_DATA;
    if (o->load)
        return 0;
    nnrt_real *st = nnrt_alloc(2 * m->n_params * sizeof(nnrt_real));
    if (!st)
        return tr_oom("optimizer state");
    if (!nnrt_flags_given(o, "--optimizer"))
        o->cfg.optimizer = ck.optimizer;
    size_t want = nnrt_state_floats(m, o->cfg.optimizer);
    if (ck.optimizer != o->cfg.optimizer) {
        nnrt_train_msg("%s: was trained with %s, not %s (leave out --optimizer to continue "
                       "with %s)", path, nnrt_opt_name(ck.optimizer),
                       nnrt_opt_name(o->cfg.optimizer), nnrt_opt_name(ck.optimizer));
        nnrt_free(st);
        return TR_EXIT_DATA;
    }
    if (want > 0) {
        if (nnrt_weights_load(path, m, s->params, st, want, &ck, &e)) {
            nnrt_free(st);
            nnrt_train_msg("%s", e.msg);
            return TR_EXIT_DATA;
        }
        if (!ck.state) {
            nnrt_train_msg("%s: holds no %s state to resume (use --load to start from its weights)",
                           path, nnrt_opt_name(o->cfg.optimizer));
            nnrt_free(st);
            return TR_EXIT_DATA;
        }
        memcpy(s->state, st, want * sizeof(nnrt_real));
    }
    nnrt_free(st);
    s->step = ck.step;
    return 0;
}

static int tr_alloc_core(const nnrt_model *m, tr_state *s, long echunk, int threads)
{
    s->params = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    s->grad = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    s->good = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    s->state = nnrt_alloc(2 * m->n_params * sizeof(nnrt_real));
    s->c.m = m;
    s->c.ws = nnrt_alloc(m->ws_bytes);
    s->c.echunk = echunk;
    s->c.ebuf = nnrt_alloc((size_t)echunk * (size_t)m->n_out * sizeof(nnrt_real));
    s->c.ybuf = nnrt_alloc((size_t)echunk * (size_t)m->n_out * sizeof(nnrt_real));
    if (!s->params || !s->grad || !s->good || !s->state || !s->c.ws || !s->c.ebuf || !s->c.ybuf)
        return tr_oom("parameters and workspace");
    s->c.par = nnrt_threads_new(m, threads, s->c.ws);
    if (!s->c.par)
        return tr_oom("threads");
    return 0;
}

static int tr_gradcheck(const tr_opts *o, const nnrt_model *m, tr_state *s)
{
    long n = s->train.m < TR_GC_SAMPLES ? s->train.m : TR_GC_SAMPLES;
    nnrt_real *y = nnrt_alloc((size_t)n * (size_t)m->n_out * sizeof(nnrt_real));
    if (!y)
        return tr_oom("gradcheck targets");
    nnrt_make_targets(&s->train, m, NULL, n, y);
    nnrt_err e = {""};
    double err = nnrt_gradcheck(m, s->params, s->train.x, y, n, TR_GC_PARAMS, TR_GC_H,
                                TR_GC_FLOOR, &e);
    nnrt_free(y);
    if (err < 0.0) {
        nnrt_train_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    size_t k = m->n_weights < (size_t)TR_GC_PARAMS ? m->n_weights : (size_t)TR_GC_PARAMS;
    int ok = err <= TR_GC_LIMIT;
    printf("gradcheck: %zu of %zu parameters on %ld samples of %s: largest relative error "
           "%.3e (limit %.0e): %s\n",
           k, m->n_weights, n, o->train, err, TR_GC_LIMIT, ok ? "ok" : "FAILED");
    fflush(stdout);
    return ok ? 0 : TR_EXIT_DATA;
}

/* Set up the training run; 0 or an exit status. */
static int tr_prepare(tr_opts *o, const nnrt_model *m, tr_state *s, long *spe, long *total)
{
    long mt = s->train.m;
    if (o->cfg.batch > mt) {
        if (nnrt_flags_given(o, "--batch"))
            nnrt_train_msg("--batch %ld is larger than the training set (%ld samples)",
                           o->cfg.batch, mt);
        else
            nnrt_train_msg("batch=%ld (from the spec) is larger than the training set (%ld "
                           "samples); give --batch", o->cfg.batch, mt);
        return TR_EXIT_USAGE;
    }
    long B = o->cfg.batch > 0 ? o->cfg.batch : mt;
    *spe = (mt + B - 1) / B;
    if (o->cfg.iterations > 0) {
        *total = o->cfg.iterations;
    } else {
        if (o->cfg.epochs > LONG_MAX / *spe) {
            nnrt_train_msg("--epochs %ld: too many steps", o->cfg.epochs);
            return TR_EXIT_USAGE;
        }
        *total = o->cfg.epochs * *spe;
    }
    size_t ni = (size_t)m->n_in, no = (size_t)m->n_out;
    if (o->cfg.batch > 0) {
        s->idx = nnrt_alloc((size_t)mt * sizeof(long));
        if (!s->idx)
            return tr_oom("batch buffers");
    }
    if (o->cfg.batch > 1) {
        s->xb = nnrt_alloc((size_t)B * ni * sizeof(nnrt_real));
        s->yb = nnrt_alloc((size_t)B * no * sizeof(nnrt_real));
        if (!s->xb || !s->yb)
            return tr_oom("batch buffers");
    }
    s->ytrain = nnrt_alloc((size_t)mt * no * sizeof(nnrt_real));
    if (!s->ytrain)
        return tr_oom("targets");
    if (nnrt_threads_reserve(s->c.par, B))
        return tr_oom("gradients of the chunks");
    nnrt_make_targets(&s->train, m, NULL, mt, s->ytrain);
    size_t sf = nnrt_state_floats(m, o->cfg.optimizer);
    s->good_state = nnrt_alloc((sf > 0 ? sf : 1) * sizeof(nnrt_real));
    if (!s->good_state)
        return tr_oom("optimizer state");
    if (o->eval_every <= 0) {
        long units = o->cfg.iterations > 0 ? *total : o->cfg.epochs;
        o->eval_every = units / 20 > 0 ? units / 20 : 1;
        /* nothing would show an evaluation before the last: skip them
         * (a Fashion-MNIST evaluation is ~0.4 s, 40% of an epoch's steps) */
        if (o->quiet && !o->log && !o->plot)
            o->eval_every = LONG_MAX;
    }
    return 0;
}

static void tr_evaluate(tr_run *r, tr_state *s, const nnrt_real *params)
{
    tr_eval(&s->c, &s->train, params, &r->tr);
    if (r->have_test)
        tr_eval(&s->c, &s->test, params, &r->te);
    r->have_eval = 1;
}

/* The first evaluation point after `step` (updates done): the next multiple
 * of --eval-every steps (--iterations) or epochs (--epochs), or the last
 * step. */
static long tr_next_eval(const tr_opts *o, long step, long spe, long total)
{
    long every = o->eval_every;
    if (o->cfg.iterations <= 0) {
        if (every > total / spe)
            return total;
        every *= spe;
    }
    long q = step / every + 1;
    return q > total / every ? total : q * every;
}

/* ------------------------------------------------------------------ */
/* The steps                                                            */
/* ------------------------------------------------------------------ */

/* What the steps need, and where they are. */
typedef struct tr_loop {
    const nnrt_model *m;
    tr_state *s;
    nnrt_optim opt;
    long mt, B, spe;  /* training samples, batch size, steps per epoch */
    int shuffled;     /* batches in the order of each epoch (not full batch) */
    uint64_t seed;
    size_t ni, no, np, sf; /* floats: sample, target row, parameters, optimizer state */
    long epoch, k;    /* of the next step: its epoch, and steps done in that epoch */
    long order;       /* the epoch whose order s->idx holds; -1 none */
    long split;       /* batches of this many rows or more run in chunks (nnrt_threads.c) */
    nnrt_train_samples_fn fused; /* the model's fused step, when this run uses it (tr_fused) */
    double loss_sum;  /* the batch losses of the steps run since the caller took them */
    long loss_n, samples;
    double bad_loss;  /* the NaN or inf loss that stopped the steps */
} tr_loop;

/* How tr_steps ended. */
enum { TR_RAN, TR_BAD_LOSS, TR_BAD_PARAMS, TR_STOPPED };

/* Samples per call of the fused step: a stop request waits for at most
 * this many (tens of microseconds), and the call costs nothing beside them. */
#define TR_FUSED_RUN 1024L

/* NNGEN_FUSED: "0" runs the ordinary step where the fused one would run
 * (for comparisons); unset, "" or "1" the default.  0, or TR_EXIT_USAGE
 * on any other value (message printed). */
static int tr_fused_env(int *off)
{
    const char *v = getenv("NNGEN_FUSED");
    *off = v && strcmp(v, "0") == 0;
    if (!v || !*v || *off || strcmp(v, "1") == 0)
        return 0;
    nnrt_train_msg("NNGEN_FUSED=%s: expected 0 (the ordinary step) or 1 (the fused step where "
                   "the model has one)", v);
    return TR_EXIT_USAGE;
}

/* The model's fused step (docs/trainer.md, "The fused step") if this run
 * takes it: per-sample SGD (batch 1), a path that has one, no NNGEN_FUSED=0.
 * It gives the ordinary step's weights to the last bit. */
static nnrt_train_samples_fn tr_fused(const nnrt_model *m, const tr_opts *o)
{
    int off = 0;
    if (o->cfg.batch != 1 || o->cfg.optimizer != NNRT_OPT_SGD || !m->train_samples ||
        tr_fused_env(&off) || off)
        return NULL;
    return m->dispatch ? m->dispatch->path->train_samples : m->train_samples;
}

/* The rows of a batch of n > 1 samples (indices ix) gathered into s->xb, s->yb. */
static void tr_gather(const tr_loop *L, const long *ix, long n)
{
    tr_state *s = L->s;
    size_t ni = L->ni, no = L->no;
    for (long i = 0; i < n; i++) {
        memcpy(s->xb + (size_t)i * ni, s->train.x + (size_t)ix[i] * ni, ni * sizeof(nnrt_real));
        memcpy(s->yb + (size_t)i * no, s->ytrain + (size_t)ix[i] * no, no * sizeof(nnrt_real));
    }
}

/* Steps until s->step is `end`, each checking its loss before its update.
 * checked == 0: nothing more (tr_train checks the parameters now and then),
 * and a stop request (SIGINT/SIGTERM) ends the steps.  checked == 1: the
 * parameters after every update too, against a copy in s->good; on
 * TR_BAD_PARAMS s->params are those of the step before, again.
 *
 * The batch: the full batch, and single samples, are rows of the data set
 * and of s->ytrain, used in place; larger batches are gathered into s->xb,
 * s->yb in the order of the epoch, drawn when the epoch starts.  Single
 * samples go to the model's fused step when the run takes it (L->fused),
 * up to TR_FUSED_RUN of the epoch's at a time; a sample whose loss it
 * finds NaN or inf is left to the ordinary step, which reports it. */
static inline int tr_steps(tr_loop *L, long end, int checked)
{
    const nnrt_model *m = L->m;
    tr_state *s = L->s;
    nnrt_real *params = s->params, *grad = s->grad, *state = s->state;
    void *ws = s->c.ws;
    const nnrt_real *tx = s->train.x, *ty = s->ytrain;
    long mt = L->mt, B = L->B, spe = L->spe, from = s->step;
    long step = from, epoch = L->epoch, k = L->k, order = L->order;
    size_t ni = L->ni, no = L->no;
    double loss_sum = 0.0;
    long samples = 0;
    int rc = TR_RAN;
    nnrt_train_samples_fn fused = checked ? NULL : L->fused;
    while (step < end) {
        if (!checked && tr_stop) {
            rc = TR_STOPPED;
            break;
        }
        const nnrt_real *x = tx, *y = ty;
        const long *ix = NULL;
        long n = mt;
        if (L->shuffled) {
            if (order != epoch) {
                tr_epoch_order(s->idx, mt, L->seed, epoch);
                order = epoch;
            }
            ix = s->idx + k * B;
            n = mt - k * B < B ? mt - k * B : B;
        }
        if (fused) {
            long run = spe - k < end - step ? spe - k : end - step;
            run = run < TR_FUSED_RUN ? run : TR_FUSED_RUN;
            long done = fused(params, tx, ty, ix, run, L->opt.lr, &loss_sum);
            step += done;
            samples += done;
            k += done;
            if (k == spe) {
                k = 0;
                epoch++;
            }
            if (done < run) /* the next sample's loss is NaN or inf: the ordinary step */
                fused = NULL;
            continue;
        }
        double loss;
        int chunked = n >= L->split;
        if (chunked) {
            loss = nnrt_threads_loss_grad(s->c.par, params, tx, ty, ix, n, s->xb, s->yb, grad);
        } else {
            if (ix && n == 1) {
                x = tx + (size_t)ix[0] * ni;
                y = ty + (size_t)ix[0] * no;
            } else if (ix) {
                tr_gather(L, ix, n);
                x = s->xb;
                y = s->yb;
            }
            loss = m->loss_grad(params, x, y, n, grad, ws);
        }
        if (!isfinite(loss)) {
            L->bad_loss = loss;
            rc = TR_BAD_LOSS;
            break;
        }
        if (checked)
            memcpy(s->good, params, L->np * sizeof(nnrt_real));
        nnrt_threads_update(s->c.par, params, grad, state, &L->opt, step + 1, chunked);
        if (checked && !tr_all_finite(params, L->np)) {
            memcpy(params, s->good, L->np * sizeof(nnrt_real));
            rc = TR_BAD_PARAMS;
            break;
        }
        step++;
        loss_sum += loss;
        samples += n;
        if (++k == spe) {
            k = 0;
            epoch++;
        }
    }
    s->step = step;
    L->epoch = epoch;
    L->k = k;
    L->order = order;
    L->loss_sum += loss_sum;
    L->loss_n += step - from;
    L->samples += samples;
    return rc;
}

/* Make the current parameters and optimizer state the last checked ones. */
static void tr_keep(tr_loop *L)
{
    tr_state *s = L->s;
    memcpy(s->good, s->params, L->np * sizeof(nnrt_real));
    if (L->sf > 0)
        memcpy(s->good_state, s->state, L->sf * sizeof(nnrt_real));
    s->good_step = s->step;
}

/* A check found a parameter NaN or inf at step `bad`: one of the steps since
 * the last checked copy made it so.  Go back to that copy and run those
 * steps again with the check after every update.  The steps are
 * deterministic (same parameters, optimizer state and batches), so the
 * first one to fail is the one that failed first before, with the same
 * loss or parameters.  Returns TR_BAD_LOSS or TR_BAD_PARAMS (s->params and
 * s->step are then the last good ones), or TR_RAN if all the steps up to
 * `bad` pass this time, which only nondeterministic code could do:
 * training goes on from there. */
static int tr_replay(tr_loop *L, long bad)
{
    tr_state *s = L->s;
    memcpy(s->params, s->good, L->np * sizeof(nnrt_real));
    if (L->sf > 0)
        memcpy(s->state, s->good_state, L->sf * sizeof(nnrt_real));
    s->step = s->good_step;
    L->epoch = s->step / L->spe;
    L->k = s->step % L->spe;
    int rc = tr_steps(L, bad, 1);
    if (rc == TR_RAN)
        tr_keep(L);
    L->loss_sum = 0.0; /* counted in the first run */
    L->loss_n = 0;
    L->samples = 0;
    return rc;
}

/*
 * The training loop.  Steps run in chunks of about TR_CHUNK_SECS (the
 * clock is read between chunks); a chunk ends early at an evaluation point,
 * a NaN/inf loss or a stop request.
 *
 * Divergence.  Every step checks its loss before its update.  The
 * parameters are checked only between chunks, and only as often as keeps
 * the checks within TR_CHECK_SHARE of the training time, and before
 * anything is shown or evaluated (evaluation points, live line, the end, a
 * stop, a NaN/inf loss).  Each check that passes keeps a copy of the
 * parameters and optimizer state (tr_keep).  That reports exactly what
 * checking after every update would:
 *  - every update rule subtracts a step from each parameter, and in IEEE
 *    arithmetic NaN - d is NaN and inf - d is inf or NaN: a parameter that
 *    is NaN or inf stays so.  Finite parameters at step g therefore mean
 *    finite parameters at every step before g;
 *  - when a check fails, tr_replay runs the steps since the last copy
 *    again, checking after every update, and stops at the first failure;
 *  - a NaN/inf loss at step k+1 with finite parameters at step k is the
 *    per-step answer directly.
 * No evaluation, log row or live line is ever made from parameters that
 * have not passed a check.
 */
static int tr_train(tr_opts *o, const nnrt_model *m, tr_state *s, tr_run *r, double t0)
{
    long spe, total;
    int rc = tr_prepare(o, m, s, &spe, &total);
    if (rc)
        return rc;
    long mt = s->train.m;
    nnrt_optim opt = {o->cfg.optimizer, o->cfg.lr, o->cfg.beta1, o->cfg.beta2, o->cfg.eps};
    r->spe = spe;
    r->total = total;
    r->step0 = s->step;
    r->t0 = t0;
    r->last_live = t0;
    r->mtrain = mt;
    if (o->log && nnrt_report_log_open(r, o->log))
        return TR_EXIT_DATA;
    if (o->log || o->plot) { /* the first row: the weights before this run's first update */
        tr_evaluate(r, s, s->params);
        nnrt_report_log_row(r, s->step, tr_now());
    }
    if (s->step >= total && !o->quiet)
        nnrt_train_msg("%s is at step %ld already; the run is %ld steps: nothing to train",
                       o->resume ? o->resume : "the checkpoint", s->step, total);

    tr_loop L;
    memset(&L, 0, sizeof L);
    L.m = m;
    L.s = s;
    L.opt = opt;
    L.mt = mt;
    L.B = o->cfg.batch > 0 ? o->cfg.batch : mt;
    L.spe = spe;
    L.shuffled = o->cfg.batch > 0;
    L.seed = o->cfg.seed;
    L.ni = (size_t)m->n_in;
    L.no = (size_t)m->n_out;
    L.np = m->n_params;
    L.sf = nnrt_state_floats(m, opt.kind);
    L.epoch = s->step / spe;
    L.k = s->step % spe;
    L.order = -1;
    L.split = nnrt_threads_split_rows(m);
    L.fused = tr_fused(m, o);
    tr_keep(&L); /* the starting point, whatever it holds */

    tr_stop = 0;
    tr_catch(tr_on_signal, 2, NULL); /* SIGINT, SIGTERM */
    r->t_steps = tr_now(); /* the live line's time left counts from here */

    long chunk = 1;           /* steps between clock readings */
    double check_cost = -1.0; /* seconds: the quickest check (and copy) so far */
    double unchecked = 0.0;   /* seconds of steps since the last check */
    int status = 0, fail = TR_RAN;
    while (s->step < total) {
        long next = tr_next_eval(o, s->step, spe, total);
        long from = s->step, end = next - from > chunk ? from + chunk : next;
        double a = tr_now();
        int rc_steps = tr_steps(&L, end, 0);
        double b = tr_now();
        r->train_secs += b - a;
        unchecked += b - a;
        r->samples += (double)L.samples;
        r->run_loss += L.loss_sum;
        r->run_n += L.loss_n;
        L.samples = 0;
        L.loss_sum = 0.0;
        L.loss_n = 0;
        if (rc_steps == TR_RAN) {
            /* the next chunk: about TR_CHUNK_SECS, at most twice this one */
            double per = (b - a) / (double)(s->step - from);
            double want = per > 0.0 ? TR_CHUNK_SECS / per : 2.0 * (double)chunk;
            chunk = want < 1.0 ? 1 : want < 2.0 * (double)chunk ? (long)want : 2 * chunk;
            if (chunk > (1L << 30))
                chunk = 1L << 30;
        }
        int eval = s->step == next;
        int live = !eval && r->tty && !o->quiet && b - r->last_live >= TR_LIVE_PERIOD;
        int ok = 1;
        if (rc_steps != TR_RAN || eval || live || s->step == total || check_cost < 0.0 ||
            unchecked * TR_CHECK_SHARE >= check_cost) {
            ok = tr_all_finite(s->params, L.np);
            if (ok) {
                tr_keep(&L);
                double c = tr_now();
                if (check_cost < 0.0 || c - b < check_cost)
                    check_cost = c - b;
                r->train_secs += c - b;
                b = c;
            } else {
                fail = tr_replay(&L, s->step);
                if (fail != TR_RAN) {
                    status = TR_EXIT_DIVERGED;
                    break;
                }
            }
            unchecked = 0.0;
        }
        if (rc_steps == TR_BAD_LOSS && ok) {
            fail = TR_BAD_LOSS;
            status = TR_EXIT_DIVERGED;
            break;
        }
        if (rc_steps == TR_STOPPED) {
            status = TR_EXIT_INTERRUPTED;
            break;
        }
        if (eval) {
            tr_evaluate(r, s, s->params);
            double now = tr_now();
            if (!o->quiet)
                nnrt_report_eval(r, s->step, now);
            nnrt_report_log_row(r, s->step, now);
        } else if (live) {
            nnrt_report_live(r, s->step, b);
        }
    }
    tr_catch(nnrt_afile_on_signal, 2, NULL); /* a signal now interrupts the saves */
    nnrt_report_clear(r);

    if (status == TR_EXIT_DIVERGED) {
        const char *why = fail == TR_BAD_PARAMS ? "the update made a parameter NaN or inf"
                          : isnan(L.bad_loss)   ? "loss is NaN"
                                                : "loss is inf";
        nnrt_train_msg("step %ld: %s (diverged); keeping the weights from step %ld",
                       s->step + 1, why, s->step);
        if (o->save) {
            /* the optimizer state has moved on: save the weights alone */
            if (tr_save(o, m, s->params, s->step, spe, NULL, 0) == 0 && !o->quiet)
                nnrt_train_msg("saved the weights of step %ld to %s", s->step, o->save);
        }
    } else if (status == TR_EXIT_INTERRUPTED) {
        nnrt_train_msg("interrupted at step %ld", s->step);
    }
    if (!r->have_eval || (status && s->step > 0)) {
        tr_evaluate(r, s, s->params);
        if (status == 0)
            nnrt_report_log_row(r, s->step, tr_now());
    }
    if (nnrt_report_log_close(r) && !status)
        status = TR_EXIT_DATA;
    if (o->plot && nnrt_report_plot(r, o->plot) && !status)
        status = TR_EXIT_DATA;
    s->state_floats = nnrt_state_floats(m, opt.kind);
    r->threads = nnrt_threads_for(s->c.par, L.B); /* as many as started */
    return status;
}

/* Before hours of training: can an output file be created at `path`?
 * (nnrt_afile_check: its directory exists and is writable, it is not a
 * directory; a device or FIFO is writable.) */
static int tr_check_output(const char *flag, const char *path)
{
    nnrt_err e = {""};
    if (!path || nnrt_afile_check(path, &e) == 0)
        return 0;
    nnrt_train_msg("%s %s", flag, e.msg);
    return TR_EXIT_DATA;
}

/* An output that is the very file of an input (the same device and inode,
 * whatever the names) would overwrite it: refused before anything runs.
 * The inputs include the labels file an IDX file's name implies.  So are
 * two outputs that are one file.  --save may name the --load or --resume
 * file: that file is read before the save replaces it. */
static int tr_check_clobber(const tr_opts *o)
{
    char trl[4096], tel[4096];
    const struct {
        const char *flag, *path;
        int out; /* 1: --save, 2: --out, --log */
    } f[] = {{"--train", o->train, 0},
             {"--test", o->test, 0},
             {"--train-labels", o->train_labels, 0},
             {"--test-labels", o->test_labels, 0},
             {"--train's labels",
              nnrt_flags_implied_labels(o, o->train, o->train_labels, trl, sizeof trl), 0},
             {"--test's labels",
              nnrt_flags_implied_labels(o, o->test, o->test_labels, tel, sizeof tel), 0},
             {"--predict", o->predict, 0},
             {"--load", o->load, 0},
             {"--resume", o->resume, 0},
             {"--save", o->save, 1},
             {"--out", o->out, 2},
             {"--log", o->log, 2},
             {"--plot", o->plot, 2}};
    size_t n = sizeof f / sizeof f[0];
    for (size_t i = 0; i < n; i++) {
        struct stat a, b;
        if (!f[i].out || !f[i].path || stat(f[i].path, &a) != 0 || !S_ISREG(a.st_mode))
            continue;
        for (size_t j = 0; j < n; j++) {
            if (j == i || !f[j].path || (j > i && f[j].out) || stat(f[j].path, &b) != 0 ||
                a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                continue;
            if (f[i].out == 1 && (strcmp(f[j].flag, "--load") == 0 ||
                                  strcmp(f[j].flag, "--resume") == 0))
                continue;
            nnrt_train_msg("%s %s: is the same file as %s %s: it would be overwritten", f[i].flag,
                           f[i].path, f[j].flag, f[j].path);
            return TR_EXIT_USAGE;
        }
    }
    return 0;
}

/* Does the spec write every layer's weights (then --predict needs no
 * --load)? */
static int tr_all_literal(const nnrt_model *m)
{
    for (int l = 0; l < m->n_layers; l++)
        if (!m->literal || !m->layers[l].literal)
            return 0;
    return 1;
}

int nnrt_main(const nnrt_model *m, int argc, char **argv)
{
    tr_prog = tr_basename(argc > 0 ? argv[0] : NULL);
    if (!m || m->abi != NNRT_ABI_VERSION) {
        nnrt_train_msg("model built for runtime ABI %u, but this libnnrt is ABI %d (rebuild "
                       "with nngen)", m ? m->abi : 0u, NNRT_ABI_VERSION);
        return TR_EXIT_USAGE;
    }
    tr_opts o;
    int rc = nnrt_flags_parse(&o, m, argc, argv), fused_off;
    if (rc || (rc = tr_fused_env(&fused_off)) != 0)
        return rc;
    if (o.help) {
        nnrt_flags_help(m, stdout);
        return 0;
    }
    if (o.info) {
        nnrt_flags_info(m);
        return 0;
    }
    if (o.version) {
        nnrt_flags_version(m);
        return 0;
    }
    if (!o.train && !o.predict) {
        nnrt_train_msg("no --train FILE given (see --help)");
        return TR_EXIT_USAGE;
    }
    if (!o.train && o.resume) {
        nnrt_train_msg("--resume continues training: give --train FILE too");
        return TR_EXIT_USAGE;
    }
    if (!o.train && o.gradcheck) {
        nnrt_train_msg("--gradcheck runs on the training data: give --train FILE");
        return TR_EXIT_USAGE;
    }
    if (!o.train && !o.load && !tr_all_literal(m)) {
        nnrt_train_msg("--predict needs weights: give --load FILE (or --train FILE to train "
                       "first)%s", m->literal ? "; the spec writes the weights of only some "
                                                "layers" : "");
        return TR_EXIT_USAGE;
    }
    if (o.test && !o.train) {
        nnrt_train_msg("--test is evaluated during training: give --train FILE too");
        return TR_EXIT_USAGE;
    }

    if ((rc = tr_check_clobber(&o)) != 0 || (rc = tr_check_output("--save", o.save)) != 0 ||
        (rc = tr_check_output("--out", o.out)) != 0 || (rc = tr_check_output("--log", o.log)) != 0
        || (rc = tr_check_output("--plot", o.plot)) != 0)
        return rc;
    struct sigaction old_sigs[TR_NSIGS];
    tr_catch(nnrt_afile_on_signal, TR_NSIGS, old_sigs);

    double t0 = tr_now();
    tr_state s;
    memset(&s, 0, sizeof s);
    tr_run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.o = &o;
    r.tty = isatty(fileno(stderr));
    r.spe = 1;
    r.threads = 1;

    /* the evaluation chunk: enough for the largest set, at most TR_EVAL_CHUNK */
    rc = tr_alloc_core(m, &s, TR_EVAL_CHUNK,
                       o.threads > 0 ? (int)o.threads : nnrt_threads_available());
    if (rc)
        goto out;
    if (o.load || o.resume) {
        rc = tr_load_weights(&o, m, &s);
        if (rc)
            goto out;
    } else if (m->literal && nnrt_flags_given(&o, "--init")) {
        /* --init replaces the weights the spec writes too (docs/perceptron.md) */
        nnrt_model by_rule = *m;
        by_rule.literal = NULL;
        nnrt_init_params(&by_rule, s.params, o.cfg.init, o.cfg.seed);
    } else {
        nnrt_init_params(m, s.params, o.cfg.init, o.cfg.seed);
    }
    if (o.train) {
        if (o.gradcheck) {
            rc = tr_load_set(&o, m, o.train, o.train_labels, &s.train);
            if (rc == 0)
                rc = tr_gradcheck(&o, m, &s);
            goto out;
        }
        rc = tr_load_sets(&o, m, o.threads > 0 ? (int)o.threads : nnrt_threads_available(),
                          &s.train, &s.test);
        if (rc)
            goto out;
        r.have_test = o.test != NULL;
        rc = tr_train(&o, m, &s, &r, t0);
        if (rc == TR_EXIT_USAGE || (rc == TR_EXIT_DATA && s.step == r.step0 && !r.have_eval))
            goto out;
        double wall = tr_now() - t0;
        FILE *sum = o.predict && !o.out ? stderr : stdout;
        const char *st = rc == 0 ? "ok" : rc == TR_EXIT_DIVERGED ? "diverged"
                       : rc == TR_EXIT_INTERRUPTED ? "interrupted" : "error";
        nnrt_report_summary(sum, &r, st, s.step, wall);
        if (rc == TR_EXIT_DIVERGED)
            goto out;
        if (o.save) {
            const nnrt_real *st_ptr = s.state_floats ? s.state : NULL;
            if (tr_save(&o, m, s.params, s.step, r.spe, st_ptr, s.state_floats)) {
                rc = TR_EXIT_DATA;
                goto out;
            }
            if (rc == TR_EXIT_INTERRUPTED)
                nnrt_train_msg("saved step %ld to %s (continue with --resume %s)", s.step, o.save,
                               o.save);
        }
        if (rc)
            goto out;
    }
    if (o.predict)
        rc = nnrt_predict_run(&o, &s.c, s.params);
out:
    tr_free(&s);
    free(r.plot);
    for (size_t i = 0; i < TR_NSIGS; i++)
        sigaction(tr_sigs[i], &old_sigs[i], NULL);
    return rc;
}

